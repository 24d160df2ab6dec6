package gateway

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// FuzzParseHandshake: any first message yields a handshake that passed
// every check, or a Disconnect with a handshake close code — never a panic.
func FuzzParseHandshake(f *testing.F) {
	for _, s := range []string{
		`{"services":["finance","guest"],"version":1,"lastSeq":12,"epoch":"E"}`,
		`{"services":[]}`, `{"services":["a b"]}`, `{"services":"x"}`, `{"lastSeq":-1,"services":["a"]}`,
		`{"services":["a"],"org":"other","lastSeq":1e30}`, `null`, `[]`, `{`, ``, `{"services":[null]}`,
		`{"services":["a"],"version":2}`, `{"services":["` + strings.Repeat("a", 65) + `"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, err := parseHandshake(msg, 64)
		if err != nil {
			d, ok := err.(*Disconnect)
			if !ok || d.Code != CloseBadHandshake || d.Message == "" {
				t.Fatalf("error %v is not a 4400 Disconnect", err)
			}
			return
		}
		if len(h.Services) == 0 || len(h.Services) > 64 || (h.LastSeq != nil && *h.LastSeq < 0) || len(h.Epoch) > 64 {
			t.Fatalf("accepted an invalid handshake %+v", h)
		}
	})
}

// FuzzFrameParser: any byte stream fed to the frame parser, in any split,
// is consumed without a panic, never buffers more than the message limit
// plus one header, and stops at the first protocol error.
func FuzzFrameParser(f *testing.F) {
	masked := func(op byte, fin bool, payload string) []byte {
		b := []byte{op, 0x80 | byte(len(payload)), 1, 2, 3, 4}
		if fin {
			b[0] |= 0x80
		}
		p := []byte(payload)
		for i := range p {
			p[i] ^= b[2+i%4]
		}
		return append(b, p...)
	}
	f.Add(masked(0x1, true, `{"services":["a"]}`), 3)
	f.Add(append(masked(0x1, false, `{"serv`), masked(0x0, true, `ices":["a"]}`)...), 7)
	f.Add(append(masked(0x9, true, "ping"), masked(0xA, true, "")...), 1)
	f.Add([]byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 2)
	f.Add([]byte{0x81, 0x7e, 0xff}, 1)
	f.Add(masked(0x8, true, "\x03\xe8bye"), 2)
	f.Fuzz(func(t *testing.T, stream []byte, split int) {
		s := &Server{metrics: newServerMetrics(), writers: newWorkQueue(linkWrite), joiners: newWorkQueue(linkJoin)}
		s.cfg.MaxMessageBytes = 1024
		s.cfg.MaxServices = 64
		s.cfg.OutboundQueueBytes = 1 << 20
		s.cfg.CloseTimeout = 1
		c := &conn{s: s, state: stateActive}
		if split <= 0 || split > len(stream) {
			split = len(stream)
		}
		for off := 0; off < len(stream); off += split {
			end := min(off+split, len(stream))
			if err := c.consume(append([]byte(nil), stream[off:end]...)); err != nil {
				return
			}
			if len(c.partial) > 1024+14 {
				t.Fatalf("buffered %d bytes of an incomplete frame", len(c.partial))
			}
		}
	})
}

// FuzzRefresh: any refresh message either yields the same org and user
// with every subscribed service still allowed, or a 4001/4003 Disconnect
// with a reason — never a panic, never a move to another org or user.
func FuzzRefresh(f *testing.F) {
	v, err := auth.New(auth.Config{Secret: []byte(testSecret)})
	if err != nil {
		f.Fatal(err)
	}
	hour := time.Now().Add(time.Hour)
	sign := func(c auth.Claims) string {
		tok, err := v.Sign(c)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	for _, tok := range []string{
		sign(auth.Claims{User: "u1", Org: "acme", Expiry: hour}),
		sign(auth.Claims{User: "u1", Org: "other", Expiry: hour}),
		sign(auth.Claims{User: "u2", Org: "acme", Expiry: hour}),
		sign(auth.Claims{User: "u1", Org: "acme", Expiry: hour, Services: []string{"finance"}}),
		sign(auth.Claims{User: "u1", Org: "acme", Expiry: time.Now().Add(-time.Hour)}),
		"", "x.y.z",
	} {
		b, _ := json.Marshal(map[string]any{"type": "refresh", "token": tok})
		f.Add(b)
	}
	for _, s := range []string{`{"type":"refresh","token":42}`, `{"type":"refresh"}`, `null`, `[]`, `{"token":null}`} {
		f.Add([]byte(s))
	}
	s := &Server{cfg: Config{Verifier: v}}
	c := &conn{s: s, org: "acme", user: "u1", hs: &handshake{Services: []string{"finance", "guest"}}}
	f.Fuzz(func(t *testing.T, msg []byte) {
		claims, d, result := c.checkRefresh(msg)
		if d != nil {
			if (d.Code != CloseUnauthorized && d.Code != CloseForbidden) || d.Message == "" || !slices.Contains(refreshResults, result) {
				t.Fatalf("refusal %+v (%s)", d, result)
			}
			return
		}
		if claims.Org != "acme" || claims.User != "u1" || !claims.Allows("finance") || !claims.Allows("guest") {
			t.Fatalf("accepted %+v", claims)
		}
	})
}
