package presence

import (
	"slices"
	"testing"

	"github.com/rtgw/realtime/store"
)

// TestChangeFirstAndLast: only a user's first connection in a room and its
// last one's departure reach send; counts are per org; Pick is stable.
func TestChangeFirstAndLast(t *testing.T) {
	tr := New(Config{})
	lobby := []store.PresenceEntry{{Room: "lobby", User: "u1"}}
	var sent [][]store.PresenceEntry
	send := func(c []store.PresenceEntry) { sent = append(sent, slices.Clone(c)) }

	tr.Change("acme", lobby, 1, send)  // first: join
	tr.Change("acme", lobby, 1, send)  // second connection: nothing
	tr.Change("other", lobby, 1, send) // another org counts apart: join
	tr.Change("acme", lobby, -1, send) // one left, one stays: nothing
	if len(sent) != 2 {
		t.Fatalf("sent %d changes, want 2 (acme join, other join): %v", len(sent), sent)
	}
	tr.Change("acme", lobby, -1, send) // last one: leave
	if len(sent) != 3 || sent[2][0] != lobby[0] {
		t.Fatalf("last departure sent %v, want the lobby entry", sent)
	}
	if snap := tr.snapshot(); len(snap["acme"]) != 0 || len(snap["other"]) != 1 {
		t.Fatalf("snapshot %v, want only other's entry", snap)
	}
	tr.Change("acme", nil, 1, func([]store.PresenceEntry) { t.Fatal("send called for no entries") })
	if a, b := tr.Pick("acme", "u1", 7), tr.Pick("acme", "u1", 7); a != b || a < 0 || a >= 7 {
		t.Fatalf("Pick gave %d then %d, want one stable queue in [0,7)", a, b)
	}
}
