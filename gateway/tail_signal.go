package gateway

import (
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/store"
)

// signal fans an ephemeral signal out to this node's subscribers, encoded
// once (and only if someone is to get it). It runs on the tail's goroutine.
// A typing signal is not sent back to the typing user's own connections.
func (t *orgTail) signal(e store.Ephemeral) {
	if e.Kind == "presence.join" || e.Kind == "presence.leave" {
		// Dispatched on the kind, which only presence.Tracker.Apply sets: a client
		// may send typing for a service named "presence", and that must
		// not be taken for a presence change.
		t.presenceSignal(e)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var f *wsframe.Frame
	now := time.Now().UnixNano()
	for c := range t.subs[e.Service] {
		if c.user == e.User || !c.rooms.wants(e.Service, e.Room) || c.expiredAt(now) {
			continue
		}
		if f == nil {
			f = wsframe.New(message.Signal(e.Kind, e.Service, e.Room, e.User), -1)
		}
		c.send(f)
	}
}

// presenceSignal sends a presence change to every connection of the org
// on this node whose room filter names the room, once per connection: a
// connection sits in the subscriber set of each of its services, and gets
// the frame from the set of its presence service for the room only.
func (t *orgTail) presenceSignal(e store.Ephemeral) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var f *wsframe.Frame
	now := time.Now().UnixNano()
	for svc, set := range t.subs {
		for c := range set {
			if c.rooms.presenceService(e.Room) != svc || c.expiredAt(now) {
				continue
			}
			if f == nil {
				f = wsframe.New(message.Presence(e.Room, e.User, e.Kind == "presence.join"), -1)
			}
			c.send(f)
		}
	}
}
