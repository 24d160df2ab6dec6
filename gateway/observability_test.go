package gateway

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

func TestRedactURL(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{name: "token in query", in: "/v2/realtime/stream?access_token=eyJsecret&x=1", want: "/v2/realtime/stream?access_token=REDACTED&x=1"},
		{name: "no secret", in: "/v2/realtime/poll?services=a&lastSeq=3", want: "/v2/realtime/poll?services=a&lastSeq=3"},
		{name: "no query", in: "/healthz", want: "/healthz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse(tc.in)
			if got := redactURL(u); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Debug logs carry connection open/close, never the token.
func TestLogsNeverCarryTheToken(t *testing.T) {
	var buf testutil.LockedBuffer
	logger := zerolog.New(&buf).Level(zerolog.DebugLevel)
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { c.Logger = &logger }})
	tok := h.token("logs", "u1")
	c, _ := h.connect("logs", "u1", map[string]any{"services": []string{"s"}})
	c.NC.Close()
	testutil.Eventually(t, 5*time.Second, "close logged", func() bool { return strings.Contains(buf.String(), "connection closed") })
	out := buf.String()
	if strings.Contains(out, tok) || strings.Contains(out, tok[strings.LastIndex(tok, ".")+1:]) {
		t.Fatalf("token in logs:\n%s", out)
	}
	for _, want := range []string{`"message":"connection opened"`, `"org":"logs"`, `"user":"u1"`, `"reason":"connection lost"`, `access_token=REDACTED`} {
		if !strings.Contains(out, want) {
			t.Fatalf("logs lack %s:\n%s", want, out)
		}
	}
}

// metricValue reads one series from the Prometheus text.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("series %s missing from /metrics", series)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// The named series exist and move under a small load.
func TestPrometheusMetricsMove(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("m", "u", map[string]any{"services": []string{"s"}})
	h.publish("m", "s", "t", `1`)
	c.Events(1)
	h.post("/v2/realtime/publish", testAPIKey, `{"org":"m","service":"s","type":"t","data":2}`)
	h.post("/v2/realtime/publish", testAPIKey, `{"org":"m"}`)
	c.Events(1)
	c2, _ := h.connect("m", "u", map[string]any{"services": []string{"s"}, "lastSeq": 0})
	c2.Events(2)
	bad := wstest.Dial(t, h.wsURL+"?access_token=nope", wstest.Options{})
	bad.ExpectClose(4001)
	testutil.Eventually(t, 5*time.Second, "rejected connection gone", func() bool { return h.srv.reg.len() == 2 })
	testutil.Eventually(t, 5*time.Second, "deliveries counted", func() bool { return h.srv.metrics.delivered.Get() >= 4 })

	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	checks := map[string]float64{
		"realtime_connections_active":                                           2,
		"realtime_connections_opened_total":                                     3,
		"realtime_org_tails_active":                                             1,
		`realtime_publish_requests_total{result="ok"}`:                          1,
		`realtime_publish_requests_total{result="bad_request"}`:                 1,
		`realtime_handshakes_rejected_total{code="4001",reason="unauthorized"}`: 1,
	}
	for series, want := range checks {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// At least: 2 live + 2 replayed to c2 (c may also have got its first
	// event by replay if it raced the attach).
	atLeast := map[string]float64{
		"realtime_events_delivered_total":         4,
		"realtime_events_replayed_total":          2,
		"realtime_delivery_latency_seconds_count": 1,
		"realtime_replay_events_count":            1,
	}
	for series, want := range atLeast {
		if got := metricValue(t, text, series); got < want {
			t.Errorf("%s = %v, want at least %v", series, got, want)
		}
	}
	for _, name := range []string{"realtime_frames_compressed_total", "realtime_slow_consumer_disconnects_total", "realtime_redis_errors_total"} {
		metricValue(t, text, name) // present, even at zero
	}
}
