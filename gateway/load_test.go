package gateway

import (
	"github.com/rtgw/realtime/internal/wstest"

	"fmt"
	"github.com/rtgw/realtime/internal/testutil"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A client that stops reading is closed with 4013 while the org's other
// connections keep receiving every event.
func TestSlowConsumerClosed4013(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) {
		c.OutboundQueueBytes = 256 << 10
		c.SendBufferBytes = 16 << 10 // so the kernel does not absorb megabytes first
	}})
	org := "slow"
	slow := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "slow"), wstest.Options{RcvBuf: 4096})
	slow.Send(map[string]any{"services": []string{"s"}})
	slow.Expect("ack")
	fast, _ := h.connect(org, "fast", map[string]any{"services": []string{"s"}})

	payload := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 1000))
	const n = 1000 // ~1 MB: past the small socket buffers plus the 256 KiB cap
	var fastSeen atomic.Int64
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for i := int64(1); i <= n; i++ {
			// Flow control on the fast reader only, so it is never the
			// one that falls behind.
			for fastSeen.Load() < i-50 {
				time.Sleep(time.Millisecond)
			}
			h.publish(org, "s", "t", payload)
		}
	}()
	for seen := 0; seen < n; {
		for _, e := range fast.Events(1) {
			seen++
			if e.Seq != int64(seen) {
				t.Fatalf("fast client: event %d has seq %d", seen, e.Seq)
			}
			fastSeen.Store(e.Seq)
		}
	}
	<-pubDone
	// Now the slow client reads: what the kernel buffered, then the error
	// frame and close 4013 — never all n events.
	seen := 0
	for {
		m := slow.Next(10 * time.Second)
		if m.Type == "event" {
			seen += len(m.Events)
			continue
		}
		if m.Type == "error" {
			if m.Code != "slow_consumer" {
				t.Fatalf("error frame %s", m.Raw)
			}
			continue
		}
		if m.Type != "close" || m.CloseCode != int(CloseSlowConsumer) {
			t.Fatalf("got %+v, want close 4013", m)
		}
		break
	}
	if seen >= n {
		t.Fatalf("slow client received all %d events; it was never cut off", seen)
	}
	t.Logf("slow client got %d of %d events before 4013", seen, n)
	if v := h.srv.metrics.slowConsumers.Get(); v != 1 {
		t.Fatalf("slow consumer metric = %d, want 1", v)
	}
}

// 2,000 idle WebSocket connections add fewer than 50 goroutines: idle
// connections are parked in epoll, not in goroutines.
func TestIdleConnectionsCostNoGoroutines(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "idle"
	// Warm up: one connection starts the org tail and the worker pools.
	first, _ := h.connect(org, "warm", map[string]any{"services": []string{"s"}})
	_ = first
	runtime.GC()
	before := runtime.NumGoroutine()
	const n = 2000
	clients := make([]*wstest.Client, 0, n)
	for i := 0; i < n; i++ {
		c := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, fmt.Sprint("u", i)), wstest.Options{})
		c.Send(map[string]any{"services": []string{"s"}})
		clients = append(clients, c)
	}
	for _, c := range clients {
		c.Expect("ack")
	}
	testutil.Eventually(t, 10*time.Second, "http handler goroutines to exit", func() bool {
		return runtime.NumGoroutine()-before < 50
	})
	after := runtime.NumGoroutine()
	t.Logf("goroutines: %d before, %d with %d idle connections (+%d)", before, after, n, after-before)
	// They are all live: one publish reaches every one of them.
	h.publish(org, "s", "t", `1`)
	for _, c := range clients {
		if got := c.Events(1); got[0].Seq != 1 {
			t.Fatalf("got %+v", got)
		}
	}
}

func TestDeadPeerClosedWithinTwoIntervals(t *testing.T) {
	const interval = 400 * time.Millisecond
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.PingInterval = interval }})
	h.connect("dead", "u", map[string]any{"services": []string{"s"}})
	// A peer that never answers: we just stop reading (no pongs). The
	// last frame it sent was the handshake, just before start.
	start := time.Now()
	testutil.Eventually(t, 5*time.Second, "dead peer closed", func() bool { return h.srv.reg.len() == 0 })
	// By design: silence over 1.5 intervals, checked every interval/4, so
	// at most 1.75 intervals; 250ms more is scheduling slack on a loaded box.
	if el := time.Since(start); el > 2*interval+250*time.Millisecond {
		t.Fatalf("dead peer closed after %v, want within two intervals (%v)", el, 2*interval)
	}
	if h.srv.metrics.deadPeers.Get() != 1 {
		t.Fatal("dead peer not counted")
	}
}

func TestLivePeerKeptAliveByPings(t *testing.T) {
	const interval = 400 * time.Millisecond // generous: this box is shared and noisy
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.PingInterval = interval }})
	c, _ := h.connect("alive", "u", map[string]any{"services": []string{"s"}})
	// The test client answers control pings while reading; read for five
	// intervals and check it sees JSON pings and stays connected.
	deadline := time.Now().Add(5 * interval)
	pings := 0
	for time.Now().Before(deadline) {
		m, err := c.ReadIncludingPings(time.Until(deadline))
		if err != nil {
			break
		}
		if m.Type == "ping" {
			if _, err := time.Parse(time.RFC3339, m.Timestamp); err != nil {
				t.Fatalf("ping timestamp: %v", err)
			}
			pings++
			c.Send(map[string]string{"type": "pong"})
		}
	}
	if pings < 3 {
		t.Fatalf("saw %d JSON pings in 5 intervals", pings)
	}
	if h.srv.reg.len() != 1 {
		t.Fatal("live peer was closed")
	}
}
