package gateway

import (
	"github.com/rtgw/realtime/store"
)

// Revocation: POST /v2/realtime/disconnect (API key; package httpapi
// serves it) records the revocation in Redis and
// announces it on the org's notify channel; every node that hears it
// closes the matching WebSockets with 4009, ends their SSE streams and
// answers their waiting long-polls 401. The record makes every node refuse
// the revoked tokens at connect, refresh and poll (admit.go), so a node
// that missed the announcement still refuses them at the next check.

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
			s.fallback.Clients.Revoke(r.org, func(user string, iat int64) bool { return r.covers(r.org, user, iat) })
		}
	}
}
