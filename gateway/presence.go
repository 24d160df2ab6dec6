package gateway

import (
	"github.com/rtgw/realtime/store"
)

// Presence is package presence's (counts, Redis work, heartbeat, GET
// /v2/realtime/presence); the core lends it the rooms of a connection's
// room filter and a publisher queue, and delivers its signals
// (tail_signal.go).

// presenceEntries lists the rooms c is present in.
func (c *conn) presenceEntries() []store.PresenceEntry {
	if c.rooms == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []store.PresenceEntry
	for _, rooms := range c.rooms {
		for r := range rooms {
			if !seen[r] {
				seen[r] = true
				out = append(out, store.PresenceEntry{Room: r, User: c.user})
			}
		}
	}
	return out
}

// presenceChange records c's arrival (delta 1) or departure (-1) and hands
// the rooms that gained or lost the user's first or last connection to the
// user's publisher, as one job (presence.Tracker.Change says why one
// publisher per user).
func (s *Server) presenceChange(c *conn, delta int) {
	s.presence.Change(c.org, c.presenceEntries(), delta, func(changed []store.PresenceEntry) {
		q := s.publishes[s.presence.Pick(c.org, c.user, len(s.publishes))]
		select {
		case q <- publishJob{c: c, presence: delta, entries: changed}:
		default:
			// Dropped: a join reaches Redis with the next beat, a leave when
			// its entry expires; the signal is lost (signals are at most once).
			s.metrics.clientPublishes["busy"].Inc()
		}
	})
}
