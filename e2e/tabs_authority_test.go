package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Two tabs sharing a connection, on 20-second tokens. Only the leading tab
// refreshes in band (twice, on its one socket, through its getToken); the
// follower opens no socket and its getToken runs only at start, and both
// get every event once. A revocation stops both tabs after the leader's
// one new token is refused too, and the follower reports exactly the
// leader's errors. The follower that takes over from the closed leader
// stays stopped (no socket, no getToken); a tab that joins with a token
// issued after the revocation restarts the connection for both.
func TestTabsTokenAuthority(t *testing.T) {
	_, g, browser, org := startTabs(t)
	mint := func() string { return token(t, org, time.Now().Add(20*time.Second)) }
	tabs := openTabs(t, browser, g, 2, map[string]any{"tokens": []string{mint()}, "services": []string{"finance"}})
	lead := leaderOf(t, tabs)
	l, f := tabs[lead], tabs[1-lead]

	// In-band refresh, by the leader only.
	published, ls := publishUntilRefreshed(t, g, org, mint, 2, l.page, f.page)
	fs := f.waitSeqs(published...)
	ls = l.waitSeqs(published...)
	if len(ls.Sockets) != 1 || ls.TokenCalls < 3 || len(ls.Errors) > 0 || ls.State != "open" {
		t.Fatalf("leader: want its one socket kept through the refreshes, made with its getToken: %s", ls.summary())
	}
	if len(fs.Sockets) != 0 || fs.TokenCalls != 1 || len(fs.Errors) > 0 || fs.State != "open" {
		t.Fatalf("follower: want no socket and getToken only at start: %s", fs.summary())
	}
	if n := g.metric(`realtime_token_refreshes_total{result="ok"}`); n != float64(ls.Refreshed) {
		t.Fatalf("gateway counted %v refreshes; the leader's socket confirmed %d", n, ls.Refreshed)
	}
	if n := g.metric("realtime_connections_opened_total"); n != 1 {
		t.Fatalf("%v connections opened; want 1; %s", n, sockets(tabs))
	}

	// Revocation: both apps' caches still hold a token issued before it.
	old := tokenIssued(t, org, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	for _, tb := range tabs {
		tb.eval(fmt.Sprintf("h.tokens = [%q]", old))
	}
	lCalls := l.snap().TokenCalls
	revokedAt := revoke(t, g, org)
	ls, fs = l.waitState("closed"), f.waitState("closed")
	if !hasError(ls, "revoked") || ls.TokenCalls != lCalls+1 || len(ls.Sockets) != 2 {
		t.Fatalf("leader: want a 'revoked' stop after one getToken and one more socket: %s", ls.summary())
	}
	if len(fs.Sockets) != 0 || fs.TokenCalls != 1 || !slices.Equal(fs.Errors, ls.Errors) {
		t.Fatalf("follower: want the leader's errors %v and no socket or getToken of its own: %s", ls.Errors, fs.summary())
	}
	time.Sleep(3 * time.Second) // long enough for several backoff rounds, were there a loop
	ls2, fs2 := l.snap(), f.snap()
	if ls2.State != "closed" || ls2.TokenCalls != lCalls+1 || len(ls2.Sockets) != 2 ||
		fs2.State != "closed" || fs2.TokenCalls != 1 || len(fs2.Sockets) != 0 {
		t.Fatalf("a tab kept trying after the stop: %s; %s; %s", ls2.summary(), fs2.summary(), sockets(tabs))
	}

	// The stop holds across a takeover.
	l.close()
	f.waitUntil("the follower leads", func(s snapshot) bool { return s.Leader })
	time.Sleep(2 * time.Second) // time to connect, were it going to
	if s := f.snap(); s.State != "closed" || len(s.Sockets) != 0 || s.TokenCalls != 1 {
		t.Fatalf("the new leader of a stopped connection tried again: %s", s.summary())
	}

	// A tab that joins with a token issued after the revocation restarts it.
	fresh := tokenIssued(t, org, time.Unix(revokedAt+1, 0), time.Now().Add(time.Hour))
	j := openTabs(t, browser, g, 1, map[string]any{"tokens": []string{fresh}, "services": []string{"finance"}})[0]
	both := []*tab{f, j}
	leaderOf(t, both)
	next := int64(len(published) + 1)
	publishTicks(g, org, next)
	fs = f.waitSeqs(append(published, next)...)
	js := j.waitSeqs(next)
	if !fs.Leader || len(fs.Sockets) != 1 || fs.TokenCalls != 1 || len(js.Sockets) != 0 {
		t.Fatalf("want the stopped leader to connect once with the joining tab's token: %s", sockets(both))
	}
}
