package gateway

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

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
		return h, disconnect(CloseBadHandshake, "handshake is not valid JSON: "+jsonProblem(err))
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

// jsonProblem describes a decode error without echoing client input.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at offset " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + strconv.Quote(e.Field) + " has the wrong type"
	}
	return "cannot decode"
}

// clientMessage is any message after the handshake.
type clientMessage struct {
	Type string `json:"type"`
}

const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, rfc3339Milli)
}

// appendEvents appends an event frame's payload for evs, which must be
// consecutive events of one service:
//
//	{"type":"event","service":"finance","seq":N,"events":[{"seq":n,"type":"…","data":…,"ts":"…"}]}
//
// Service and type are validated at publish time to a charset that needs no
// JSON escaping; data is valid JSON (see eventData).
func appendEvents(b []byte, evs []store.Event) []byte {
	last := evs[len(evs)-1]
	b = append(b, `{"type":"event","service":"`...)
	b = append(b, last.Service...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, last.Seq, 10)
	b = append(b, `,"events":[`...)
	for i, ev := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"seq":`...)
		b = strconv.AppendInt(b, ev.Seq, 10)
		b = append(b, `,"type":"`...)
		b = append(b, ev.Type...)
		b = append(b, `","data":`...)
		b = append(b, ev.Data...)
		b = append(b, `,"ts":"`...)
		b = appendTime(b, time.UnixMilli(ev.TS))
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// sanitizeEvent makes an event safe to splice into a frame: data that is not
// valid JSON (possible only for events written with raw redis-cli, which
// bypasses the publish API's checks) is sent as a JSON string, and names
// outside the safe charset are quoted away. It runs once per event, not per
// connection.
func sanitizeEvent(ev *store.Event) {
	if !json.Valid(ev.Data) {
		ev.Data, _ = json.Marshal(string(ev.Data))
	}
	if !store.ValidName(ev.Service) {
		ev.Service = "invalid"
	}
	if !store.ValidName(ev.Type) {
		ev.Type = "invalid"
	}
}

type ackMessage struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Epoch     string `json:"epoch"`
	Recovered *bool  `json:"recovered,omitempty"`
	Timestamp string `json:"timestamp"`
}

func ackPayload(seq int64, epoch string, recovered *bool, now time.Time) []byte {
	b, _ := json.Marshal(ackMessage{
		Type: "ack", Seq: seq, Epoch: epoch, Recovered: recovered,
		Timestamp: string(appendTime(nil, now)),
	})
	return b
}

type errorMessage struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorPayload(code, msg string) []byte {
	b, _ := json.Marshal(errorMessage{Type: "error", Code: code, Message: msg})
	return b
}

func pingPayload(now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"ping","timestamp":"`)
	b.Write(appendTime(nil, now))
	b.WriteString(`"}`)
	return b.Bytes()
}
