package multinode

import (
	"net/http"
	"testing"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
)

// The binary applies the limit and origin settings it reads from the
// environment (a setting that is parsed but never passed on is a silent
// security hole).
func TestLimitsAndOriginsFromEnv(t *testing.T) {
	redis := redistest.Start(t)
	n := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: map[string]string{
		"REALTIME_MAX_CONNS_PER_USER": "1",
		"REALTIME_ALLOWED_ORIGINS":    "https://app.example.com",
		"REALTIME_HANDSHAKE_RATE":     "1000",
	}})
	tok := gatewaytest.Token(t, "wired", "u")
	first := wstest.Dial(t, n.StreamURL(tok), wstest.Options{Header: http.Header{"Origin": {"https://app.example.com"}}})
	first.Send(map[string]any{"services": []string{"s"}})
	first.Expect("ack")
	second := wstest.Dial(t, n.StreamURL(tok), wstest.Options{})
	second.ExpectClose(4029)
	if _, err := wstest.TryDial(n.StreamURL(tok), wstest.Options{Header: http.Header{"Origin": {"https://evil.example"}}}); err == nil {
		t.Fatal("an unlisted origin was upgraded")
	}
}
