package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// corsJS (testdata/cors.js) adds EventSource, HTTP upload and fetch probes
// to a page that has harness.js.
//
//go:embed testdata/cors.js
var corsJS string

// The app lives on its own origin, the gateway on another (here: another
// port on loopback, which makes another origin), with that app's origin in
// REALTIME_ALLOWED_ORIGINS. One browser and one gateway serve every case:
// the long-poll fallback at rollout 0%, the WebSocket once the rollout is
// at 100%, SSE (token in the query, resumed with lastSeq after a "reload"
// and with Last-Event-ID across a gateway restart), an HTTP upload resumed
// from its committed offset, and then a page on an origin not in the list,
// which is refused everywhere and receives nothing.
func TestCrossOriginPage(t *testing.T) {
	app, other := appServer(t), appServer(t)
	redis := redistest.Start(t)
	if out, err := redis.CLI(t, "HSET", "realtime:rollout", "percent", "0"); err != nil {
		t.Fatalf("HSET: %v %s", err, out)
	}
	g := startGateway(t, redis, "REALTIME_ALLOWED_ORIGINS="+app.URL,
		"REALTIME_UPLOAD_DIR="+t.TempDir(), "REALTIME_LOG_LEVEL=debug")
	org := newOrg(t)
	tok := token(t, org, time.Now().Add(time.Hour))
	browser := newBrowser(t)
	p := openTab(t, browser, app.URL+"/", corsJS).page
	p.start(crossOriginClient(g, tok))
	sseURL := g.url("/v2/realtime/sse?services=finance&access_token=" + url.QueryEscape(tok))

	// Long-poll at rollout 0%, and SSE alongside.
	p.waitState("fallback")
	p.eval(fmt.Sprintf("startSSE(%q)", sseURL))
	p.waitSSE("the SSE ack", func(s sseSnap) bool { return len(s.Acks) == 1 })
	publishTicks(g, org, 1, 2, 3)
	p.waitSeqs(1, 2, 3)
	p.waitSSESeqs(1, 2, 3)
	if g.metric("realtime_long_polls_total") == 0 || g.metric("realtime_cors_preflights_total") == 0 {
		t.Fatalf("%v long-polls, %v preflights; want the fallback to have polled across origins",
			g.metric("realtime_long_polls_total"), g.metric("realtime_cors_preflights_total"))
	}

	// WebSocket: the rollout opens, the client's next retry sticks.
	if out, err := redis.CLI(t, "HSET", "realtime:rollout", "percent", "100"); err != nil {
		t.Fatalf("HSET: %v %s", err, out)
	}
	p.waitState("open")
	publishTicks(g, org, 4, 5)
	p.waitSeqs(1, 2, 3, 4, 5)
	p.waitSSESeqs(1, 2, 3, 4, 5)

	// SSE after a reload: the page passes the lastSeq it kept.
	p.eval("h.es.close()")
	publishTicks(g, org, 6)
	p.eval(fmt.Sprintf("startSSE(%q)", sseURL+"&lastSeq=5"))
	p.waitSSESeqs(1, 2, 3, 4, 5, 6)

	// SSE's own reconnect: EventSource sends Last-Event-ID (6), which wins
	// over the URL's lastSeq=5; were it lost, 6 would come twice.
	g.kill()
	g.start()
	publishTicks(g, org, 7)
	p.waitSeqs(1, 2, 3, 4, 5, 6, 7)
	s := p.waitSSESeqs(1, 2, 3, 4, 5, 6, 7)
	if last := s.Acks[len(s.Acks)-1]; last.Seq != 6 || last.Recovered == nil || !*last.Recovered {
		t.Fatalf("ack after the restart %+v; want seq 6 (Last-Event-ID), recovered", last)
	}

	checkHTTPUpload(t, g, p)
	checkRefusedOrigin(t, g, browser, other.URL, tok, sseURL)
	publishTicks(g, org, 8)
	p.waitSeqs(1, 2, 3, 4, 5, 6, 7, 8)
	p.waitSSESeqs(1, 2, 3, 4, 5, 6, 7, 8)

	logs := g.logs()
	if strings.Contains(logs, tok) || !strings.Contains(logs, `"message":"sse stream"`) || !strings.Contains(logs, "access_token=REDACTED") {
		t.Fatalf("gateway logs must show the SSE URLs with access_token=REDACTED and never the token")
	}
}

// checkHTTPUpload uploads from the page with fetch: POST, PUT half, ask
// the offset as a page that lost its state, PUT the rest, download.
func checkHTTPUpload(t *testing.T, g *gatewayProc, p *page) {
	t.Helper()
	const size = 300 << 10
	content := make([]byte, size)
	for i := range content {
		content[i] = byte((i*7 + 3) % 251)
	}
	upTok := token(t, newOrg(t), time.Now().Add(time.Hour))
	raw := evalIn(p, chromedp.Evaluate[string](fmt.Sprintf("uploadOverHTTP(%q, %q, %d, %q)",
		g.url(""), upTok, size, sha256Hex(content)), chromedp.EvalAwaitPromise))
	type answer struct {
		Status int `json:"status"`
		Body   struct {
			UploadID string `json:"uploadId"`
			Offset   int64  `json:"offset"`
			Done     bool   `json:"done"`
			SHA256   string `json:"sha256"`
		} `json:"body"`
	}
	var r struct {
		Start, First, Offset, Rest answer
		Download                   struct {
			Status      int    `json:"status"`
			Disposition string `json:"disposition"`
			Same        bool   `json:"same"`
		} `json:"download"`
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("upload result %s: %v", raw, err)
	}
	if r.Start.Status != 201 || r.First.Status != 200 || r.First.Body.Offset != size/2 ||
		r.Offset.Status != 200 || r.Offset.Body.Offset != size/2 ||
		r.Rest.Status != 200 || !r.Rest.Body.Done || r.Rest.Body.SHA256 != sha256Hex(content) {
		t.Fatalf("HTTP upload across origins: %s", raw)
	}
	if r.Download.Status != 200 || !r.Download.Same || !strings.Contains(r.Download.Disposition, `filename=cors.bin`) {
		t.Fatalf("download across origins (Content-Disposition must be exposed): %s", raw)
	}
}

// checkRefusedOrigin opens a page on an origin not in the list: the
// module still loads (it is public), and every call to the gateway is
// refused — the client's WebSockets and its long-poll probe, fetches to
// the poll, presence and upload routes, an EventSource.
func checkRefusedOrigin(t *testing.T, g *gatewayProc, browser context.Context, origin, tok, sseURL string) {
	t.Helper()
	before := g.metric("realtime_origin_refused_total")
	q := openTab(t, browser, origin+"/", corsJS).page
	auth := fmt.Sprintf(`{headers: {Authorization: 'Bearer %s'}}`, tok)
	for _, call := range []string{
		fmt.Sprintf("probe(%q, %s)", g.url("/v2/realtime/poll?services=finance"), auth),
		fmt.Sprintf("probe(%q, %s)", g.url("/v2/realtime/presence?room=r"), auth),
		fmt.Sprintf("probe(%q, {method: 'POST', headers: {Authorization: 'Bearer %s', 'Content-Type': 'application/json'}, body: '{}'})", g.url("/v2/realtime/uploads"), tok),
	} {
		if got := evalIn(q, chromedp.Evaluate[string](call, chromedp.EvalAwaitPromise)); got != "TypeError" {
			t.Fatalf("%s from a refused origin: %s; want the browser to withhold it (TypeError)", call, got)
		}
	}
	q.eval(fmt.Sprintf("startSSE(%q)", sseURL))
	q.waitSSE("the refused EventSource to fail", func(s sseSnap) bool { return s.Errors > 0 })
	q.eval("h.es.close()")
	q.start(crossOriginClient(g, tok))
	// 3 probes + the EventSource + maxFailures (3) WebSockets + the
	// client's long-poll probe.
	testutil.EventuallyNote(t, 30*time.Second, "the gateway to refuse the page everywhere", func() (bool, string) {
		n := g.metric("realtime_origin_refused_total") - before
		return n >= 8, fmt.Sprintf("%v refusals; page %s", n, q.snap().summary())
	})
	s := q.snap()
	sse := q.sse()
	if len(s.Events) != 0 || slices.Contains(s.States, "open") || slices.Contains(s.States, "fallback") || len(sse.Events) != 0 || len(sse.Acks) != 0 {
		t.Fatalf("refused page received something: %s; sse %+v", s.summary(), sse)
	}
}

// crossOriginClient is startClient's options for a page on another origin:
// the module and the WebSocket URL name the gateway; the long-poll URL is
// derived from the latter.
func crossOriginClient(g *gatewayProc, tok string) map[string]any {
	return map[string]any{
		"module": g.url("/v2/realtime/client.js"), "url": "ws://" + g.addr + "/v2/realtime/stream",
		"token": tok, "services": []string{"finance"}, "wsRetryInterval": 1500,
	}
}

// appServer serves an empty page: the app's own origin.
func appServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>app</title>")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sseSnap is what cors.js recorded of the page's EventSource.
type sseSnap struct {
	Events []int64 `json:"events"`
	Acks   []struct {
		Seq       int64 `json:"seq"`
		Recovered *bool `json:"recovered"`
	} `json:"acks"`
	Errors     int `json:"errors"`
	ReadyState int `json:"readyState"`
}

func (p *page) sse() sseSnap {
	p.t.Helper()
	return evalJSON[sseSnap](p, "sseSnapshot()")
}

func (p *page) waitSSE(what string, cond func(sseSnap) bool) sseSnap {
	p.t.Helper()
	return pollPage(p, what, p.sse, cond, func(s sseSnap) string { return fmt.Sprintf("%+v", s) })
}

// waitSSESeqs waits for as many SSE events as want, then requires exactly
// those, in order, each once.
func (p *page) waitSSESeqs(want ...int64) sseSnap {
	p.t.Helper()
	s := p.waitSSE(fmt.Sprintf("%d SSE events", len(want)), func(s sseSnap) bool { return len(s.Events) >= len(want) })
	if !slices.Equal(s.Events, want) {
		p.t.Fatalf("SSE events %v, want exactly %v", s.Events, want)
	}
	return s
}
