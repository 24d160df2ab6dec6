package gateway

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/wstest"
)

func (h *harness) presence(org, room string) []string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/presence?room="+room, nil)
	req.Header.Set("Authorization", "Bearer "+h.token(org, "asker"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Users []string `json:"users"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		h.t.Fatalf("presence: HTTP %d", resp.StatusCode)
	}
	return out.Users
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

// Users in a room are listed by GET /v2/realtime/presence, announced on
// join and on leave (first and last connection), and only to that room.
func TestPresenceJoinLeave(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "pres"
	room := map[string]any{"services": []string{"chat"}, "rooms": map[string][]string{"chat": {"frontdesk"}}}
	alice, _ := h.connect(org, "alice", room)
	if p := nextPresence(t, alice); p["join"] != "alice" || p["room"] != "frontdesk" {
		t.Fatalf("own join: %v", p)
	}
	bob, _ := h.connect(org, "bob", room)
	if p := nextPresence(t, alice); p["join"] != "bob" {
		t.Fatalf("alice saw %v, want bob joining", p)
	}
	waitFor(t, 5*time.Second, "both present", func() bool { return len(h.presence(org, "frontdesk")) == 2 })
	if got := h.presence(org, "frontdesk"); got[0] != "alice" || got[1] != "bob" {
		t.Fatalf("presence %v", got)
	}
	if got := h.presence(org, "kitchen"); len(got) != 0 {
		t.Fatalf("kitchen %v", got)
	}
	bob.NC.Close()
	if p := nextPresence(t, alice); p["leave"] != "bob" {
		t.Fatalf("alice saw %v, want bob leaving", p)
	}
	waitFor(t, 5*time.Second, "bob gone", func() bool { return len(h.presence(org, "frontdesk")) == 1 })
}
