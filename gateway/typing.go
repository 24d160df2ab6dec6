package gateway

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/rtgw/realtime/store"
)

// Typing indicators: a client sends {"type":"typing","service":"chat",
// "room":"frontdesk"}; every connection of the org subscribed to that
// service (and room) on every node gets {"type":"typing","service","room",
// "user"}. They ride Redis pub/sub, not the log: no seq, never replayed,
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
	if !c.claims.MayPublish(m.Service) {
		c.sendError("publish_not_allowed", "the token may not publish to "+m.Service)
		return
	}
	now := time.Now()
	key := m.Service + "\x00" + m.Room
	if last, ok := c.typed[key]; ok && now.Sub(last) < typingEvery {
		return
	}
	if c.typed == nil {
		c.typed = make(map[string]time.Time)
	}
	if len(c.typed) > maxRooms { // bounded: forget old rooms
		clear(c.typed)
	}
	c.typed[key] = now
	e := store.Ephemeral{Kind: "typing", Service: m.Service, Room: m.Room, User: c.user}
	select {
	case c.publishQueue() <- publishJob{c: c, eph: &e}:
	default: // busy node: a typing signal is not worth a queue
	}
}

// signal fans an ephemeral signal out to this node's subscribers, encoded
// once. It runs on the tail's goroutine.
func (t *orgTail) signal(e store.Ephemeral) {
	if e.Service == "presence" {
		t.presenceSignal(e)
		return
	}
	payload := []byte(`{"type":` + strconv.Quote(e.Kind) + `,"service":` + strconv.Quote(e.Service) +
		`,"room":` + strconv.Quote(e.Room) + `,"user":` + strconv.Quote(e.User) + `}`)
	f := newFrame(payload, -1)
	f.room = e.Room
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.subs[e.Service] {
		if c.rooms.wants(e.Service, e.Room) {
			c.send(f)
		}
	}
}

// presenceSignal sends a presence change to every connection of the org
// on this node whose room filter names the room, once per connection.
func (t *orgTail) presenceSignal(e store.Ephemeral) {
	f := newFrame(presenceFrame(e), -1)
	t.mu.Lock()
	defer t.mu.Unlock()
	sent := map[*conn]bool{}
	for _, set := range t.subs {
		for c := range set {
			if sent[c] || !c.inRoom(e.Room) {
				continue
			}
			sent[c] = true
			c.send(f)
		}
	}
}
