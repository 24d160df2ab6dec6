package gateway

import (
	"encoding/json"
	"github.com/rtgw/realtime/internal/testutil"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (h *harness) post(path, key, body string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return h.do(req)
}

func (h *harness) do(req *http.Request) (int, map[string]any) {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s %s: body is not JSON: %q", req.Method, req.URL.Path, b)
	}
	return resp.StatusCode, out
}

func TestPublishAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("pub", "u", map[string]any{"services": []string{"finance", "guest"}})

	code, body := h.post("/v2/realtime/publish", testAPIKey,
		`{"org":"pub","service":"finance","type":"revenue.created","data":{"amount":42}}`)
	if code != 200 || body["seq"] != float64(1) {
		t.Fatalf("single publish: %d %v", code, body)
	}
	code, body = h.post("/v2/realtime/publish", testAPIKey,
		`{"org":"pub","events":[{"service":"guest","type":"a","data":1},{"service":"guest","type":"b","data":"x"}]}`)
	seqs, _ := body["seqs"].([]any)
	if code != 200 || len(seqs) != 2 || seqs[0] != float64(2) || seqs[1] != float64(3) {
		t.Fatalf("batch publish: %d %v", code, body)
	}
	got := c.Events(3)
	if got[0].Data != `{"amount":42}` || got[2].Type != "b" || got[2].Seq != 3 {
		t.Fatalf("delivered %+v", got)
	}
}

func TestPublishAPIRejects(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		name   string
		key    string
		body   string
		status int
	}{
		{name: "no key", key: "", body: `{"org":"a","service":"s","type":"t","data":1}`, status: 401},
		{name: "wrong key", key: "nope", body: `{"org":"a","service":"s","type":"t","data":1}`, status: 401},
		{name: "not JSON", key: testAPIKey, body: `hello`, status: 400},
		{name: "unknown field", key: testAPIKey, body: `{"org":"a","service":"s","type":"t","data":1,"x":2}`, status: 400},
		{name: "missing org", key: testAPIKey, body: `{"service":"s","type":"t","data":1}`, status: 400},
		{name: "bad org", key: testAPIKey, body: `{"org":"a b","service":"s","type":"t","data":1}`, status: 400},
		{name: "missing service", key: testAPIKey, body: `{"org":"a","type":"t","data":1}`, status: 400},
		{name: "missing type", key: testAPIKey, body: `{"org":"a","service":"s","data":1}`, status: 400},
		{name: "missing data", key: testAPIKey, body: `{"org":"a","service":"s","type":"t"}`, status: 400},
		{name: "non-JSON data", key: testAPIKey, body: `{"org":"a","service":"s","type":"t","data":nope}`, status: 400},
		{name: "both shapes", key: testAPIKey, body: `{"org":"a","service":"s","type":"t","data":1,"events":[]}`, status: 400},
		{name: "empty events", key: testAPIKey, body: `{"org":"a","events":[]}`, status: 400},
		{name: "trailing data", key: testAPIKey, body: `{"org":"a","service":"s","type":"t","data":1} {}`, status: 400},
		{name: "body over 1 MiB", key: testAPIKey, body: `{"org":"a","service":"s","type":"t","data":"` + strings.Repeat("x", 1<<20) + `"}`, status: 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.post("/v2/realtime/publish", tc.key, tc.body)
			if code != tc.status || body["type"] != "error" || body["message"] == "" {
				t.Fatalf("got %d %v, want %d with a JSON error", code, body, tc.status)
			}
		})
	}
	// Nothing was written for org "a".
	head, err := h.log.Head(t.Context(), "a")
	if err != nil || head.Seq != 0 {
		t.Fatalf("head after rejected publishes: %+v %v", head, err)
	}
}

func TestStatsJSONAndHealth(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("stats", "u", map[string]any{"services": []string{"s"}})
	h.publish("stats", "s", "t", `1`)
	c.Events(1)
	// The counter is bumped right after the frame is queued; the client may
	// read the frame first.
	testutil.Eventually(t, 5*time.Second, "delivery counted", func() bool { return h.srv.metrics.delivered.Get() == 1 })
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/metrics", nil)
	if code, _ := h.do(req); code != 401 {
		t.Fatalf("metrics without key: %d", code)
	}
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	code, body := h.do(req)
	pool, _ := body["connectionPoolStats"].(map[string]any)
	if code != 200 || body["activeConnections"] != float64(1) || body["eventsDelivered"] != float64(1) ||
		body["totalConnections"] != float64(1) || pool["totalOrgs"] != float64(1) || pool["totalSubscriptions"] != float64(1) {
		t.Fatalf("stats = %d %v", code, body)
	}
	for _, k := range []string{"compressedMessages", "missedEventsReplayed"} {
		if _, ok := body[k]; !ok {
			t.Fatalf("stats lacks %s", k)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		req, _ := http.NewRequest(http.MethodGet, h.http.URL+path, nil)
		if code, _ := h.do(req); code != want {
			t.Fatalf("%s = %d", path, code)
		}
	}
	h.redis.Stop()
	req, _ = http.NewRequest(http.MethodGet, h.http.URL+"/readyz", nil)
	if code, _ := h.do(req); code != 503 {
		t.Fatalf("/readyz with Redis down = %d, want 503", code)
	}
}
