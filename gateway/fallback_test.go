package gateway

import (
	"bufio"
	"encoding/json"
	"github.com/rtgw/realtime/internal/testutil"
	"net/http"
	"strings"
	"testing"
	"time"
)

type pollResult struct {
	Events []struct {
		Seq     int64           `json:"seq"`
		Service string          `json:"service"`
		Type    string          `json:"type"`
		Data    json.RawMessage `json:"data"`
		TS      string          `json:"ts"`
	} `json:"events"`
	Seq       int64  `json:"seq"`
	Epoch     string `json:"epoch"`
	Recovered *bool  `json:"recovered"`
}

func (h *harness) poll(org, query string) (int, pollResult) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/poll?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+h.token(org, "poller"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out pollResult
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatalf("poll body: %v", err)
	}
	return resp.StatusCode, out
}

func TestLongPoll(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "lp"
	// First poll without lastSeq: position at once.
	code, r := h.poll(org, "services=finance")
	if code != 200 || r.Seq != 0 || r.Epoch == "" || len(r.Events) != 0 {
		t.Fatalf("first poll: %d %+v", code, r)
	}
	epoch := r.Epoch
	h.publish(org, "finance", "a", `1`)
	h.publish(org, "guest", "b", `2`)
	h.publish(org, "finance", "c", `3`)
	// Resume: exactly the missed events of the asked services.
	code, r = h.poll(org, "services=finance&lastSeq=0&epoch="+epoch)
	if code != 200 || r.Recovered == nil || !*r.Recovered || len(r.Events) != 2 ||
		r.Events[0].Seq != 1 || r.Events[1].Seq != 3 || r.Seq != 3 || r.Events[1].Service != "finance" {
		t.Fatalf("resume poll: %d %+v", code, r)
	}
	// A waiting poll returns an event within 50 ms of its publish.
	type res struct {
		r  pollResult
		at time.Time
	}
	done := make(chan res, 1)
	go func() {
		_, r := h.poll(org, "services=finance&lastSeq=3&timeout=10")
		done <- res{r, time.Now()}
	}()
	testutil.Eventually(t, 5*time.Second, "poll waiting on the tail", func() bool {
		t := h.srv.hub.lookup(org)
		if t == nil {
			return false
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.changed != nil
	})
	published := time.Now()
	h.publish(org, "finance", "d", `4`)
	got := <-done
	if len(got.r.Events) != 1 || got.r.Events[0].Seq != 4 {
		t.Fatalf("waiting poll got %+v", got.r)
	}
	lat := got.at.Sub(published)
	t.Logf("long-poll publish→response: %v", lat)
	if lat > 50*time.Millisecond {
		t.Fatalf("waiting poll answered %v after the publish, want ≤ 50ms", lat)
	}
	// Timeout with nothing new: empty list, same position.
	start := time.Now()
	_, r = h.poll(org, "services=finance&lastSeq=4&timeout=1")
	if len(r.Events) != 0 || r.Seq != 4 || time.Since(start) < time.Second {
		t.Fatalf("empty poll: %+v after %v", r, time.Since(start))
	}
}

func TestLongPollRecoveredFalseOnTrimmedLog(t *testing.T) {
	h := newHarness(t, harnessOpts{maxLen: 10})
	for i := 0; i < 300; i++ {
		h.publish("lptrim", "s", "t", `1`)
	}
	_, r := h.poll("lptrim", "services=s&lastSeq=1")
	if r.Recovered == nil || *r.Recovered || r.Seq != 300 || len(r.Events) != 0 {
		t.Fatalf("poll on trimmed log: %+v", r)
	}
}

func TestLongPollRejects(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		name   string
		token  string
		query  string
		status int
	}{
		{name: "no token", token: "", query: "services=a", status: 401},
		{name: "no services", token: h.token("o", "u"), query: "", status: 400},
		{name: "bad lastSeq", token: h.token("o", "u"), query: "services=a&lastSeq=x", status: 400},
		{name: "bad timeout", token: h.token("o", "u"), query: "services=a&timeout=-1", status: 400},
		{name: "service not allowed", token: h.token("o", "u", "b"), query: "services=a", status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/poll?"+tc.query, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			code, body := h.do(req)
			if code != tc.status || body["type"] != "error" {
				t.Fatalf("got %d %v, want %d", code, body, tc.status)
			}
		})
	}
}

// sseClient reads an event stream.
type sseClient struct {
	resp *http.Response
	sc   *bufio.Scanner
}

type sseEvent struct {
	name, id, data string
}

func (h *harness) sse(org, query, lastEventID string) *sseClient {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/sse?"+query+"&access_token="+h.token(org, "sse"), nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("sse: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return &sseClient{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next event (comments such as pings are skipped).
func (c *sseClient) Next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for c.sc.Scan() {
		line := c.sc.Text()
		switch {
		case line == "":
			if ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("sse stream ended: %v", c.sc.Err())
	return ev
}

func TestSSEResumeWithLastEventID(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "sse"
	c := h.sse(org, "services=finance", "")
	ack := c.Next(t)
	if ack.name != "ack" || !strings.Contains(ack.data, `"seq":0`) {
		t.Fatalf("ack = %+v", ack)
	}
	h.publish(org, "finance", "a", `1`)
	h.publish(org, "guest", "b", `2`)
	h.publish(org, "finance", "c", `3`)
	for _, want := range []string{"1", "3"} {
		if ev := c.Next(t); ev.id != want || !strings.Contains(ev.data, `"service":"finance"`) {
			t.Fatalf("live event %+v, want id %s", ev, want)
		}
	}
	c.resp.Body.Close()
	// Missed while disconnected: 4 (finance), 5 (guest), 6 (finance).
	h.publish(org, "finance", "d", `4`)
	h.publish(org, "guest", "e", `5`)
	h.publish(org, "finance", "f", `6`)
	c = h.sse(org, "services=finance", "3")
	ack = c.Next(t)
	if ack.name != "ack" || !strings.Contains(ack.data, `"recovered":true`) {
		t.Fatalf("resume ack = %+v", ack)
	}
	for _, want := range []string{"4", "6"} {
		if ev := c.Next(t); ev.id != want {
			t.Fatalf("replayed %+v, want id %s", ev, want)
		}
	}
	h.publish(org, "finance", "g", `7`)
	if ev := c.Next(t); ev.id != "7" {
		t.Fatalf("live after replay %+v", ev)
	}
}
