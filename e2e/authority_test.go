package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
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
	redis := redistest.Start(t)
	g := startGateway(t, redis)
	org := newOrg(t)
	p := openPage(t, g)
	mint := func() string { return token(t, org, time.Now().Add(20*time.Second)) }
	p.start(map[string]any{"tokens": []string{mint()}, "services": []string{"finance"}})
	p.waitState("open")

	// One loop plays both the app's token cache (renewed every 2 s, as an
	// app's would be) and a steady publisher (4 events a second).
	var published []int64
	deadline := time.Now().Add(90 * time.Second)
	var snap snapshot
	for n := int64(1); ; n++ {
		publishTicks(g, org, n)
		published = append(published, n)
		if n%8 == 0 {
			p.eval(fmt.Sprintf("h.tokens = [%q]", mint()))
			// Three refreshes take about 16 + 15 + 15 s; the first token
			// alone would have been cut at 25 s.
			if snap = p.snap(); snap.Refreshed >= 3 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no three refreshes within 90 s: %s", snap.summary())
		}
		time.Sleep(250 * time.Millisecond)
	}
	if snap.Sockets != 1 || snap.State != "open" || len(snap.Errors) > 0 {
		t.Fatalf("refreshes cost a reconnect or an error: %s", snap.summary())
	}
	snap = p.waitSeqs(published...) // exactly these, in order: none missed, none twice
	if snap.Sockets != 1 || snap.TokenCalls < 4 {
		t.Fatalf("reconnected, or refreshed without getToken: %s", snap.summary())
	}
}

// A revoked page asks getToken once; when that token is refused too (the
// app still holds a token issued before the revocation), it stops in
// 'closed' and reports why, and does not reconnect in a loop.
func TestBrowserRevokedStops(t *testing.T) {
	redis := redistest.Start(t)
	g := startGateway(t, redis)
	org := newOrg(t)
	p := openPage(t, g)
	before := time.Now().Add(-time.Minute)
	p.start(map[string]any{"tokens": []string{tokenIssued(t, org, before, time.Now().Add(time.Hour))}, "services": []string{"finance"}})
	p.waitState("open")
	publishTicks(g, org, 1)
	p.waitSeqs(1)
	// The app's cache hands out another token, also issued before the
	// revocation.
	p.eval(fmt.Sprintf("h.tokens = [%q]", tokenIssued(t, org, before.Add(time.Second), time.Now().Add(time.Hour))))
	calls := p.snap().TokenCalls

	body := fmt.Sprintf(`{"org":%q,"user":"e2e-user","reason":"removed"}`, org)
	req, _ := http.NewRequest(http.MethodPost, g.url("/v2/realtime/disconnect"), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("disconnect: %v %v", resp, err)
	}
	resp.Body.Close()

	s := p.waitState("closed")
	if !hasError(s, "revoked") || s.TokenCalls != calls+1 || s.Sockets != 2 {
		t.Fatalf("want a 'revoked' report after one getToken and one more socket: %s", s.summary())
	}
	time.Sleep(3 * time.Second) // long enough for several backoff rounds, were there a loop
	if s2 := p.snap(); s2.Sockets != 2 || s2.TokenCalls != calls+1 || s2.State != "closed" {
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
