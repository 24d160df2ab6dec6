package gateway

import (
	"fmt"

	"github.com/rtgw/realtime/internal/wstest"

	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/testutil"
)

func TestCloseCodes(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *Config) {
		c.HandshakeTimeout = 300 * time.Millisecond
		c.MaxMessageBytes = 2048
	}})
	expired, err := h.verifier.Sign(auth.Claims{User: "u", Org: "acme", Expiry: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := auth.New(auth.Config{Secret: []byte("another-secret-another-secret-xx")})
	forged, _ := other.Sign(auth.Claims{User: "u", Org: "acme", Expiry: time.Now().Add(time.Hour)})
	limited := h.token("acme", "u", "guest")
	good := h.token("acme", "u")

	cases := []struct {
		name  string
		token string
		send  func(c *wstest.Client)
		code  CloseCode
	}{
		{name: "missing token", token: "", code: CloseUnauthorized},
		{name: "garbage token", token: "abc.def.ghi", code: CloseUnauthorized},
		{name: "expired token", token: expired, code: CloseUnauthorized},
		{name: "wrong signature", token: forged, code: CloseUnauthorized},
		{name: "alg none", token: algNoneToken(), code: CloseUnauthorized},
		{name: "service not allowed", token: limited, code: CloseForbidden, send: func(c *wstest.Client) {
			c.Send(map[string]any{"services": []string{"guest", "finance"}})
		}},
		{name: "handshake not JSON", token: good, code: CloseBadHandshake, send: func(c *wstest.Client) {
			c.SendRaw([]byte("hello"))
		}},
		{name: "handshake without services", token: good, code: CloseBadHandshake, send: func(c *wstest.Client) {
			c.Send(map[string]any{"version": 1})
		}},
		{name: "handshake bad service name", token: good, code: CloseBadHandshake, send: func(c *wstest.Client) {
			c.Send(map[string]any{"services": []string{"bad name"}})
		}},
		{name: "too many services", token: good, code: CloseBadHandshake, send: func(c *wstest.Client) {
			svcs := make([]string, 65)
			for i := range svcs {
				svcs[i] = fmt.Sprint("s", i)
			}
			c.Send(map[string]any{"services": svcs})
		}},
		{name: "handshake negative lastSeq", token: good, code: CloseBadHandshake, send: func(c *wstest.Client) {
			c.Send(map[string]any{"services": []string{"a"}, "lastSeq": -4})
		}},
		{name: "no handshake in time", token: good, code: CloseHandshakeTimeout},
		{name: "message too big", token: good, code: CloseMessageTooBig, send: func(c *wstest.Client) {
			c.SendRaw(bytes.Repeat([]byte("x"), 4096))
		}},
		{name: "unmasked frame", token: good, code: CloseProtocolError, send: func(c *wstest.Client) {
			_ = ws.WriteFrame(c.NC, ws.NewTextFrame([]byte(`{"services":["a"]}`)))
		}},
		{name: "invalid utf-8", token: good, code: CloseInvalidPayload, send: func(c *wstest.Client) {
			c.SendRaw([]byte{0xff, 0xfe})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wstest.Dial(t, h.wsURL+"?access_token="+tc.token, wstest.Options{})
			if tc.send != nil {
				tc.send(c)
			}
			m := c.ExpectClose(int(tc.code))
			if m.Type != "error" || m.Code != tc.code.String() || m.Message == "" {
				t.Fatalf("error frame = %s, want code %q with a message", m.Raw, tc.code.String())
			}
			if strings.Contains(m.Message, tc.token) && tc.token != "" {
				t.Fatal("error message echoes the token")
			}
		})
	}
	testutil.Eventually(t, 5*time.Second, "all connections closed", func() bool { return h.srv.reg.len() == 0 })
}

func TestAuthorizationHeaderAccepted(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	hdr := map[string][]string{"Authorization": {"Bearer " + h.token("hdr", "u")}}
	c := wstest.Dial(t, h.wsURL, wstest.Options{Header: hdr})
	c.Send(map[string]any{"services": []string{"a"}})
	c.Expect("ack")
}

func TestServerRestartingCloses1012(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("drain", "u", map[string]any{"services": []string{"a"}})
	done := make(chan error, 1)
	go func() { done <- h.srv.Shutdown(t.Context(), 0) }()
	c.ExpectClose(int(CloseServiceRestart))
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestClientCloseIsAnswered(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c, _ := h.connect("bye", "u", map[string]any{"services": []string{"a"}})
	f := ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"))
	if err := ws.WriteFrame(c.NC, ws.MaskFrameInPlace(f)); err != nil {
		t.Fatal(err)
	}
	if m := c.Next(5 * time.Second); m.Type != "close" || m.CloseCode != 1000 {
		t.Fatalf("got %+v, want close 1000", m)
	}
	testutil.Eventually(t, 5*time.Second, "connection unregistered", func() bool { return h.srv.reg.len() == 0 })
}

// algNoneToken is an unsigned token claiming alg "none".
func algNoneToken() string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return b64url(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." +
		enc(map[string]any{"sub": "u", "org": "acme", "exp": time.Now().Add(time.Hour).Unix()}) + "."
}

var _ = net.Dial
