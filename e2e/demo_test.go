package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
)

// The demo page (REALTIME_DEMO=true) connects with the development token,
// shows its state, and shows events as they arrive: one published with its
// own button (POST /dev/publish) and one over the HTTP API. The screenshot
// is kept in the test's temp dir for a person to look at; the assertions
// are on the page's text, not its pixels.
func TestDemoPage(t *testing.T) {
	g := startGateway(t, redistest.Start(t), "REALTIME_DEMO=true")
	p := &page{t: t, ctx: newBrowser(t)}
	p.do(chromedp.Navigate(g.url("/")))
	waitText := func(sel, want string) {
		t.Helper()
		var got string
		waitFor(t, 30*time.Second, sel+" showing "+want, func() (bool, string) {
			got = evalIn(p, chromedp.TextContent(chromedp.CSS(sel)))
			return strings.Contains(got, want), got
		})
	}
	waitText("#state", "open")

	p.do(chromedp.Click(chromedp.CSS("#send")))
	waitText("#result", "published seq 1")
	waitText("#events-finance", "demo.clicked")
	g.publish("dev", "guest", "guest.arrived", map[string]string{"name": "e2e visitor"})
	waitText("#events-guest", "e2e visitor")
	waitText("#seq", "2")

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
