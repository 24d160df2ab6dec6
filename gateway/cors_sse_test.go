package gateway

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/internal/testutil"
)

// EventSource from another origin: it cannot set Authorization, so the
// token rides in access_token (and is redacted in the log line of the
// stream); on its own reconnects it sends Last-Event-ID, which resumes
// after that seq even when the URL still carries an older lastSeq.
func TestSSEAcrossOrigins(t *testing.T) {
	var buf testutil.LockedBuffer
	logger := zerolog.New(&buf).Level(zerolog.DebugLevel)
	const app = "https://app.example.com"
	h := newHarness(t, harnessOpts{cfg: func(c *Config) {
		c.AllowedOrigins = []string{app}
		c.Logger = &logger
	}})
	org := "ssecors"
	tok := h.token(org, "u")
	for _, d := range []string{`1`, `2`, `3`} {
		h.publish(org, "finance", "t", d)
	}
	req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/sse?services=finance&lastSeq=0&access_token="+tok, nil)
	req.Header.Set("Origin", app)
	req.Header.Set("Last-Event-ID", "2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != app {
		t.Fatalf("cross-origin SSE: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	c := &sseClient{resp: resp, sc: bufio.NewScanner(resp.Body)}
	if ack := c.Next(t); ack.name != "ack" || ack.id != "2" || !strings.Contains(ack.data, `"recovered":true`) {
		t.Fatalf("ack = %+v; want a recovered ack at 2 (Last-Event-ID over lastSeq=0)", ack)
	}
	if ev := c.Next(t); ev.id != "3" {
		t.Fatalf("first event %+v, want 3 only", ev)
	}
	out := buf.String()
	if strings.Contains(out, tok) || !strings.Contains(out, "access_token=REDACTED") || !strings.Contains(out, `"message":"sse stream"`) {
		t.Fatalf("SSE log line: want the URL with access_token=REDACTED and never the token:\n%s", out)
	}
}
