package gateway

import (
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/store"
)

// fanout delivers a contiguous batch (first seq = tail.seq+1) to the org's
// subscribers on this node. Each run of consecutive events of one service
// and one room (roomOf) is encoded — and compressed — once; every
// subscriber whose room filter wants it gets a pointer to the same frame.
// Runs also break at pending joins' positions so that a joining connection
// is promoted exactly at its resume point.
//
// The tail's lock is held throughout: joins wait for a batch to finish,
// which is what makes "replay up to seq, then live from seq+1" seamless.
func (t *orgTail) fanout(batch []store.Event) {
	if len(batch) == 0 {
		return
	}
	for i := range batch {
		sanitizeEvent(&batch[i])
	}
	maxBytes := t.env.maxFrameBytes()
	t.mu.Lock()
	defer t.mu.Unlock()
	var run frameRun
	start := 0
	for i, ev := range batch {
		room := roomOf(ev.Data) // once per event
		if run.n > 0 && (!run.fits(ev, room, maxBytes) || t.pendingAtLocked(ev.Seq-1)) {
			t.emitLocked(batch[start:i], run.room)
			start, run = i, frameRun{}
		}
		run.add(ev, room)
	}
	t.emitLocked(batch[start:], run.room)
	t.promoteLocked()
	t.recent.Add(batch)
	t.wakeLocked()
}

// emitLocked encodes one run once — and only if a subscriber of its
// service wants its room — and queues it on every such subscriber whose
// token has not run out (one atomic load and compare each; token.go).
func (t *orgTail) emitLocked(run []store.Event, room string) {
	env := t.env
	t.promoteLocked()
	service := run[0].Service
	var f *wsframe.Frame
	sent := 0
	var now int64 // read once per frame, only if someone wants it
	for c := range t.subs[service] {
		if !c.rooms.wants(service, room) {
			continue
		}
		if now == 0 {
			now = time.Now().UnixNano()
		}
		if c.expiredAt(now) { // its token ran out: 4002, and not this event
			continue
		}
		if f == nil {
			t.buf = message.AppendEvents(t.buf[:0], run)
			f = wsframe.New(t.buf, env.cfg.CompressThreshold)
			f.Track(run[len(run)-1].TS, env.metrics)
			if f.Compressed() {
				env.metrics.compressed.Inc()
			}
		}
		c.send(f)
		sent++
	}
	env.metrics.delivered.Add(sent * len(run))
	t.seq = run[len(run)-1].Seq
}

// pendingAtLocked reports whether a pending join resumes at pos, where a
// frame must therefore end.
func (t *orgTail) pendingAtLocked(pos int64) bool {
	for _, p := range t.pending {
		if p.pos == pos {
			return true
		}
	}
	return false
}

// promoteLocked moves pending joins whose position the tail has reached
// into the subscriber sets.
func (t *orgTail) promoteLocked() {
	if len(t.pending) == 0 {
		return
	}
	kept := t.pending[:0]
	for _, p := range t.pending {
		switch {
		case p.pos == t.seq:
			t.addSubscriberLocked(p.c, p.services)
		case p.pos < t.seq:
			// Cannot happen while runs break at pending positions; if it
			// ever does, the client resyncs rather than missing events.
			p.c.closeWith(disconnect(CloseInternalError, "lost resume position"))
		default:
			kept = append(kept, p)
		}
	}
	for i := len(kept); i < len(t.pending); i++ {
		t.pending[i] = pendingSub{}
	}
	t.pending = kept
}
