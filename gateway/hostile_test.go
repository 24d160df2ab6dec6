package gateway

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// Frame-level conformance, after the Autobahn groups that apply to a
// server that receives little: each case gets its exact close code and the
// node stays healthy.
func TestFrameConformance(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	hs := []byte(`{"services":["s"]}`)
	cases := []struct {
		name string
		send func(t *testing.T, c *wstest.Client)
		code int // 0: no close expected, an ack instead
	}{
		{name: "fragmented handshake with a ping in between", code: 0, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, false, 0, ws.OpText, true, hs[:5])
			wstest.SendFrame(t, c, true, 0, ws.OpPing, true, []byte("hi"))
			wstest.SendFrame(t, c, false, 0, ws.OpContinuation, true, hs[5:10])
			wstest.SendFrame(t, c, true, 0, ws.OpContinuation, true, hs[10:])
		}},
		{name: "ping payload over 125 bytes", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpPing, true, make([]byte, 126))
		}},
		{name: "fragmented ping", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, false, 0, ws.OpPing, true, []byte("x"))
		}},
		{name: "reserved bit 2", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, ws.Rsv(false, true, false), ws.OpText, true, hs)
		}},
		{name: "compressed bit without deflate", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, ws.Rsv(true, false, false), ws.OpText, true, hs)
		}},
		{name: "unknown data opcode", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpCode(0x3), true, hs)
		}},
		{name: "unknown control opcode", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpCode(0xb), true, nil)
		}},
		{name: "unmasked frame", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpText, false, hs)
		}},
		{name: "continuation without start", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpContinuation, true, hs)
		}},
		{name: "new message inside a fragmented one", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, false, 0, ws.OpText, true, hs[:3])
			wstest.SendFrame(t, c, true, 0, ws.OpText, true, hs)
		}},
		{name: "invalid UTF-8 across fragments", code: 1007, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, false, 0, ws.OpText, true, []byte{'"', 0xe2, 0x82})
			wstest.SendFrame(t, c, true, 0, ws.OpContinuation, true, []byte{0x28, '"'})
		}},
		{name: "close with an invalid code", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpClose, true, []byte{0x03, 0xe7}) // 999
		}},
		{name: "close with a one-byte payload", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpClose, true, []byte{0x03})
		}},
		{name: "close with invalid UTF-8 reason", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			wstest.SendFrame(t, c, true, 0, ws.OpClose, true, []byte{0x03, 0xe8, 0xff})
		}},
		{name: "64-bit length with the top bit set", code: 1002, send: func(t *testing.T, c *wstest.Client) {
			c.NC.Write([]byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
		}},
		{name: "declared length over the limit", code: 1009, send: func(t *testing.T, c *wstest.Client) {
			c.NC.Write([]byte{0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}) // 4 GiB, nothing follows
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wstest.Dial(t, h.wsURL+"?access_token="+h.token("conf", "u"), wstest.Options{})
			tc.send(t, c)
			if tc.code == 0 {
				c.Expect("ack")
				return
			}
			c.ExpectClose(tc.code)
		})
	}
	// Still healthy: a well-behaved client is served.
	c, _ := h.connect("conf", "after", map[string]any{"services": []string{"s"}})
	h.publish("conf", "s", "t", `1`)
	c.Events(1)
}

// Peers that trickle frames byte by byte never hold a reader: with a single
// reader goroutine, other clients are still acked at once, and the trickler
// is cut off after readFrameTimeout.
func TestSlowlorisDoesNotStarveReaders(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.Workers = 1 }})
	var tricklers []net.Conn
	for i := 0; i < 3; i++ {
		// A valid token: without one the connection is already closing
		// (4001) and its 5 s close deadline races the 5 s frame clock, so
		// the cut-off could be counted either way.
		c := wstest.Dial(t, h.wsURL+"?access_token="+h.token("loris", "trickler"), wstest.Options{})
		c.NC.Write([]byte{0x81}) // a frame that never finishes
		tricklers = append(tricklers, c.NC)
	}
	a, _ := h.connect("loris", "attacker", map[string]any{"services": []string{"s"}})
	a.NC.Write([]byte{0x89, 0x80, 1, 2, 3, 4, 0x89}) // a ping, then half of the next
	start := time.Now()
	h.connect("loris", "victim", map[string]any{"services": []string{"s"}})
	if el := time.Since(start); el > time.Second {
		t.Fatalf("a normal handshake took %v behind trickling peers", el)
	}
	testutil.Eventually(t, readFrameTimeout+2*time.Second, "tricklers cut off", func() bool {
		return h.srv.metrics.partialFrames.Get() >= 4
	})
}

// A client that floods pings and never reads cannot grow its queue (or the
// heap) without bound: pongs are coalesced and frames are charged their
// overhead.
func TestPingFloodIsBounded(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) {
		c.OutboundQueueBytes = 64 << 10
		c.SendBufferBytes = 4 << 10
	}})
	c := wstest.Dial(t, h.wsURL+"?access_token="+h.token("flood", "u"), wstest.Options{RcvBuf: 4096})
	c.Send(map[string]any{"services": []string{"s"}})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ping := []byte{0x89, 0x80, 1, 2, 3, 4}
	burst := []byte(strings.Repeat(string(ping), 1000))
	for i := 0; i < 500; i++ { // 500,000 pings
		if _, err := c.NC.Write(burst); err != nil {
			break // closed on us: fine
		}
	}
	var sc *conn
	for i := 0; i < registryShards && sc == nil; i++ {
		for _, x := range h.srv.reg.snapshot(i, nil) {
			sc = x
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if sc != nil {
		sc.mu.Lock()
		n := sc.out.Len()
		sc.mu.Unlock()
		if n > 16 {
			t.Fatalf("%d frames queued for a client that only sent pings", n)
		}
	}
	if grew > 8<<20 {
		t.Fatalf("heap grew %d MiB under a ping flood", grew>>20)
	}
}

// An event too large to travel is refused at publish (400), not accepted
// and then fatal to every subscriber.
func TestOversizedEventRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	live, _ := h.connect("big", "u", map[string]any{"services": []string{"s"}})
	data := `"` + strings.Repeat("x", 100<<10) + `"`
	code, body := h.post("/v2/realtime/publish", testAPIKey, fmt.Sprintf(`{"org":"big","service":"s","type":"t","data":%s}`, data))
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["message"]), "max") {
		t.Fatalf("oversized event: %d %v", code, body)
	}
	h.publish("big", "s", "t", `1`)
	live.Events(1)
}
