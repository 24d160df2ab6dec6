package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/testutil"
)

// Three tabs of one browser with the same options hold one WebSocket
// between them and each get every event once, in order; a gateway crash
// costs one reconnect, not three; closing the leading tab while events flow
// hands the connection to another tab within a second, which resumes with
// lastSeq, and no tab misses or repeats an event.
func TestTabsShareOneConnection(t *testing.T) {
	redis, g, browser, org := startTabs(t)
	opts := map[string]any{"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance"}}
	tabs := openTabs(t, browser, g, 3, opts)
	leaderOf(t, tabs)
	waitMetric(t, g, "realtime_connections_active", 1)
	if n := g.metric("realtime_connections_opened_total"); n != 1 {
		t.Fatalf("%v connections opened for three tabs; want 1; %s; %s", n, g.series("disconnects_total"), sockets(tabs))
	}
	if n := requireOneSocketEach(t, tabs); n != 1 {
		t.Fatalf("%d tabs lead; want 1", n)
	}
	publishTicks(g, org, seqRange(1, 200)...)
	for _, tb := range tabs {
		tb.waitSeqs(seqRange(1, 200)...)
	}

	// Crash: one reconnect for the three tabs (the counters restart with
	// the process).
	g.kill()
	publishDirect(t, redis, org, 201, 202)
	g.start()
	publishTicks(g, org, 203)
	for _, tb := range tabs {
		tb.waitSeqs(seqRange(1, 203)...)
	}
	lead := leaderOf(t, tabs)
	if n := g.metric("realtime_connections_opened_total"); n != 1 {
		t.Fatalf("%v connections opened after the restart; want 1 for three tabs; %s; %s", n, g.series("disconnects_total"), sockets(tabs))
	}

	// Close the leader between two bursts of events.
	opened, replays := g.metric("realtime_connections_opened_total"), g.metric("realtime_replay_events_count")
	publishTicks(g, org, seqRange(204, 230)...)
	closedAt := time.Now()
	tabs[lead].close()
	publishTicks(g, org, seqRange(231, 300)...)
	rest := append(append([]*tab{}, tabs[:lead]...), tabs[lead+1:]...)
	next := rest[leaderOf(t, rest)]
	for _, tb := range rest {
		s := tb.waitSeqs(seqRange(1, 300)...)
		// What every tab sees of a takeover: a short reconnect, no resync.
		if n := len(s.States); len(s.Resyncs) != 0 || n < 2 || s.States[n-2] != "reconnecting" || s.States[n-1] != "open" {
			t.Fatalf("after the takeover: %s; want states ending reconnecting, open and no resync", s.summary())
		}
	}
	s := next.snap()
	led, reopened := time.UnixMilli(s.LedAt).Sub(closedAt), time.UnixMilli(s.OpenAt).Sub(closedAt)
	t.Logf("takeover: lock granted %v after the close began, connection open again after %v", led, reopened)
	if led > time.Second {
		t.Fatalf("another tab led %v after the leader closed; want within 1s", led)
	}
	if n := g.metric("realtime_connections_opened_total") - opened; n != 1 {
		t.Fatalf("%v connections opened for the takeover; want 1; %s; %s", n, g.series("disconnects_total"), sockets(rest))
	}
	if n := g.metric("realtime_replay_events_count") - replays; n != 1 || g.metric("realtime_resumes_unrecovered_total") != 0 {
		t.Fatalf("%v recovered resumes, %v unrecovered, for the takeover; want one resume with lastSeq", n, g.metric("realtime_resumes_unrecovered_total"))
	}
	waitMetric(t, g, "realtime_connections_active", 1)
}

// A follower's rt.publish resolves with the seq and its rt.upload completes,
// both carried out by the leading tab. Tabs whose connections differ (other
// services) or that opt out (shareTabs:false) keep their own; ten tabs with
// the same options still hold one.
func TestTabsForwardRequests(t *testing.T) {
	_, g, browser, org := startTabs(t, "REALTIME_UPLOAD_DIR="+t.TempDir())
	tok := chatToken(t, org)
	opts := map[string]any{"token": tok, "services": []string{"chat", "documents"}, "rooms": map[string][]string{"chat": {"frontdesk"}}}
	tabs := openTabs(t, browser, g, 2, opts, uploadJS)
	f := tabs[1-leaderOf(t, tabs)]
	waitMetric(t, g, "realtime_connections_active", 1)

	f.eval(`h.rt.publish('chat', 'frontdesk', {text: 'from a follower'}).then((seq) => { h.published = seq; }, (e) => { h.published = e.code; })`)
	testutil.EventuallyNote(t, 10*time.Second, "the follower's publish to resolve", func() (bool, string) {
		v := evalIn(f.page, chromedp.Evaluate[any]("h.published"))
		return v == float64(1), fmt.Sprint(v)
	})
	for _, tb := range tabs {
		tb.waitSeqs(1)
	}

	const size, seed = 700_000, 12345
	want := sha256Hex(pseudoRandom(size, seed))
	f.eval(fmt.Sprintf("startUpload('doc', makeFile(%d, %d, 'doc.pdf', 'application/pdf'))", size, seed))
	s := f.waitUpload("doc")
	if s.Error != nil || s.Result.Size != size || s.Result.SHA256 != want || s.Result.Seq != 2 {
		t.Fatalf("follower's upload: %s; want size %d, sha256 %s, seq 2", s.summary(), size, want)
	}
	if len(s.Sent) != 0 {
		t.Fatalf("the follower sent %v over a WebSocket of its own; want the leader to carry the upload", s.Sent)
	}
	if n := len(s.Progress); n == 0 || s.Progress[n-1] != size {
		t.Fatalf("follower's upload progress %v; want it to end at %d", s.Progress, size)
	}
	for _, tb := range tabs {
		if e := tb.waitSeqs(1, 2).Events[1]; e.Type != "upload.completed" {
			t.Fatalf("event 2 is %s; want upload.completed", e.Type)
		}
	}

	other := openTabs(t, browser, g, 1, map[string]any{"token": tok, "services": []string{"chat"}})
	solo := openTabs(t, browser, g, 1, map[string]any{"token": tok, "services": []string{"chat", "documents"},
		"rooms": map[string][]string{"chat": {"frontdesk"}}, "shareTabs": false})
	leaderOf(t, other)
	leaderOf(t, solo)
	leaderOf(t, tabs)
	waitMetric(t, g, "realtime_connections_active", 3)

	tabs = append(tabs, openTabs(t, browser, g, 8, opts)...)
	leaderOf(t, tabs)
	waitMetric(t, g, "realtime_connections_active", 3)
	all := append(append(tabs, other...), solo...)
	if n := g.metric("realtime_connections_opened_total"); n != 3 {
		t.Fatalf("%v connections opened; want 3: ten sharing tabs, one with other services, one not sharing; %s; %s",
			n, g.series("disconnects_total"), sockets(all))
	}
	if n := requireOneSocketEach(t, all); n != 3 {
		t.Fatalf("%d tabs lead; want 3: one of the ten sharing, the one with other services, the one not sharing", n)
	}
}
