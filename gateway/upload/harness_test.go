package upload_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
	"github.com/rtgw/realtime/store"
	"github.com/rtgw/realtime/store/files"
)

// harness is one gateway node with uploads, on a real redis-server and a
// real listener: uploads are tested through the gateway, the way clients
// reach them.
type harness struct {
	t        testing.TB
	rdb      *redis.Client
	log      *store.Log
	http     *httptest.Server
	verifier *auth.Verifier
	wsURL    string
}

// newHarness starts a node on redis (a fresh redis-server when nil); tune
// adjusts its config.
func newHarness(t testing.TB, rs *redistest.Server, tune func(*gateway.Config)) *harness {
	t.Helper()
	if rs == nil {
		rs = redistest.Start(t)
	}
	h := &harness{t: t, rdb: rs.Client(t)}
	var err error
	if h.log, err = store.New(store.Config{Client: h.rdb}); err != nil {
		t.Fatal(err)
	}
	if h.verifier, err = auth.New(auth.Config{Secret: []byte(gatewaytest.JWTSecret)}); err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{Log: gateway.StoreLog(h.log, nil), Verifier: h.verifier, TailIdle: 200 * time.Millisecond}
	tune(&cfg)
	srv, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(srv.Handler())
	h.wsURL = "ws" + strings.TrimPrefix(h.http.URL, "http") + "/v2/realtime/stream"
	t.Cleanup(func() {
		h.http.Close()
		srv.Close()
	})
	return h
}

// uploadHarness is a node with uploads stored in dir (shared by nodes
// given the same dir and Redis).
func uploadHarness(t testing.TB, rs *redistest.Server, dir string, tune func(*upload.Config)) *harness {
	t.Helper()
	d, err := files.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, rs, func(c *gateway.Config) {
		c.Uploads = upload.Config{Storage: d, ChunkBytes: 64 << 10}
		if tune != nil {
			tune(&c.Uploads)
		}
	})
}

// token mints a client token (gatewaytest's secret, which the node uses).
func (h *harness) token(org, user string, services ...string) string {
	return gatewaytest.Token(h.t, org, user, services...)
}

// connect dials, sends the handshake and returns the client and its ack.
func (h *harness) connect(org, user string, hs map[string]any) (*wstest.Client, wstest.Msg) {
	h.t.Helper()
	c := wstest.Dial(h.t, h.wsURL+"?access_token="+h.token(org, user), wstest.Options{})
	c.Send(hs)
	return c, c.Expect("ack")
}

// metric reads one unlabelled series from the node's /metrics.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				h.t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	h.t.Fatalf("no metric %s", name)
	return 0
}
