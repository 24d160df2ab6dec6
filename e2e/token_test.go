package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// verifier signs and checks tokens with the gateways' secret.
func verifier(t *testing.T) *auth.Verifier {
	t.Helper()
	v, err := auth.New(auth.Config{Secret: []byte(jwtSecret)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// token mints a client token for org that expires at exp; services nil
// means any service.
func token(t *testing.T, org string, exp time.Time, services ...string) string {
	t.Helper()
	tok, err := verifier(t).Sign(auth.Claims{User: "e2e-user", Org: org, Services: services, Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newOrg returns a fresh org name for this test.
func newOrg(t *testing.T) string { return redistest.UniqueName(t) }

// (e) Token refresh. The first token is about to expire. The page's getToken
// keeps handing out that stale token (its cache has not noticed), so no
// in-band refresh can help: at exp plus the leeway the server closes 4002,
// the reconnect with the stale token is refused 4001, and the next getToken
// gives a fresh one that works. The gateway is then killed and restarted.
// Events continue exactly once.
// Then the rule: getToken offering only the rejected token stops the client
// in 'closed' without sending it again, until setToken.
func TestBrowserTokenRefresh(t *testing.T) {
	g, org, p := gatewayPage(t, redistest.Start(t))
	// exp is 1s in the past: the server's 5s leeway leaves it 3-4s of life
	// (exp is whole seconds), plenty for one connect.
	stale := token(t, org, time.Now().Add(-time.Second))
	fresh := token(t, org, time.Now().Add(time.Hour))
	p.start(map[string]any{"tokens": []string{stale, fresh}, "services": []string{"finance"}})
	p.waitState("open")
	publishTicks(g, org, 1)
	if s := p.waitSeqs(1); len(s.Errors) > 0 || s.TokenCalls < 1 || len(s.Sockets) != 1 {
		t.Fatalf("the stale token did not make the first connection: %s", s.summary())
	}
	v := verifier(t)
	testutil.EventuallyNote(t, 15*time.Second, "the stale token to expire", func() (bool, string) {
		_, err := v.Verify(stale)
		return err != nil, "still valid"
	})

	g.kill()
	g.start()
	publishTicks(g, org, 2)
	s := p.waitSeqs(1, 2)
	if s.State != "open" || !hasError(s, "unauthorized") || s.TokenCalls < 3 {
		t.Fatalf("got %s; want open after a 4001 and at least 3 getToken calls", s.summary())
	}

	p.eval(fmt.Sprintf("h.tokens = [%q]", stale))
	g.kill()
	g.start()
	s = p.waitState("closed")
	if !hasError(s, "token_rejected") {
		t.Fatalf("closed without saying why: %s", s.summary())
	}
	publishTicks(g, org, 3)
	p.eval(fmt.Sprintf("h.rt.setToken(%q)", token(t, org, time.Now().Add(time.Hour))))
	p.waitState("open")
	publishTicks(g, org, 4)
	p.waitSeqs(1, 2, 3, 4)
}

func hasError(s snapshot, code string) bool {
	for _, e := range s.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}
