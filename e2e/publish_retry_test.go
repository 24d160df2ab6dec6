package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// pubJS defines h.pub(text, key) in a page: rt.publish of {text} into
// chat/frontdesk under key (a random one when undefined), recording each
// outcome in h.pubs as it settles.
const pubJS = `h.pubs = []; h.pub = (text, key) => { h.rt.publish('chat', 'frontdesk', {text}, {idempotencyKey: key})
	.then((seq) => h.pubs.push({text, seq}), (e) => h.pubs.push({text, err: e.code})); }`

// settled is one rt.publish outcome the page recorded.
type settled struct {
	Text string `json:"text"`
	Seq  int64  `json:"seq"`
	Err  string `json:"err"`
}

// rt.publish across gateway crashes: a publish made while the gateway is
// down, one whose first attempt reached the log but whose answer was lost,
// and one racing a SIGKILL each appear in the log once, and each promise
// resolves once with that seq.
func TestBrowserPublishAcrossGatewayKill(t *testing.T) {
	redis := redistest.Start(t)
	g, org, p := gatewayPage(t, redis)
	p.start(map[string]any{"token": chatToken(t, org), "services": []string{"chat"}})
	p.waitState("open")
	p.eval(pubJS)

	g.kill()
	p.waitUntil("the page to notice the crash", func(s snapshot) bool { return s.State != "open" })
	p.eval(`h.pub('while down')`)
	// The first attempt of 'answer lost' reached the log before the crash:
	// what a node leaves when it dies between the script and its answer.
	p.eval(`h.pub('answer lost', 'lost-1')`)
	lost := appendAsBrowser(t, redis, org, "e2e-user", "lost-1", "answer lost")
	g.start()
	pubs := waitPubs(t, p, 2)
	if pubs[0] != (settled{Text: "while down", Seq: lost + 1}) || pubs[1] != (settled{Text: "answer lost", Seq: lost}) {
		t.Fatalf("publishes settled as %+v; want 'while down' at %d, 'answer lost' at %d (its first seq)", pubs, lost+1, lost)
	}

	// Sent on an open socket, then SIGKILL: whether or not it reached the
	// log, the resend after the restart makes it exactly one event.
	p.eval(`h.pub('racing the kill')`)
	g.kill()
	g.start()
	pubs = waitPubs(t, p, 3)
	if pubs[2] != (settled{Text: "racing the kill", Seq: lost + 2}) {
		t.Fatalf("third publish settled as %+v, want seq %d", pubs[2], lost+2)
	}

	// The stream is ordered: once the marker is in, no copy of an earlier
	// message can still be on its way.
	marker := g.publish(org, "chat", "marker", map[string]int{"n": 1})
	s := p.waitSeqs(lost, lost+1, lost+2, marker)
	for i, want := range []string{"answer lost", "while down", "racing the kill"} {
		var d struct {
			Data struct {
				Text string `json:"text"`
			} `json:"data"`
		}
		if err := json.Unmarshal(s.Events[i].Data, &d); err != nil || d.Data.Text != want {
			t.Fatalf("event %d is %s, want %q", s.Events[i].Seq, s.Events[i].Data, want)
		}
	}
	if pubs := waitPubs(t, p, 3); len(pubs) != 3 {
		t.Fatalf("promises settled %d times, want 3", len(pubs))
	}
}

// appendAsBrowser appends a chat message to org's log under the key a
// client publish of user with idempotency key key is stored under:
// "ws:" and the first 6 bytes of SHA-256(user) in hex, ":", then the key.
func appendAsBrowser(t *testing.T, redis *redistest.Server, org, user, key, text string) int64 {
	t.Helper()
	log, err := store.New(store.Config{Client: redis.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(user))
	data, _ := json.Marshal(map[string]any{"room": "frontdesk", "user": user, "data": map[string]string{"text": text}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seq, _, err := log.Publish(ctx, org, store.Input{Service: "chat", Type: "message", Data: data,
		IdempotencyKey: "ws:" + hex.EncodeToString(sum[:6]) + ":" + key})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// waitPubs waits until the page recorded at least n settled publishes and
// returns them all.
func waitPubs(t *testing.T, p *page, n int) []settled {
	t.Helper()
	var pubs []settled
	testutil.EventuallyNote(t, 30*time.Second, fmt.Sprintf("%d publishes settled", n), func() (bool, string) {
		raw := evalIn(p, chromedp.Evaluate[string]("JSON.stringify(h.pubs)"))
		pubs = nil
		_ = json.Unmarshal([]byte(raw), &pubs)
		return len(pubs) >= n, raw + " " + p.snap().summary()
	})
	return pubs
}
