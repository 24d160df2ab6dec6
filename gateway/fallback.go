package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rtgw/realtime/gateway/fallback"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// Long-polling and SSE are package fallback's; fallbackCore is what the
// core does for them: the handshake's validation, the resume point, the
// org tails and the revocation record.
type fallbackCore struct{ s *Server }

// newFallback builds the fallback transports around the server.
func (s *Server) newFallback() *fallback.Service {
	m := s.metrics
	return fallback.New(fallback.Config{
		Core: fallbackCore{s}, Log: s.cfg.Log, Timeout: s.cfg.RedisTimeout, PingInterval: s.cfg.PingInterval,
		Drain: s.drain, Sanitize: sanitizeEvent, Redact: redactURL, Logger: s.log,
		Counters: fallback.Counters{Polls: m.polls, SSEStreams: m.sseStreams, Delivered: m.delivered,
			TokenExpired: m.tokenExpired, RedisErrors: m.redisErrors},
		Ends: fallback.Ends{
			Revoked:      fallback.Error{Status: http.StatusUnauthorized, Code: CloseUnauthorized.String(), Message: errRevoked.Message},
			RevokedEvent: fallback.Error{Code: CloseRevoked.String(), Message: "token revoked"},
			ExpiredEvent: fallback.Error{Code: errTokenExpired.Code.String(), Message: errTokenExpired.Message},
		},
	})
}

// Parse authenticates and validates the query (the origin was checked by
// cors). lastSeq comes from the query, or from Last-Event-ID (SSE
// reconnects), which wins: it is the browser's own, later position.
func (f fallbackCore) Parse(r *http.Request) (fallback.Request, *fallback.Error) {
	s := f.s
	var req fallback.Request
	if s.draining.Load() {
		return req, &fallback.Error{Status: http.StatusServiceUnavailable, Code: "draining", Message: "node is shutting down; connect to another"}
	}
	claims, err := s.cfg.Verifier.Verify(bearerToken(r))
	if err != nil {
		s.metrics.rejected(CloseUnauthorized)
		return req, &fallback.Error{Status: http.StatusUnauthorized, Code: CloseUnauthorized.String(), Message: auth.Reason(err)}
	}
	req.Claims = claims
	q := r.URL.Query()
	var services []string
	if v := q.Get("services"); v != "" {
		services = strings.Split(v, ",")
	}
	hs := handshake{Services: services, Epoch: q.Get("epoch")}
	last := q.Get("lastSeq")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		last = id
	}
	if last != "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return req, &fallback.Error{Status: http.StatusBadRequest, Code: CloseBadHandshake.String(), Message: "lastSeq must be an integer"}
		}
		hs.LastSeq = &n
	}
	if _, err := checkHandshake(hs, s.cfg.MaxServices); err != nil {
		code, msg := CloseBadHandshake.String(), err.Error()
		if d, ok := errors.AsType[*Disconnect](err); ok {
			code, msg = d.Code.String(), d.Message
		}
		return req, &fallback.Error{Status: http.StatusBadRequest, Code: code, Message: msg}
	}
	for _, svc := range hs.Services {
		if !claims.Allows(svc) {
			s.metrics.rejected(CloseForbidden)
			return req, &fallback.Error{Status: http.StatusForbidden, Code: CloseForbidden.String(), Message: "service " + svc + " is not allowed by the token"}
		}
	}
	req.Services, req.LastSeq, req.Epoch = dedupe(hs.Services), hs.LastSeq, hs.Epoch
	return req, nil
}

// Start finds where a fallback client begins, with the same rules as the
// WebSocket ack.
func (f fallbackCore) Start(ctx context.Context, req fallback.Request) (head store.Head, pos int64, recovered *bool, err error) {
	s := f.s
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	head, err = s.cfg.Log.Head(ctx, req.Claims.Org)
	if err != nil {
		s.metrics.redisErrors.Inc()
		return head, 0, nil, err
	}
	hs := handshake{Services: req.Services, LastSeq: req.LastSeq, Epoch: req.Epoch}
	pos, recovered, _, err = s.resumePoint(ctx, req.Claims.Org, head, hs)
	if err != nil {
		s.metrics.redisErrors.Inc()
	}
	return head, pos, recovered, err
}

// Acquire holds the org's tail once it is ready (Redis reachable).
func (f fallbackCore) Acquire(org string) (fallback.Tail, bool) {
	t := f.s.hub.acquire(org)
	if !t.waitReady(f.s.cfg.RedisTimeout) {
		t.release()
		return nil, false
	}
	return fallbackTail{t}, true
}

// CheckRevoked reads the revocation record (one round trip; the fallbacks
// have no rollout read to share it with).
func (f fallbackCore) CheckRevoked(ctx context.Context, claims *auth.Claims) error {
	switch err := f.s.checkRevoked(ctx, claims); err {
	case nil:
		return nil
	case errRevoked:
		f.s.metrics.rejected(CloseUnauthorized)
		return fallback.ErrRevoked
	default:
		return err
	}
}

// Deadline is when a fallback request's token stops counting: its exp
// plus the verifier's leeway, as for a WebSocket.
func (f fallbackCore) Deadline(claims *auth.Claims) time.Time {
	return claims.Expiry.Add(f.s.cfg.Verifier.Leeway())
}

// Draining reports whether the node is shutting down.
func (f fallbackCore) Draining() bool { return f.s.draining.Load() }

// fallbackTail lends an org tail to a fallback handler.
type fallbackTail struct{ t *orgTail }

func (ft fallbackTail) View(pos int64, limit int) fallback.View { return ft.t.view(pos, limit) }
func (ft fallbackTail) Poke()                                   { ft.t.poke() }
func (ft fallbackTail) Release()                                { ft.t.release() }
