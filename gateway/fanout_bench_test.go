package gateway

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/store"
)

// benchTail builds an org tail with n subscribed connections that have no
// sockets: it measures fan-out itself (encode once, enqueue n times), not
// the kernel.
func benchTail(b *testing.B, n int) (*orgTail, []*conn, *Server) {
	s := &Server{metrics: newServerMetrics(), writers: newWorkQueue(linkWrite)}
	s.cfg.OutboundQueueBytes = 1 << 20
	s.cfg.CompressThreshold = 1024
	s.hub = newHub(&tailEnv{cfg: &s.cfg, metrics: s.metrics}, s.spawn)
	t := newOrgTail(s.hub, "bench")
	conns := make([]*conn, n)
	for i := range conns {
		conns[i] = &conn{id: uint64(i), s: s, state: stateActive}
		conns[i].expireAt.Store(math.MaxInt64) // a token that never runs out
		t.addSubscriberLocked(conns[i], []string{"finance"})
	}
	return t, conns, s
}

// drain plays the writer: it consumes every queued byte without I/O.
func drain(s *Server, conns []*conn) {
	for _, c := range conns {
		c.mu.Lock()
		c.out.Advance(c.out.Bytes()-c.out.Len()*wsframe.Overhead, c.deflate) // bytes includes the per-frame charge
		c.scheduled = false
		c.mu.Unlock()
	}
	s.writers.head, s.writers.tail = nil, nil
}

func benchEvent(seq int64, size int) store.Event {
	data, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", max(size-60, 1))})
	return store.Event{Seq: seq, Service: "finance", Type: "revenue.created", Data: data, TS: 1700000000000}
}

// BenchmarkFanout: allocations per op must not grow with subscribers (zero
// per connection per event); ns/op / subscribers is the per-connection cost.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			t, conns, s := benchTail(b, n)
			batch := []store.Event{benchEvent(0, 200)}
			// The writers lag by up to 16 events: queues hold a few
			// frames, as on a busy node.
			const drainEvery = 16
			for i := 0; i < 2*drainEvery; i++ { // warm up: rings reach their size
				batch[0].Seq = int64(i + 1)
				t.fanout(batch)
			}
			drain(s, conns)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch[0].Seq = int64(i + 2*drainEvery + 1)
				t.fanout(batch)
				if i%drainEvery == 0 {
					drain(s, conns)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/conn")
		})
	}
}

// BenchmarkFrameEncode: one 200-byte event into a wire frame.
func BenchmarkFrameEncode(b *testing.B) {
	evs := []store.Event{benchEvent(1, 200)}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = message.AppendEvents(buf[:0], evs)
		_ = wsframe.New(buf, 1024)
	}
}
