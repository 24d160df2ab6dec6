package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"net/http"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// Store is the cluster-wide presence and the signals that announce its
// changes: package store's Log satisfies it.
type Store interface {
	PresenceBeat(ctx context.Context, org, node string, entries []store.PresenceEntry, ttl time.Duration) error
	PresenceLeave(ctx context.Context, org, node string, e store.PresenceEntry) error
	Presence(ctx context.Context, org, room string) ([]string, error)
	SendEphemeral(ctx context.Context, org string, e store.Ephemeral) error
}

// Config is what New needs; every field is required.
type Config struct {
	Store Store
	// TTL is how long an entry lives in Redis without a beat; the beat
	// runs every TTL/3.
	TTL time.Duration
	// Timeout bounds each beat's Redis round trip and the GET's.
	Timeout time.Duration
	// RedisErrors counts failed Redis calls (realtime_redis_errors_total).
	RedisErrors *metrics.Counter
	// Authenticate verifies the GET's token (and that it is not revoked); on
	// false it has answered.
	Authenticate func(w http.ResponseWriter, r *http.Request) (auth.Claims, bool)
}

// Tracker is this node's presence, by org.
type Tracker struct {
	cfg  Config
	node string
	seed maphash.Seed // picks a user's publisher
	mu   sync.Mutex
	// counts: connections per entry, by org; caller holds mu.
	counts map[string]map[store.PresenceEntry]int
}

// New returns a Tracker with a random node id.
func New(cfg Config) *Tracker {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Tracker{cfg: cfg, node: hex.EncodeToString(b), seed: maphash.MakeSeed(), counts: make(map[string]map[store.PresenceEntry]int)}
}

// Change counts entries of org in (delta 1) or out (-1), and calls send,
// under the tracker's lock, with those that gained their first or lost
// their last connection (not at all when none did). Calling send under the
// lock is the point: when every change of one user goes to the same queue
// (Pick), Redis sees a user's joins and leaves in the order they were
// counted, so a reconnect's join cannot overtake the previous connection's
// leave and leave the user announced as gone. send must not block.
func (t *Tracker) Change(org string, entries []store.PresenceEntry, delta int, send func(changed []store.PresenceEntry)) {
	if len(entries) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if changed := t.addLocked(org, entries, delta); len(changed) > 0 {
		send(changed)
	}
}

// addLocked counts entries in (delta 1) or out (-1); it returns those that
// gained their first or lost their last connection. Caller holds t.mu.
func (t *Tracker) addLocked(org string, entries []store.PresenceEntry, delta int) []store.PresenceEntry {
	m := t.counts[org]
	if m == nil {
		m = make(map[store.PresenceEntry]int)
		t.counts[org] = m
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
		delete(t.counts, org)
	}
	return changed
}

// Pick spreads users over n queues, always the same one for a user.
func (t *Tracker) Pick(org, user string, n int) int {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(org)
	h.WriteByte(0)
	h.WriteString(user)
	return int(h.Sum64() % uint64(n))
}

// Apply does a change's Redis work, on the queue Change sent it to: the
// sorted set first, then the signals, so a client that reacts to a signal
// with GET /presence sees the change.
func (t *Tracker) Apply(ctx context.Context, org string, entries []store.PresenceEntry, delta int) {
	kind := "presence.join"
	var err error
	if delta > 0 {
		err = t.cfg.Store.PresenceBeat(ctx, org, t.node, entries, t.cfg.TTL)
	} else {
		kind = "presence.leave"
		for _, e := range entries {
			err = errors.Join(err, t.cfg.Store.PresenceLeave(ctx, org, t.node, e))
		}
	}
	for _, e := range entries {
		err = errors.Join(err, t.cfg.Store.SendEphemeral(ctx, org, store.Ephemeral{Kind: kind, Service: "presence", Room: e.Room, User: e.User}))
	}
	if err != nil {
		t.cfg.RedisErrors.Inc()
	}
}

func (t *Tracker) snapshot() map[string][]store.PresenceEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string][]store.PresenceEntry, len(t.counts))
	for org, m := range t.counts {
		for e := range m {
			out[org] = append(out[org], e)
		}
	}
	return out
}

// Beat re-adds this node's entries every TTL/3 until stop closes. The
// caller owns the goroutine.
func (t *Tracker) Beat(stop <-chan struct{}) {
	tick := time.NewTicker(t.cfg.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for org, entries := range t.snapshot() {
			ctx, cancel := context.WithTimeout(context.Background(), t.cfg.Timeout)
			if err := t.cfg.Store.PresenceBeat(ctx, org, t.node, entries, t.cfg.TTL); err != nil {
				t.cfg.RedisErrors.Inc()
			}
			cancel()
		}
	}
}
