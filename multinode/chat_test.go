package multinode

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// chatLine is one chat message as a client saw it.
type chatLine struct {
	Seq      int64
	User, ID string
}

func chatLineOf(seq int64, data []byte) chatLine {
	var d struct{ User, ID string }
	_ = json.Unmarshal(data, &d)
	return chatLine{seq, d.User, d.ID}
}

// until reads c's messages until one satisfies ok.
func until(t *testing.T, c *wstest.Client, what string, ok func(wstest.Msg) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if ok(c.Next(10 * time.Second)) {
			return
		}
	}
	t.Fatalf("no %s within 10s", what)
}

// Chat across two nodes: messages published by clients on node A and node
// B reach everyone in one order (the org's seq), a client that reconnects
// replays the conversation, and typing and presence signals cross nodes.
func TestChatAcrossNodes(t *testing.T) {
	redis := redistest.Start(t)
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr})
	v, _ := auth.New(auth.Config{Secret: []byte(gatewaytest.JWTSecret)})
	tok := func(user string) string {
		s, err := v.Sign(auth.Claims{User: user, Org: "team", Publish: []string{"chat"}, Expiry: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hs := map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}}
	alice := wstest.Dial(t, a.StreamURL(tok("alice")), wstest.Options{})
	alice.Send(hs)
	epoch := alice.Expect("ack").Epoch
	bob := wstest.Dial(t, b.StreamURL(tok("bob")), wstest.Options{})
	bob.Send(hs)
	bob.Expect("ack")
	for i := 0; i < 5; i++ {
		alice.Send(map[string]any{"type": "publish", "service": "chat", "room": "frontdesk", "id": fmt.Sprint("alice", i), "data": i})
		bob.Send(map[string]any{"type": "publish", "service": "chat", "room": "frontdesk", "id": fmt.Sprint("bob", i), "data": i})
	}
	read := func(c *wstest.Client) []chatLine {
		var lines []chatLine
		for len(lines) < 10 {
			m := c.Next(10 * time.Second)
			if m.Type != "event" {
				continue // "published" answers, presence
			}
			for _, e := range m.Events {
				lines = append(lines, chatLineOf(e.Seq, e.Data))
			}
		}
		return lines
	}
	onA, onB := read(alice), read(bob)
	// Each sender's messages keep the order it sent them in.
	next := map[string]int{}
	for _, l := range onA {
		if l.ID != fmt.Sprint(l.User, next[l.User]) {
			t.Fatalf("%s's messages out of order: %v", l.User, onA)
		}
		next[l.User]++
	}
	if next["alice"] != 5 || next["bob"] != 5 {
		t.Fatalf("messages by sender %v, want 5 each", next)
	}
	if fmt.Sprint(onA) != fmt.Sprint(onB) {
		t.Fatalf("node A saw %v, node B saw %v", onA, onB)
	}
	bob.Send(map[string]any{"type": "typing", "service": "chat", "room": "frontdesk"})
	until(t, alice, "typing from bob on the other node", func(m wstest.Msg) bool {
		return m.Type == "typing" && strings.Contains(string(m.Raw), `"user":"bob"`)
	})
	late := wstest.Dial(t, b.StreamURL(tok("carol")), wstest.Options{})
	late.Send(map[string]any{"services": []string{"chat"}, "lastSeq": 0, "epoch": epoch, "rooms": map[string][]string{"chat": {"frontdesk"}}})
	late.Expect("ack")
	var replay []chatLine
	for _, e := range late.Events(10) {
		replay = append(replay, chatLineOf(e.Seq, []byte(e.Data)))
	}
	if fmt.Sprint(replay) != fmt.Sprint(onA) {
		t.Fatalf("replay %v, live %v", replay, onA)
	}
	until(t, alice, "carol's presence join from the other node", func(m wstest.Msg) bool {
		return m.Type == "presence" && strings.Contains(string(m.Raw), `"join":"carol"`)
	})
	t.Logf("10 messages from two nodes, one order everywhere: %v", onA)
}

// A killed node's users leave the room's presence within one TTL, with
// nobody cleaning up after it.
func TestPresenceAfterNodeKill(t *testing.T) {
	redis := redistest.Start(t)
	env := map[string]string{"REALTIME_PRESENCE_TTL": "2s"}
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: env})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: env})
	hs := map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"lobby"}}}
	for _, n := range []*gatewaytest.Node{a, b} {
		user := "on-" + n.Addr
		c := wstest.Dial(t, n.StreamURL(gatewaytest.Token(t, "pk", user)), wstest.Options{})
		c.Send(hs)
		c.Expect("ack")
	}
	present := func() []string {
		req, _ := http.NewRequest(http.MethodGet, b.URL("/v2/realtime/presence?room=lobby"), nil)
		req.Header.Set("Authorization", "Bearer "+gatewaytest.Token(t, "pk", "asker"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var out struct{ Users []string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out.Users
	}
	testutil.Eventually(t, 5*time.Second, "both users present", func() bool { return len(present()) == 2 })
	a.Kill()
	killed := time.Now()
	testutil.Eventually(t, 5*time.Second, "the killed node's user gone", func() bool { return len(present()) == 1 })
	if el := time.Since(killed); el > 2*time.Second+500*time.Millisecond {
		t.Fatalf("gone after %v, want within the 2s TTL", el)
	}
	if got := present(); got[0] != "on-"+b.Addr {
		t.Fatalf("present %v", got)
	}
}
