package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

func demoRouter(t *testing.T, cfg DemoConfig) chi.Router {
	t.Helper()
	r := newRouter()
	if err := MountDemo(r, cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMountDemoNeedsFuncs(t *testing.T) {
	if err := MountDemo(chi.NewRouter(), DemoConfig{}); !errors.Is(err, errDemoConfig) {
		t.Fatalf("MountDemo with no funcs: %v, want errDemoConfig", err)
	}
}

func TestDemoEndpoints(t *testing.T) {
	var got []DemoEvent
	cfg := DemoConfig{
		Token: func() (string, error) { return "tok", nil },
		Publish: func(_ context.Context, ev DemoEvent) (int64, error) {
			got = append(got, ev)
			switch ev.Service {
			case "bad":
				return 0, &PublishError{Status: 400, Code: "bad_request", Message: "nope"}
			case "down":
				return 0, errors.New("redis down")
			}
			return 42, nil
		},
	}
	h := demoRouter(t, cfg)
	const ev = `{"service":"finance","type":"demo.clicked","data":{"n":1}}`
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string // substring of the response body
	}{
		{name: "page", method: "GET", path: "/", status: 200, want: "/v2/realtime/client.js"},
		{name: "token", method: "GET", path: TokenPath, status: 200, want: `"token":"tok"`},
		{name: "publish", method: "POST", path: PublishPath, ctype: "application/json", body: ev, status: 200, want: `"seq":42`},
		{name: "publish charset", method: "POST", path: PublishPath, ctype: "application/json; charset=utf-8", body: ev, status: 200, want: `"seq":42`},
		{name: "form post refused", method: "POST", path: PublishPath, ctype: "text/plain", body: ev, status: 415},
		{name: "unknown field", method: "POST", path: PublishPath, ctype: "application/json", body: `{"org":"x","service":"a","type":"b","data":1}`, status: 400},
		{name: "no data", method: "POST", path: PublishPath, ctype: "application/json", body: `{"service":"a","type":"b"}`, status: 400},
		{name: "rejected", method: "POST", path: PublishPath, ctype: "application/json", body: `{"service":"bad","type":"b","data":1}`, status: 400, want: "nope"},
		{name: "upstream down", method: "POST", path: PublishPath, ctype: "application/json", body: `{"service":"down","type":"b","data":1}`, status: 502},
		{name: "other path", method: "GET", path: "/nope", status: 404, want: "parent 404"},
		{name: "client still served", method: "GET", path: ClientPath, status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("body %q lacks %q", rec.Body, tc.want)
			}
		})
	}
	if len(got) == 0 || got[0].Service != "finance" || got[0].Type != "demo.clicked" || string(got[0].Data) != `{"n":1}` {
		t.Errorf("Publish saw %+v", got)
	}
}

func TestDemoTokenFailure(t *testing.T) {
	h := demoRouter(t, DemoConfig{
		Token:   func() (string, error) { return "", errors.New("no key") },
		Publish: func(context.Context, DemoEvent) (int64, error) { return 0, nil },
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", TokenPath, nil))
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != http.StatusInternalServerError || body["type"] != "error" || strings.Contains(rec.Body.String(), "no key") {
		t.Fatalf("got %d %s; want a 500 error body that hides the cause", rec.Code, rec.Body)
	}
}
