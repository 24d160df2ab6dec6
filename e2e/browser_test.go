package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// chromiumPath is Debian's Chromium.
const chromiumPath = "/usr/bin/chromium"

//go:embed testdata/harness.js
var harnessJS string

// newBrowser starts a headless Chromium with a fresh profile for this test
// and returns a context bound to its first tab. It is stopped in t.Cleanup.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("chromium not found: install it with `apt-get install -y chromium`")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first run starts the browser; it must not have a deadline, since
	// the browser lives as long as that run's context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// page is a tab on the gateway's origin with the harness loaded.
type page struct {
	t   *testing.T
	ctx context.Context
}

// openPage navigates to the gateway's /healthz, a same-origin document, so
// the client's long-poll fetches need no CORS, and loads the harness.
func openPage(t *testing.T, g *gatewayProc) *page {
	t.Helper()
	return openPageAt(t, g.url(""))
}

// gatewayPage starts a gateway on redis and opens a blank page on it; org
// is a fresh org for the test's tokens. The test starts the client.
func gatewayPage(t *testing.T, redis *redistest.Server) (g *gatewayProc, org string, p *page) {
	t.Helper()
	g = startGateway(t, redis)
	return g, newOrg(t), openPage(t, g)
}

// openFinancePage is gatewayPage with the client started on the finance
// service with an hour's token; it returns once the client is open.
func openFinancePage(t *testing.T, redis *redistest.Server) (g *gatewayProc, org string, p *page) {
	t.Helper()
	g, org, p = gatewayPage(t, redis)
	p.start(map[string]any{"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance"}})
	p.waitState("open")
	return g, org, p
}

// openPageAt is openPage for a gateway reached at base (http://host:port).
func openPageAt(t *testing.T, base string) *page {
	t.Helper()
	p := &page{t: t, ctx: newBrowser(t)}
	p.do(chromedp.Navigate(base+"/healthz"), chromedp.Evaluate[chromedp.Void](harnessJS))
	return p
}

// do runs browser steps with a deadline.
func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	evalIn[chromedp.Void](p, chromedp.Steps(steps...))
}

// evalIn runs one action with a deadline and returns its value.
func evalIn[T any](p *page, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("browser: %v", err)
	}
	return v
}

// start connects the client with opts (see harness.js for "tokens").
func (p *page) start(opts map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(opts)
	p.eval(fmt.Sprintf("startClient(%s)", b))
}

// eval runs a JS expression in the page, awaits it if it is a promise, and
// ignores its value.
func (p *page) eval(js string) {
	p.t.Helper()
	evalIn(p, chromedp.Evaluate[chromedp.Void](js, chromedp.EvalAwaitPromise))
}

// snapshot is what the harness recorded.
type snapshot struct {
	State      string      `json:"state"`
	LastSeq    *int64      `json:"lastSeq"`
	Epoch      *string     `json:"epoch"`
	Events     []event     `json:"events"`
	States     []string    `json:"states"`
	Errors     []errorInfo `json:"errors"`
	Resyncs    []resync    `json:"resyncs"`
	TokenCalls int         `json:"tokenCalls"`
	Pings      int         `json:"pings"`
	Sockets    []socketRec `json:"sockets"`   // every WebSocket the page opened
	Leader     bool        `json:"leader"`    // holds the connection (tab sharing)
	LedAt      int64       `json:"ledAt"`     // ms since the epoch the lock was granted, 0 if never
	OpenAt     int64       `json:"openAt"`    // ms since the epoch the state last became open
	Refreshed  int         `json:"refreshed"` // in-band refreshes the server confirmed on this page's sockets
}

type event struct {
	Seq     int64           `json:"seq"`
	Service string          `json:"service"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	TS      string          `json:"ts"`
}

// socketRec is one WebSocket a page opened: when (ms since the epoch),
// and its close code and time once closed.
type socketRec struct {
	At       int64 `json:"at"`
	Code     int   `json:"code"`
	ClosedAt int64 `json:"closedAt"`
}

type errorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type resync struct {
	Seq   int64  `json:"seq"`
	Epoch string `json:"epoch"`
}

func (p *page) snap() snapshot {
	p.t.Helper()
	return evalJSON[snapshot](p, "snapshot()")
}

// evalJSON evaluates expr, a call of one of the page's recorders that
// returns JSON text, and decodes that text into a T.
func evalJSON[T any](p *page, expr string) T {
	p.t.Helper()
	raw := evalIn(p, chromedp.Evaluate[string](expr))
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitUntil polls the page until cond holds, for up to 30s, and returns the
// snapshot that satisfied it.
func (p *page) waitUntil(what string, cond func(snapshot) bool) snapshot {
	p.t.Helper()
	return pollPage(p, what, p.snap, cond, snapshot.summary)
}

// pollPage reads what the page recorded until cond holds, for up to 30s,
// and returns the reading that satisfied it; a failure shows the last
// reading through note.
func pollPage[T any](p *page, what string, read func() T, cond func(T) bool, note func(T) string) T {
	p.t.Helper()
	var v T
	testutil.EventuallyNote(p.t, 30*time.Second, what, func() (bool, string) {
		v = read()
		return cond(v), note(v)
	})
	return v
}

func (p *page) waitState(state string) snapshot {
	p.t.Helper()
	return p.waitUntil("state "+state, func(s snapshot) bool { return s.State == state })
}

// waitSeqs waits until the page has received as many events as want, then
// requires exactly want: those seqs, in that order, each once.
func (p *page) waitSeqs(want ...int64) snapshot {
	p.t.Helper()
	s := p.waitUntil(fmt.Sprintf("%d events", len(want)), func(s snapshot) bool { return len(s.Events) >= len(want) })
	if !slices.Equal(s.seqs(), want) {
		p.t.Fatalf("events %v, want exactly %v (%s)", s.seqs(), want, s.summary())
	}
	return s
}

func (s snapshot) seqs() []int64 {
	out := make([]int64, len(s.Events))
	for i, e := range s.Events {
		out[i] = e.Seq
	}
	return out
}

func (s snapshot) summary() string {
	return fmt.Sprintf("state=%s leader=%v lastSeq=%v seqs=%v states=%v errors=%v resyncs=%v tokenCalls=%d sockets=%d refreshed=%d",
		s.State, s.Leader, deref(s.LastSeq), s.seqs(), s.States, s.Errors, s.Resyncs, s.TokenCalls, len(s.Sockets), s.Refreshed)
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
