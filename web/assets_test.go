package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// newRouter is a parent router like the gateway's: JSON 404/405 and the
// client assets mounted.
func newRouter() chi.Router {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "parent 404", http.StatusNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "parent 405", http.StatusMethodNotAllowed) })
	MountClient(r)
	return r
}

func TestClientAssets(t *testing.T) {
	h := newRouter()
	cases := []struct {
		name, method, path string
		header             map[string]string
		status             int
		ctype, encoding    string
		body               []byte // nil: not checked
	}{
		{name: "script", method: "GET", path: ClientPath, status: 200, ctype: "text/javascript; charset=utf-8", body: clientJS.raw},
		{name: "script gzip", method: "GET", path: ClientPath, header: map[string]string{"Accept-Encoding": "br, gzip"},
			status: 200, ctype: "text/javascript; charset=utf-8", encoding: "gzip", body: clientJS.raw},
		{name: "gzip refused", method: "GET", path: ClientPath, header: map[string]string{"Accept-Encoding": "gzip;q=0, *"},
			status: 200, ctype: "text/javascript; charset=utf-8", body: clientJS.raw},
		{name: "types", method: "GET", path: TypesPath, status: 200, ctype: "text/plain; charset=utf-8", body: clientTS.raw},
		{name: "head", method: "HEAD", path: ClientPath, status: 200, ctype: "text/javascript; charset=utf-8", body: []byte{}},
		{name: "revalidate", method: "GET", path: ClientPath, header: map[string]string{"If-None-Match": clientJS.etag}, status: 304},
		{name: "revalidate weak list", method: "GET", path: ClientPath, header: map[string]string{"If-None-Match": `"x", W/` + clientJS.etag}, status: 304},
		{name: "revalidate gzip", method: "GET", path: ClientPath,
			header: map[string]string{"If-None-Match": clientJS.gzEtag, "Accept-Encoding": "gzip"}, status: 304},
		{name: "stale etag", method: "GET", path: ClientPath, header: map[string]string{"If-None-Match": `"old"`}, status: 200, ctype: "text/javascript; charset=utf-8"},
		{name: "deeper path", method: "GET", path: ClientPath + "/x", status: 404},
		{name: "wrong method", method: "POST", path: ClientPath, status: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status >= 300 && tc.status != 304 {
				return
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
				t.Errorf("Cache-Control %q has no max-age", cc)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if tc.status == 304 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if tc.body != nil {
				if got := decoded(t, res); !bytes.Equal(got, tc.body) {
					t.Errorf("body differs: %d bytes, want %d", len(got), len(tc.body))
				}
			}
		})
	}
}

func decoded(t *testing.T, res *http.Response) []byte {
	t.Helper()
	var r io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAcceptsGzip(t *testing.T) {
	cases := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"br", false},
		{"gzip;q=bogus", false},
	}
	for _, tc := range cases {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// The module must stay importable from another origin: module scripts are
// fetched in CORS mode.
func TestClientCORS(t *testing.T) {
	rec := httptest.NewRecorder()
	newRouter().ServeHTTP(rec, httptest.NewRequest("GET", ClientPath, nil))
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Fatalf("Access-Control-Allow-Origin %q, want *", got)
	}
}
