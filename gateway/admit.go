package gateway

import (
	"context"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/rollout"
	"github.com/rtgw/realtime/store"
)

// rolloutWith is a Rollout that can carry another read on the pipeline of
// its own (*rollout.Source does): the handshake's revocation check then
// costs no round trip of its own.
type rolloutWith interface {
	DecideWith(ctx context.Context, user, org string, optIn bool, extra rollout.Extra) rollout.Decision
}

// errRevoked closes a connection, or refuses a handshake, refresh or poll,
// whose token a revocation covers.
var errRevoked = disconnect(CloseUnauthorized, "token revoked")

// errRevocationsUnreadable is the answer when the revocation record cannot
// be read: the token is neither let in on trust nor called revoked.
var errRevocationsUnreadable = disconnect(CloseInternalError, "event log unavailable, retry")

// admit is the join's first step, one Redis round trip: the revocation
// record, read on the same pipeline as the rollout fields, then the rollout
// decision (optIn is the handshake's "optIn"). A revoked token is refused 4001 whatever the rollout says; a
// token whose record cannot be read is not let in (1011, retry).
func (s *Server) admit(c *conn, optIn bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
	defer cancel()
	tok := c.token()
	var d rollout.Decision
	var rev store.Revocation
	var err error
	if rw, ok := s.cfg.Rollout.(rolloutWith); ok {
		q := s.cfg.Log.RevocationQuery(c.org, c.user)
		d = rw.DecideWith(ctx, c.user, c.org, optIn, q)
		rev, err = q.Result()
		if err != nil && d.In {
			// The rollout's short bound (100 ms) cut the read: Redis is
			// slow or down. Try once more with the handshake's bound, as
			// the Head read that follows would wait that long anyway.
			rev, err = s.cfg.Log.Revoked(ctx, c.org, c.user)
		}
	} else {
		rev, err = s.cfg.Log.Revoked(ctx, c.org, c.user)
		if err == nil && s.cfg.Rollout != nil {
			d = s.cfg.Rollout.Decide(ctx, c.user, c.org, optIn)
		}
	}
	if s.cfg.Rollout != nil {
		s.metrics.ops.decided(d)
	}
	if err == nil && rev.Refuses(unixOrZero(tok.IssuedAt)) {
		s.metrics.rejected(CloseUnauthorized)
		return errRevoked
	}
	if s.cfg.Rollout != nil && !d.In {
		// Sending a client to the fallback grants nothing (each poll
		// checks the record itself), so the rollout's answer stands even
		// when the record could not be read: the decision from cache
		// while Redis is down keeps working.
		s.metrics.fellBack(d.Reason)
		return &Disconnect{Code: CloseFallback, Message: string(d.Reason)}
	}
	if err != nil {
		s.metrics.redisErrors.Inc()
		return errRevocationsUnreadable
	}
	return nil
}

// checkRevoked reads the record for a token on its own (refresh, long-poll
// and SSE, which have no rollout read to share): errRevoked,
// errRevocationsUnreadable or nil.
func (s *Server) checkRevoked(ctx context.Context, claims *auth.Claims) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	rev, err := s.cfg.Log.Revoked(ctx, claims.Org, claims.User)
	switch {
	case err != nil:
		s.metrics.redisErrors.Inc()
		return errRevocationsUnreadable
	case rev.Refuses(unixOrZero(claims.IssuedAt)):
		return errRevoked
	}
	return nil
}
