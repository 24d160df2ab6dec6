package fallback

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// page bounds the events one poll response (or one SSE read) holds.
const page = 500

// errGap means a client's position is void: trimmed, or the log is
// another incarnation than its epoch.
var errGap = errors.New("fallback: position void")

// readAfter returns up to page events after pos (all services; the caller
// filters) from the tail's memory, else from the log. No events means
// nothing new yet: wait on v.Changed.
func (s *Service) readAfter(ctx context.Context, org string, t Tail, pos int64, epoch string) (evs []store.Event, v View, err error) {
	v = t.View(pos, page)
	if v.Epoch != epoch {
		return nil, v, errGap
	}
	if pos >= v.Seq || v.Covered {
		return v.Events, v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	p, err := s.cfg.Log.ReadAfter(ctx, org, pos, page)
	if err != nil {
		s.cfg.Counters.RedisErrors.Inc()
		return nil, v, err
	}
	if p.Epoch != epoch || (len(p.Events) > 0 && p.Events[0].Seq != pos+1) {
		t.Poke() // let the tail notice a reset too
		return nil, v, errGap
	}
	return p.Events, v, nil
}

// start finds where the client begins; on failure it has answered 503.
func (s *Service) start(w http.ResponseWriter, r *http.Request, req Request) (head store.Head, pos int64, recovered *bool, ok bool) {
	head, pos, recovered, err := s.cfg.Core.Start(r.Context(), req)
	if err != nil {
		httpapi.WriteUnavailable(w)
		return head, pos, recovered, false
	}
	return head, pos, recovered, true
}

// acquire holds the org's tail, answering 503 when it cannot start (Redis
// unreachable). The caller releases the tail.
func (s *Service) acquire(w http.ResponseWriter, org string) (Tail, bool) {
	t, ok := s.cfg.Core.Acquire(org)
	if !ok {
		httpapi.WriteUnavailable(w)
	}
	return t, ok
}

// Wait blocks until ch closes, timeout passes, or done, cut or drain
// closes (nil channels never do). It reports whether ch closed: the tail
// moved.
func Wait(ch <-chan struct{}, timeout time.Duration, done, cut, drain <-chan struct{}) bool {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-ch:
		return true
	case <-tm.C:
	case <-done:
	case <-cut:
	case <-drain:
	}
	return false
}

// admit registers a request with the revoker, then checks the revocation
// record (one round trip; the fallbacks have no rollout read to share it
// with). The caller removes the client when done.
func (s *Service) admit(ctx context.Context, claims *auth.Claims) (*client, *Error) {
	fc := s.Clients.add(claims)
	switch err := s.cfg.Core.CheckRevoked(ctx, claims); {
	case err == nil:
		return fc, nil
	case errors.Is(err, ErrRevoked):
		s.Clients.remove(fc)
		return nil, &s.cfg.Ends.Revoked
	default:
		s.Clients.remove(fc)
		return nil, &Error{http.StatusServiceUnavailable, "unavailable", "event log unavailable, retry"}
	}
}
