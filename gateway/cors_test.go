package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rtgw/realtime/gateway/httpapi"
)

// browserRoute is a route pages call over HTTP.
type browserRoute struct{ method, path string }

// browserRoutesUnderTest are the routes pages call over HTTP: every one
// must answer preflights and carry CORS headers.
var browserRoutesUnderTest = []browserRoute{
	{http.MethodGet, "/v2/realtime/poll?services=a"},
	{http.MethodGet, "/v2/realtime/sse?services=a"},
	{http.MethodGet, "/v2/realtime/presence?room=r"},
	{http.MethodGet, "/v2/realtime/metrics"},
	{http.MethodPost, "/v2/realtime/uploads"},
	{http.MethodPut, "/v2/realtime/uploads/u1"},
	{http.MethodGet, "/v2/realtime/uploads/u1"},
	{http.MethodDelete, "/v2/realtime/uploads/u1"},
}

// corsCase is one Origin against one allow-list. allowed "" means the
// request carries no Origin (not a browser).
type corsCase struct {
	name    string
	list    []string
	origin  string // "self" is replaced by the harness's own origin
	allowed bool
}

var corsCases = []corsCase{
	{name: "exact origin", list: []string{"https://app.example.com"}, origin: "https://app.example.com", allowed: true},
	{name: "exact origin other port", list: []string{"https://app.example.com"}, origin: "https://app.example.com:8443"},
	{name: "pattern", list: []string{"*.example.com"}, origin: "http://a.b.example.com:3000", allowed: true},
	{name: "pattern not the apex", list: []string{"*.example.com"}, origin: "https://example.com"},
	{name: "star", list: []string{"*"}, origin: "https://anything.test", allowed: true},
	{name: "disallowed", list: []string{"https://app.example.com", "*.example.com"}, origin: "https://evil.test"},
	{name: "empty list same origin", origin: "self", allowed: true},
	{name: "empty list cross origin", origin: "https://app.example.com"},
	{name: "listed, own origin not implied", list: []string{"https://app.example.com"}, origin: "self"},
	{name: "missing origin", list: []string{"https://app.example.com"}, origin: ""},
}

// corsHarness starts one node per allow-list of corsCases, on one Redis.
func corsHarness(t *testing.T, list []string, shared *harness) *harness {
	t.Helper()
	o := harnessOpts{cfg: func(c *Config) { c.AllowedOrigins = list }}
	if shared != nil {
		o.redis = shared.redis
	}
	return newHarness(t, o)
}

func (tc corsCase) originFor(h *harness) string {
	if tc.origin == "self" {
		return h.http.URL // http://127.0.0.1:port
	}
	return tc.origin
}

func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// eachCORSCase runs check for every case of corsCases on every browser
// route, one node per case on one Redis. req carries the case's Origin;
// it is an OPTIONS preflight for the route's method when preflight is set,
// else the route's own method.
func eachCORSCase(t *testing.T, preflight bool, check func(t *testing.T, h *harness, tc corsCase, rt browserRoute, req *http.Request)) {
	var first *harness
	for _, tc := range corsCases {
		h := corsHarness(t, tc.list, first)
		first = h
		for _, rt := range browserRoutesUnderTest {
			t.Run(tc.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
				method := rt.method
				if preflight {
					method = http.MethodOptions
				}
				req, _ := http.NewRequest(method, h.http.URL+rt.path, nil)
				if origin := tc.originFor(h); origin != "" {
					req.Header.Set("Origin", origin)
				}
				if preflight {
					req.Header.Set("Access-Control-Request-Method", rt.method)
					req.Header.Set("Access-Control-Request-Headers", "authorization,content-range")
				}
				check(t, h, tc, rt, req)
			})
		}
	}
}

// Preflights on every browser route: allowed origins get 204 with the
// methods, headers and max age; refused ones 403 JSON without CORS
// headers, counted; without Origin nothing CORS happens.
func TestCORSPreflight(t *testing.T) {
	eachCORSCase(t, true, func(t *testing.T, h *harness, tc corsCase, rt browserRoute, req *http.Request) {
		refused, preflights := h.srv.metrics.originRefused.Get(), h.srv.metrics.preflights.Get()
		origin := req.Header.Get("Origin")
		resp, body := send(t, req)
		hd := resp.Header
		if hd.Get("Vary") != "Origin" {
			t.Errorf("Vary = %q, want Origin", hd.Get("Vary"))
		}
		switch {
		case origin == "":
			if resp.StatusCode != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("no Origin: %d, ACAO %q; want a plain 204", resp.StatusCode, hd.Get("Access-Control-Allow-Origin"))
			}
		case tc.allowed:
			if resp.StatusCode != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != origin ||
				!strings.Contains(hd.Get("Access-Control-Allow-Methods"), rt.method) ||
				hd.Get("Access-Control-Allow-Headers") != httpapi.CORSAllowHeaders || hd.Get("Access-Control-Max-Age") != "7200" ||
				hd.Get("Access-Control-Allow-Credentials") != "" {
				t.Fatalf("allowed preflight: %d %v", resp.StatusCode, hd)
			}
			if h.srv.metrics.preflights.Get() != preflights+1 {
				t.Fatal("preflight not counted")
			}
		default:
			checkRefused(t, h, resp, body, refused)
		}
	})
}

func checkRefused(t *testing.T, h *harness, resp *http.Response, body string, refusedBefore uint64) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"origin_not_allowed"`) ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("refused origin: %d %q", resp.StatusCode, body)
	}
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Fatalf("refused origin got CORS header %s", k)
		}
	}
	if h.srv.metrics.originRefused.Get() != refusedBefore+1 {
		t.Fatal("refusal not counted in realtime_origin_refused_total")
	}
}

// Actual requests (no token, so every route answers 401): an allowed
// origin can read the answer, a refused one gets 403 before the route
// runs, a request without Origin is answered as before.
func TestCORSActualRequest(t *testing.T) {
	eachCORSCase(t, false, func(t *testing.T, h *harness, tc corsCase, _ browserRoute, req *http.Request) {
		refused := h.srv.metrics.originRefused.Get()
		origin := req.Header.Get("Origin")
		resp, body := send(t, req)
		hd := resp.Header
		if origin != "" && !tc.allowed {
			checkRefused(t, h, resp, body, refused)
			return
		}
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"type":"error"`) {
			t.Fatalf("got %d %q, want the route's own 401", resp.StatusCode, body)
		}
		wantExpose := httpapi.CORSExposeHeaders
		if origin == "" {
			wantExpose = ""
		}
		if hd.Get("Access-Control-Allow-Origin") != origin || hd.Get("Access-Control-Expose-Headers") != wantExpose ||
			hd.Get("Vary") != "Origin" {
			t.Fatalf("headers %v; want ACAO %q, expose %q, Vary Origin", hd, origin, wantExpose)
		}
	})
}
