package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/rollout"
	"github.com/rtgw/realtime/store"
)

const testSecret = "test-secret-test-secret-test-secret!"
const testAPIKey = "test-api-key"

// harness is one gateway node on a real redis-server and a real listener.
type harness struct {
	t        testing.TB
	redis    *redistest.Server
	rdb      *redis.Client
	log      *store.Log
	srv      *Server
	http     *httptest.Server
	verifier *auth.Verifier
	flags    *rollout.Source
	wsURL    string
}

type harnessOpts struct {
	maxLen  int64
	cfg     func(*Config)
	redis   *redistest.Server // share a Redis with another node
	rollout bool              // read rollout flags from realtime:rollout
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, redis: o.redis}
	if h.redis == nil {
		h.redis = redistest.Start(t)
	}
	h.rdb = h.redis.Client(t)
	var err error
	h.log, err = store.New(store.Config{Client: h.rdb, MaxLen: o.maxLen})
	if err != nil {
		t.Fatal(err)
	}
	h.verifier, err = auth.New(auth.Config{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Log:        StoreLog(h.log, h.rdb, nil),
		Verifier:   h.verifier,
		APIKey:     testAPIKey,
		TailIdle:   200 * time.Millisecond,
		KillSpread: 300 * time.Millisecond,
	}
	if o.rollout {
		h.flags, err = rollout.New(rollout.Config{
			Client:         redis.NewClient(&redis.Options{Addr: h.redis.Addr, ContextTimeoutEnabled: true, MaxRetries: -1}),
			Key:            "realtime:rollout",
			DefaultEnabled: true,
			Refresh:        50 * time.Millisecond,
			MaxStale:       time.Minute,
			OnKill:         func() { h.srv.KillSwitch() },
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Rollout = h.flags
		stop := make(chan struct{})
		go h.flags.Run(stop)
		t.Cleanup(func() { close(stop) })
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	h.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(h.srv.Handler())
	h.wsURL = "ws" + strings.TrimPrefix(h.http.URL, "http") + "/v2/realtime/stream"
	t.Cleanup(func() {
		h.http.Close()
		h.srv.Close()
	})
	return h
}

func (h *harness) token(org, user string, services ...string) string {
	h.t.Helper()
	tok, err := h.verifier.Sign(auth.Claims{User: user, Org: org, Services: services, Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *harness) publish(org, service, typ, data string) int64 {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seq, _, err := h.log.Publish(ctx, org, store.Input{Service: service, Type: typ, Data: json.RawMessage(data)})
	if err != nil {
		h.t.Fatalf("publish: %v", err)
	}
	return seq
}

// connect dials, sends the handshake and returns the client and its ack.
func (h *harness) connect(org, user string, hs map[string]any) (*wsClient, msg) {
	h.t.Helper()
	c := dialWS(h.t, h.wsURL+"?access_token="+h.token(org, user), dialOpts{})
	c.send(hs)
	return c, c.expect("ack")
}

// msg is any server message, decoded loosely for assertions.
type msg struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Epoch     string `json:"epoch"`
	Recovered *bool  `json:"recovered"`
	Timestamp string `json:"timestamp"`
	Service   string `json:"service"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Events    []struct {
		Seq  int64           `json:"seq"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
		TS   string          `json:"ts"`
	} `json:"events"`

	closeCode  int  // set for a close frame
	compressed bool // the frame arrived deflated
	raw        []byte
}

type wsClient struct {
	t       testing.TB
	nc      net.Conn
	br      *bufio.Reader
	deflate bool
}

type dialOpts struct {
	deflate bool
	header  http.Header
	rcvbuf  int // SO_RCVBUF before connect (slow-consumer tests)
}

func dialWS(t testing.TB, url string, o dialOpts) *wsClient {
	t.Helper()
	c, err := tryDialWS(url, o)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.t = t
	t.Cleanup(func() { c.nc.Close() })
	return c
}

func tryDialWS(url string, o dialOpts) (*wsClient, error) {
	d := ws.Dialer{Timeout: 5 * time.Second, Header: ws.HandshakeHeaderHTTP(o.header)}
	if o.deflate {
		d.Extensions = []httphead.Option{wsflate.DefaultParameters.Option()}
	}
	if o.rcvbuf > 0 {
		nd := net.Dialer{Control: setRcvBuf(o.rcvbuf)}
		d.NetDial = nd.DialContext
	}
	nc, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReader(nc)
	}
	c := &wsClient{nc: nc, br: br}
	for _, e := range hs.Extensions {
		if string(e.Name) == wsflate.ExtensionName {
			c.deflate = true
		}
	}
	return c, nil
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *wsClient) sendRaw(b []byte) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.nc, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next reads the next message (answering control pings), or fails the test
// after timeout.
func (c *wsClient) next(timeout time.Duration) msg {
	c.t.Helper()
	m, err := c.read(timeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *wsClient) read(timeout time.Duration) (msg, error) {
	return c.readFrames(timeout, false)
}

// readIncludingPings is read, but returns JSON pings too.
func (c *wsClient) readIncludingPings(timeout time.Duration) (msg, error) {
	return c.readFrames(timeout, true)
}

func (c *wsClient) readFrames(timeout time.Duration, pings bool) (msg, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return msg{}, err
		}
		p := make([]byte, h.Length)
		if _, err := ioReadFull(c.br, p); err != nil {
			return msg{}, err
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(c.nc, ws.OpPong, p)
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			// Answer like a browser does, so the server need not linger.
			_ = wsutil.WriteClientMessage(c.nc, ws.OpClose, p)
			code := 1005
			if len(p) >= 2 {
				code = int(p[0])<<8 | int(p[1])
			}
			return msg{Type: "close", closeCode: code, raw: p}, nil
		}
		var m msg
		if h.Rsv1() {
			if p, err = inflate(p, 16<<20); err != nil {
				return msg{}, fmt.Errorf("inflate: %w", err)
			}
			m.compressed = true
		}
		if err := json.Unmarshal(p, &m); err != nil {
			return msg{}, fmt.Errorf("bad JSON from server %q: %w", p, err)
		}
		m.raw = p
		if m.Type == "ping" && !pings {
			continue // the JSON ping is exercised by its own test
		}
		return m, nil
	}
}

// expect reads the next message and checks its type.
func (c *wsClient) expect(typ string) msg {
	c.t.Helper()
	m := c.next(5 * time.Second)
	if m.Type != typ {
		c.t.Fatalf("got %s (%s), want %s", m.Type, m.raw, typ)
	}
	return m
}

// expectClose reads until an error frame and a close frame with code.
func (c *wsClient) expectClose(code int) msg {
	c.t.Helper()
	var errMsg msg
	for {
		m := c.next(5 * time.Second)
		switch m.Type {
		case "error":
			errMsg = m
		case "close":
			if m.closeCode != code {
				c.t.Fatalf("close code %d (%s), want %d", m.closeCode, m.raw, code)
			}
			return errMsg
		}
	}
}

// events reads event frames until n events arrived and returns them in
// arrival order as (service, seq) pairs.
func (c *wsClient) events(n int) []evSeen {
	c.t.Helper()
	var out []evSeen
	for len(out) < n {
		m := c.next(10 * time.Second)
		if m.Type != "event" {
			c.t.Fatalf("got %s (%s) while waiting for events", m.Type, m.raw)
		}
		if m.Seq != m.Events[len(m.Events)-1].Seq {
			c.t.Fatalf("frame seq %d != last event seq %d", m.Seq, m.Events[len(m.Events)-1].Seq)
		}
		for _, e := range m.Events {
			out = append(out, evSeen{service: m.Service, seq: e.Seq, typ: e.Type, data: string(e.Data)})
		}
	}
	return out
}

type evSeen struct {
	service string
	seq     int64
	typ     string
	data    string
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
