package gateway

import (
	"github.com/rtgw/realtime/gateway/fallback"
	"github.com/rtgw/realtime/store"
)

// recentSize bounds the per-org ring of recent events that long-poll and SSE
// clients read from, so a waiting fallback client costs no Redis read when
// an event arrives. A client further behind reads the log instead.
const recentSize = 256

// recentRing is the last recentSize events of an org, in seq order. It
// exists only for orgs that have had a fallback client on this node, so
// WebSocket-only orgs pay nothing for it. Methods are nil-safe. Caller holds
// orgTail.mu.
type recentRing struct {
	evs  [recentSize]store.Event
	next int // slot of the next add
	n    int
}

func (r *recentRing) add(batch []store.Event) {
	if r == nil {
		return
	}
	for _, ev := range batch {
		r.evs[r.next] = ev
		r.next = (r.next + 1) % recentSize
		r.n = min(r.n+1, recentSize)
	}
}

func (r *recentRing) reset() {
	if r != nil {
		*r = recentRing{}
	}
}

// after appends to dst the events with seq > pos, up to limit, and reports
// whether the ring covered pos+1 (false: the caller must read the log).
func (r *recentRing) after(pos int64, limit int, dst []store.Event) ([]store.Event, bool) {
	if r == nil || r.n == 0 {
		return dst, false
	}
	oldest := (r.next - r.n + recentSize) % recentSize
	first := r.evs[oldest].Seq
	if pos+1 < first {
		return dst, false
	}
	for i := int(pos + 1 - first); i < r.n && len(dst) < limit; i++ {
		dst = append(dst, r.evs[(oldest+i)%recentSize])
	}
	return dst, true
}

// wakeLocked releases every fallback client waiting for the tail to move.
func (t *orgTail) wakeLocked() {
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
}

// view returns the events after pos held in memory, and a channel closed
// when the tail next moves. It switches the ring on for this org.
func (t *orgTail) view(pos int64, limit int) fallback.View {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.recent == nil {
		t.recent = &recentRing{}
	}
	if t.changed == nil {
		t.changed = make(chan struct{})
	}
	v := fallback.View{Epoch: t.epoch, Seq: t.seq, Changed: t.changed}
	if pos >= t.seq {
		v.Covered = true
		return v
	}
	v.Events, v.Covered = t.recent.after(pos, limit, nil)
	return v
}
