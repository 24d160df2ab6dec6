package gateway

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
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
		Log:        StoreLog(h.log, nil),
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
func (h *harness) connect(org, user string, hs map[string]any) (*wstest.Client, wstest.Msg) {
	h.t.Helper()
	c := wstest.Dial(h.t, h.wsURL+"?access_token="+h.token(org, user), wstest.Options{})
	c.Send(hs)
	return c, c.Expect("ack")
}

// acked reports whether a fresh connection for org/user that sends hs is
// acked, then closes it: a probe for testutil.Eventually, so a refused
// dial, a close or a slow answer is false rather than a failure.
func (h *harness) acked(org, user string, hs map[string]any) bool {
	c, err := wstest.TryDial(h.wsURL+"?access_token="+h.token(org, user), wstest.Options{})
	if err != nil {
		return false
	}
	defer c.NC.Close()
	c.T = h.t
	c.Send(hs)
	m, err := c.Read(2 * time.Second)
	return err == nil && m.Type == "ack"
}
