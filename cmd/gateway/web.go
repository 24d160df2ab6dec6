package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/web"
)

// Demo identity: the same org and user as the development token that
// dev.go prints, so the demo page and a wscat session see the same events.
const (
	demoOrg      = "dev"
	demoUser     = "dev-user"
	demoTokenTTL = time.Hour // the page asks again before each reconnect
)

// demoEnv turns the demo on with a real Redis too. It is read here rather
// than in config.go because it has no flag yet.
const demoEnv = "REALTIME_DEMO"

// mountWeb serves the browser client on every node, and the demo page with
// its development endpoints in development mode (no REDIS_URL) or when
// REALTIME_DEMO=true. An unreadable REALTIME_DEMO leaves the demo off: the
// mistake must never be what exposes /dev/token.
func mountWeb(srv *gateway.Server, v *auth.Verifier, apiKey string, dev bool, logger zerolog.Logger) {
	web.MountClient(srv)
	on, err := demoWanted(dev, os.Getenv(demoEnv))
	if err != nil {
		logger.Error().Err(err).Msg("demo page not mounted")
	}
	if !on {
		return
	}
	err = web.MountDemo(srv, web.DemoConfig{
		Token: func() (string, error) {
			// The demo chat room publishes into "chat".
			return v.Sign(auth.Claims{User: demoUser, Org: demoOrg, Publish: []string{"chat"}, Expiry: time.Now().Add(demoTokenTTL)})
		},
		Publish: publishVia(srv.Handler(), apiKey),
	})
	if err != nil {
		logger.Error().Err(err).Msg("demo page not mounted")
		return
	}
	logger.Warn().Str("path", web.DemoPath).Str("org", demoOrg).
		Msg("DEMO PAGE ON: GET /dev/token hands a token for org dev to anyone who asks; never enable it in production")
}

// demoWanted decides whether to mount the demo.
func demoWanted(dev bool, env string) (bool, error) {
	if env == "" {
		return dev, nil
	}
	on, err := strconv.ParseBool(env)
	if err != nil {
		return false, fmt.Errorf("%s: not true or false: %q", demoEnv, env)
	}
	return on, nil
}

// publishVia publishes a demo event through the gateway's own
// POST /v2/realtime/publish handler with the API key, so the demo takes the
// exact path, checks and metrics that a real publisher does.
func publishVia(h http.Handler, apiKey string) func(context.Context, web.DemoEvent) (int64, error) {
	return func(ctx context.Context, ev web.DemoEvent) (int64, error) {
		body, err := json.Marshal(map[string]any{"org": demoOrg, "service": ev.Service, "type": ev.Type, "data": ev.Data})
		if err != nil {
			return 0, err
		}
		// ctx carries chi's routing state for /dev/publish, and chi reuses a
		// routing state it finds in the context: the inner request would be
		// routed back to /dev/publish. Start from a clean context instead,
		// still cancelled with the outer request.
		inner, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		req, err := http.NewRequestWithContext(inner, http.MethodPost, "/v2/realtime/publish", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		var rec recorder
		h.ServeHTTP(&rec, req)
		var out struct {
			Seq     int64  `json:"seq"`
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &out)
		if rec.status != http.StatusOK {
			return 0, &web.PublishError{Status: rec.status, Code: out.Code, Message: out.Message}
		}
		return out.Seq, nil
	}
}

// recorder is the smallest http.ResponseWriter that keeps the answer of an
// in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
