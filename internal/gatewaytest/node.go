package gatewaytest

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/testutil"
)

// Secrets every node started here shares, so tokens and keys work on all.
const (
	JWTSecret = "gatewaytest-secret-gatewaytest-secret"
	APIKey    = "gatewaytest-api-key"
)

// Options configure one node.
type Options struct {
	RedisAddr string            // host:port of the redis-server (or set REDIS_CLUSTER_ADDRS in Env)
	Addr      string            // listen address; default a free loopback port
	Env       map[string]string // extra environment, e.g. REALTIME_DRAIN_TIMEOUT
	Plain     bool              // run the binary built without the race detector
	// WaitReady waits for /readyz (Redis reachable) rather than /healthz
	// (process up) before Start returns.
	WaitReady bool
}

// Node is one running gateway process.
type Node struct {
	Addr string

	cmd  *exec.Cmd
	out  *testutil.LockedBuffer
	done chan struct{}
	err  error // set before done closes
}

// Start runs a node and waits until /healthz answers. It is killed in
// t.Cleanup if still running.
func Start(t testing.TB, o Options) *Node {
	t.Helper()
	bin := Binary(t)
	if o.Plain {
		bin = PlainBinary(t)
	}
	if o.Addr == "" {
		o.Addr = testutil.FreeAddr(t)
	}
	n := &Node{Addr: o.Addr, out: &testutil.LockedBuffer{}, done: make(chan struct{})}
	env := map[string]string{
		"REALTIME_JWT_SECRET": JWTSecret,
		"REALTIME_API_KEY":    APIKey,
		"REALTIME_ADDR":       o.Addr,
		"REALTIME_LOG_LEVEL":  "info",
	}
	if o.RedisAddr != "" {
		env["REDIS_URL"] = "redis://" + o.RedisAddr
	}
	for k, v := range o.Env {
		env[k] = v
	}
	n.cmd = exec.Command(bin)
	n.cmd.Env = os.Environ()
	for k, v := range env {
		n.cmd.Env = append(n.cmd.Env, k+"="+v)
	}
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	go func() {
		n.err = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.Kill()
		if t.Failed() {
			t.Logf("gateway %s output:\n%s", n.Addr, n.Logs())
		}
	})
	probe := "/healthz"
	if o.WaitReady {
		probe = "/readyz"
	}
	n.waitHealthy(t, probe)
	return n
}

func (n *Node) waitHealthy(t testing.TB, probe string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(n.URL(probe))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-n.done:
			t.Fatalf("gateway exited during start: %v\n%s", n.err, n.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway on %s: no 200 from %s after 20s:\n%s", n.Addr, probe, n.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// URL is an http URL on the node.
func (n *Node) URL(path string) string { return "http://" + n.Addr + path }

// StreamURL is the WebSocket URL with the token.
func (n *Node) StreamURL(token string) string {
	return "ws://" + n.Addr + "/v2/realtime/stream?access_token=" + token
}

// Signal sends sig to the process.
func (n *Node) Signal(sig os.Signal) { _ = n.cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to go.
func (n *Node) Kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Wait waits for the process to exit and returns its exit code.
func (n *Node) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-n.done:
	case <-time.After(timeout):
		t.Fatalf("gateway %s did not exit within %v:\n%s", n.Addr, timeout, n.Logs())
	}
	if n.err == nil {
		return 0
	}
	if ee, ok := n.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", n.err)
	return -1
}

// Metrics reads the node's Prometheus text and returns every series it
// holds, labelled ones under their full name (`name{label="v"}` → value).
func (n *Node) Metrics() (map[string]float64, error) {
	resp, err := http.Get(n.URL("/metrics"))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		name, val := line[:i], line[i+1:]
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// PID is the node's process id (its Redis connections are named
// "realtime-gateway:<host>:<pid>" in CLIENT LIST).
func (n *Node) PID() int { return n.cmd.Process.Pid }

// Logs is everything the process printed.
func (n *Node) Logs() string { return n.out.String() }

// Token mints a client token valid for an hour.
func Token(t testing.TB, org, user string, services ...string) string {
	t.Helper()
	v, err := auth.New(auth.Config{Secret: []byte(JWTSecret)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Sign(auth.Claims{User: user, Org: org, Services: services, Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Publish posts one event through the node's HTTP API and returns its seq.
func (n *Node) Publish(org, service, typ, data string) (int64, error) {
	body := fmt.Sprintf(`{"org":%q,"service":%q,"type":%q,"data":%s}`, org, service, typ, data)
	var out struct {
		Seq int64 `json:"seq"`
	}
	if err := n.post("/v2/realtime/publish", body, &out); err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	return out.Seq, nil
}
