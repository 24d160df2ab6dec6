package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/wstest"
)

func (h *harness) chatClient(org, user string, publish []string, hs map[string]any) *wstest.Client {
	h.t.Helper()
	tok, err := h.verifier.Sign(auth.Claims{User: user, Org: org, Publish: publish, Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		h.t.Fatal(err)
	}
	c := wstest.Dial(h.t, h.wsURL+"?access_token="+tok, wstest.Options{})
	c.Send(hs)
	c.Expect("ack")
	return c
}

type chatData struct {
	Room string          `json:"room"`
	User string          `json:"user"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// A client publishes into a room; the sender is stamped from its token,
// the message gets a seq, and room filters apply live and in replay.
func TestClientPublishChatRooms(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "chat"
	all := map[string]any{"services": []string{"chat"}}
	sender := h.chatClient(org, "alice", []string{"chat"}, all)
	everyone := h.chatClient(org, "bob", nil, all)
	front := h.chatClient(org, "carol", nil, map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}})
	kitchen := h.chatClient(org, "dan", nil, map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"kitchen"}}})

	sender.Send(map[string]any{"type": "publish", "service": "chat", "room": "frontdesk", "id": "m1", "data": map[string]any{"text": "hi", "user": "mallory"}})
	var seq int64
	for seq == 0 {
		m := sender.Next(5 * time.Second)
		switch m.Type {
		case "published":
			var p struct {
				ID  string `json:"id"`
				Seq int64  `json:"seq"`
			}
			_ = json.Unmarshal(m.Raw, &p)
			if p.ID != "m1" || p.Seq != 1 {
				t.Fatalf("published %s", m.Raw)
			}
			seq = p.Seq
		case "event": // its own message, fanned out to it as well
		default:
			t.Fatalf("sender got %s", m.Raw)
		}
	}
	for name, c := range map[string]*wstest.Client{"everyone": everyone, "front": front} {
		got := c.Events(1)
		var d chatData
		_ = json.Unmarshal([]byte(got[0].Data), &d)
		if got[0].Seq != 1 || got[0].Type != "message" || d.User != "alice" || d.Room != "frontdesk" || d.ID != "m1" {
			t.Fatalf("%s got %+v / %+v (the user must come from the token)", name, got[0], d)
		}
	}
	h.publish(org, "chat", "message", `{"room":"kitchen","user":"svc","data":1}`)
	if got := kitchen.Events(1); got[0].Seq != 2 {
		t.Fatalf("kitchen got %+v, want only the kitchen message (seq 2)", got)
	}
	if m, err := front.Read(200 * time.Millisecond); err == nil && m.Type == "event" {
		t.Fatalf("frontdesk filter let through %s", m.Raw)
	}
	// Replay honours rooms too.
	late := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "erin"), wstest.Options{})
	late.Send(map[string]any{"services": []string{"chat"}, "lastSeq": 0, "rooms": map[string][]string{"chat": {"kitchen"}}})
	late.Expect("ack")
	if got := late.Events(1); got[0].Seq != 2 {
		t.Fatalf("replay with a room filter: %+v", got)
	}
}

func TestClientPublishRefusals(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.PublishRate = 1 }})
	org := "chat2"
	hs := map[string]any{"services": []string{"chat"}}
	reader := h.chatClient(org, "ro", nil, hs)
	cases := []struct {
		name string
		msg  map[string]any
		code string
	}{
		{name: "no publish claim", msg: map[string]any{"type": "publish", "service": "chat", "id": "a", "data": 1}, code: "publish_not_allowed"},
		{name: "bad room", msg: map[string]any{"type": "publish", "service": "chat", "room": "a b", "id": "b", "data": 1}, code: "bad_publish"},
		{name: "no data", msg: map[string]any{"type": "publish", "service": "chat", "id": "c"}, code: "bad_publish"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reader.Send(tc.msg)
			m := reader.Expect("error")
			if m.Code != tc.code {
				t.Fatalf("error %s, want %s", m.Raw, tc.code)
			}
		})
	}
	// The connection stayed open and still receives.
	h.publish(org, "chat", "message", `{"data":1}`)
	reader.Events(1)

	// Rate limit: a burst of 2 at 1/s, then refusals.
	w := h.chatClient(org, "writer", []string{"chat"}, hs)
	limited := 0
	for i := 0; i < 5; i++ {
		w.Send(map[string]any{"type": "publish", "service": "chat", "id": "r", "data": i})
	}
	for seen := 0; seen < 5; {
		m := w.Next(5 * time.Second)
		switch m.Type {
		case "published":
			seen++
		case "error":
			if m.Code != "rate_limited" {
				t.Fatalf("error %s", m.Raw)
			}
			limited++
			seen++
		}
	}
	if limited != 3 {
		t.Fatalf("%d of 5 publishes limited, want 3 (burst of 2)", limited)
	}
}

// Typing indicators reach the room's other clients on the node, are
// throttled per sender, carry the user from the token, and are never
// replayed.
func TestTypingIsEphemeral(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "typing"
	hs := map[string]any{"services": []string{"chat"}}
	alice := h.chatClient(org, "alice", []string{"chat"}, hs)
	bob := h.chatClient(org, "bob", nil, map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}})
	other := h.chatClient(org, "carol", nil, map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"kitchen"}}})
	for i := 0; i < 5; i++ {
		alice.Send(map[string]any{"type": "typing", "service": "chat", "room": "frontdesk"})
	}
	m := bob.Next(5 * time.Second)
	for m.Type == "presence" {
		m = bob.Next(5 * time.Second)
	}
	var ty struct{ Type, Service, Room, User string }
	_ = json.Unmarshal(m.Raw, &ty)
	if ty.Type != "typing" || ty.User != "alice" || ty.Room != "frontdesk" {
		t.Fatalf("bob got %s", m.Raw)
	}
	if m, err := bob.Read(300 * time.Millisecond); err == nil && m.Type == "typing" {
		t.Fatalf("throttling let a second typing through: %s", m.Raw)
	}
	if m, err := other.Read(100 * time.Millisecond); err == nil && m.Type == "typing" {
		t.Fatalf("another room got %s", m.Raw)
	}
	// Never in the log: a resume from 0 replays nothing.
	late := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "dan"), wstest.Options{})
	late.Send(map[string]any{"services": []string{"chat"}, "lastSeq": 0})
	if ack := late.Expect("ack"); ack.Seq != 0 {
		t.Fatalf("typing reached the log: %s", ack.Raw)
	}
	bob.Send(map[string]any{"type": "typing", "service": "chat", "room": "frontdesk"})
	if m := bob.Expect("error"); m.Code != "publish_not_allowed" {
		t.Fatalf("typing without the publish claim: %s", m.Raw)
	}
}
