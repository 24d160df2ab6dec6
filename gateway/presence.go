package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rtgw/realtime/internal/auth"
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

// presenceCounts is this node's presence, by org. Caller holds mu.
type presenceCounts struct {
	node   string
	mu     sync.Mutex
	counts map[string]map[store.PresenceEntry]int
}

func newPresenceCounts() *presenceCounts {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &presenceCounts{node: hex.EncodeToString(b), counts: make(map[string]map[store.PresenceEntry]int)}
}

// add counts entries in; it returns those that became present.
func (p *presenceCounts) add(org string, entries []store.PresenceEntry, delta int) []store.PresenceEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.counts[org]
	if m == nil {
		m = make(map[store.PresenceEntry]int)
		p.counts[org] = m
	}
	var changed []store.PresenceEntry
	for _, e := range entries {
		before := m[e]
		m[e] = before + delta
		if m[e] <= 0 {
			delete(m, e)
		}
		if (before == 0) != (m[e] == 0) {
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

// presenceChange records c's arrival (delta 1) or departure (-1) and
// announces rooms that gained or lost their first or last connection of
// the user. Redis work goes through c's publisher.
func (s *Server) presenceChange(c *conn, delta int) {
	changed := s.presence.add(c.org, c.presenceEntries(), delta)
	kind := "presence.join"
	if delta < 0 {
		kind = "presence.leave"
	}
	for _, e := range changed {
		job := publishJob{c: c, eph: &store.Ephemeral{Kind: kind, Service: "presence", Room: e.Room, User: e.User}, presence: delta}
		select {
		case c.publishQueue() <- job:
		default:
			s.metrics.clientPublishes["busy"].Inc()
		}
	}
}

// presenceJob does a presence job's Redis work on a publisher.
func (s *Server) presenceJob(ctx context.Context, j publishJob) {
	e := store.PresenceEntry{Room: j.eph.Room, User: j.eph.User}
	var err error
	if j.presence > 0 {
		err = s.cfg.Log.PresenceBeat(ctx, j.c.org, s.presence.node, []store.PresenceEntry{e}, s.cfg.PresenceTTL)
	} else {
		err = s.cfg.Log.PresenceLeave(ctx, j.c.org, s.presence.node, e)
	}
	if err == nil {
		err = s.cfg.Log.SendEphemeral(ctx, j.c.org, *j.eph)
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
	claims, err := s.cfg.Verifier.Verify(bearerToken(r))
	if err != nil {
		writeError(w, http.StatusUnauthorized, CloseUnauthorized.String(), auth.Reason(err))
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
		writeUnavailable(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"room": room, "users": users})
}

// presenceFrame is the payload of a presence signal.
func presenceFrame(e store.Ephemeral) []byte {
	verb := "join"
	if e.Kind == "presence.leave" {
		verb = "leave"
	}
	return []byte(`{"type":"presence","room":` + strconv.Quote(e.Room) + `,"` + verb + `":` + strconv.Quote(e.User) + `}`)
}
