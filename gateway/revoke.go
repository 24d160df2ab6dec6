package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/rtgw/realtime/store"
)

// Revocation: POST /v2/realtime/disconnect (API key) with
//
//	{"org":"acme","user":"u1","reason":"removed from the org"}
//
// ("user" optional: the whole org) records the revocation in Redis and
// announces it on the org's notify channel; every node that hears it
// closes the matching WebSockets with 4009, ends their SSE streams and
// answers their waiting long-polls 401. The record makes every node refuse
// the revoked tokens at connect, refresh and poll (admit.go), so a node
// that missed the announcement still refuses them at the next check.

// revokeRequest is the body of POST /v2/realtime/disconnect.
type revokeRequest struct {
	Org    string `json:"org"`
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// maxRevokeBody bounds the request; maxRevokeField one user id or reason.
const (
	maxRevokeBody  = 4 << 10
	maxRevokeField = 256
)

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	req, msg := decodeRevoke(w, r)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "bad_request", msg)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RedisTimeout)
	defer cancel()
	at, err := s.cfg.Log.Revoke(ctx, req.Org, req.User, time.Now())
	if err != nil {
		s.metrics.redisErrors.Inc()
		s.log.Warn().Err(err).Str("org", req.Org).Msg("revocation failed")
		writeUnavailable(w)
		return
	}
	s.metrics.revocations.Inc()
	// One line per revocation (an operator's action, not traffic): the
	// audit trail of who was cut off and why.
	s.log.Info().Str("org", req.Org).Str("user", req.User).Str("reason", req.Reason).
		Int64("revoked_at", at).Msg("tokens revoked")
	writeJSON(w, http.StatusOK, map[string]int64{"revokedAt": at})
}

// decodeRevoke reads a strict, bounded body; msg says what is wrong with it.
func decodeRevoke(w http.ResponseWriter, r *http.Request) (req revokeRequest, msg string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRevokeBody))
	if err != nil {
		return req, "body too large or unreadable"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	switch {
	case dec.Decode(&req) != nil:
		return req, `body must be {"org":…,"user"?:…,"reason"?:…}`
	case dec.More():
		return req, "body has trailing data after the JSON object"
	case !store.ValidOrg(req.Org):
		return req, `"org" is missing or invalid`
	case len(req.User) > maxRevokeField || len(req.Reason) > maxRevokeField:
		return req, `"user" and "reason" are at most 256 bytes`
	}
	return req, ""
}

// revocation is an announcement heard on the feed: user "" is the org.
type revocation struct {
	org, user string
	at        int64
}

// covers reports whether the revocation ends a token of org and user issued
// at iat (unix seconds, 0: no iat).
func (r revocation) covers(org, user string, iat int64) bool {
	return org == r.org && (r.user == "" || r.user == user) && (store.Revocation{User: r.at}).Refuses(iat)
}

// revokeQueue bounds the announcements waiting for the revoker; past it
// one is dropped and counted (the record still refuses the token at its
// next handshake, refresh or poll).
const revokeQueue = 256

// onEphemeral is the feed's signal callback: revocations go to the
// revoker, the rest to the org's tail. It never blocks.
func (s *Server) onEphemeral(org string, e store.Ephemeral) {
	if e.Kind != store.KindRevoke {
		s.hub.onEphemeral(org, e)
		return
	}
	select {
	case s.revokes <- revocation{org: org, user: e.User, at: e.At}:
	default:
		s.metrics.revokeDropped.Inc()
	}
}

// runRevoker applies announced revocations, off the feed's goroutine: it
// walks the registry (a revocation is rare; the walk costs about what one
// sweep tick does) and the fallback clients.
func (s *Server) runRevoker() {
	var buf []*conn
	for {
		select {
		case <-s.stop:
			return
		case r := <-s.revokes:
			for i := 0; i < registryShards; i++ {
				buf = s.reg.snapshot(i, buf[:0])
				for _, c := range buf {
					if tok := c.token(); tok != nil && r.covers(c.org, c.user, unixOrZero(tok.IssuedAt)) {
						c.closeWith(disconnect(CloseRevoked, "token revoked"))
					}
				}
			}
			clear(buf)
			s.fallbacks.revoke(r)
		}
	}
}
