package multinode

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// tokenIssued mints a token of the test fleet with an explicit iat.
func tokenIssued(t *testing.T, org, user string, iat time.Time) string {
	t.Helper()
	v, err := auth.New(auth.Config{Secret: []byte(gatewaytest.JWTSecret)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Sign(auth.Claims{User: user, Org: org, Expiry: time.Now().Add(time.Hour), IssuedAt: iat})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// revoke posts a revocation to n and returns revokedAt.
func revoke(t *testing.T, n *gatewaytest.Node, org, user string) int64 {
	t.Helper()
	at, err := n.Revoke(org, user)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// dialWS connects and handshakes; it returns the client and the first
// message (the ack, or the refusal's error frame).
func dialWS(t *testing.T, n *gatewaytest.Node, tok string) (*wstest.Client, wstest.Msg) {
	t.Helper()
	c := wstest.Dial(t, n.StreamURL(tok), wstest.Options{})
	c.Send(map[string]any{"services": []string{"finance"}})
	return c, c.Next(10 * time.Second)
}

// sseLines opens an SSE stream and delivers its "event:"/"data:" lines.
func sseLines(t *testing.T, n *gatewaytest.Node, tok string) <-chan string {
	t.Helper()
	resp, err := http.Get(n.URL("/v2/realtime/sse?services=finance&access_token=" + tok))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sse: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "event: ") || strings.HasPrefix(l, "data: ") {
				lines <- l
			}
		}
	}()
	return lines
}

// Revoking a user through node A cuts their WebSocket, SSE stream and
// waiting long-poll on node B within a second, leaves the org's other
// users alone, and from then on both nodes refuse the old token and accept
// one issued later.
func TestRevokeAcrossNodes(t *testing.T) {
	rs := redistest.Start(t)
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: rs.Addr, WaitReady: true})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: rs.Addr, WaitReady: true})
	org := "rev" + fmt.Sprint(time.Now().UnixNano()%1e9)
	old := tokenIssued(t, org, "u1", time.Now().Add(-time.Minute))

	ws, ack := dialWS(t, b, old)
	if ack.Type != "ack" {
		t.Fatalf("u1 on B: %s", ack.Raw)
	}
	other, ack := dialWS(t, b, tokenIssued(t, org, "u2", time.Now().Add(-time.Minute)))
	if ack.Type != "ack" {
		t.Fatalf("u2 on B: %s", ack.Raw)
	}
	sse := sseLines(t, b, old)
	if l := <-sse; l != "event: ack" {
		t.Fatalf("sse first line %q", l)
	}
	polled := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, b.URL("/v2/realtime/poll?services=finance&lastSeq=0&timeout=25"), nil)
		req.Header.Set("Authorization", "Bearer "+old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			polled <- -1
			return
		}
		resp.Body.Close()
		polled <- resp.StatusCode
	}()
	testutil.Eventually(t, 10*time.Second, "the long-poll waiting on B", func() bool {
		m, err := b.Metrics()
		return err == nil && m["realtime_long_polls_total"] >= 1
	})

	start := time.Now()
	at := revoke(t, a, org, "u1")
	cut := make(chan string, 3)
	go func() {
		m := ws.ExpectClose(4009)
		cut <- "ws:" + m.Code
	}()
	go func() {
		var last string
		for l := range sse { // ends when B ends the stream
			last = l
		}
		cut <- "sse:" + last
	}()
	go func() { cut <- fmt.Sprint("poll:", <-polled) }()
	want := map[string]bool{"ws:revoked": true, `sse:data: {"type":"error","code":"revoked","message":"token revoked"}`: true, "poll:401": true}
	for range 3 {
		select {
		case got := <-cut:
			if !want[got] {
				t.Fatalf("cut as %q", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("not every client of u1 was cut")
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("u1's clients on B cut %v after the revocation through A, want within 1s", d)
	}

	seq, err := a.Publish(org, "finance", "after", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if evs := other.Events(1); evs[0].Seq != seq {
		t.Fatalf("u2 got %+v", evs)
	}
	for _, n := range []*gatewaytest.Node{a, b} {
		c, m := dialWS(t, n, old)
		if m.Type != "error" || m.Message != "token revoked" {
			t.Fatalf("old token on %s: %s", n.Addr, m.Raw)
		}
		c.ExpectClose(4001)
		if _, m := dialWS(t, n, tokenIssued(t, org, "u1", time.Unix(at+1, 0))); m.Type != "ack" {
			t.Fatalf("newer token on %s: %s", n.Addr, m.Raw)
		}
	}
}

// A revocation announced while node B's link to Redis is down never reaches
// B's feed; B still refuses the token at its next handshake, because the
// handshake reads the record.
func TestRevokeWhileLinkDown(t *testing.T) {
	rs := redistest.Start(t)
	proxy := startProxy(t, rs.Addr)
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: rs.Addr, WaitReady: true})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: proxy.Addr, WaitReady: true})
	org := "part" + fmt.Sprint(time.Now().UnixNano()%1e9)
	old := tokenIssued(t, org, "u1", time.Now().Add(-time.Minute))
	if _, m := dialWS(t, b, old); m.Type != "ack" {
		t.Fatalf("before: %s", m.Raw)
	}

	proxy.cut()
	revoke(t, a, org, "u1")
	// While the link is down B cannot read the record: the token is not
	// let in (1011, retry), never let in on trust.
	c, m := dialWS(t, b, old)
	if m.Type == "ack" {
		t.Fatalf("B admitted the token with its Redis link down: %s", m.Raw)
	}
	c.NC.Close()
	proxy.restore()
	testutil.EventuallyNote(t, 20*time.Second, "B refusing the revoked token", func() (bool, string) {
		c, m := dialWS(t, b, old)
		defer c.NC.Close()
		return m.Type == "error" && m.Code == "unauthorized" && m.Message == "token revoked", string(m.Raw)
	})
	if _, m := dialWS(t, b, tokenIssued(t, org, "u1", time.Now().Add(time.Minute))); m.Type != "ack" {
		t.Fatalf("newer token on B: %s", m.Raw)
	}
}
