package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/wstest"
)

// POST /v2/realtime/disconnect takes the API key and a strict body, and
// answers the revocation time.
func TestRevokeEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", `{"org":"acme","user":"u1"}`, 401, "unauthorized"},
		{"an access token is not the API key", h.token("acme", "u1"), `{"org":"acme","user":"u1"}`, 401, "unauthorized"},
		{"bad org", testAPIKey, `{"org":"a b"}`, 400, "bad_request"},
		{"unknown field", testAPIKey, `{"org":"acme","users":["u1"]}`, 400, "bad_request"},
		{"not JSON", testAPIKey, `org=acme`, 400, "bad_request"},
		{"trailing data", testAPIKey, `{"org":"acme"} {}`, 400, "bad_request"},
		{"reason too long", testAPIKey, `{"org":"acme","reason":"` + strings.Repeat("x", 257) + `"}`, 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := h.post("/v2/realtime/disconnect", tc.key, tc.body)
			if status != tc.status || body["code"] != tc.code {
				t.Fatalf("%d %v, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	before := time.Now().Unix()
	status, body := h.post("/v2/realtime/disconnect", testAPIKey, `{"org":"acme","user":"u1","reason":"left the company"}`)
	at, _ := body["revokedAt"].(float64)
	if status != 200 || int64(at) < before || int64(at) > time.Now().Unix() {
		t.Fatalf("%d %v", status, body)
	}
	if n := h.srv.metrics.revocations.Get(); n != 1 {
		t.Fatalf("revocations_total = %d", n)
	}
}

// noIatToken is a valid token of the harness with no iat claim.
func (h *harness) noIatToken(org, user string) string {
	h.t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": user, "org": org, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// On one node: the revoked user's WebSocket closes 4009 and its waiting
// long-poll answers 401, another user's connection stays; the old token and
// a token without iat are refused at connect and poll; a token issued
// after the revocation is accepted.
func TestRevokeOneNode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	org := "rev-" + fmt.Sprint(time.Now().UnixNano())
	old := h.sign(auth.Claims{User: "u1", Org: org, Expiry: time.Now().Add(time.Hour), IssuedAt: time.Now().Add(-time.Minute)})
	victim, _ := h.dialToken(old, "finance")
	bystander, _ := h.dialToken(h.sign(auth.Claims{User: "u2", Org: org, Expiry: time.Now().Add(time.Hour), IssuedAt: time.Now().Add(-time.Minute)}), "finance")

	// A long-poll of u1, waiting.
	pollDone := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/poll?services=finance&lastSeq=0&timeout=20", nil)
		req.Header.Set("Authorization", "Bearer "+old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			pollDone <- 0
			return
		}
		resp.Body.Close()
		pollDone <- resp.StatusCode
	}()
	waitFallbackClients(t, h.srv, org, 1)

	start := time.Now()
	status, body := h.post("/v2/realtime/disconnect", testAPIKey, `{"org":"`+org+`","user":"u1","reason":"test"}`)
	if status != 200 {
		t.Fatalf("disconnect: %d %v", status, body)
	}
	at := int64(body["revokedAt"].(float64))
	if m := victim.ExpectClose(4009); m.Code != "revoked" {
		t.Fatalf("victim's error frame %s", m.Raw)
	}
	select {
	case code := <-pollDone:
		if code != http.StatusUnauthorized {
			t.Fatalf("waiting poll answered %d, want 401", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting poll not cut")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cut after %v", d)
	}
	seq := h.publish(org, "finance", "still", `1`)
	if evs := bystander.Events(1); evs[0].Seq != seq {
		t.Fatalf("bystander got %+v", evs)
	}

	for name, tok := range map[string]string{"old token": old, "token without iat": h.noIatToken(org, "u1")} {
		c := wstest.Dial(t, h.wsURL+"?access_token="+tok, wstest.Options{})
		c.Send(map[string]any{"services": []string{"finance"}})
		if m := c.ExpectClose(4001); m.Message != "token revoked" {
			t.Fatalf("%s at connect: %s", name, m.Raw)
		}
		for _, path := range []string{"/v2/realtime/poll?services=finance", "/v2/realtime/presence"} {
			req, _ := http.NewRequest(http.MethodGet, h.http.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if status, body := h.do(req); status != 401 || body["message"] != "token revoked" {
				t.Fatalf("%s at %s: %d %v", name, path, status, body)
			}
		}
	}
	fresh := h.sign(auth.Claims{User: "u1", Org: org, Expiry: time.Now().Add(time.Hour), IssuedAt: time.Unix(at+1, 0)})
	h.dialToken(fresh, "finance") // acked
}

// waitFallbackClients waits until org has n registered fallback clients.
func waitFallbackClients(t *testing.T, s *Server, org string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := s.fallback.Clients.Count(org)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fallback clients of %s, want %d", got, org, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The seed's step 5: the JSON metrics answer the user's access token as
// well as the API key, and nothing else.
func TestMetricsJSONWithAccessToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for name, tc := range map[string]struct {
		key    string
		status int
	}{
		"access token": {h.token("acme", "u1"), 200},
		"API key":      {testAPIKey, 200},
		"bad token":    {"not-a-token", 401},
		"none":         {"", 401},
	} {
		req, _ := http.NewRequest(http.MethodGet, h.http.URL+"/v2/realtime/metrics", nil)
		if tc.key != "" {
			req.Header.Set("Authorization", "Bearer "+tc.key)
		}
		status, body := h.do(req)
		if status != tc.status {
			t.Fatalf("%s: %d %v", name, status, body)
		}
		if status == 200 {
			if _, ok := body["activeConnections"]; !ok {
				t.Fatalf("%s: %v", name, body)
			}
			if _, ok := body["connectionPoolStats"].(map[string]any); !ok {
				t.Fatalf("%s: %v", name, body)
			}
		}
	}
}
