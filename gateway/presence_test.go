package gateway

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// presence answers GET /v2/realtime/presence?room=room for org.
func (h *harness) presence(org, room string) []string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/presence?room="+room, nil)
	req.Header.Set("Authorization", "Bearer "+h.token(org, "asker"))
	code, body := h.do(req)
	users, _ := body["users"].([]any)
	if code != http.StatusOK || users == nil {
		h.t.Fatalf("presence: HTTP %d %v", code, body)
	}
	out := make([]string, len(users))
	for i, u := range users {
		out[i], _ = u.(string)
	}
	return out
}

func nextPresence(t *testing.T, c *wstest.Client) map[string]string {
	t.Helper()
	for {
		m := c.Next(5 * time.Second)
		if m.Type != "presence" {
			continue
		}
		var p map[string]string
		_ = json.Unmarshal(m.Raw, &p)
		return p
	}
}

// untilPresence reads c's presence messages until one where verb is user.
func untilPresence(t *testing.T, c *wstest.Client, verb, user string) {
	t.Helper()
	for {
		if nextPresence(t, c)[verb] == user {
			return
		}
	}
}

// presenceBefore collects c's presence messages up to its next event.
func presenceBefore(t *testing.T, c *wstest.Client) []map[string]string {
	t.Helper()
	var out []map[string]string
	for {
		m := c.Next(5 * time.Second)
		switch m.Type {
		case "event":
			return out
		case "presence":
			var p map[string]string
			_ = json.Unmarshal(m.Raw, &p)
			out = append(out, p)
		}
	}
}

// Users in a room are listed by GET /v2/realtime/presence, announced on
// join and on leave (first and last connection), only to that room, and
// once per connection even when it names the room under two services.
func TestPresenceJoinLeave(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "pres"
	frontdesk := map[string][]string{"chat": {"frontdesk"}}
	room := map[string]any{"services": []string{"chat"}, "rooms": frontdesk}
	alice, _ := h.connect(org, "alice", room)
	if p := nextPresence(t, alice); p["join"] != "alice" || p["room"] != "frontdesk" {
		t.Fatalf("own join: %v", p)
	}
	// Each wait on alice below also tells that the newcomer is attached:
	// a connection announces itself only once it is.
	twice, _ := h.connect(org, "twice", map[string]any{"services": []string{"chat", "support"},
		"rooms": map[string][]string{"chat": {"frontdesk"}, "support": {"frontdesk"}}})
	untilPresence(t, alice, "join", "twice")
	kitchen, _ := h.connect(org, "carol", map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"kitchen"}}})
	untilPresence(t, kitchen, "join", "carol")
	plain, _ := h.connect(org, "dan", map[string]any{"services": []string{"chat"}})
	h.publish(org, "chat", "m", `{"room":"lobby"}`)
	plain.Events(1)

	bob, _ := h.connect(org, "bob", room)
	untilPresence(t, alice, "join", "bob")
	testutil.Eventually(t, 5*time.Second, "three present", func() bool { return len(h.presence(org, "frontdesk")) == 3 })
	if got := h.presence(org, "frontdesk"); got[0] != "alice" || got[1] != "bob" || got[2] != "twice" {
		t.Fatalf("presence %v", got)
	}
	if got := h.presence(org, "kitchen"); len(got) != 1 || got[0] != "carol" {
		t.Fatalf("kitchen %v", got)
	}
	bob.NC.Close()
	untilPresence(t, alice, "leave", "bob")
	testutil.Eventually(t, 5*time.Second, "bob gone", func() bool { return len(h.presence(org, "frontdesk")) == 2 })

	// Alice has seen bob leave, so every presence frame of his join and
	// leave is queued on this node ahead of events published now.
	h.publish(org, "chat", "m", `{"room":"frontdesk"}`)
	h.publish(org, "chat", "m", `{"room":"kitchen"}`)
	joins, leaves := 0, 0
	for _, p := range presenceBefore(t, twice) {
		if p["join"] == "bob" {
			joins++
		}
		if p["leave"] == "bob" {
			leaves++
		}
	}
	if joins != 1 || leaves != 1 {
		t.Fatalf("a connection in the room under two services got bob's join %d and leave %d times, want once each", joins, leaves)
	}
	for _, p := range presenceBefore(t, kitchen) {
		if p["room"] != "kitchen" {
			t.Fatalf("kitchen got %v", p)
		}
	}
	if ps := presenceBefore(t, plain); len(ps) != 0 {
		t.Fatalf("a connection without rooms got %v", ps)
	}
}
