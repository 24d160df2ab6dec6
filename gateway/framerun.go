package gateway

import "github.com/rtgw/realtime/store"

// maxEventsPerFrame bounds how many events one frame batches, so one frame
// (and the time to write it) stays small even in a burst.
const maxEventsPerFrame = 64

// frameRun is the run of events being gathered into one frame. Its
// service, room and size are kept as events are added, so deciding where a
// frame ends costs O(1) per event. A single event larger than maxBytes
// still travels, alone in its frame.
type frameRun struct {
	service, room string
	n, bytes      int
}

// fits reports whether ev (in room) may join the run: same service and
// room, under the event count and the byte bound.
func (r *frameRun) fits(ev store.Event, room string, maxBytes int) bool {
	return ev.Service == r.service && room == r.room && r.n < maxEventsPerFrame &&
		r.bytes+len(ev.Data)+eventEnvelope <= maxBytes
}

func (r *frameRun) add(ev store.Event, room string) {
	if r.n == 0 {
		r.service, r.room = ev.Service, room
	}
	r.n++
	r.bytes += len(ev.Data) + eventEnvelope
}

// eventEnvelope bounds the JSON around one event's data in a frame (seq,
// type, ts, punctuation).
const eventEnvelope = 128

// maxFrameBytes bounds one frame, so that every frame fits a connection's
// outbound queue several times over: a frame larger than the cap would
// close every subscriber as a slow consumer.
func maxFrameBytes(cfg *Config) int { return cfg.OutboundQueueBytes / 4 }
