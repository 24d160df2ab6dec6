package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/redistest"
)

// tokenIssued mints a token of the e2e user with an explicit iat.
func tokenIssued(t *testing.T, org string, iat, exp time.Time) string {
	t.Helper()
	tok, err := verifier(t).Sign(auth.Claims{User: "e2e-user", Org: org, Expiry: exp, IssuedAt: iat})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A page on 20-second tokens keeps its one WebSocket for three refreshes
// in a row: the client sends each new token in band at about 80 % of the
// old one's life, the server answers refreshed, and every event published
// meanwhile arrives exactly once. The app's token cache (h.tokens) is
// renewed by the test every 2 s, as an app's would be.
func TestBrowserInBandRefresh(t *testing.T) {
	g, org, p := gatewayPage(t, redistest.Start(t))
	mint := func() string { return token(t, org, time.Now().Add(20*time.Second)) }
	p.start(map[string]any{"tokens": []string{mint()}, "services": []string{"finance"}})
	p.waitState("open")
	// Three refreshes take about 16 + 15 + 15 s; the first token alone
	// would have been cut at 25 s.
	published, snap := publishUntilRefreshed(t, g, org, mint, 3, p)
	if len(snap.Sockets) != 1 || snap.State != "open" || len(snap.Errors) > 0 {
		t.Fatalf("refreshes cost a reconnect or an error: %s", snap.summary())
	}
	snap = p.waitSeqs(published...) // exactly these, in order: none missed, none twice
	if len(snap.Sockets) != 1 || snap.TokenCalls < 4 {
		t.Fatalf("reconnected, or refreshed without getToken: %s", snap.summary())
	}
}

// publishUntilRefreshed publishes 4 events a second to org and, every 2 s,
// gives every page's token cache (h.tokens) a new token from mint, as an
// app would, until pages[0] (the one holding the socket) has had want
// in-band refreshes confirmed. It returns the seqs published and pages[0]'s
// last snapshot; it fails after 90 s.
func publishUntilRefreshed(t *testing.T, g *gatewayProc, org string, mint func() string, want int, pages ...*page) ([]int64, snapshot) {
	t.Helper()
	var published []int64
	deadline := time.Now().Add(90 * time.Second)
	var snap snapshot
	for n := int64(1); ; n++ {
		publishTicks(g, org, n)
		published = append(published, n)
		if n%8 == 0 {
			tok := mint()
			for _, p := range pages {
				p.eval(fmt.Sprintf("h.tokens = [%q]", tok))
			}
			if snap = pages[0].snap(); snap.Refreshed >= want {
				return published, snap
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d refreshes within 90 s: %s", want, snap.summary())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// revoke revokes the e2e user's tokens in org through the gateway's API
// and returns the revocation time (unix seconds).
func revoke(t *testing.T, g *gatewayProc, org string) int64 {
	t.Helper()
	g.mu.Lock()
	n := g.node
	g.mu.Unlock()
	if n == nil {
		t.Fatal("revoke: the gateway is not running")
	}
	at, err := n.Revoke(org, "e2e-user")
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// A revoked page asks getToken once; when that token is refused too (the
// app still holds a token issued before the revocation), it stops in
// 'closed' and reports why, and does not reconnect in a loop.
func TestBrowserRevokedStops(t *testing.T) {
	g, org, p := gatewayPage(t, redistest.Start(t))
	before := time.Now().Add(-time.Minute)
	p.start(map[string]any{"tokens": []string{tokenIssued(t, org, before, time.Now().Add(time.Hour))}, "services": []string{"finance"}})
	p.waitState("open")
	publishTicks(g, org, 1)
	p.waitSeqs(1)
	// The app's cache hands out another token, also issued before the
	// revocation.
	p.eval(fmt.Sprintf("h.tokens = [%q]", tokenIssued(t, org, before.Add(time.Second), time.Now().Add(time.Hour))))
	calls := p.snap().TokenCalls

	revoke(t, g, org)

	s := p.waitState("closed")
	if !hasError(s, "revoked") || s.TokenCalls != calls+1 || len(s.Sockets) != 2 {
		t.Fatalf("want a 'revoked' report after one getToken and one more socket: %s", s.summary())
	}
	time.Sleep(3 * time.Second) // long enough for several backoff rounds, were there a loop
	if s2 := p.snap(); len(s2.Sockets) != 2 || s2.TokenCalls != calls+1 || s2.State != "closed" {
		t.Fatalf("client kept trying after it stopped: %s", s2.summary())
	}
}

// The seed's verification step 5: curl the JSON metrics with the user's
// access token.
func TestMetricsCurlWithAccessToken(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is required: apt-get install -y curl")
	}
	redis := redistest.Start(t)
	g := startGateway(t, redis)
	tok := token(t, newOrg(t), time.Now().Add(time.Hour))
	out, err := exec.Command(curl, "-sf", g.url("/v2/realtime/metrics"), "-H", "Authorization: Bearer "+tok).Output()
	if err != nil {
		t.Fatalf("curl: %v %s", err, out)
	}
	var m struct {
		ActiveConnections   *uint64 `json:"activeConnections"`
		TotalConnections    *uint64 `json:"totalConnections"`
		EventsDelivered     *uint64 `json:"eventsDelivered"`
		ConnectionPoolStats *struct {
			TotalOrgs *int `json:"totalOrgs"`
		} `json:"connectionPoolStats"`
	}
	if err := json.Unmarshal(out, &m); err != nil || m.ActiveConnections == nil || m.TotalConnections == nil ||
		m.EventsDelivered == nil || m.ConnectionPoolStats == nil || m.ConnectionPoolStats.TotalOrgs == nil {
		t.Fatalf("not the metrics JSON: %s (%v)", out, err)
	}
}
