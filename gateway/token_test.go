package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// leeway is the verifier's default, which the contract fixes at 5 s.
const leeway = 5 * time.Second

// sign mints a token of the harness's verifier.
func (h *harness) sign(c auth.Claims) string {
	h.t.Helper()
	tok, err := h.verifier.Sign(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// dialToken connects with tok and sends the handshake for services.
func (h *harness) dialToken(tok string, services ...string) (*wstest.Client, wstest.Msg) {
	h.t.Helper()
	c := wstest.Dial(h.t, h.wsURL+"?access_token="+tok, wstest.Options{})
	c.Send(map[string]any{"services": services})
	return c, c.Expect("ack")
}

// A connection nobody refreshes is closed with 4002 token_expired at its
// token's exp plus the leeway, by fan-out (a busy connection) and by the
// sweep (a quiet one), and no event published from that moment on reaches
// either.
func TestTokenExpiryCloses4002(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	org := "exp-" + fmt.Sprint(time.Now().UnixNano())
	exp := time.Now().Add(2 * time.Second).Truncate(time.Second)
	end := exp.Add(leeway)
	tok := h.sign(auth.Claims{User: "u1", Org: org, Expiry: exp})
	busy, ack := h.dialToken(tok, "finance")
	quiet, _ := h.dialToken(tok, "quiet")
	if ack.Exp != exp.Unix() {
		t.Fatalf("ack exp = %d, want %d", ack.Exp, exp.Unix())
	}

	// A publisher that runs through the expiry, every 20 ms.
	stop := make(chan struct{})
	var published atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				h.publish(org, "finance", "tick", `{}`)
				published.Add(1)
			}
		}
	}()
	defer close(stop)

	for name, c := range map[string]*wstest.Client{"busy": busy, "quiet": quiet} {
		var got int
		for {
			m := c.Next(end.Sub(time.Now()) + 10*time.Second)
			if m.Type == "event" {
				for _, ev := range m.Events {
					ts, err := time.Parse(time.RFC3339Nano, ev.TS)
					if err != nil {
						t.Fatal(err)
					}
					if !ts.Before(end) {
						t.Fatalf("%s: event %d published at %v, after the token ran out at %v", name, ev.Seq, ts, end)
					}
					got++
				}
				continue
			}
			if m.Type != "error" {
				t.Fatalf("%s: got %s (%s)", name, m.Type, m.Raw)
			}
			if m.Code != "token_expired" || !strings.Contains(m.Message, "lastSeq") {
				t.Fatalf("%s: error frame %s", name, m.Raw)
			}
			if cl := c.Next(5 * time.Second); cl.CloseCode != 4002 {
				t.Fatalf("%s: close %d (%s), want 4002", name, cl.CloseCode, cl.Raw)
			}
			break
		}
		if now := time.Now(); now.Before(end) {
			t.Fatalf("%s: closed at %v, before exp+leeway %v", name, now, end)
		}
		if name == "busy" && got == 0 {
			t.Fatal("busy connection received no event before its expiry: the test proves nothing")
		}
	}
	if d := time.Since(end); d > 3*time.Second {
		t.Fatalf("closes came %v after exp+leeway", d)
	}
	testutil.Eventually(t, 5*time.Second, "expired closes counted", func() bool {
		return h.srv.metrics.tokenExpired.Get() == 2
	})
	if published.Load() == 0 {
		t.Fatal("nothing published")
	}
}

// A refresh before expiry keeps the connection past the old exp, with no
// reconnect, and its publish claim replaces the old one.
func TestRefreshKeepsConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	org := "refresh-" + fmt.Sprint(time.Now().UnixNano())
	exp := time.Now().Add(time.Second).Truncate(time.Second)
	c, _ := h.dialToken(h.sign(auth.Claims{User: "u1", Org: org, Expiry: exp}), "chat")

	c.Send(map[string]any{"type": "publish", "service": "chat", "data": 1, "id": "p1"})
	if m := c.Expect("error"); m.Code != "publish_not_allowed" {
		t.Fatalf("publish with the first token: %s", m.Raw)
	}
	newExp := time.Now().Add(time.Hour).Truncate(time.Second)
	c.Send(map[string]any{"type": "refresh", "token": h.sign(auth.Claims{User: "u1", Org: org, Expiry: newExp, Publish: []string{"chat"}})})
	if m := c.Expect("refreshed"); m.Exp != newExp.Unix() || string(m.Raw) != fmt.Sprintf(`{"type":"refreshed","exp":%d}`, newExp.Unix()) {
		t.Fatalf("refreshed: %s", m.Raw)
	}
	c.Send(map[string]any{"type": "publish", "service": "chat", "data": 2, "id": "p2"})
	// Own publish comes back as an event and is acknowledged, in either order.
	for got := map[string]bool{}; !got["published"] || !got["event"]; {
		m := c.Next(5 * time.Second)
		if m.Type != "published" && m.Type != "event" {
			t.Fatalf("after refresh: %s", m.Raw)
		}
		got[m.Type] = true
	}

	// Well past the old exp + leeway, the connection still gets events.
	time.Sleep(time.Until(exp.Add(leeway + 500*time.Millisecond)))
	seq := h.publish(org, "chat", "late", `{"x":1}`)
	evs := c.Events(1)
	if evs[0].Seq != seq {
		t.Fatalf("got %+v, want seq %d", evs, seq)
	}
	if n := h.srv.metrics.refreshes["ok"].Get(); n != 1 {
		t.Fatalf("refreshes ok = %d", n)
	}
	if n := h.srv.metrics.tokenExpired.Get(); n != 0 {
		t.Fatalf("token expired closes = %d", n)
	}
}

// Every refresh that must not be accepted closes with its exact code, and
// the reason says what was wrong.
func TestRefreshRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	org := "refuse-" + fmt.Sprint(time.Now().UnixNano())
	hour := time.Now().Add(time.Hour)
	other, err := auth.New(auth.Config{Secret: []byte("another-secret-another-secret-another")})
	if err != nil {
		t.Fatal(err)
	}
	badSig, _ := other.Sign(auth.Claims{User: "u1", Org: org, Expiry: hour})
	revokedUser := "u-revoked"
	cases := []struct {
		name, user, token string
		code              int
		result, reason    string
	}{
		{name: "another org", token: h.sign(auth.Claims{User: "u1", Org: org + "-x", Expiry: hour}),
			code: 4001, result: "changed", reason: "org changed"},
		{name: "another user", token: h.sign(auth.Claims{User: "u2", Org: org, Expiry: hour}),
			code: 4001, result: "changed", reason: "sub changed"},
		{name: "narrower services", token: h.sign(auth.Claims{User: "u1", Org: org, Expiry: hour, Services: []string{"finance"}}),
			code: 4003, result: "forbidden", reason: "does not allow service guest"},
		{name: "bad signature", token: badSig, code: 4001, result: "invalid", reason: "signature invalid"},
		{name: "expired", token: h.sign(auth.Claims{User: "u1", Org: org, Expiry: time.Now().Add(-time.Minute)}),
			code: 4001, result: "invalid", reason: "token expired"},
		{name: "not a token", token: "x.y.z", code: 4001, result: "invalid", reason: "token malformed"},
		{name: "revoked", user: revokedUser,
			token: h.sign(auth.Claims{User: revokedUser, Org: org, Expiry: hour, IssuedAt: time.Now().Add(-time.Minute)}),
			code:  4001, result: "revoked", reason: "token revoked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			if user == "" {
				user = "u1"
			}
			c, _ := h.dialToken(h.sign(auth.Claims{User: user, Org: org, Expiry: hour, IssuedAt: time.Now().Add(time.Hour)}), "finance", "guest")
			if tc.result == "revoked" {
				// Revoked after the connect, in a way only the record
				// knows: the connection's own token (iat in the future)
				// is not covered, the refresh token (iat a minute ago) is.
				if _, err := h.log.Revoke(context.Background(), org, user, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			before := h.srv.metrics.refreshes[tc.result].Get()
			c.Send(map[string]any{"type": "refresh", "token": tc.token})
			m := c.ExpectClose(tc.code)
			if !strings.Contains(m.Message, tc.reason) {
				t.Fatalf("reason %q, want it to say %q", m.Message, tc.reason)
			}
			if n := h.srv.metrics.refreshes[tc.result].Get(); n != before+1 {
				t.Fatalf("refreshes{%s} went %d → %d", tc.result, before, n)
			}
		})
	}
}

// A refresh message whose token is not a string is an invalid token.
func TestRefreshMalformed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("malformed", "u1", map[string]any{"services": []string{"a"}})
	c.SendRaw(json.RawMessage(`{"type":"refresh","token":42}`))
	if m := c.ExpectClose(4001); m.Code != "unauthorized" {
		t.Fatalf("error frame %s", m.Raw)
	}
}
