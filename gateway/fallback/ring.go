package fallback

import "github.com/rtgw/realtime/store"

// ringSize bounds the per-org ring of recent events that long-poll and SSE
// clients read from, so a waiting fallback client costs no Redis read when
// an event arrives. A client further behind reads the log instead.
const ringSize = 256

// Ring is the last ringSize events of an org, in seq order: the org tail
// holds one only for orgs that have had a fallback client on this node, so
// WebSocket-only orgs pay nothing for it, fills it in fan-out and reads it
// for View. Methods are nil-safe; the tail serialises them (orgTail.mu).
type Ring struct {
	evs  [ringSize]store.Event
	next int // slot of the next add
	n    int
}

// Add appends a fan-out batch, overwriting the oldest events.
func (r *Ring) Add(batch []store.Event) {
	if r == nil {
		return
	}
	for _, ev := range batch {
		r.evs[r.next] = ev
		r.next = (r.next + 1) % ringSize
		r.n = min(r.n+1, ringSize)
	}
}

// Reset empties the ring (the log was reset or the tail restarted).
func (r *Ring) Reset() {
	if r != nil {
		*r = Ring{}
	}
}

// After appends to dst the events with seq > pos, up to limit, and reports
// whether the ring covered pos+1 (false: the caller must read the log).
func (r *Ring) After(pos int64, limit int, dst []store.Event) ([]store.Event, bool) {
	if r == nil || r.n == 0 {
		return dst, false
	}
	oldest := (r.next - r.n + ringSize) % ringSize
	first := r.evs[oldest].Seq
	if pos+1 < first {
		return dst, false
	}
	for i := int(pos + 1 - first); i < r.n && len(dst) < limit; i++ {
		dst = append(dst, r.evs[(oldest+i)%ringSize])
	}
	return dst, true
}
