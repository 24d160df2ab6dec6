package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/wstest"
)

// postKeyed posts body with the Idempotency-Key header set to each of hdrs.
func (h *harness) postKeyed(body string, hdrs ...string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/v2/realtime/publish", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	for _, v := range hdrs {
		req.Header.Add("Idempotency-Key", v)
	}
	return h.do(req)
}

// nextSeq checks that c's next event has seq want: any event a duplicate
// had appended or announced would arrive before it.
func nextSeq(t *testing.T, c *wstest.Client, want int64) {
	t.Helper()
	if got := c.Events(1); got[0].Seq != want {
		t.Fatalf("next event has seq %d, want %d (a duplicate was delivered?)", got[0].Seq, want)
	}
}

func TestPublishIdempotentHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("idem", "u", map[string]any{"services": []string{"s"}})
	single := `{"org":"idem","service":"s","type":"t","data":1,"idempotencyKey":"order-1"}`
	code, body := h.postKeyed(single)
	if code != 200 || body["seq"] != float64(1) || body["duplicate"] != nil {
		t.Fatalf("first publish: %d %v, want 200 {seq:1}", code, body)
	}
	nextSeq(t, c, 1)
	for _, tc := range []struct {
		name string
		body string
		hdrs []string
	}{
		{"body again", single, nil},
		{"header form", `{"org":"idem","service":"s","type":"t","data":2}`, []string{"order-1"}},
		{"header and equal body", single, []string{"order-1"}},
	} {
		code, body := h.postKeyed(tc.body, tc.hdrs...)
		if code != 200 || body["seq"] != float64(1) || body["duplicate"] != true {
			t.Fatalf("%s: %d %v, want 200 {seq:1,duplicate:true}", tc.name, code, body)
		}
	}
	// The header alone is a key as well.
	if code, body := h.postKeyed(`{"org":"idem","service":"s","type":"t","data":3}`, "hdr-only"); code != 200 || body["seq"] != float64(2) {
		t.Fatalf("header-keyed publish: %d %v", code, body)
	}
	if code, body := h.postKeyed(`{"org":"idem","service":"s","type":"t","data":3}`, "hdr-only"); body["seq"] != float64(2) || body["duplicate"] != true {
		t.Fatalf("header-keyed repeat: %d %v", code, body)
	}
	h.publish("idem", "s", "t", `4`)
	nextSeq(t, c, 2)
	nextSeq(t, c, 3)
	// Keys are per org: the same key elsewhere is a new event.
	if code, body := h.postKeyed(`{"org":"idem2","service":"s","type":"t","data":1,"idempotencyKey":"order-1"}`); code != 200 || body["seq"] != float64(1) || body["duplicate"] != nil {
		t.Fatalf("same key in another org: %d %v", code, body)
	}
	if got := h.srv.metrics.duplicates["http"].Get(); got != 4 {
		t.Fatalf("http duplicates counted %d, want 4", got)
	}
}

func TestPublishIdempotentBatch(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("idemb", "u", map[string]any{"services": []string{"s"}})
	code, body := h.postKeyed(`{"org":"idemb","events":[{"service":"s","type":"t","data":1,"idempotencyKey":"a"},{"service":"s","type":"t","data":2}]}`)
	if code != 200 || body["duplicates"] != nil || !jsonEq(body["seqs"], `[1,2]`) {
		t.Fatalf("first batch: %d %v, want seqs [1,2] and no duplicates field", code, body)
	}
	code, body = h.postKeyed(`{"org":"idemb","events":[` +
		`{"service":"s","type":"t","data":3,"idempotencyKey":"b"},` +
		`{"service":"s","type":"t","data":4,"idempotencyKey":"a"},` +
		`{"service":"s","type":"t","data":5,"idempotencyKey":"b"},` +
		`{"service":"s","type":"t","data":6}]}`)
	if code != 200 || !jsonEq(body["seqs"], `[3,1,3,4]`) || !jsonEq(body["duplicates"], `[1,2]`) {
		t.Fatalf("mixed batch: %d %v, want seqs [3,1,3,4], duplicates [1,2]", code, body)
	}
	got := c.Events(4)
	for i, want := range []string{"1", "2", "3", "6"} {
		if got[i].Seq != int64(i+1) || got[i].Data != want {
			t.Fatalf("delivered %+v, want data 1 2 3 6 under seqs 1-4", got)
		}
	}
}

func TestPublishIdempotencyRejects(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ev := `"org":"idemr","service":"s","type":"t","data":1`
	cases := []struct {
		name string
		body string
		hdrs []string
	}{
		{"space", `{` + ev + `,"idempotencyKey":"a b"}`, nil},
		{"slash", `{` + ev + `,"idempotencyKey":"a/b"}`, nil},
		{"empty", `{` + ev + `,"idempotencyKey":""}`, nil},
		{"129 bytes", `{` + ev + `,"idempotencyKey":"` + strings.Repeat("k", 129) + `"}`, nil},
		{"not a string", `{` + ev + `,"idempotencyKey":7}`, nil},
		{"bad header", `{` + ev + `}`, []string{"a b"}},
		{"empty header", `{` + ev + `}`, []string{""}},
		{"two headers", `{` + ev + `}`, []string{"a", "b"}},
		{"header and body differ", `{` + ev + `,"idempotencyKey":"a"}`, []string{"b"}},
		{"header on a batch", `{"org":"idemr","events":[{"service":"s","type":"t","data":1}]}`, []string{"a"}},
		{"top-level key on a batch", `{"org":"idemr","idempotencyKey":"a","events":[{"service":"s","type":"t","data":1}]}`, nil},
		{"bad key in a batch", `{"org":"idemr","events":[{"service":"s","type":"t","data":1},{"service":"s","type":"t","data":1,"idempotencyKey":"ü"}]}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.postKeyed(tc.body, tc.hdrs...)
			if code != 400 || body["type"] != "error" || body["code"] != "bad_request" || body["message"] == "" {
				t.Fatalf("got %d %v, want 400 bad_request", code, body)
			}
		})
	}
	if head, err := h.log.Head(t.Context(), "idemr"); err != nil || head.Seq != 0 {
		t.Fatalf("head after rejected publishes: %+v %v", head, err)
	}
	// 128 bytes of every allowed character class is fine.
	k := strings.Repeat("aZ09_.:-", 16)
	if code, body := h.postKeyed(`{` + ev + `,"idempotencyKey":"` + k + `"}`); code != 200 || body["seq"] != float64(1) {
		t.Fatalf("128-byte key: %d %v", code, body)
	}
}

// TestClientPublishIdempotent: over the WebSocket a repeated key is
// answered with the first seq and "duplicate":true and delivered once; keys
// are scoped to the user, so another user's same key is its own event.
func TestClientPublishIdempotent(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "idemws"
	hs := map[string]any{"services": []string{"chat"}}
	alice := h.chatClient(org, "alice", []string{"chat"}, hs)
	bob := h.chatClient(org, "bob", []string{"chat"}, hs)
	watcher := h.chatClient(org, "watcher", nil, hs)
	send := func(c *wstest.Client, id, key string) map[string]any {
		t.Helper()
		c.Send(map[string]any{"type": "publish", "service": "chat", "id": id, "data": map[string]any{"text": id}, "idempotencyKey": key})
		for {
			m := c.Next(5 * time.Second)
			if m.Type == "event" {
				continue // the sender's own copy of a message
			}
			var out map[string]any
			_ = json.Unmarshal(m.Raw, &out)
			return out
		}
	}
	if p := send(alice, "m1", "k1"); p["type"] != "published" || p["id"] != "m1" || p["seq"] != float64(1) || p["duplicate"] != nil {
		t.Fatalf("first publish answered %v", p)
	}
	if p := send(alice, "m1-retry", "k1"); p["type"] != "published" || p["id"] != "m1-retry" || p["seq"] != float64(1) || p["duplicate"] != true {
		t.Fatalf("retry answered %v, want seq 1 with duplicate:true", p)
	}
	if p := send(bob, "b1", "k1"); p["seq"] != float64(2) || p["duplicate"] != nil {
		t.Fatalf("bob's k1 answered %v, want a new seq 2: keys are per user over the WebSocket", p)
	}
	// An HTTP publisher's key is not claimed by a browser's.
	if code, body := h.postKeyed(`{"org":"idemws","service":"chat","type":"message","data":{},"idempotencyKey":"k1"}`); code != 200 || body["seq"] != float64(3) || body["duplicate"] != nil {
		t.Fatalf("HTTP publish with a browser's key: %d %v, want a new seq 3", code, body)
	}
	if p := send(alice, "bad", "a b"); p["type"] != "error" || p["code"] != "bad_publish" || p["id"] != "bad" {
		t.Fatalf("bad key answered %v, want bad_publish", p)
	}
	got := watcher.Events(3)
	if got[0].Seq != 1 || got[1].Seq != 2 || got[2].Seq != 3 {
		t.Fatalf("watcher got %+v, want seqs 1 2 3", got)
	}
	if n := h.srv.metrics.duplicates["ws"].Get(); n != 1 {
		t.Fatalf("ws duplicates counted %d, want 1", n)
	}
}

func jsonEq(v any, want string) bool {
	b, _ := json.Marshal(v)
	return string(b) == want
}
