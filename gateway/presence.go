package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"net/http"
	"sync"
	"time"

	"github.com/rtgw/realtime/store"
)

// Presence: a connection is present in the rooms of its handshake's room
// filter; a connection without one takes no part (presence is opt-in: an
// org-wide announcement of every connect would cost O(connections²) frames
// in a large org). The node keeps a count
// per (org, room, user); the first connection of a user in a room announces
// {"type":"presence","room","join":user} to the org on every node, the last
// one's close announces "leave", and the node re-adds its entries to Redis
// every PresenceTTL/3 (store.PresenceBeat) so a killed node's users expire
// within one TTL. GET /v2/realtime/presence?room=… answers from Redis.

// presenceCounts is this node's presence, by org.
type presenceCounts struct {
	node string
	seed maphash.Seed // picks a user's publisher
	mu   sync.Mutex
	// counts: connections per entry, by org; caller holds mu.
	counts map[string]map[store.PresenceEntry]int
}

func newPresenceCounts() *presenceCounts {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &presenceCounts{node: hex.EncodeToString(b), seed: maphash.MakeSeed(), counts: make(map[string]map[store.PresenceEntry]int)}
}

// addLocked counts entries in (delta 1) or out (-1); it returns those that
// gained their first or lost their last connection. Caller holds p.mu.
func (p *presenceCounts) addLocked(org string, entries []store.PresenceEntry, delta int) []store.PresenceEntry {
	m := p.counts[org]
	if m == nil {
		m = make(map[store.PresenceEntry]int)
		p.counts[org] = m
	}
	var changed []store.PresenceEntry
	for _, e := range entries {
		before := m[e]
		n := before + delta
		if n > 0 {
			m[e] = n
		} else {
			delete(m, e)
		}
		if (before > 0) != (n > 0) {
			changed = append(changed, e)
		}
	}
	if len(m) == 0 {
		delete(p.counts, org)
	}
	return changed
}

func (p *presenceCounts) snapshot() map[string][]store.PresenceEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]store.PresenceEntry, len(p.counts))
	for org, m := range p.counts {
		for e := range m {
			out[org] = append(out[org], e)
		}
	}
	return out
}

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
// the rooms that gained or lost the user's first or last connection to a
// publisher, as one job. Every change of one user goes to the same
// publisher, queued under p.mu, so Redis sees a user's joins and leaves in
// the order they were counted: a reconnect's join cannot overtake the
// previous connection's leave and leave the user announced as gone.
func (s *Server) presenceChange(c *conn, delta int) {
	entries := c.presenceEntries()
	if len(entries) == 0 {
		return
	}
	p := s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := p.addLocked(c.org, entries, delta)
	if len(changed) == 0 {
		return
	}
	select {
	case s.userPublisher(c.org, c.user) <- publishJob{c: c, presence: delta, entries: changed}:
	default:
		// Dropped: a join reaches Redis with the next beat, a leave when
		// its entry expires; the signal is lost (signals are at most once).
		s.metrics.clientPublishes["busy"].Inc()
	}
}

// userPublisher is the publisher queue for all presence changes of one user.
func (s *Server) userPublisher(org, user string) chan<- publishJob {
	var h maphash.Hash
	h.SetSeed(s.presence.seed)
	h.WriteString(org)
	h.WriteByte(0)
	h.WriteString(user)
	return s.publishes[h.Sum64()%uint64(len(s.publishes))]
}

// presenceJob does a presence change's Redis work on a publisher: the
// sorted set first, then the signals, so a client that reacts to a signal
// with GET /presence sees the change.
func (s *Server) presenceJob(ctx context.Context, j publishJob) {
	org, node := j.c.org, s.presence.node
	kind := "presence.join"
	var err error
	if j.presence > 0 {
		err = s.cfg.Log.PresenceBeat(ctx, org, node, j.entries, s.cfg.PresenceTTL)
	} else {
		kind = "presence.leave"
		for _, e := range j.entries {
			err = errors.Join(err, s.cfg.Log.PresenceLeave(ctx, org, node, e))
		}
	}
	for _, e := range j.entries {
		err = errors.Join(err, s.cfg.Log.SendEphemeral(ctx, org, store.Ephemeral{Kind: kind, Service: "presence", Room: e.Room, User: e.User}))
	}
	if err != nil {
		s.metrics.redisErrors.Inc()
	}
}

// presenceBeat re-adds this node's entries every PresenceTTL/3.
func (s *Server) presenceBeat() {
	tick := time.NewTicker(s.cfg.PresenceTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		for org, entries := range s.presence.snapshot() {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
			if err := s.cfg.Log.PresenceBeat(ctx, org, s.presence.node, entries, s.cfg.PresenceTTL); err != nil {
				s.metrics.redisErrors.Inc()
			}
			cancel()
		}
	}
}

// handlePresence serves GET /v2/realtime/presence?room=R: the users present
// in room R of the token's org, on every node.
func (s *Server) handlePresence(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// Who is in the org is the org's data: a revoked token reads none of it.
	switch err := s.checkRevoked(r.Context(), &claims); err {
	case nil:
	case errRevoked:
		s.metrics.rejected(CloseUnauthorized)
		errRevokedHTTP.write(w)
		return
	default:
		writeUnavailable(w)
		return
	}
	room := r.URL.Query().Get("room")
	if room != "" && !store.ValidName(room) {
		writeError(w, http.StatusBadRequest, "bad_request", "invalid room")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RedisTimeout)
	defer cancel()
	users, err := s.cfg.Log.Presence(ctx, claims.Org, room)
	if err != nil {
		s.metrics.redisErrors.Inc()
		writeUnavailable(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room, "users": users})
}
