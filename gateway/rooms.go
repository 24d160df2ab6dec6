package gateway

import (
	"bytes"
	"encoding/json"
)

// Rooms narrow a service to some of its rooms: a handshake may carry
// "rooms":{"chat":["frontdesk"]} to receive only those rooms of "chat". An
// event's room is the "room" field of its data object (client publishes
// are stored as {"room","user","id","data"}); events with no room reach
// only connections with no room filter for their service.

// roomSet is a connection's filter: service → rooms. Nil: no filter. Set
// on the reader before the connection joins, read-only afterwards.
type roomSet map[string]map[string]bool

func newRoomSet(h map[string][]string) roomSet {
	if len(h) == 0 {
		return nil
	}
	rs := make(roomSet, len(h))
	for svc, rooms := range h {
		set := make(map[string]bool, len(rooms))
		for _, r := range rooms {
			set[r] = true
		}
		rs[svc] = set
	}
	return rs
}

// wants reports whether a frame of service in room passes the filter.
// It runs per connection per frame in fan-out: two map reads, no
// allocation.
func (rs roomSet) wants(service, room string) bool {
	if rs == nil {
		return true
	}
	set := rs[service]
	return set == nil || set[room]
}

var roomKey = []byte(`"room"`)

// roomOf extracts an event's room, once per event (not per connection).
func roomOf(data []byte) string {
	if len(data) == 0 || data[0] != '{' || !bytes.Contains(data, roomKey) {
		return ""
	}
	var v struct {
		Room string `json:"room"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return v.Room
}

// presenceService returns the service through which a connection with
// this filter takes part in room's presence: the first, by name, whose
// filter names the room; "" when none does. Fan-out of a presence signal
// sends from that service's subscriber set only, so a connection that
// names the room under several services gets it once, with no set to
// dedupe against.
func (rs roomSet) presenceService(room string) string {
	best := ""
	for svc, rooms := range rs {
		if rooms[room] && (best == "" || svc < best) {
			best = svc
		}
	}
	return best
}
