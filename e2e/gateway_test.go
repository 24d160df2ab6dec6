package e2e

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/redistest"
)

// Secrets of every gateway started here; the JWT secret must be at least
// 32 bytes (HS256).
const (
	jwtSecret = "e2e-jwt-secret-0123456789abcdef-0123456789"
	apiKey    = "e2e-api-key"
)

// pingInterval is short so that the client learns it and its silence
// watchdog (2.5 intervals) fires within seconds.
const pingInterval = "1s"

// gatewayProc is one gateway process, restartable on the same address.
type gatewayProc struct {
	t     *testing.T
	addr  string
	env   []string
	redis *redistest.Server

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs bytes.Buffer // every run's output; guarded by mu
}

// startGateway runs the gateway against redis with extra environment
// (KEY=VALUE) and waits until it is ready. It is killed in t.Cleanup, and
// its logs are printed if the test failed.
func startGateway(t *testing.T, redis *redistest.Server, extra ...string) *gatewayProc {
	t.Helper()
	g := &gatewayProc{t: t, addr: freeAddr(t), redis: redis}
	g.env = append(os.Environ(),
		"REDIS_URL=redis://"+redis.Addr,
		"REALTIME_JWT_SECRET="+jwtSecret,
		"REALTIME_API_KEY="+apiKey,
		"REALTIME_ADDR="+g.addr,
		"REALTIME_PING_INTERVAL="+pingInterval,
		"REALTIME_LOG_LEVEL=info",
	)
	g.env = append(g.env, extra...)
	t.Cleanup(func() {
		g.kill()
		if t.Failed() {
			g.mu.Lock()
			t.Logf("gateway logs:\n%s", g.logs.String())
			g.mu.Unlock()
		}
	})
	g.start()
	return g
}

// start runs the binary on g.addr and waits for /readyz.
func (g *gatewayProc) start() {
	g.t.Helper()
	cmd := exec.Command(gatewayBin)
	cmd.Env = g.env
	cmd.Stdout, cmd.Stderr = (*lockedWriter)(g), (*lockedWriter)(g)
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start gateway: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.cmd, g.done = cmd, done
	g.mu.Unlock()
	waitFor(g.t, 20*time.Second, "gateway ready on "+g.addr, func() (bool, string) {
		select {
		case <-done:
			g.t.Fatalf("gateway exited during start")
		default:
		}
		resp, err := http.Get(g.url("/readyz"))
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

// kill sends SIGKILL, the crash case: no drain, no close frames; the
// kernel resets the sockets. It waits for the process to be gone.
func (g *gatewayProc) kill() {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// signal sends sig to the running process (SIGSTOP/SIGCONT).
func (g *gatewayProc) signal(sig syscall.Signal) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		_ = g.cmd.Process.Signal(sig)
	}
}

func (g *gatewayProc) url(path string) string { return "http://" + g.addr + path }

// lockedWriter appends process output to g.logs.
type lockedWriter gatewayProc

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.Write(p)
}

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

// metric returns the value of one series from /metrics (0 if absent).
func (g *gatewayProc) metric(name string) float64 {
	g.t.Helper()
	resp, err := http.Get(g.url("/metrics"))
	if err != nil {
		g.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	for line := range strings.SplitSeq(buf.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				g.t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond every 50ms until it holds or timeout passes; then it
// fails the test with what and cond's last note.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, note := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", timeout, what, note)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
