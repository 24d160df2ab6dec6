package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
)

// A healthy node passes every row, including the ping and the rollout
// compared with the hash, read by a Redis user that may not write: rtcheck
// cannot have changed a flag.
func TestHealthyNodePassesEveryCheck(t *testing.T) {
	srv := redistest.Start(t)
	node := startNode(t, srv, map[string]string{"REALTIME_PING_INTERVAL": "1s"})
	org := redistest.UniqueName(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	// Only this org is in: the minted users of the connections row too.
	if err := rdb.HSet(ctx, "realtime:rollout", "percent", "0", "allow:org:"+org, "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Do(ctx, "ACL", "SETUSER", "reader", "on", ">readerpw", "~*", "+@read", "+@connection", "-@write").Err(); err != nil {
		t.Fatal(err)
	}
	before := rdb.HGetAll(ctx, "realtime:rollout").Val()

	args := append(baseArgs("http://"+node.Addr, gatewaytest.Token(t, org, "alice")),
		"-ping-wait", "5s", "-conns", "40", "-jwt-secret", gatewaytest.JWTSecret,
		"-redis", "redis://reader:readerpw@"+srv.Addr)
	rep, code := rtcheck(t, args...)
	if code != 0 || !rep.OK {
		t.Fatalf("exit %d, want 0:\n%s", code, figures(rep))
	}
	for _, name := range []string{"handshake", "latency", "ping", "resume", "compression", "connections", "rollout"} {
		if r := rowOf(t, rep, name); r.Status != pass {
			t.Errorf("%s: %s %s", name, r.Status, r.Figure)
		}
	}
	if got := rowOf(t, rep, "connections").Values["opened"]; got != float64(40) {
		t.Errorf("connections opened %v, want 40 (one user each)", got)
	}
	if got := rowOf(t, rep, "rollout").Values["hash"]; got != "websocket" {
		t.Errorf("rollout hash decision %v, want websocket (allow:org)", got)
	}
	if after := rdb.HGetAll(ctx, "realtime:rollout").Val(); !maps.Equal(before, after) {
		t.Fatalf("rollout hash changed: %v → %v", before, after)
	}
}

// One deliberately broken setup per check: each must turn its row ✗ and
// the exit status 1.
func TestBrokenSetupsFail(t *testing.T) {
	srv := redistest.Start(t)
	cases := []struct {
		name  string
		row   string
		redis []string          // own redis-server with these args
		env   map[string]string // node environment
		args  func(t *testing.T, node *gatewaytest.Node, org string) []string
	}{
		{name: "wrong JWT secret", row: "handshake",
			env: map[string]string{"REALTIME_JWT_SECRET": "another-secret-another-secret-another"}},
		{name: "no ping within the wait", row: "ping",
			args: func(t *testing.T, n *gatewaytest.Node, org string) []string {
				return append(defaultArgs(t, n, org), "-ping-wait", "1s") // node pings every 30 s
			}},
		{name: "150 ms on the path to the client", row: "latency",
			args: func(t *testing.T, n *gatewaytest.Node, org string) []string {
				proxy := tcpProxy(t, n.Addr, 150*time.Millisecond)
				return append(baseArgs("http://"+proxy, gatewaytest.Token(t, org, "alice")), "-latency-target", "100ms")
			}},
		{name: "history of one event", row: "resume",
			redis: []string{"--stream-node-max-entries", "1"},
			env:   map[string]string{"REALTIME_HISTORY_MAXLEN": "1"}},
		{name: "compression off", row: "compression",
			env: map[string]string{"REALTIME_COMPRESS_THRESHOLD": "-1"}},
		{name: "wrong API key", row: "connections",
			args: func(t *testing.T, n *gatewaytest.Node, org string) []string {
				return append(defaultArgs(t, n, org), "-api-key", "not-the-key")
			}},
		{name: "node on another key prefix than the hash", row: "rollout",
			env: map[string]string{"REALTIME_REDIS_PREFIX": "elsewhere"},
			args: func(t *testing.T, n *gatewaytest.Node, org string) []string {
				if err := srv.Client(t).HSet(context.Background(), "realtime:rollout", "percent", "0").Err(); err != nil {
					t.Fatal(err)
				}
				return append(defaultArgs(t, n, org), "-redis", "redis://"+srv.Addr)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := srv
			if tc.redis != nil {
				rs = redistest.Start(t, tc.redis...)
			}
			node := startNode(t, rs, tc.env)
			org := redistest.UniqueName(t)
			args := defaultArgs(t, node, org)
			if tc.args != nil {
				args = tc.args(t, node, org)
			}
			rep, code := rtcheck(t, args...)
			if code != 1 || rep.OK {
				t.Fatalf("exit %d ok=%v, want 1:\n%s", code, rep.OK, figures(rep))
			}
			if r := rowOf(t, rep, tc.row); r.Status != fail {
				t.Fatalf("%s row %s (%s), want fail", tc.row, r.Status, r.Figure)
			}
		})
	}
}

func defaultArgs(t *testing.T, n *gatewaytest.Node, org string) []string {
	return baseArgs("http://"+n.Addr, gatewaytest.Token(t, org, "alice"))
}

// wss through a TLS-terminating reverse proxy with a self-signed
// certificate, trusted through -ca-file: every row passes.
func TestThroughTLSProxy(t *testing.T) {
	srv := redistest.Start(t)
	node := startNode(t, srv, nil)
	target, _ := url.Parse("http://" + node.Addr)
	proxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(proxy.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemCert(proxy.Certificate()), 0o600); err != nil {
		t.Fatal(err)
	}
	org := redistest.UniqueName(t)
	args := append(baseArgs(proxy.URL, gatewaytest.Token(t, org, "alice")), "-ca-file", ca)
	if rep, code := rtcheck(t, args...); code != 0 {
		t.Fatalf("through the TLS proxy: exit %d\n%s", code, figures(rep))
	}
	// Without the CA the certificate is refused: the TLS path is real.
	rep, code := rtcheck(t, baseArgs(proxy.URL, gatewaytest.Token(t, org, "alice"))...)
	if code != 1 || rowOf(t, rep, "handshake").Status != fail {
		t.Fatalf("untrusted certificate: exit %d\n%s", code, figures(rep))
	}
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// Through a Service: the chart's Service maps port 80 to the pod's http
// port at the TCP level (charts/wiring_test.go checks that mapping), which
// an L4 forwarder stands in for here. One token for every connection, so
// the node's per-user cap (20) stops the connections row short of -conns:
// the row still passes and says so.
func TestThroughServiceWithOneToken(t *testing.T) {
	srv := redistest.Start(t)
	node := startNode(t, srv, nil)
	svc := tcpProxy(t, node.Addr, 0)
	org := redistest.UniqueName(t)
	rep, code := rtcheck(t, append(baseArgs("http://"+svc, gatewaytest.Token(t, org, "alice")), "-conns", "30")...)
	if code != 0 {
		t.Fatalf("through the service: exit %d\n%s", code, figures(rep))
	}
	c := rowOf(t, rep, "connections")
	if c.Values["opened"] != float64(20) || c.Values["perUserCapped"] != float64(10) {
		t.Fatalf("connections row %v, want 20 opened and 10 capped", c.Values)
	}
}
