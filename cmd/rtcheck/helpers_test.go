package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
)

// startNode runs one real gateway process on srv with extra environment.
func startNode(t *testing.T, srv *redistest.Server, env map[string]string) *gatewaytest.Node {
	t.Helper()
	return gatewaytest.Start(t, gatewaytest.Options{RedisAddr: srv.Addr, Env: env})
}

// rtcheck runs the command in-process with -json and returns its report
// and exit status; stderr is logged.
func rtcheck(t *testing.T, args ...string) (report, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := mainCode(append(args, "-json"), &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("rtcheck stderr: %s", errOut.String())
	}
	var rep report
	if code != 2 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("rtcheck -json output %q: %v", out.String(), err)
		}
	}
	for _, r := range rep.Checks {
		t.Logf("%-12s %-4s %s", r.Name, r.Status, r.Figure)
	}
	return rep, code
}

func rowOf(t *testing.T, rep report, name string) row {
	t.Helper()
	for _, r := range rep.Checks {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %q row in %+v", name, rep.Checks)
	return row{}
}

// baseArgs are a run against node as user in org, with waits that stay
// green under a loaded CI machine (the latency target is the broken
// latency case's business, not the healthy runs').
func baseArgs(url, token string) []string {
	return []string{"-url", url, "-token", token, "-api-key", gatewaytest.APIKey,
		"-latency-target", "2s", "-ping-wait", "0", "-conns", "10", "-timeout", "10s"}
}

// tcpProxy forwards every connection to target at the TCP level, as
// kube-proxy does for a Service; with delay, each chunk from the server
// waits that long before it is passed on. It stops in t.Cleanup.
func tcpProxy(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			open = append(open, in, out)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(out, in); out.Close() })
			wg.Go(func() { copyDelayed(in, out, delay); in.Close() })
		}
	})
	return ln.Addr().String()
}

func copyDelayed(dst io.Writer, src io.Reader, delay time.Duration) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func hasRow(rep report, name string, st status) bool {
	for _, r := range rep.Checks {
		if r.Name == name && r.Status == st {
			return true
		}
	}
	return false
}

func figures(rep report) string {
	var b strings.Builder
	for _, r := range rep.Checks {
		b.WriteString(r.Name + " " + string(r.Status) + " " + r.Figure + "\n")
	}
	return b.String()
}
