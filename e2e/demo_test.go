package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// openDemo starts a gateway with the demo page (REALTIME_DEMO=true) and
// extra environment, opens the page and waits for it to connect.
func openDemo(t *testing.T, extra ...string) (*gatewayProc, *page) {
	t.Helper()
	g := startGateway(t, redistest.Start(t), append([]string{"REALTIME_DEMO=true"}, extra...)...)
	p := &page{t: t, ctx: newBrowser(t)}
	p.do(chromedp.Navigate(g.url("/")))
	p.waitText("#state", "open")
	return g, p
}

// waitText waits for the text of the element sel to contain want.
func (p *page) waitText(sel, want string) {
	p.t.Helper()
	testutil.EventuallyNote(p.t, 30*time.Second, sel+" showing "+want, func() (bool, string) {
		got := evalIn(p, chromedp.TextContent(chromedp.CSS(sel)))
		return strings.Contains(got, want), got
	})
}

// The demo page connects with the development token, shows its state, and
// shows events as they arrive: one published with its own button (POST
// /dev/publish) and one over the HTTP API. The screenshot is kept in the
// test's temp dir for a person to look at; the assertions are on the
// page's text, not its pixels.
func TestDemoPage(t *testing.T) {
	g, p := openDemo(t)
	p.do(chromedp.Click(chromedp.CSS("#send")))
	p.waitText("#result", "published seq 1")
	p.waitText("#events-finance", "demo.clicked")
	g.publish("dev", "guest", "guest.arrived", map[string]string{"name": "e2e visitor"})
	p.waitText("#events-guest", "e2e visitor")
	p.waitText("#seq", "2")

	shot := evalIn(p, chromedp.FullScreenshot(100)) // quality 100 means PNG
	path := filepath.Join(t.TempDir(), "demo.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) || len(shot) < 10_000 {
		t.Fatalf("screenshot is not a plausible PNG (%d bytes)", len(shot))
	}
	body := evalIn(p, chromedp.TextContent(chromedp.CSS("body")))
	for _, want := range []string{"realtime demo", "#1", "demo.clicked", `{"n":1}`, "#2", "guest.arrived", "e2e visitor"} {
		if !strings.Contains(body, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if dir := os.Getenv("E2E_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "demo.png"), shot, 0o644)
	}
}

// The demo page: a file chosen in its file input is uploaded with a
// progress bar that ends full, the documents list shows the
// upload.completed event, and the page's download link serves the file.
func TestDemoPageUpload(t *testing.T) {
	_, p := openDemo(t, "REALTIME_UPLOAD_DIR="+t.TempDir())

	const size = 1<<20 + 4321
	data := pseudoRandom(size, 99)
	path := filepath.Join(t.TempDir(), "minutes.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}))
	p.waitText("#upload-result", fmt.Sprintf("uploaded minutes.pdf: %d bytes, sha256 %s", size, sha256Hex(data)))
	p.waitText("#events-documents", "upload.completed")
	p.waitText("#events-documents", sha256Hex(data))
	bar := evalIn(p, chromedp.Evaluate[[]float64]("[document.getElementById('upload-progress').value, document.getElementById('upload-progress').max]"))
	if len(bar) != 2 || bar[0] != size || bar[1] != size {
		t.Fatalf("progress bar value/max %v; want %d/%d", bar, size, size)
	}
	resp, body := get(t, evalIn(p, chromedp.Evaluate[string]("document.querySelector('#upload-result a').href")))
	if resp.StatusCode != http.StatusOK || sha256Hex(body) != sha256Hex(data) {
		t.Fatalf("the page's download link: HTTP %d, %d bytes; want the file", resp.StatusCode, len(body))
	}
}

// The demo page's chat panel sends a message to room frontdesk with
// rt.publish and shows it with the sender from the demo token.
func TestDemoPageChat(t *testing.T) {
	_, p := openDemo(t)
	p.do(chromedp.SendKeys(chromedp.CSS("#chat-text"), "towels for room 12"), chromedp.Click(chromedp.CSS("#chat-send")))
	p.waitText("#chat-result", "sent seq")
	p.waitText("#chat-messages", "dev-user: towels for room 12")
}

// The seed's per-browser flags on the demo page: set
// localStorage.REALTIME_STREAMING_V2 in the console, reload, look at the
// transport. With the rollout at 0 %, 'true' is ignored until the hash has
// optin 1, then the page is on the WebSocket; the kill switch still wins.
// 'false' keeps the page on long-poll with no WebSocket attempt at all.
func TestDemoPageStreamingFlag(t *testing.T) {
	redis := redistest.Start(t)
	hset := func(args ...string) {
		t.Helper()
		if out, err := redis.CLI(t, append([]string{"HSET", "realtime:rollout"}, args...)...); err != nil {
			t.Fatalf("HSET %v: %v %s", args, err, out)
		}
	}
	hset("percent", "0")
	g := startGateway(t, redis, "REALTIME_DEMO=true")
	p := &page{t: t, ctx: newBrowser(t)}
	p.do(chromedp.Navigate(g.url("/")))
	p.waitText("#transport", "long-poll")
	reload := func(flag string) {
		t.Helper()
		p.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf("localStorage.REALTIME_STREAMING_V2 = %q", flag)), chromedp.Reload())
		p.waitText("#flag", flag)
	}
	fellBack := func(reason string) float64 { return g.metric(`realtime_fallbacks_total{reason="` + reason + `"}`) }

	before := fellBack("percent")
	reload("true") // optin absent: asked, not let in
	p.waitText("#transport", "long-poll")
	if fellBack("percent") <= before {
		t.Fatal("the opted-in handshake was not turned away by the percentage")
	}

	hset("optin", "1")
	reload("true")
	p.waitText("#transport", "WebSocket")
	p.waitText("#state", "open")

	hset("enabled", "0") // moves the open page to the fallback, and wins over optIn
	p.waitText("#transport", "long-poll")
	before = fellBack("disabled")
	reload("true")
	p.waitText("#transport", "long-poll")
	if fellBack("disabled") <= before {
		t.Fatal("the opted-in handshake after the kill switch was not refused as disabled")
	}

	hset("enabled", "1", "percent", "100")
	opened, polls := g.metric("realtime_connections_opened_total"), g.metric("realtime_long_polls_total")
	reload("false")
	p.waitText("#transport", "long-poll")
	g.publish("dev", "guest", "guest.arrived", map[string]string{"name": "over long-poll"})
	p.waitText("#events-guest", "over long-poll")
	if g.metric("realtime_connections_opened_total") != opened || g.metric("realtime_long_polls_total") <= polls {
		t.Fatalf("with the flag 'false': %v WebSocket connections opened (want none), long-polls %v -> %v",
			g.metric("realtime_connections_opened_total")-opened, polls, g.metric("realtime_long_polls_total"))
	}
}
