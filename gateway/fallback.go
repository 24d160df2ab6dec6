package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// Long-polling and SSE serve the same log, auth, filter and seq as the
// WebSocket, for clients outside the rollout or behind proxies that block
// WebSocket. They never consult the rollout: a client sent to the fallback
// must be able to use it.

// fallbackPage bounds the events one poll response (or one SSE read) holds.
const fallbackPage = 500

// fallbackRequest is a validated long-poll or SSE request.
type fallbackRequest struct {
	claims   auth.Claims
	services []string
	hs       handshake // services, lastSeq, epoch, as for a WebSocket handshake
}

// httpError is a rejection with an HTTP status and a JSON body.
type httpError struct {
	status int
	code   string
	msg    string
}

// parseFallback authenticates and validates the query (the origin was
// checked by cors). lastSeq comes from the query, or from Last-Event-ID
// (SSE reconnects), which wins: it is the browser's own, later position.
func (s *Server) parseFallback(r *http.Request) (fallbackRequest, *httpError) {
	var req fallbackRequest
	if s.draining.Load() {
		return req, &httpError{http.StatusServiceUnavailable, "draining", "node is shutting down; connect to another"}
	}
	claims, err := s.cfg.Verifier.Verify(bearerToken(r))
	if err != nil {
		s.metrics.rejected(CloseUnauthorized)
		return req, &httpError{http.StatusUnauthorized, CloseUnauthorized.String(), auth.Reason(err)}
	}
	req.claims = claims
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
			return req, &httpError{http.StatusBadRequest, CloseBadHandshake.String(), "lastSeq must be an integer"}
		}
		hs.LastSeq = &n
	}
	if _, err := checkHandshake(hs, s.cfg.MaxServices); err != nil {
		code, msg := CloseBadHandshake.String(), err.Error()
		if d, ok := errors.AsType[*Disconnect](err); ok {
			code, msg = d.Code.String(), d.Message
		}
		return req, &httpError{http.StatusBadRequest, code, msg}
	}
	for _, svc := range hs.Services {
		if !claims.Allows(svc) {
			s.metrics.rejected(CloseForbidden)
			return req, &httpError{http.StatusForbidden, CloseForbidden.String(), "service " + svc + " is not allowed by the token"}
		}
	}
	hs.Services = dedupe(hs.Services)
	req.services, req.hs = hs.Services, hs
	return req, nil
}

func (e *httpError) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.msg) }

// start finds where a fallback client begins, with the same rules as the
// WebSocket ack.
func (s *Server) start(ctx context.Context, req fallbackRequest) (head store.Head, pos int64, recovered *bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	head, err = s.cfg.Log.Head(ctx, req.claims.Org)
	if err != nil {
		s.metrics.redisErrors.Inc()
		return head, 0, nil, err
	}
	pos, recovered, _, err = s.resumePoint(ctx, req.claims.Org, head, req.hs)
	if err != nil {
		s.metrics.redisErrors.Inc()
	}
	return head, pos, recovered, err
}

// readAfter returns up to fallbackPage events after pos (all services; the
// caller filters) from the tail's memory, else from the log. No events
// means nothing new yet: wait on v.changed. errReplayGap means the position
// is void (trimmed, or the log is another incarnation than epoch).
func (s *Server) readAfter(ctx context.Context, t *orgTail, pos int64, epoch string) (evs []store.Event, v tailView, err error) {
	v = t.view(pos, fallbackPage)
	if v.epoch != epoch {
		return nil, v, errReplayGap
	}
	if pos >= v.seq || v.covered {
		return v.events, v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	page, err := s.cfg.Log.ReadAfter(ctx, t.org, pos, fallbackPage)
	if err != nil {
		s.metrics.redisErrors.Inc()
		return nil, v, err
	}
	if page.Epoch != epoch || (len(page.Events) > 0 && page.Events[0].Seq != pos+1) {
		t.poke() // let the tail notice a reset too
		return nil, v, errReplayGap
	}
	return page.Events, v, nil
}

// tailFor attaches a fallback request to the org's tail, answering 503 when
// the tail cannot start (Redis unreachable). The caller releases the tail.
func (s *Server) tailFor(w http.ResponseWriter, org string) (*orgTail, bool) {
	t := s.hub.acquire(org)
	if !t.waitReady(s.cfg.RedisTimeout) {
		t.release()
		writeUnavailable(w)
		return nil, false
	}
	return t, true
}

// waitChange blocks until ch closes, timeout passes, done or cut closes,
// or the server stops. It reports whether the tail moved.
func (s *Server) waitChange(ch <-chan struct{}, timeout time.Duration, done, cut <-chan struct{}) bool {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-ch:
		return true
	case <-tm.C:
	case <-done:
	case <-cut:
	case <-s.drain:
	}
	return false
}

// admitFallback registers a long-poll or SSE request with the revoker, then
// checks the revocation record (one round trip; the fallbacks have no
// rollout read to share it with). The caller removes the client when done.
func (s *Server) admitFallback(ctx context.Context, claims *auth.Claims) (*fallbackClient, *httpError) {
	fc := s.fallbacks.add(claims)
	switch err := s.checkRevoked(ctx, claims); err {
	case nil:
		return fc, nil
	case errRevoked:
		s.fallbacks.remove(fc)
		s.metrics.rejected(CloseUnauthorized)
		return nil, errRevokedHTTP
	default:
		s.fallbacks.remove(fc)
		return nil, &httpError{http.StatusServiceUnavailable, "unavailable", "event log unavailable, retry"}
	}
}

// errRevokedHTTP answers a fallback request whose token is revoked, at its
// start or while it waits.
var errRevokedHTTP = &httpError{http.StatusUnauthorized, CloseUnauthorized.String(), errRevoked.Message}

// tokenDeadline is when a fallback request's token stops counting: its exp
// plus the verifier's leeway, as for a WebSocket.
func (s *Server) tokenDeadline(claims *auth.Claims) time.Time {
	return claims.Expiry.Add(s.cfg.Verifier.Leeway())
}
