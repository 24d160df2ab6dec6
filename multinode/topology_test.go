package multinode

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// A client that sends its request headers one byte per second is cut off
// by the header timeout instead of holding a connection forever.
func TestSlowHeadersCutOff(t *testing.T) {
	redis := redistest.Start(t)
	n := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: map[string]string{"REALTIME_HEADER_TIMEOUT": "1s"}})
	c, err := net.Dial("tcp", n.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	req := "GET /v2/realtime/stream HTTP/1.1\r\nHost: x\r\n"
	closed := false
	for i := 0; i < len(req) && !closed; i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			closed = true
			break
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				closed = true
			}
		}
	}
	el := time.Since(start)
	if !closed {
		t.Fatalf("slow-header client still connected after %v", el)
	}
	if el > 3*time.Second {
		t.Fatalf("cut off after %v, want about the 1s header timeout", el)
	}
	t.Logf("slow-header client cut off after %v", el)
	testutil.Eventually(t, 5*time.Second, "cut-off counted", func() bool {
		m, err := n.Metrics()
		return err == nil && m["realtime_http_closed_before_request_total"] >= 1
	})
}

// Through Sentinel: the node finds the master, serves clients, and after the
// master is killed and Sentinel promotes the replica, publishing and live
// delivery resume on their own. Clients never get a wrong replay: after the
// failover they either continue (recovered) or are told recovered:false.
func TestRedisSentinelFailover(t *testing.T) {
	master := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	replica := redistest.ReplicaOf(t, master)
	sentinel := redistest.StartSentinel(t, master, "rtmaster")
	n := gatewaytest.Start(t, gatewaytest.Options{Env: map[string]string{
		"REDIS_SENTINEL_ADDRS": sentinel.Addr, "REDIS_SENTINEL_MASTER": "rtmaster",
	}})
	nodes := &cluster{nodes: []*gatewaytest.Node{n}}
	k := &checker{id: 0, org: "sent", tok: gatewaytest.Token(t, "sent", "u"), nodes: nodes}
	var last atomic.Int64
	done := make(chan struct{})
	var stopped atomic.Bool
	go func() {
		defer close(done)
		k.run(t, func(l int64) bool { return stopped.Load() && l >= last.Load() }, time.Now().Add(60*time.Second))
	}()
	testutil.Eventually(t, 10*time.Second, "client connected", func() bool { return k.connects.Load() > 0 })
	for i := 0; i < 5; i++ {
		seq, err := n.Publish("sent", "s", "t", `1`)
		if err != nil {
			t.Fatal(err)
		}
		last.Store(seq)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		out, err := replica.CLI(t, "XLEN", "realtime:{sent}:log")
		if strings.TrimSpace(out) == "5" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not in sync after 30s: XLEN %q %v", out, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	master.Stop()
	start := time.Now()
	var seq int64
	testutil.Eventually(t, 30*time.Second, "publish after failover", func() bool {
		s, err := n.Publish("sent", "s", "t", `2`)
		seq = s
		return err == nil
	})
	t.Logf("publishing resumed %v after the master died", time.Since(start).Round(time.Millisecond))
	last.Store(seq)
	stopped.Store(true)
	<-done
	if len(k.problems) > 0 {
		t.Fatalf("client: %v", k.problems)
	}
}
