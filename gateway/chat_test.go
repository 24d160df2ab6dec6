package gateway

import (
	"encoding/json"
	"fmt"
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
	h.publish(org, "chat", "message", `{"room":"frontdesk","user":"svc","data":2}`)
	if got := kitchen.Events(1); got[0].Seq != 2 {
		t.Fatalf("kitchen got %+v, want only the kitchen message (seq 2)", got)
	}
	// Seq 3 comes after seq 2 on the same tail: had the filter let seq 2
	// through, it would arrive first.
	if got := front.Events(1); got[0].Seq != 3 {
		t.Fatalf("frontdesk got %+v, want seq 3 (seq 2 is the kitchen's)", got)
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

// nextNot returns c's next message whose type is not skip.
func nextNot(c *wstest.Client, skip string) wstest.Msg {
	c.T.Helper()
	for {
		if m := c.Next(5 * time.Second); m.Type != skip {
			return m
		}
	}
}

// Typing indicators reach the room's other clients on the node, are
// throttled per sender, carry the user from the token, never go back to
// the sender, never pass for presence, and are never logged. Each
// "nothing else arrived" check is closed by a message the sender publishes
// after its typing: one connection's messages reach the log and the
// channel in order, so anything that leaked would arrive before it.
func TestTypingIsEphemeral(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "typing"
	frontdesk := map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}}
	alice := h.chatClient(org, "alice", []string{"chat", "presence"}, map[string]any{"services": []string{"chat"}})
	bob := h.chatClient(org, "bob", nil, frontdesk)
	other := h.chatClient(org, "carol", nil, map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"kitchen"}}})
	// Once bob's own presence join reached him, bob is attached.
	if p := nextPresence(t, bob); p["join"] != "bob" {
		t.Fatalf("bob saw %v", p)
	}
	nextPresence(t, other)
	// A typing "in" service presence must not be taken for a presence join.
	alice.Send(map[string]any{"type": "typing", "service": "presence", "room": "frontdesk"})
	for i := 0; i < 5; i++ {
		alice.Send(map[string]any{"type": "typing", "service": "chat", "room": "frontdesk"})
	}
	alice.Send(map[string]any{"type": "publish", "service": "chat", "room": "frontdesk", "id": "f", "data": 1})
	alice.Send(map[string]any{"type": "publish", "service": "chat", "room": "kitchen", "id": "k", "data": 2})

	// Bob has read his own join; nothing else is due to him but the one
	// typing signal and the event.
	m := bob.Next(5 * time.Second)
	var ty struct{ Type, Service, Room, User string }
	_ = json.Unmarshal(m.Raw, &ty)
	if ty.Type != "typing" || ty.Service != "chat" || ty.User != "alice" || ty.Room != "frontdesk" {
		t.Fatalf("bob got %s, want alice typing in frontdesk", m.Raw)
	}
	if m := bob.Next(5 * time.Second); m.Type != "event" || m.Seq != 1 {
		t.Fatalf("bob got %s after the typing, want the event (throttling must drop the rest)", m.Raw)
	}
	if m := nextNot(other, "presence"); m.Type != "event" || m.Seq != 2 {
		t.Fatalf("kitchen got %s, want only its event", m.Raw)
	}
	for seen := 0; seen < 2; {
		switch m := alice.Next(5 * time.Second); m.Type {
		case "event":
			seen += len(m.Events)
		case "published":
		default:
			t.Fatalf("the sender got %s", m.Raw)
		}
	}
	// Never in the log: only the two publishes took seqs, and a replay
	// from 0 holds them alone (Events fails on anything but events).
	if seq := h.publish(org, "chat", "message", `3`); seq != 3 {
		t.Fatalf("next seq %d, want 3: typing reached the log", seq)
	}
	late := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "dan"), wstest.Options{})
	late.Send(map[string]any{"services": []string{"chat"}, "lastSeq": 0})
	late.Expect("ack")
	late.Events(3)
	bob.Send(map[string]any{"type": "typing", "service": "chat", "room": "frontdesk"})
	if m := nextNot(bob, "presence"); m.Type != "error" || m.Code != "publish_not_allowed" {
		t.Fatalf("typing without the publish claim: %s", m.Raw)
	}
}

// The typing throttle: one signal per room per typingEvery, and at most
// maxRooms rooms in flight, so new room names cannot lift the rate.
func TestMayType(t *testing.T) {
	c := &conn{}
	now := time.Now()
	if !c.mayType("chat\x00a", now) || c.mayType("chat\x00a", now.Add(typingEvery-time.Millisecond)) {
		t.Fatal("a room's second signal within typingEvery passed")
	}
	for i := 1; i < maxRooms; i++ {
		if !c.mayType(fmt.Sprint("chat\x00r", i), now) {
			t.Fatalf("room %d refused", i)
		}
	}
	if c.mayType("chat\x00one-too-many", now) {
		t.Fatal("a signal passed with maxRooms fresh rooms held")
	}
	if !c.mayType("chat\x00one-too-many", now.Add(typingEvery)) || len(c.typed) != 1 {
		t.Fatalf("expired rooms not pruned: %d held", len(c.typed))
	}
}
