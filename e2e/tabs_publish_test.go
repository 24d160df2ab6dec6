package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// A follower's publishes in flight while the leading tab closes. The
// follower's tab made each idempotency key, so the next leader sends them
// again under the same keys: each promise settles once with its seq, and
// each message is in the log once, whether the old leader had appended it
// (its answer gone with the tab) or not. The first takeover happens with
// the gateway down, so nothing can have been answered: of the two
// followers, the one that takes over runs its own publishes and the other
// asks the new leader again. In the second the old leader's sends do reach
// the log, after its tab closed.
func TestTabsPublishAcrossTakeover(t *testing.T) {
	redis, g, browser, org := startTabs(t)
	tabs := openTabs(t, browser, g, 3, map[string]any{"token": chatToken(t, org), "services": []string{"chat"}})
	lead := leaderOf(t, tabs)
	for _, tb := range tabs {
		tb.eval(pubJS)
	}
	followers := append(append([]*tab{}, tabs[:lead]...), tabs[lead+1:]...)

	g.kill()
	for _, tb := range tabs {
		tb.waitUntil("the tab to notice the crash", func(s snapshot) bool { return s.State != "open" })
	}
	want := make([]map[string]int64, len(followers)) // per follower: text → seq, 0 for a new one
	for i, f := range followers {
		down, lost, key := fmt.Sprintf("down %d", i), fmt.Sprintf("lost %d", i), fmt.Sprintf("lost-%d", i)
		f.eval(fmt.Sprintf("h.pub(%q)", down))
		f.eval(fmt.Sprintf("h.pub(%q, %q)", lost, key))
		// What the old leader leaves when its publish reached the log and
		// the answer did not come back before the tab closed.
		want[i] = map[string]int64{down: 0, lost: appendAsBrowser(t, redis, org, "e2e-user", key, lost)}
	}
	tabs[lead].close()
	g.start()
	lead = leaderOf(t, followers)
	var all []settled
	for i, f := range followers {
		all = append(all, checkPubs(t, f, want[i])...)
	}

	// Two tabs left. With the gateway stopped (SIGSTOP), the follower
	// publishes a burst under keys its tab makes; the leader writes them to
	// its socket and closes. On SIGCONT the gateway reads and appends them
	// from the dead socket while the follower, now leading, sends them again
	// under the same keys: one event each. Six, so that both sends stay
	// within the gateway's publish burst per user (2 × 10/s).
	f, old := followers[1-lead], followers[lead]
	old.eval(countPublishesJS)
	g.signal(syscall.SIGSTOP)
	burst := map[string]int64{}
	js := "h.pubs = [];"
	for k := range 6 {
		text := fmt.Sprintf("burst %d", k)
		burst[text] = 0
		js += fmt.Sprintf("h.pub(%q);", text)
	}
	f.eval(js)
	testutil.EventuallyNote(t, 10*time.Second, "the leader to send the burst", func() (bool, string) {
		n := evalIn(old.page, chromedp.Evaluate[float64]("h.publishesSent"))
		return n == float64(len(burst)), fmt.Sprint(n)
	})
	old.close()
	g.signal(syscall.SIGCONT)
	leaderOf(t, []*tab{f})
	all = append(all, checkPubs(t, f, burst)...)
	// Each 'lost' message reached the gateway twice (appended as the browser
	// before, then re-sent by the new leader): those are duplicates for
	// sure. The burst's copies from the old leader's closed socket may be
	// appended (then the new leader's copies are duplicates) or dropped
	// with the closed connection, depending on timing; either way the log
	// must hold each message once, which is checked next.
	testutil.EventuallyNote(t, 15*time.Second, "the re-sent 'lost' messages answered as duplicates", func() (bool, string) {
		n := g.metric(`realtime_publish_duplicates_total{via="ws"}`)
		return n >= float64(len(followers)), fmt.Sprintf("%v duplicates, want at least %d", n, len(followers))
	})
	t.Logf("duplicates answered over the WebSocket: %v (the burst adds %d when the old leader's copies were appended first)",
		g.metric(`realtime_publish_duplicates_total{via="ws"}`), len(burst))

	// Every message is in the log once, under the seq its promise got.
	logged := chatLog(t, redis, org)
	for _, p := range all {
		if seqs := logged[p.Text]; len(seqs) != 1 || seqs[0] != p.Seq {
			t.Fatalf("%q resolved with %d; the log has it at seqs %v, want once", p.Text, p.Seq, seqs)
		}
	}
	if n := len(all); n != 2*len(followers)+len(burst) {
		t.Fatalf("%d publishes settled in all; want %d", n, 2*len(followers)+len(burst))
	}
}

// countPublishesJS counts in h.publishesSent the publish frames the page
// writes to any WebSocket.
const countPublishesJS = `h.publishesSent = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (d) {
	if (typeof d === 'string' && d.startsWith('{"type":"publish"')) h.publishesSent++;
	return send.call(this, d);
};`

// checkPubs waits until tb's publishes of want's texts settled, then
// requires each settled once, with a seq: the seq want gives, or a new one
// (want 0) that no other settled publish of tb got. It returns them.
func checkPubs(t *testing.T, tb *tab, want map[string]int64) []settled {
	t.Helper()
	pubs := waitPubs(t, tb.page, len(want))
	seen := map[int64]string{}
	for _, p := range pubs {
		w, ok := want[p.Text]
		switch {
		case !ok || p.Err != "" || p.Seq <= 0:
			t.Fatalf("settled %+v; want each of %v resolved once with a seq; all: %+v", p, want, pubs)
		case w != 0 && p.Seq != w:
			t.Fatalf("%q resolved with %d; want %d, the seq its first attempt got", p.Text, p.Seq, w)
		case seen[p.Seq] != "":
			t.Fatalf("%q and %q both resolved with seq %d", p.Text, seen[p.Seq], p.Seq)
		}
		seen[p.Seq] = p.Text
	}
	if len(pubs) != len(want) {
		t.Fatalf("%d publishes settled; want %d: %+v", len(pubs), len(want), pubs)
	}
	return pubs
}

// chatLog reads org's whole log and gives, for each chat message's text,
// the seqs it is stored at.
func chatLog(t *testing.T, redis *redistest.Server, org string) map[string][]int64 {
	t.Helper()
	log, err := store.New(store.Config{Client: redis.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := log.Range(ctx, org, 0, store.MaxRange)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, e := range evs {
		var d struct {
			Data struct {
				Text string `json:"text"`
			} `json:"data"`
		}
		if e.Service == "chat" && json.Unmarshal(e.Data, &d) == nil {
			out[d.Data.Text] = append(out[d.Data.Text], e.Seq)
		}
	}
	return out
}
