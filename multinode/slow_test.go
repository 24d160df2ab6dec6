package multinode

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// A client that stops reading on a busy org is closed with 4013 and costs
// the org's other clients (almost) nothing: their publish→receive latency
// is measured with and without the stalled client, in the same run.
func TestSlowClientDoesNotDelayOthers(t *testing.T) {
	redis := redistest.Start(t)
	node := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Plain: true, Env: map[string]string{
		"REALTIME_OUTBOUND_QUEUE_BYTES": "524288", "REALTIME_SEND_BUFFER_BYTES": "16384",
	}})
	org := "busy"
	const fast = 20
	type rx struct {
		mu   sync.Mutex
		at   map[string]time.Time // marker → receive time
		done chan struct{}
	}
	receivers := make([]*rx, fast)
	for i := range receivers {
		r := &rx{at: map[string]time.Time{}, done: make(chan struct{})}
		receivers[i] = r
		c := wstest.Dial(t, node.StreamURL(gatewaytest.Token(t, org, fmt.Sprint("fast", i))), wstest.Options{})
		c.Send(map[string]any{"services": []string{"s"}})
		c.Expect("ack")
		go func() {
			defer close(r.done)
			br := c.Reader()
			_ = c.NC.SetReadDeadline(time.Now().Add(3 * time.Minute)) // up to three rounds of two phases
			for {
				h, err := ws.ReadHeader(br)
				if err != nil {
					return
				}
				p := make([]byte, h.Length)
				if _, err := io.ReadFull(br, p); err != nil {
					return
				}
				now := time.Now()
				for _, m := range markers(p) {
					r.mu.Lock()
					r.at[m] = now
					r.mu.Unlock()
				}
			}
		}()
	}
	pad := strings.Repeat("x", 1000)
	// phase publishes n events and returns the fast clients' latencies,
	// after running the checks given.
	phase := func(name string, n int, checks ...func()) []time.Duration {
		sent := make(map[string]time.Time, n)
		for i := 0; i < n; i++ {
			m := fmt.Sprintf("%s-%d", name, i)
			sent[m] = time.Now()
			if _, err := node.Publish(org, "s", "t", fmt.Sprintf(`{"m":%q,"pad":%q}`, m, pad)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // ~400 events/s
		}
		var lat []time.Duration
		testutil.Eventually(t, 20*time.Second, name+" delivered", func() bool {
			for _, r := range receivers {
				r.mu.Lock()
				missing := false
				for m := range sent {
					if _, ok := r.at[m]; !ok {
						missing = true
						break
					}
				}
				r.mu.Unlock()
				if missing {
					return false
				}
			}
			return true
		})
		for _, check := range checks {
			check()
		}
		for _, r := range receivers {
			r.mu.Lock()
			for m, at := range r.at {
				if s, ok := sent[m]; ok {
					lat = append(lat, at.Sub(s))
				}
			}
			r.mu.Unlock()
		}
		return lat
	}
	pct := func(l []time.Duration, q float64) time.Duration {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return l[int(q*float64(len(l)-1))]
	}
	// A stalled client that delays the others does so in every round; a
	// scheduler hiccup of this 2-core box (CI runs every package at once)
	// does not. So a round that misses the bound is measured again, up to
	// three rounds, each with a stalled client of its own.
	var added []time.Duration
	for round := 1; round <= 3; round++ {
		base := phase(fmt.Sprint("base", round), 500)
		withSlow := phase(fmt.Sprint("slow", round), 500, stalledClient(t, node, org, round))
		d := pct(withSlow, .99) - pct(base, .99)
		t.Logf("round %d: fast clients' publish→receive latency over %d deliveries: without a stalled client p50 %v p99 %v; with one p50 %v p99 %v",
			round, len(base), pct(base, .5).Round(10*time.Microsecond), pct(base, .99).Round(10*time.Microsecond),
			pct(withSlow, .5).Round(10*time.Microsecond), pct(withSlow, .99).Round(10*time.Microsecond))
		if d <= 10*time.Millisecond {
			return
		}
		added = append(added, d)
	}
	t.Fatalf("a stalled client added %v to the others' p99 in every round", added)
}

// stalledClient connects a client to org that never reads (a 4 KiB receive
// buffer), and returns the check, run after the phase that fills its queue,
// that the gateway cut it off with 4013.
func stalledClient(t *testing.T, node *gatewaytest.Node, org string, round int) func() {
	slow := wstest.Dial(t, node.StreamURL(gatewaytest.Token(t, org, fmt.Sprint("slow", round))), wstest.Options{RcvBuf: 4096})
	slow.Send(map[string]any{"services": []string{"s"}})
	slow.Expect("ack")
	return func() {
		for {
			m, err := slow.Read(10 * time.Second)
			if err != nil {
				t.Fatalf("slow client: %v", err)
			}
			if m.Type == "close" {
				if m.CloseCode != 4013 {
					t.Fatalf("slow client closed with %d, want 4013", m.CloseCode)
				}
				return
			}
		}
	}
}

// markers extracts every "m" value from an event frame.
func markers(p []byte) []string {
	var out []string
	for {
		i := bytes.Index(p, []byte(`"m":"`))
		if i < 0 {
			return out
		}
		p = p[i+5:]
		j := bytes.IndexByte(p, '"')
		out = append(out, string(p[:j]))
		p = p[j:]
	}
}
