package e2e

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// (d) With the rollout at 0% the gateway answers the WebSocket handshake
// with a fallback message and close 4010. The page moves to long-polling
// (state 'fallback') and still gets every event, across its periodic
// WebSocket retries; once the rollout is back at 100% a retry sticks and
// the page is on the WebSocket again, still without a gap or a duplicate.
func TestBrowserFallsBackToLongPoll(t *testing.T) {
	redis := redistest.Start(t)
	if out, err := redis.CLI(t, "HSET", "realtime:rollout", "percent", "0"); err != nil {
		t.Fatalf("HSET: %v %s", err, out)
	}
	g := startGateway(t, redis)
	org := newOrg(t)
	p := openPage(t, g)
	p.start(map[string]any{
		"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance"},
		"wsRetryInterval": 1500,
	})
	p.waitState("fallback")
	publishTicks(g, org, 1, 2, 3)
	p.waitSeqs(1, 2, 3)
	// Let at least one WebSocket retry be turned away meanwhile.
	before := g.metric(`realtime_fallbacks_total{reason="percent"}`)
	testutil.EventuallyNote(t, 10*time.Second, "a refused WebSocket retry", func() (bool, string) {
		return g.metric(`realtime_fallbacks_total{reason="percent"}`) > before, ""
	})
	publishTicks(g, org, 4)
	s := p.waitSeqs(1, 2, 3, 4)
	if s.State != "fallback" || g.metric("realtime_long_polls_total") == 0 {
		t.Fatalf("state %s, %v long-polls; want fallback over long-poll", s.State, g.metric("realtime_long_polls_total"))
	}

	if out, err := redis.CLI(t, "HSET", "realtime:rollout", "percent", "100"); err != nil {
		t.Fatalf("HSET: %v %s", err, out)
	}
	p.waitState("open")
	publishTicks(g, org, 5, 6)
	s = p.waitSeqs(1, 2, 3, 4, 5, 6)
	if len(s.Resyncs) != 0 {
		t.Fatalf("unexpected resync: %s", s.summary())
	}
}

// A proxy that refuses WebSocket upgrades (as some corporate proxies do)
// and passes plain HTTP. The page fails to open the WebSocket maxFailures
// times in a row, finds that a long-poll goes through, tries the WebSocket
// once more and settles on long-polling. When the proxy lets WebSockets
// through again, the next retry moves the page back.
func TestBrowserFallsBackWhenWebSocketBlocked(t *testing.T) {
	g := startGateway(t, redistest.Start(t))
	target, _ := url.Parse(g.url("/"))
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // long-polls aborted on the switch back are expected
	blocker := &upgradeBlocker{next: rp}
	blocker.block.Store(true)
	proxy := httptest.NewServer(blocker)
	t.Cleanup(func() { proxy.CloseClientConnections(); proxy.Close() })

	org := newOrg(t)
	p := openPageAt(t, proxy.URL)
	p.start(map[string]any{
		"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance"},
		"wsRetryInterval": 1500,
	})
	s := p.waitState("fallback")
	if n := blocker.refused.Load(); n < 3 {
		t.Fatalf("fell back after %d refused upgrades; want at least maxFailures (3): %s", n, s.summary())
	}
	publishTicks(g, org, 1, 2)
	p.waitSeqs(1, 2)

	blocker.block.Store(false)
	p.waitState("open")
	publishTicks(g, org, 3)
	p.waitSeqs(1, 2, 3)
}

// upgradeBlocker answers WebSocket upgrades with 403 while block is set and
// proxies everything else.
type upgradeBlocker struct {
	next    http.Handler
	block   atomic.Bool
	refused atomic.Int64
}

func (b *upgradeBlocker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.block.Load() && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		b.refused.Add(1)
		http.Error(w, "WebSocket blocked by proxy", http.StatusForbidden)
		return
	}
	b.next.ServeHTTP(w, r)
}
