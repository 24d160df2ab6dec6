// Package message builds every message the gateway sends to a client:
// one builder per message type, all in this file, each pinned to its exact
// bytes by a golden test (message_test.go). docs/PROTOCOL.md is the
// contract; change a builder only together with it.
//
// Names that the publish path validates (services, types, rooms, users
// taken from tokens) are spliced in with strconv.Quote, which is valid
// JSON for them; free text (error messages, epochs, ids) goes through
// encoding/json.
package message

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/rtgw/realtime/store"
)

// rfc3339Milli is the timestamp format of every message.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// AppendTime appends t in UTC with millisecond precision.
func AppendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, rfc3339Milli)
}

// ack answers a handshake.
type ack struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Epoch     string `json:"epoch"`
	Recovered *bool  `json:"recovered,omitempty"`
	Exp       int64  `json:"exp"`
	Timestamp string `json:"timestamp"`
}

// Ack is {"type":"ack","seq","epoch","recovered"?,"exp","timestamp"};
// recovered is omitted when the client sent no lastSeq. exp is the
// token's expiry (a JWT NumericDate, seconds), so a client can plan its
// in-band refresh without decoding the token.
func Ack(seq int64, epoch string, recovered *bool, exp int64, now time.Time) []byte {
	b, _ := json.Marshal(ack{Type: "ack", Seq: seq, Epoch: epoch, Recovered: recovered,
		Exp: exp, Timestamp: string(AppendTime(nil, now))})
	return b
}

// Refreshed answers an in-band token refresh: {"type":"refreshed","exp":N},
// N the new token's expiry in seconds.
func Refreshed(exp int64) []byte {
	b := append([]byte(`{"type":"refreshed","exp":`), strconv.FormatInt(exp, 10)...)
	return append(b, '}')
}

// AppendEvents appends an event message for evs, which must be consecutive
// events of one service:
//
//	{"type":"event","service":"finance","seq":N,"events":[{"seq":n,"type":"…","data":…,"ts":"…"}]}
//
// Service and type are validated at publish time to a charset that needs
// no JSON escaping, and data is valid JSON (the gateway sanitizes events
// written around the publish API before they get here). It appends into
// b so that fan-out reuses one buffer per org.
func AppendEvents(b []byte, evs []store.Event) []byte {
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
		b = AppendTime(b, time.UnixMilli(ev.TS))
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// AppendFlatEvent appends one event as long-poll and SSE carry it:
// {"seq":n,"service":"…","type":"…","data":…,"ts":"…"}.
func AppendFlatEvent(b []byte, ev store.Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, `,"service":"`...)
	b = append(b, ev.Service...)
	b = append(b, `","type":"`...)
	b = append(b, ev.Type...)
	b = append(b, `","data":`...)
	b = append(b, ev.Data...)
	b = append(b, `,"ts":"`...)
	b = AppendTime(b, time.UnixMilli(ev.TS))
	return append(b, `"}`...)
}

// Poll is a long-poll answer, {"events":[…],"seq":S,"epoch":"E","recovered"?}
// and a newline; seq is the position to send as lastSeq next time.
func Poll(evs []store.Event, seq int64, epoch string, recovered *bool) []byte {
	b := make([]byte, 0, 256+len(evs)*256)
	b = append(b, `{"events":[`...)
	for i, ev := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendFlatEvent(b, ev)
	}
	b = append(b, `],"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"epoch":`...)
	b = strconv.AppendQuote(b, epoch)
	if recovered != nil {
		b = append(b, `,"recovered":`...)
		b = strconv.AppendBool(b, *recovered)
	}
	return append(b, "}\n"...)
}

// Resync tells an SSE client that its position is void: {"type":"resync","epoch"}.
func Resync(epoch string) []byte {
	return []byte(`{"type":"resync","epoch":` + strconv.Quote(epoch) + `}`)
}

// Problem is an error message, {"type":"error","code","message"}, plus,
// when set, what it is about: the client's id for the message it answers,
// an upload and the offset that upload must continue from. It is also the
// JSON body of every HTTP error.
type Problem struct {
	Type     string `json:"type"` // "error"; Bytes sets it
	Code     string `json:"code"`
	Message  string `json:"message"`
	UploadID string `json:"uploadId,omitempty"`
	Offset   *int64 `json:"offset,omitempty"`
	ID       string `json:"id,omitempty"`
}

// Bytes is the message's JSON.
func (p Problem) Bytes() []byte {
	p.Type = "error"
	b, _ := json.Marshal(p)
	return b
}

// Error is the error message with no ids.
func Error(code, msg string) []byte { return Problem{Code: code, Message: msg}.Bytes() }

// Fallback is sent instead of the ack to a client outside the rollout,
// before close 4010. "reason" is the contract existing clients read;
// "detail" says which rule applied.
func Fallback(detail string) []byte {
	return []byte(`{"type":"fallback","transport":"longpoll","reason":"rollout","detail":` +
		strconv.Quote(detail) + `,"url":"/v2/realtime/poll"}`)
}

// Ping is the JSON ping sent with every WebSocket ping: {"type":"ping","timestamp"}.
func Ping(now time.Time) []byte { return stamped(`{"type":"ping","timestamp":"`, now) }

// Pong answers a client's JSON ping: {"type":"pong","timestamp"}.
func Pong(now time.Time) []byte { return stamped(`{"type":"pong","timestamp":"`, now) }

func stamped(prefix string, now time.Time) []byte {
	return append(AppendTime([]byte(prefix), now), `"}`...)
}

// Published answers a client publish: {"type":"published","id","seq"},
// plus "duplicate":true when the publish's idempotency key had been
// published before, under seq, and nothing was appended this time.
func Published(id string, seq int64, duplicate bool) []byte {
	b := []byte(`{"type":"published","id":` + strconv.Quote(id) + `,"seq":` + strconv.FormatInt(seq, 10))
	if duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, '}')
}

// publishAnswer answers a single POST /v2/realtime/publish.
type publishAnswer struct {
	Seq       int64 `json:"seq"`
	Duplicate bool  `json:"duplicate,omitempty"`
}

// PublishAnswer answers a single event of POST /v2/realtime/publish:
// {"seq"}, plus "duplicate":true when its idempotency key had been
// published before, under seq.
func PublishAnswer(seq int64, duplicate bool) []byte {
	b, _ := json.Marshal(publishAnswer{Seq: seq, Duplicate: duplicate})
	return b
}

// batchAnswer answers a batch POST /v2/realtime/publish.
type batchAnswer struct {
	Seqs       []int64 `json:"seqs"`
	Duplicates []int   `json:"duplicates,omitempty"`
}

// BatchAnswer answers a batch of POST /v2/realtime/publish: {"seqs"} in
// request order, plus "duplicates", the indices of the events whose key
// had been published before (omitted when none).
func BatchAnswer(seqs []int64, duplicates []int) []byte {
	b, _ := json.Marshal(batchAnswer{Seqs: seqs, Duplicates: duplicates})
	return b
}

// Signal is an ephemeral signal such as typing:
// {"type":kind,"service","room","user"}.
func Signal(kind, service, room, user string) []byte {
	return []byte(`{"type":` + strconv.Quote(kind) + `,"service":` + strconv.Quote(service) +
		`,"room":` + strconv.Quote(room) + `,"user":` + strconv.Quote(user) + `}`)
}

// Presence announces a user's first connection in a room (join) or its
// last one's close (leave): {"type":"presence","room","join"|"leave":user}.
func Presence(room, user string, join bool) []byte {
	verb := "leave"
	if join {
		verb = "join"
	}
	return []byte(`{"type":"presence","room":` + strconv.Quote(room) + `,"` + verb + `":` + strconv.Quote(user) + `}`)
}

// UploadReady tells the client where to send an upload's next bytes:
// {"type":"upload.ready","uploadId","offset","chunkSize","id"?}.
func UploadReady(uploadID string, offset int64, chunkSize int, id string) []byte {
	b, _ := json.Marshal(struct {
		Type      string `json:"type"`
		UploadID  string `json:"uploadId"`
		Offset    int64  `json:"offset"`
		ChunkSize int    `json:"chunkSize"`
		ID        string `json:"id,omitempty"`
	}{"upload.ready", uploadID, offset, chunkSize, id})
	return b
}

// UploadProgress reports a commit: {"type":"upload.progress","uploadId","offset"}.
func UploadProgress(uploadID string, offset int64) []byte {
	return []byte(`{"type":"upload.progress","uploadId":"` + uploadID + `","offset":` + strconv.FormatInt(offset, 10) + `}`)
}

// UploadDone is upload.done, and (with no Type, with Offset and Done) the
// answer to the PUT that finished an upload.
type UploadDone struct {
	Type     string `json:"type,omitempty"`
	UploadID string `json:"uploadId"`
	Offset   int64  `json:"offset,omitempty"`
	Done     bool   `json:"done,omitempty"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Seq      int64  `json:"seq"`
	ID       string `json:"id,omitempty"`
}

// Bytes is the message's JSON.
func (d UploadDone) Bytes() []byte {
	b, _ := json.Marshal(d)
	return b
}

// UploadAborted confirms upload.abort: {"type":"upload.aborted","uploadId","id"?}.
func UploadAborted(uploadID, id string) []byte {
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		UploadID string `json:"uploadId"`
		ID       string `json:"id,omitempty"`
	}{"upload.aborted", uploadID, id})
	return b
}

// JSONProblem describes a client's JSON decode error without echoing its
// input, for the message of an error.
func JSONProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at offset " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "field " + strconv.Quote(e.Field) + " has the wrong type"
	}
	return "cannot decode"
}

// UploadCreated answers POST /v2/realtime/uploads:
// {"chunkSize","offset":0,"uploadId"}.
func UploadCreated(uploadID string, chunkSize int) []byte {
	b, _ := json.Marshal(struct {
		ChunkSize int    `json:"chunkSize"`
		Offset    int    `json:"offset"`
		UploadID  string `json:"uploadId"`
	}{chunkSize, 0, uploadID})
	return b
}

// UploadOffset answers a PUT of an unfinished upload with its committed
// offset: {"offset","uploadId"}.
func UploadOffset(uploadID string, offset int64) []byte {
	b, _ := json.Marshal(struct {
		Offset   int64  `json:"offset"`
		UploadID string `json:"uploadId"`
	}{offset, uploadID})
	return b
}
