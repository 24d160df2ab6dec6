package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// tab is one page of a shared browser: tabs of one browser share the
// origin's Web Locks and BroadcastChannels, as a user's tabs do.
type tab struct {
	*page
	close context.CancelFunc // closes the tab, as a user closing it would
}

// openTab opens url in a new tab of browser (a context from newBrowser)
// with the harness and then scripts loaded. It is closed in t.Cleanup.
func openTab(t *testing.T, browser context.Context, url string, scripts ...string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	// The first run creates the tab, which lives as long as that run's
	// context: it must not be a per-step deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	p := &page{t: t, ctx: ctx}
	p.do(chromedp.Navigate(url), chromedp.Evaluate[chromedp.Void](harnessJS))
	for _, s := range scripts {
		p.eval(s)
	}
	return &tab{page: p, close: cancel}
}

// startTabs starts what every tab test begins with: a Redis of its own, a
// gateway on it with tabsPing (and extra env), one browser to open the
// tabs in, and a fresh org.
func startTabs(t *testing.T, extra ...string) (*redistest.Server, *gatewayProc, context.Context, string) {
	t.Helper()
	redis := redistest.Start(t)
	g := startGateway(t, redis, append([]string{tabsPing}, extra...)...)
	return redis, g, newBrowser(t), newOrg(t)
}

// openTabs opens n tabs on g's origin and starts the client in each with opts.
func openTabs(t *testing.T, browser context.Context, g *gatewayProc, n int, opts map[string]any, scripts ...string) []*tab {
	t.Helper()
	tabs := make([]*tab, n)
	for i := range tabs {
		tabs[i] = openTab(t, browser, g.url("/healthz"), scripts...)
		tabs[i].start(opts)
	}
	return tabs
}

// leaderOf waits until every tab is open and exactly one of them leads, and
// returns its index.
func leaderOf(t *testing.T, tabs []*tab) int {
	t.Helper()
	lead := -1
	testutil.EventuallyNote(t, 30*time.Second, "all tabs open with one leader", func() (bool, string) {
		lead = -1
		note := ""
		for i, tb := range tabs {
			s := tb.snap()
			note += fmt.Sprintf("[%d: %s leader=%v] ", i, s.State, s.Leader)
			if s.State != "open" {
				return false, note
			}
			if s.Leader {
				if lead >= 0 {
					return false, note
				}
				lead = i
			}
		}
		return lead >= 0, note
	})
	return lead
}

// waitMetric waits until the gateway's series name equals want.
func waitMetric(t *testing.T, g *gatewayProc, name string, want float64) {
	t.Helper()
	testutil.EventuallyNote(t, 15*time.Second, fmt.Sprintf("%s = %v", name, want), func() (bool, string) {
		v := g.metric(name)
		return v == want, fmt.Sprint(v)
	})
}

// series lists the gateway's non-zero series whose name contains part,
// for failure messages.
func (g *gatewayProc) series(part string) string {
	g.mu.Lock()
	n := g.node
	g.mu.Unlock()
	if n == nil {
		return "the gateway is not running"
	}
	m, err := n.Metrics()
	if err != nil {
		return err.Error()
	}
	var out []string
	for name, v := range m {
		if strings.Contains(name, part) && v != 0 {
			out = append(out, fmt.Sprintf("%s %v", name, v))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// sockets says, for a failure message, which tabs opened WebSockets and
// how each ended (close code 0: still open), with the tab's states.
func sockets(tabs []*tab) string {
	var b strings.Builder
	for i, tb := range tabs {
		s := tb.snap()
		fmt.Fprintf(&b, "[tab %d leader=%v states=%v sockets:", i, s.Leader, s.States)
		for _, k := range s.Sockets {
			fmt.Fprintf(&b, " opened %d closed %d code %d;", k.At, k.ClosedAt, k.Code)
		}
		b.WriteString("] ")
	}
	return b.String()
}

// tabsPing gives the tab tests the gateway's default ping interval instead
// of the harness's 1 s. They count connections, and the gateway closes a
// peer silent for 1.5 intervals: with a dozen tabs loading on a loaded
// 2-core machine a renderer can miss a pong by seconds (measured: gaps
// between pings seen by a page up to 3.3 s with three test binaries on one
// core), and at 1 s that closed and reopened connections (5 opened for 3,
// realtime_dead_peer_disconnects_total 2) in 3 of 12 runs. At 30 s a
// page would have to stall for 45 s. Nothing in these tests waits on a
// ping: a killed gateway or a closed tab ends its sockets at once.
const tabsPing = "REALTIME_PING_INTERVAL=30s"

// requireOneSocketEach checks from the browsers' side what the gateway's
// connection count says: every leading tab opened exactly one WebSocket
// and no other tab opened any. It returns how many tabs lead.
func requireOneSocketEach(t *testing.T, tabs []*tab) int {
	t.Helper()
	leaders := 0
	for _, tb := range tabs {
		s := tb.snap()
		want := 0
		if s.Leader {
			leaders, want = leaders+1, 1
		}
		if len(s.Sockets) != want {
			t.Fatalf("a tab (leader=%v) opened %d WebSockets; want %d; %s", s.Leader, len(s.Sockets), want, sockets(tabs))
		}
	}
	return leaders
}

func seqRange(from, to int64) []int64 {
	out := make([]int64, 0, to-from+1)
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}
