package gateway

import (
	"encoding/json"
	"strconv"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// handshake is the client's first message:
//
//	{"services":["finance","guest"],"version":1,"lastSeq":12,"epoch":"…"}
//
// Unknown fields are ignored so that older and newer clients interoperate;
// the org is never read from here — it comes from the token.
type handshake struct {
	Services []string            `json:"services"`
	Version  int                 `json:"version"`
	LastSeq  *int64              `json:"lastSeq"`
	Epoch    string              `json:"epoch"`
	Rooms    map[string][]string `json:"rooms"` // optional: per service, receive only these rooms
	OptIn    bool                `json:"optIn"` // optional: asks to be let in (rollout field "optin")
}

// parseHandshake validates the first message. Errors are Disconnects with
// the close code the protocol assigns.
func parseHandshake(msg []byte, maxServices int) (handshake, error) {
	var h handshake
	if err := json.Unmarshal(msg, &h); err != nil {
		return h, disconnect(CloseBadHandshake, "handshake is not valid JSON: "+message.JSONProblem(err))
	}
	return checkHandshake(h, maxServices)
}

// checkHandshake validates a handshake however it arrived (WebSocket message
// or fallback query).
func checkHandshake(h handshake, maxServices int) (handshake, error) {
	if len(h.Services) == 0 {
		return h, disconnect(CloseBadHandshake, "handshake needs a non-empty services array")
	}
	if len(h.Services) > maxServices {
		return h, disconnect(CloseBadHandshake, "too many services (max "+strconv.Itoa(maxServices)+")")
	}
	for _, s := range h.Services {
		if !store.ValidName(s) {
			return h, disconnect(CloseBadHandshake, "invalid service name")
		}
	}
	if h.Version > 1 {
		return h, disconnect(CloseBadHandshake, "unsupported protocol version "+strconv.Itoa(h.Version))
	}
	if h.LastSeq != nil && *h.LastSeq < 0 {
		return h, disconnect(CloseBadHandshake, "lastSeq must not be negative")
	}
	if len(h.Epoch) > 64 {
		return h, disconnect(CloseBadHandshake, "epoch too long")
	}
	for svc, rooms := range h.Rooms {
		if !contains(h.Services, svc) {
			return h, disconnect(CloseBadHandshake, "rooms given for a service not subscribed")
		}
		if len(rooms) == 0 || len(rooms) > maxRooms {
			return h, disconnect(CloseBadHandshake, "rooms of a service: 1 to "+strconv.Itoa(maxRooms))
		}
		for _, r := range rooms {
			if !store.ValidName(r) {
				return h, disconnect(CloseBadHandshake, "invalid room name")
			}
		}
	}
	return h, nil
}

// maxRooms caps the rooms one handshake may name per service.
const maxRooms = 64

// clientMessage is any message after the handshake.
type clientMessage struct {
	Type string `json:"type"`
}
