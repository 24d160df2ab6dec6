package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

func TestCrossSiteWebSocketRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.AllowedOrigins = []string{"https://app.example.com"} }})
	tok := h.token("o", "u")
	_, err := wstest.TryDial(h.wsURL+"?access_token="+tok, wstest.Options{Header: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil {
		t.Fatal("upgrade from an unlisted origin succeeded")
	}
	c := wstest.Dial(t, h.wsURL+"?access_token="+tok, wstest.Options{Header: http.Header{"Origin": {"https://app.example.com"}}})
	c.Send(map[string]any{"services": []string{"s"}})
	c.Expect("ack")
	if h.srv.metrics.originRefused.Get() != 1 {
		t.Fatal("refusal not counted")
	}
}

func TestConnectionLimitPerUser(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.MaxConnsPerUser = 2 }})
	a, _ := h.connect("lim", "u", map[string]any{"services": []string{"s"}})
	h.connect("lim", "u", map[string]any{"services": []string{"s"}})
	third := wstest.Dial(t, h.wsURL+"?access_token="+h.token("lim", "u"), wstest.Options{})
	if m := third.ExpectClose(int(CloseTooManyConns)); m.Code != "too_many_connections" {
		t.Fatalf("error frame %s", m.Raw)
	}
	h.connect("lim", "other-user", map[string]any{"services": []string{"s"}}) // others unaffected
	a.NC.Close()
	testutil.Eventually(t, 5*time.Second, "slot freed", func() bool {
		return h.acked("lim", "u", map[string]any{"services": []string{"s"}})
	})
}

func TestConnectionLimitPerOrg(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.MaxConnsPerOrg = 2 }})
	h.connect("small", "a", map[string]any{"services": []string{"s"}})
	h.connect("small", "b", map[string]any{"services": []string{"s"}})
	third := wstest.Dial(t, h.wsURL+"?access_token="+h.token("small", "c"), wstest.Options{})
	third.ExpectClose(int(CloseTooManyConns))
	h.connect("other-org", "c", map[string]any{"services": []string{"s"}}) // other orgs unaffected
	if v := h.srv.metrics.rejects[CloseTooManyConns].Get(); v != 1 {
		t.Fatalf("limit rejections counted %d, want 1", v)
	}
}

func TestHandshakeRatePerIP(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.HandshakeRate, c.HandshakeBurst = 1, 3 }})
	tok := h.token("rate", "u")
	ok, limited := 0, 0
	for i := 0; i < 6; i++ {
		c, err := wstest.TryDial(h.wsURL+"?access_token="+tok, wstest.Options{})
		if err != nil {
			limited++
			continue
		}
		c.NC.Close()
		ok++
	}
	if ok != 3 || limited != 3 {
		t.Fatalf("%d upgrades allowed, %d limited; want a burst of 3 then 429", ok, limited)
	}
	if h.srv.metrics.rateLimited.Get() != 3 {
		t.Fatal("rate limiting not counted")
	}
}
