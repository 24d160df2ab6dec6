package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
)

// compare against a real gateway process: every transport delivers every
// event to every client, and the request rates tell the transports apart
// (long-poll asks again after each answer; SSE and WebSocket hold one
// connection each and make no request while events flow).
func TestCompareTransports(t *testing.T) {
	srv := redistest.Start(t)
	node := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: srv.Addr})
	o, err := parseOptions("compare", []string{"-gateways", node.Addr, "-redis", srv.Addr,
		"-secret", gatewaytest.JWTSecret, "-c", "12", "-rate", "10", "-duration", "1s", "-drain-max", "4s"}) // generous: CI runs this under -race on 2 busy cores
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEnv(o, newProgress(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := runCompare(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		t.Logf("%+v", r)
		if r.Published == 0 || r.Delivered != r.Published*12 || r.Errors != 0 {
			t.Errorf("%s: delivered %d of %d×12, %d errors", r.Transport, r.Delivered, r.Published, r.Errors)
		}
		if r.GatewayCPU <= 0 || r.BytesPerEvent <= 0 || r.P99Ms <= 0 || r.RedisCmdsPerS <= 0 {
			t.Errorf("%s: a figure is not measured: %+v", r.Transport, r)
		}
		switch r.Transport {
		case "longpoll":
			if r.RequestsPerS <= 0 {
				t.Errorf("long-poll made no requests while events flowed")
			}
		default:
			if r.RequestsPerS != 0 {
				t.Errorf("%s made %.1f req/s on a held connection", r.Transport, r.RequestsPerS)
			}
		}
	}
	var out bytes.Buffer
	res.print(&out)
	if !bytes.Contains(out.Bytes(), []byte("websocket")) {
		t.Fatalf("table:\n%s", out.String())
	}
}
