package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// Secrets of every gateway started here: internal/gatewaytest's, which
// every node it starts shares.
const (
	jwtSecret = gatewaytest.JWTSecret
	apiKey    = gatewaytest.APIKey
)

// pingInterval is short so that the client learns it and its silence
// watchdog (2.5 intervals) fires within seconds.
const pingInterval = "1s"

// gatewayProc is one gateway process (internal/gatewaytest), restartable
// on the same address.
type gatewayProc struct {
	t    *testing.T
	addr string
	opts gatewaytest.Options

	mu   sync.Mutex
	node *gatewaytest.Node // nil while killed
}

// startGateway runs the race-built gateway against redis with extra
// environment (KEY=VALUE) and waits until it is ready (/readyz). It is
// killed in t.Cleanup, and its logs are printed if the test failed.
func startGateway(t *testing.T, redis *redistest.Server, extra ...string) *gatewayProc {
	t.Helper()
	env := map[string]string{"REALTIME_PING_INTERVAL": pingInterval}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	g := &gatewayProc{t: t, addr: testutil.FreeAddr(t)}
	g.opts = gatewaytest.Options{RedisAddr: redis.Addr, Addr: g.addr, Env: env, WaitReady: true}
	g.start()
	return g
}

// start runs the binary on g.addr and waits for /readyz.
func (g *gatewayProc) start() {
	g.t.Helper()
	n := gatewaytest.Start(g.t, g.opts)
	g.mu.Lock()
	g.node = n
	g.mu.Unlock()
}

// kill sends SIGKILL, the crash case: no drain, no close frames; the
// kernel resets the sockets. It waits for the process to be gone.
func (g *gatewayProc) kill() {
	g.mu.Lock()
	n := g.node
	g.node = nil
	g.mu.Unlock()
	if n != nil {
		n.Kill()
	}
}

// signal sends sig to the running process (SIGSTOP/SIGCONT).
func (g *gatewayProc) signal(sig syscall.Signal) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.node != nil {
		g.node.Signal(sig)
	}
}

func (g *gatewayProc) url(path string) string { return "http://" + g.addr + path }

// publish posts one event through POST /v2/realtime/publish and returns
// its seq.
func (g *gatewayProc) publish(org, service, typ string, data any) int64 {
	g.t.Helper()
	body, _ := json.Marshal(map[string]any{"org": org, "service": service, "type": typ, "data": data})
	req, _ := http.NewRequest(http.MethodPost, g.url("/v2/realtime/publish"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("publish: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Seq int64 `json:"seq"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		g.t.Fatalf("publish: HTTP %d, %v", resp.StatusCode, err)
	}
	return out.Seq
}

// metric returns the value of one unlabelled series from /metrics (0 if
// absent).
func (g *gatewayProc) metric(name string) float64 {
	g.t.Helper()
	g.mu.Lock()
	n := g.node
	g.mu.Unlock()
	if n == nil {
		g.t.Fatalf("metric %s: the gateway is not running", name)
	}
	m, err := n.Metrics()
	if err != nil {
		g.t.Fatalf("GET /metrics: %v", err)
	}
	return m[name]
}
