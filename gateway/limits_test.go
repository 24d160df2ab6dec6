package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

func TestOriginPolicy(t *testing.T) {
	cases := []struct {
		name    string
		allowed []string
		origin  string
		host    string
		want    bool
	}{
		{name: "no origin (not a browser)", origin: "", host: "gw:4000", want: true},
		{name: "default: same origin", origin: "http://gw:4000", host: "gw:4000", want: true},
		{name: "default: cross-site refused", origin: "https://evil.example", host: "gw:4000", want: false},
		{name: "exact match", allowed: []string{"https://app.example.com"}, origin: "https://app.example.com", want: true},
		{name: "exact: scheme matters", allowed: []string{"https://app.example.com"}, origin: "http://app.example.com", want: false},
		{name: "exact: port matters", allowed: []string{"https://app.example.com"}, origin: "https://app.example.com:8443", want: false},
		{name: "pattern: subdomain", allowed: []string{"*.example.com"}, origin: "https://a.b.example.com", want: true},
		{name: "pattern: not the apex", allowed: []string{"*.example.com"}, origin: "https://example.com", want: false},
		{name: "pattern: not a lookalike", allowed: []string{"*.example.com"}, origin: "https://badexample.com", want: false},
		{name: "pattern: not a suffix trick", allowed: []string{"*.example.com"}, origin: "https://example.com.evil.io", want: false},
		{name: "star", allowed: []string{"*"}, origin: "https://anything.io", want: true},
		{name: "listed: same origin no longer implied", allowed: []string{"https://app.example.com"}, origin: "http://gw:4000", host: "gw:4000", want: false},
		{name: "garbage origin", allowed: []string{"*.example.com"}, origin: "::::", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://"+tc.host+"/", nil)
			r.Host = tc.host
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if got := newOriginPolicy(tc.allowed).allows(r); got != tc.want {
				t.Fatalf("allows = %v, want %v", got, tc.want)
			}
		})
	}
}

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
		c, err := wstest.TryDial(h.wsURL+"?access_token="+h.token("lim", "u"), wstest.Options{})
		if err != nil {
			return false
		}
		defer c.NC.Close()
		c.T = t
		c.Send(map[string]any{"services": []string{"s"}})
		m, err := c.Read(2 * time.Second)
		return err == nil && m.Type == "ack"
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
