package gateway

import (
	"github.com/rtgw/realtime/gateway/fallback"
)

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
		t.recent = &fallback.Ring{}
	}
	if t.changed == nil {
		t.changed = make(chan struct{})
	}
	v := fallback.View{Epoch: t.epoch, Seq: t.seq, Changed: t.changed}
	if pos >= t.seq {
		v.Covered = true
		return v
	}
	v.Events, v.Covered = t.recent.After(pos, limit, nil)
	return v
}
