package gateway

import (
	"sync"

	"github.com/rtgw/realtime/store"
)

// hub is the node's registry of org tails: one tail (one goroutine) per org
// that has at least one connection on this node, whatever the number of
// connections. It routes the event log's notifications to the right tail.
type hub struct {
	env           *tailEnv
	spawn         func(func()) // runs a goroutine the server waits for at shutdown
	mu            sync.RWMutex
	tails         map[string]*orgTail      // caller holds mu
	unsubscribing map[string]chan struct{} // org → closed when its UNSUBSCRIBE is sent; caller holds mu
}

func newHub(env *tailEnv, spawn func(func())) *hub {
	return &hub{env: env, spawn: spawn, tails: make(map[string]*orgTail), unsubscribing: make(map[string]chan struct{})}
}

// acquire returns the org's tail, starting it if needed, with a reference
// held for the caller (released by leave or release).
func (h *hub) acquire(org string) *orgTail {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tails[org]
	if t == nil {
		t = newOrgTail(h, org)
		t.after = h.unsubscribing[org]
		h.tails[org] = t
		h.env.metrics.tails.Inc()
		h.spawn(t.run)
	}
	t.mu.Lock()
	t.refs++
	t.mu.Unlock()
	return t
}

// remove forgets t if it still has no references; the tail then exits.
func (h *hub) remove(t *orgTail) bool {
	// Cheap check first: most ticks of a busy tail end here, without the
	// hub's write lock.
	t.mu.Lock()
	idle := t.refs == 0 && t.idleLongEnoughLocked()
	t.mu.Unlock()
	if !idle {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.refs > 0 || !t.idleLongEnoughLocked() {
		return false
	}
	t.stopped = true
	delete(h.tails, t.org)
	h.env.metrics.tails.Dec()
	// The UNSUBSCRIBE is a network write (a dial, while Redis is down), so
	// it runs without the hub's lock. A tail acquired for the same org in
	// the meantime waits for it (unsubscribing) before its own SUBSCRIBE,
	// or the two could cross and leave the new tail deaf.
	done := make(chan struct{})
	h.unsubscribing[t.org] = done
	h.spawn(func() {
		_ = h.env.feed.Unsubscribe(t.org)
		h.mu.Lock()
		// Only our own entry: a later tail of the org may have been
		// removed meanwhile and registered its own UNSUBSCRIBE here.
		if h.unsubscribing[t.org] == done {
			delete(h.unsubscribing, t.org)
		}
		h.mu.Unlock()
		close(done)
	})
	return true
}

func (h *hub) lookup(org string) *orgTail {
	h.mu.RLock()
	t := h.tails[org]
	h.mu.RUnlock()
	return t
}

// onEvent is the feed's callback. It must not block: a tail whose inbox is
// full is told to catch up from the log instead, so the event is read back
// from Redis rather than lost.
func (h *hub) onEvent(org, epoch string, ev store.Event) {
	t := h.lookup(org)
	if t == nil {
		return
	}
	select {
	case t.inbox <- notification{epoch: epoch, ev: ev}:
	default:
		h.env.metrics.inboxOverflows.Inc()
		t.poke()
	}
}

// onSubscribed is the feed's callback for a confirmed (re)subscription:
// events published while the subscription was down are read from the log.
func (h *hub) onSubscribed(org string) {
	if t := h.lookup(org); t != nil {
		select {
		case t.subscribed <- struct{}{}:
		default:
		}
		t.poke()
	}
}

func (h *hub) stats() (orgs int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.tails)
}

// onEphemeral is the feed's callback for signals such as typing: queued on
// the org's tail like a notification (so fan-out never runs on the feed's
// goroutine), dropped when the tail's inbox is full — signals are at most
// once by design.
func (h *hub) onEphemeral(org string, e store.Ephemeral) {
	t := h.lookup(org)
	if t == nil {
		return
	}
	select {
	case t.inbox <- notification{eph: &e}:
	default:
		h.env.metrics.inboxOverflows.Inc()
	}
}
