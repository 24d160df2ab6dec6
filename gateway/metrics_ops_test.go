package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// Each handshake's rollout decision is counted under its outcome and reason.
func TestRolloutDecisionsMetric(t *testing.T) {
	h := newHarness(t, harnessOpts{rollout: true})
	hs := map[string]any{"services": []string{"s"}, "version": 1}
	decision := func(outcome, reason string) float64 {
		return metricValue(t, scrape(t, h), `realtime_rollout_decisions_total{outcome="`+outcome+`",reason="`+reason+`"}`)
	}
	fallback := func(user string) {
		t.Helper()
		c := wstest.Dial(t, h.wsURL+"?access_token="+h.token("acme", user), wstest.Options{})
		c.Send(hs)
		if m := c.Next(5 * time.Second); m.Type != "fallback" {
			t.Fatalf("%s: got %s, want fallback", user, m.Raw)
		}
	}

	h.connect("acme", "u1", hs) // no hash: the default 100 %
	h.cli("HSET", "realtime:rollout", "percent", "0")
	fallback("u2")
	h.cli("HSET", "realtime:rollout", "allow:user:u3", "1", "deny:user:u4", "1")
	h.connect("acme", "u3", hs)
	fallback("u4")
	h.cli("HSET", "realtime:rollout", "optin", "1") // still at 0 %: only a browser that asks is in
	h.connect("acme", "u6", map[string]any{"services": []string{"s"}, "version": 1, "optIn": true})
	h.cli("HSET", "realtime:rollout", "enabled", "0")
	testutil.Eventually(t, 5*time.Second, "kill switch seen", func() bool { return !h.flags.Enabled() })
	fallback("u5")

	for _, tc := range []struct {
		outcome, reason string
		want            float64
	}{
		{"websocket", "percent", 1}, {"websocket", "allowed", 1}, {"websocket", "optin", 1},
		{"fallback", "percent", 1}, {"fallback", "denied", 1}, {"fallback", "disabled", 1},
	} {
		if got := decision(tc.outcome, tc.reason); got != tc.want {
			t.Errorf("%s/%s = %v, want %v", tc.outcome, tc.reason, got, tc.want)
		}
	}
}

// /readyz answers are counted by result, so a failing Redis shows on a node
// with no clients (kubelet's probes drive the counter).
func TestReadyzChecksMetric(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ready := func(want int) {
		t.Helper()
		resp, err := http.Get(h.http.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("/readyz %d, want %d", resp.StatusCode, want)
		}
	}
	ready(200)
	h.redis.Stop()
	ready(503)
	ready(503)
	text := scrape(t, h)
	if got := metricValue(t, text, `realtime_readyz_checks_total{result="ready"}`); got != 1 {
		t.Fatalf("ready = %v, want 1", got)
	}
	if got := metricValue(t, text, `realtime_readyz_checks_total{result="redis_unreachable"}`); got != 2 {
		t.Fatalf("redis_unreachable = %v, want 2", got)
	}
}

// A running org tail's subscription confirmed again after Redis comes back
// counts as a re-link; a tail's first subscription does not.
func TestFeedResubscribesMetric(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("relink", "u", map[string]any{"services": []string{"s"}})
	h.publish("relink", "s", "t", `1`)
	c.Events(1)
	if got := metricValue(t, scrape(t, h), "realtime_feed_resubscribes_total"); got != 0 {
		t.Fatalf("before the restart: %v re-links, want 0", got)
	}
	h.redis.Restart()
	testutil.Eventually(t, 20*time.Second, "re-link counted", func() bool {
		return metricValue(t, scrape(t, h), "realtime_feed_resubscribes_total") >= 1
	})
}
