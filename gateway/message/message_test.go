package message

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rtgw/realtime/store"
)

// Every server message, pinned to its exact bytes: these are what browser
// clients parse (docs/PROTOCOL.md), so a change here must be deliberate.
func TestGolden(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 30, 15, 123_456_789, time.FixedZone("CET", 3600))
	yes, no := true, false
	off := int64(4096)
	ev := func(seq int64, svc, typ, data string) store.Event {
		return store.Event{Seq: seq, Service: svc, Type: typ, Data: json.RawMessage(data), TS: 1_700_000_000_123}
	}
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"ack fresh", Ack(12, "EPOCH1", nil, 1_800_000_000, now),
			`{"type":"ack","seq":12,"epoch":"EPOCH1","exp":1800000000,"timestamp":"2026-11-27T08:30:15.123Z"}`},
		{"ack recovered", Ack(7, "E", &yes, 1_800_000_000, now),
			`{"type":"ack","seq":7,"epoch":"E","recovered":true,"exp":1800000000,"timestamp":"2026-11-27T08:30:15.123Z"}`},
		{"ack not recovered", Ack(9, "E", &no, 1_800_000_000, now),
			`{"type":"ack","seq":9,"epoch":"E","recovered":false,"exp":1800000000,"timestamp":"2026-11-27T08:30:15.123Z"}`},
		{"refreshed", Refreshed(1_800_000_600), `{"type":"refreshed","exp":1800000600}`},
		{"event run", AppendEvents([]byte("x"), []store.Event{ev(3, "finance", "invoice.paid", `{"id":1}`), ev(4, "finance", "invoice.sent", `[1,2]`)}),
			`x{"type":"event","service":"finance","seq":4,"events":[` +
				`{"seq":3,"type":"invoice.paid","data":{"id":1},"ts":"2023-11-14T22:13:20.123Z"},` +
				`{"seq":4,"type":"invoice.sent","data":[1,2],"ts":"2023-11-14T22:13:20.123Z"}]}`},
		{"flat event", AppendFlatEvent(nil, ev(5, "chat", "message", `"hi"`)),
			`{"seq":5,"service":"chat","type":"message","data":"hi","ts":"2023-11-14T22:13:20.123Z"}`},
		{"poll with events", Poll([]store.Event{ev(5, "chat", "message", `1`)}, 6, "E", &yes),
			`{"events":[{"seq":5,"service":"chat","type":"message","data":1,"ts":"2023-11-14T22:13:20.123Z"}],"seq":6,"epoch":"E","recovered":true}` + "\n"},
		{"poll empty", Poll(nil, 6, "E", nil), `{"events":[],"seq":6,"epoch":"E"}` + "\n"},
		{"resync", Resync("E2"), `{"type":"resync","epoch":"E2"}`},
		{"error", Error("bad_message", `message is "odd" <here>`),
			`{"type":"error","code":"bad_message","message":"message is \"odd\" \u003chere\u003e"}`},
		{"error with ids", Problem{Code: "upload_offset", Message: "m", UploadID: "uAB", Offset: &off, ID: "c-1"}.Bytes(),
			`{"type":"error","code":"upload_offset","message":"m","uploadId":"uAB","offset":4096,"id":"c-1"}`},
		{"publish error", Problem{Code: "busy", Message: "node busy; retry", ID: "c-2"}.Bytes(),
			`{"type":"error","code":"busy","message":"node busy; retry","id":"c-2"}`},
		{"fallback", Fallback("percent"),
			`{"type":"fallback","transport":"longpoll","reason":"rollout","detail":"percent","url":"/v2/realtime/poll"}`},
		{"ping", Ping(now), `{"type":"ping","timestamp":"2026-11-27T08:30:15.123Z"}`},
		{"pong", Pong(now), `{"type":"pong","timestamp":"2026-11-27T08:30:15.123Z"}`},
		{"published", Published("c-3", 42, false), `{"type":"published","id":"c-3","seq":42}`},
		{"published duplicate", Published("c-3", 42, true), `{"type":"published","id":"c-3","seq":42,"duplicate":true}`},
		{"publish answer", PublishAnswer(42, false), `{"seq":42}`},
		{"publish answer duplicate", PublishAnswer(42, true), `{"seq":42,"duplicate":true}`},
		{"batch answer", BatchAnswer([]int64{7, 8}, nil), `{"seqs":[7,8]}`},
		{"batch answer with duplicates", BatchAnswer([]int64{3, 7, 3, 8}, []int{0, 2}), `{"seqs":[3,7,3,8],"duplicates":[0,2]}`},
		{"typing", Signal("typing", "chat", "frontdesk", "alice"),
			`{"type":"typing","service":"chat","room":"frontdesk","user":"alice"}`},
		{"presence join", Presence("frontdesk", "bob", true), `{"type":"presence","room":"frontdesk","join":"bob"}`},
		{"presence leave", Presence("frontdesk", "bob", false), `{"type":"presence","room":"frontdesk","leave":"bob"}`},
		{"upload.ready", UploadReady("uAB", 0, 262144, "c-1"),
			`{"type":"upload.ready","uploadId":"uAB","offset":0,"chunkSize":262144,"id":"c-1"}`},
		{"upload.ready resumed, no id", UploadReady("uAB", 4096, 65536, ""),
			`{"type":"upload.ready","uploadId":"uAB","offset":4096,"chunkSize":65536}`},
		{"upload.progress", UploadProgress("uAB", 8192), `{"type":"upload.progress","uploadId":"uAB","offset":8192}`},
		{"upload.done", UploadDone{Type: "upload.done", UploadID: "uAB", Size: 10, SHA256: "ab", Seq: 3, ID: "c-1"}.Bytes(),
			`{"type":"upload.done","uploadId":"uAB","size":10,"sha256":"ab","seq":3,"id":"c-1"}`},
		{"last PUT answer", UploadDone{UploadID: "uAB", Offset: 10, Done: true, Size: 10, SHA256: "ab", Seq: 3}.Bytes(),
			`{"uploadId":"uAB","offset":10,"done":true,"size":10,"sha256":"ab","seq":3}`},
		{"upload.aborted", UploadAborted("uAB", "c-9"), `{"type":"upload.aborted","uploadId":"uAB","id":"c-9"}`},
		{"upload created", UploadCreated("uAB", 65536), `{"chunkSize":65536,"offset":0,"uploadId":"uAB"}`},
		{"upload offset", UploadOffset("uAB", 128), `{"offset":128,"uploadId":"uAB"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.got) != tc.want {
				t.Fatalf("got  %s\nwant %s", tc.got, tc.want)
			}
			body := tc.got
			if len(body) > 0 && body[0] == 'x' {
				body = body[1:] // AppendEvents kept what was in the buffer
			}
			if !json.Valid(body) {
				t.Fatalf("not JSON: %s", body)
			}
		})
	}
}

// JSONProblem names the problem without echoing the client's input.
func TestJSONProblem(t *testing.T) {
	var v struct{ N int }
	cases := []struct {
		name, in, want string
	}{
		{"syntax", `{"N":1,,"secret"}`, "syntax error at offset 8"},
		{"type", `{"N":"secret"}`, `field "N" has the wrong type`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := JSONProblem(json.Unmarshal([]byte(tc.in), &v)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := JSONProblem(errors.New("other")); got != "cannot decode" {
		t.Fatalf("other error: %q", got)
	}
}
