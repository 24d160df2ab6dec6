package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// chatToken mints a token for org that may publish to the chat service.
func chatToken(t *testing.T, org string) string {
	t.Helper()
	tok, err := verifier(t).Sign(auth.Claims{User: "e2e-user", Org: org, Publish: []string{"chat"}, Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rt.publish from the page: the promise resolves with the seq, and the
// page receives its own message with the user taken from its token.
func TestBrowserPublishesChat(t *testing.T) {
	g := startGateway(t, redistest.Start(t))
	p := openPage(t, g)
	p.start(map[string]any{"token": chatToken(t, newOrg(t)), "services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}})
	p.waitState("open")
	p.eval(`h.rt.publish('chat', 'frontdesk', {text: 'towels for 12'}).then((seq) => { h.published = seq; })`)
	p.eval(`h.rt.publish('finance', 'x', 1).catch((e) => { h.refused = e.code; })`)
	s := p.waitSeqs(1)
	var d struct {
		Room string `json:"room"`
		User string `json:"user"`
		Data struct {
			Text string `json:"text"`
		} `json:"data"`
	}
	if err := json.Unmarshal(s.Events[0].Data, &d); err != nil || d.User != "e2e-user" || d.Room != "frontdesk" || d.Data.Text != "towels for 12" || s.Events[0].Type != "message" {
		t.Fatalf("chat event %+v (%s)", d, s.Events[0].Data)
	}
	testutil.EventuallyNote(t, 5*time.Second, "publish promises settled", func() (bool, string) {
		published := evalIn(p, chromedp.Evaluate[float64]("h.published || 0"))
		refused := evalIn(p, chromedp.Evaluate[string]("h.refused || ''"))
		return published == 1 && refused == "publish_not_allowed", fmt.Sprintf("seq %v, refused %q", published, refused)
	})
}

// A publish whose connection goes away before the answer rejects with
// publish_unconfirmed instead of hanging forever.
func TestBrowserPublishUnconfirmedOnClose(t *testing.T) {
	g := startGateway(t, redistest.Start(t))
	p := openPage(t, g)
	p.start(map[string]any{"token": chatToken(t, newOrg(t)), "services": []string{"chat"}})
	p.waitState("open")
	// close() runs in the same task as the send: the answer cannot come first.
	p.eval(`h.rt.publish('chat', 'frontdesk', {text: 'x'}).then(() => { h.unconfirmed = 'resolved'; }, (e) => { h.unconfirmed = e.code; }); h.rt.close()`)
	var code string
	testutil.EventuallyNote(t, 5*time.Second, "the publish promise settled", func() (bool, string) {
		code = evalIn(p, chromedp.Evaluate[string]("h.unconfirmed || ''"))
		return code != "", ""
	})
	if code != "publish_unconfirmed" {
		t.Fatalf("publish on a closed connection: %q, want publish_unconfirmed", code)
	}
}
