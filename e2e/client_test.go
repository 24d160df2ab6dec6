package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/redistest"
)

// (a) Events published over HTTP reach the page: only the subscribed
// services, in seq order, with their payload intact; lastSeq follows the
// org's seq, gaps and all.
func TestBrowserReceivesPublishedEvents(t *testing.T) {
	g, org, p := gatewayPage(t, redistest.Start(t))
	p.start(map[string]any{"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance", "guest"}})
	s := p.waitState("open")
	if s.LastSeq == nil || *s.LastSeq != 0 || s.Epoch == nil || *s.Epoch == "" {
		t.Fatalf("after the ack: %s; want lastSeq 0 and an epoch", s.summary())
	}

	g.publish(org, "finance", "revenue.created", map[string]any{"amount": 42})
	g.publish(org, "hr", "person.hired", map[string]any{"name": "not subscribed"})
	g.publish(newOrg(t), "finance", "revenue.created", map[string]any{"amount": -1}) // another org
	guest := map[string]any{"name": "Zoë \"quoted\" <b>", "tags": []any{1, true, nil}}
	g.publish(org, "guest", "guest.arrived", guest)

	s = p.waitSeqs(1, 3)
	want := []struct {
		service, typ string
		data         any
	}{
		{"finance", "revenue.created", map[string]any{"amount": 42}},
		{"guest", "guest.arrived", guest},
	}
	for i, w := range want {
		e := s.Events[i]
		if e.Service != w.service || e.Type != w.typ || !sameJSON(t, e.Data, w.data) || e.TS == "" {
			t.Errorf("event %d = %+v (data %s), want %s %s %v", i, e, e.Data, w.service, w.typ, w.data)
		}
	}
	if *s.LastSeq != 3 || !slices.Equal(s.States, []string{"open"}) {
		t.Errorf("got %s; want lastSeq 3 and states [open]", s.summary())
	}
}

// (b) A large event travels compressed (the browser offers
// permessage-deflate on its own) and arrives intact.
func TestBrowserCompressedLargeEvent(t *testing.T) {
	g, org, p := openFinancePage(t, redistest.Start(t))

	var b strings.Builder
	for i := range 1200 {
		fmt.Fprintf(&b, "row %d: amount=%d currency=EUR; ", i, i*37%1000)
	}
	blob := b.String() // about 45 KB: under the 64 KiB event cap, far over the 1 KiB threshold
	before := g.metric("realtime_frames_compressed_total")
	g.publish(org, "finance", "report.ready", map[string]any{"blob": blob})

	s := p.waitSeqs(1)
	var got struct{ Blob string }
	if err := json.Unmarshal(s.Events[0].Data, &got); err != nil || got.Blob != blob {
		t.Fatalf("large event arrived damaged: %d bytes, err %v", len(got.Blob), err)
	}
	if after := g.metric("realtime_frames_compressed_total"); after <= before {
		t.Fatalf("realtime_frames_compressed_total %v -> %v: the frame was not compressed", before, after)
	}
}

// A handshake the server refuses (4400: here an invalid service name) is a
// bug in the page, and the protocol says not to retry it in a loop: the
// client stops in 'closed' and reports the server's error.
func TestBrowserStopsOnBadHandshake(t *testing.T) {
	g := startGateway(t, redistest.Start(t))
	p := openPage(t, g)
	p.start(map[string]any{"token": token(t, newOrg(t), time.Now().Add(time.Hour)), "services": []string{"no spaces allowed"}})
	s := p.waitState("closed")
	if len(s.Errors) != 1 || s.Errors[0].Code != "bad_handshake" {
		t.Fatalf("got %s; want one bad_handshake error", s.summary())
	}
	if n := g.metric("realtime_connections_opened_total"); n != 1 {
		t.Fatalf("%v connections opened; want 1, no retry", n)
	}
}

// sameJSON reports whether raw encodes the same value as v.
func sameJSON(t *testing.T, raw json.RawMessage, v any) bool {
	t.Helper()
	want, _ := json.Marshal(v)
	var a, b any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
