package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/store"
)

// frameSeq extracts a frame's "seq" (the last event's seq) without a full
// JSON decode, so the benchmark's clients are cheap next to the gateway.
func frameSeq(p []byte) int64 {
	i := bytes.Index(p, []byte(`"seq":`))
	if i < 0 {
		return 0
	}
	p = p[i+6:]
	j := bytes.IndexByte(p, ',')
	n, _ := strconv.ParseInt(string(p[:j]), 10, 64)
	return n
}

// BenchmarkOrgEndToEnd: one org, subs WebSocket clients on real sockets,
// events published in batches of 50 through the real Lua script on a real
// redis-server. Reports delivered events/s (summed over clients) and the
// publish rate the org sustained.
func BenchmarkOrgEndToEnd(b *testing.B) {
	for _, subs := range []int{1, 100} {
		b.Run(fmt.Sprintf("subs=%d", subs), func(b *testing.B) {
			h := newHarness(b, harnessOpts{maxLen: 100000, cfg: func(c *Config) { c.OutboundQueueBytes = 8 << 20 }})
			org := "e2e"
			var wg sync.WaitGroup
			want := int64(b.N)
			for i := 0; i < subs; i++ {
				c, _ := h.connect(org, fmt.Sprint("u", i), map[string]any{"services": []string{"finance"}})
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = c.NC.SetReadDeadline(time.Now().Add(60 * time.Second))
					for {
						hd, err := ws.ReadHeader(c.Reader())
						if err != nil {
							b.Errorf("read: %v", err)
							return
						}
						p := make([]byte, hd.Length)
						if _, err := io.ReadFull(c.Reader(), p); err != nil {
							return
						}
						if frameSeq(p) >= want {
							return
						}
					}
				}()
			}
			data := json.RawMessage(`{"amount":42,"currency":"EUR","note":"benchmark event of about 200 bytes on the wire ........"}`)
			batch := make([]store.Input, 50)
			for i := range batch {
				batch[i] = store.Input{Service: "finance", Type: "revenue.created", Data: data}
			}
			b.ResetTimer()
			start := time.Now()
			for sent := 0; sent < b.N; sent += len(batch) {
				n := min(len(batch), b.N-sent)
				if _, _, err := h.log.Publish(context.Background(), org, batch[:n]...); err != nil {
					b.Fatal(err)
				}
			}
			pubDone := time.Since(start)
			wg.Wait()
			el := time.Since(start)
			b.ReportMetric(float64(b.N)/pubDone.Seconds(), "published/s")
			b.ReportMetric(float64(b.N*subs)/el.Seconds(), "delivered/s")
		})
	}
}
