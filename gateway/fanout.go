package gateway

import "github.com/rtgw/realtime/store"

// maxEventsPerFrame bounds how many events one frame batches, so one frame
// (and the time to write it) stays small even in a burst.
const maxEventsPerFrame = 64

// fanout delivers a contiguous batch (first seq = tail.seq+1) to the org's
// subscribers on this node. Each run of consecutive same-service events is
// encoded — and compressed — once; every subscriber gets a pointer to the
// same frame. Runs also break at pending joins' positions so that a joining
// connection is promoted exactly at its resume point.
//
// The tail's lock is held throughout: joins wait for a batch to finish,
// which is what makes "replay up to seq, then live from seq+1" seamless.
func (t *orgTail) fanout(batch []store.Event) {
	if len(batch) == 0 {
		return
	}
	s := t.h.s
	for i := range batch {
		sanitizeEvent(&batch[i])
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	start := 0
	for i := 1; i <= len(batch); i++ {
		if i < len(batch) && !t.runBreakLocked(batch[start:i], batch[i]) {
			continue
		}
		run := batch[start:i]
		start = i
		t.promoteLocked()
		set := t.subs[run[0].Service]
		if len(set) > 0 {
			t.buf = appendEvents(t.buf[:0], run)
			f := newFrame(t.buf, s.cfg.CompressThreshold)
			f.ts, f.metrics, f.room = run[len(run)-1].TS, s.metrics, roomOf(run[0].Data)
			if f.deflated != nil {
				s.metrics.compressed.Inc()
			}
			for c := range set {
				if c.rooms.wants(run[0].Service, f.room) {
					c.send(f)
				}
			}
			s.metrics.delivered.Add(len(set) * len(run))
		}
		t.seq = run[len(run)-1].Seq
	}
	t.promoteLocked()
	t.recent.add(batch)
	t.wakeLocked()
}

func (t *orgTail) runBreakLocked(run []store.Event, next store.Event) bool {
	if breakRun(run, next, t.h.s.maxFrameBytes()) {
		return true
	}
	for _, p := range t.pending {
		if p.pos == next.Seq-1 {
			return true
		}
	}
	return false
}

// breakRun reports whether next must start a new frame: another service, a
// full frame (count), or a frame that would pass maxBytes. A single event
// larger than maxBytes still travels, alone in its frame.
func breakRun(run []store.Event, next store.Event, maxBytes int) bool {
	if next.Service != run[0].Service || len(run) >= maxEventsPerFrame {
		return true
	}
	if roomOf(next.Data) != roomOf(run[0].Data) {
		return true
	}
	size := len(next.Data) + eventEnvelope
	for i := range run {
		size += len(run[i].Data) + eventEnvelope
	}
	return size > maxBytes
}

// eventEnvelope bounds the JSON around one event's data in a frame (seq,
// type, ts, punctuation).
const eventEnvelope = 128

// maxFrameBytes bounds one frame, so that every frame fits a connection's
// outbound queue several times over: a frame larger than the cap would
// close every subscriber as a slow consumer.
func (s *Server) maxFrameBytes() int { return s.cfg.OutboundQueueBytes / 4 }

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
			t.subscribeLocked(p.c, p.services)
		case p.pos < t.seq:
			// Cannot happen while runs break at pending positions; if it
			// ever does, the client resyncs rather than missing events.
			p.c.closeWith(disconnect(CloseInternalError, "lost resume position"))
		default:
			kept = append(kept, p)
		}
	}
	for i := len(kept); i < len(t.pending); i++ {
		t.pending[i] = pendingJoin{}
	}
	t.pending = kept
}
