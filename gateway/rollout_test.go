package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

func (h *harness) cli(args ...string) {
	h.t.Helper()
	if out, err := h.redis.CLI(h.t, args...); err != nil {
		h.t.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
}

// The operator's sequence from the README, with the real redis-cli.
func TestRolloutWithRedisCLI(t *testing.T) {
	h := newHarness(t, harnessOpts{rollout: true})
	hs := map[string]any{"services": []string{"s"}, "version": 1}

	// Default (hash absent): everyone on WebSocket.
	c, _ := h.connect("acme", "user-1", hs)

	h.cli("HSET", "realtime:rollout", "percent", "0")
	nc := wstest.Dial(t, h.wsURL+"?access_token="+h.token("acme", "user-2"), wstest.Options{})
	nc.Send(hs)
	m := nc.Next(5 * time.Second)
	if m.Type != "fallback" {
		t.Fatalf("percent 0: got %s, want fallback", m.Raw)
	}
	if string(m.Raw) != `{"type":"fallback","transport":"longpoll","reason":"rollout","detail":"percent","url":"/v2/realtime/poll"}` {
		t.Fatalf("fallback message %s", m.Raw)
	}
	if cl := nc.Next(5 * time.Second); cl.CloseCode != int(CloseFallback) {
		t.Fatalf("got %+v, want close 4010", cl)
	}

	h.cli("HSET", "realtime:rollout", "allow:user:user-2", "1")
	h.connect("acme", "user-2", hs) // fails the test unless acked

	// The percentage change did not cut the connected client off.
	h.publish("acme", "s", "t", `1`)
	if got := c.Events(1); got[0].Seq != 1 {
		t.Fatalf("connected client got %+v", got)
	}

	// Kill switch: connected clients are moved to the fallback.
	h.cli("HSET", "realtime:rollout", "enabled", "0")
	m = c.Next(5 * time.Second)
	if m.Type != "fallback" {
		t.Fatalf("kill switch: got %s, want fallback", m.Raw)
	}
	if cl := c.Next(5 * time.Second); cl.CloseCode != int(CloseFallback) {
		t.Fatalf("kill switch: got %+v, want close 4010", cl)
	}
	// And an allowlisted user is out too: the kill switch comes first.
	nc = wstest.Dial(t, h.wsURL+"?access_token="+h.token("acme", "user-2"), wstest.Options{})
	nc.Send(hs)
	if m := nc.Next(5 * time.Second); m.Type != "fallback" {
		t.Fatalf("after kill switch: got %s", m.Raw)
	}
	if v := h.srv.metrics.fallbacks["kill_switch"].Get(); v < 1 {
		t.Fatalf("kill switch fallbacks metric = %d", v)
	}
}

// With Redis stopped, a handshake still gets its rollout decision within the
// bound (from the last values read), and the node recovers when Redis does.
func TestRolloutRedisDown(t *testing.T) {
	h := newHarness(t, harnessOpts{rollout: true})
	hs := map[string]any{"services": []string{"s"}}
	h.cli("HSET", "realtime:rollout", "percent", "0")
	testutil.Eventually(t, 2*time.Second, "flags read", func() bool {
		return !h.flags.Decide(t.Context(), "user-2", "acme", false).In
	})
	h.redis.Stop()
	nc := wstest.Dial(t, h.wsURL+"?access_token="+h.token("acme", "user-2"), wstest.Options{})
	start := time.Now()
	nc.Send(hs)
	m := nc.Next(5 * time.Second)
	if m.Type != "fallback" {
		t.Fatalf("got %s, want fallback decided from the cache", m.Raw)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("decision took %v with Redis down", el)
	}
	h.redis.Restart()
	h.cli("HSET", "realtime:rollout", "percent", "100")
	testutil.Eventually(t, 10*time.Second, "ack after Redis returns", func() bool {
		return h.acked("acme", "user-3", hs)
	})
}

// "optIn":true in the handshake lets a client in at 0 % only while the
// hash has optin=1; the kill switch still wins.
func TestRolloutOptInHandshake(t *testing.T) {
	h := newHarness(t, harnessOpts{rollout: true})
	h.cli("HSET", "realtime:rollout", "percent", "0")
	asked := map[string]any{"services": []string{"s"}, "version": 1, "optIn": true}
	fallback := func(hs map[string]any, detail string) {
		t.Helper()
		nc := wstest.Dial(t, h.wsURL+"?access_token="+h.token("acme", "user-9"), wstest.Options{})
		nc.Send(hs)
		if m := nc.Next(5 * time.Second); m.Type != "fallback" || !strings.Contains(string(m.Raw), `"detail":"`+detail+`"`) {
			t.Fatalf("got %s, want fallback %s", m.Raw, detail)
		}
	}
	fallback(asked, "percent") // optin absent: the request is ignored
	h.cli("HSET", "realtime:rollout", "optin", "1")
	h.connect("acme", "user-9", asked) // fails the test unless acked
	fallback(map[string]any{"services": []string{"s"}, "version": 1}, "percent")
	h.cli("HSET", "realtime:rollout", "enabled", "0")
	fallback(asked, "disabled")
}
