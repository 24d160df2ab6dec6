package gateway

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/rtgw/realtime/store"
)

// Typing indicators: a client sends {"type":"typing","service":"chat",
// "room":"frontdesk"}; every connection of the org subscribed to that
// service (and room) on every node, except the sender's user's own, gets
// {"type":"typing","service","room","user"}. They ride Redis pub/sub, not the log: no seq, never replayed,
// at most once. A connection may send one per typingEvery per room; the
// rest are dropped silently (the client just keeps typing).

// typingEvery throttles one connection's typing signals.
const typingEvery = 2 * time.Second

// typingMsg is a typing message from a client.
type typingMsg struct {
	Service string `json:"service"`
	Room    string `json:"room"`
}

// typing handles a client's typing message on the reader.
func (c *conn) typing(msg []byte) {
	var m typingMsg
	if err := json.Unmarshal(msg, &m); err != nil || !store.ValidName(m.Service) || (m.Room != "" && !store.ValidName(m.Room)) {
		c.sendError("bad_typing", "typing needs a valid service and optional room")
		return
	}
	if !c.token().MayPublish(m.Service) {
		c.sendError("publish_not_allowed", "the token may not publish to "+m.Service)
		return
	}
	if !c.mayType(m.Service+"\x00"+m.Room, time.Now()) {
		return
	}
	e := store.Ephemeral{Kind: "typing", Service: m.Service, Room: m.Room, User: c.user}
	select {
	case c.publisher() <- publishJob{c: c, eph: &e}:
	default: // busy node: a typing signal is not worth a queue
	}
}

// mayType applies the throttle: one signal per typingEvery per service and
// room. The map holds at most maxRooms keys; when it is full of fresh ones
// the signal is dropped, so cycling through room names cannot turn typing
// into an unthrottled stream of Redis PUBLISHes (at most maxRooms per
// typingEvery per connection).
func (c *conn) mayType(key string, now time.Time) bool {
	if last, ok := c.typed[key]; ok && now.Sub(last) < typingEvery {
		return false
	}
	if c.typed == nil {
		c.typed = make(map[string]time.Time)
	}
	if len(c.typed) >= maxRooms {
		maps.DeleteFunc(c.typed, func(_ string, last time.Time) bool { return now.Sub(last) >= typingEvery })
		if len(c.typed) >= maxRooms {
			return false
		}
	}
	c.typed[key] = now
	return true
}
