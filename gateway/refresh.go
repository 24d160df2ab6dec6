package gateway

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/internal/auth"
)

// In-band refresh: a client sends
//
//	{"type":"refresh","token":"<JWT>"}
//
// before its token runs out, and the connection carries on under the new
// token with no reconnect. The token is verified exactly like a connect
// token (the same Verifier: algorithm, signature, exp/nbf with the leeway,
// iss/aud) and checked against the revocation record. It must name the
// same org and user (4001 otherwise: a refresh never moves a connection),
// and allow every service the connection subscribed to (4003). Its
// publish claim replaces the old one. The answer is
// {"type":"refreshed","exp":N}.

// refreshMessage is a refresh from a client.
type refreshMessage struct {
	Token string `json:"token"`
}

// refreshResults label realtime_token_refreshes_total.
var refreshResults = []string{"ok", "invalid", "changed", "forbidden", "revoked", "error", "busy"}

// refresh checks a refresh on the reader (no I/O: signature and claims),
// then hands the revocation read to the connection's publisher, so that a
// slow Redis never holds a reader.
func (c *conn) refresh(msg []byte) {
	claims, d, result := c.checkRefresh(msg)
	if d != nil {
		c.s.metrics.refreshes[result].Inc()
		c.closeWith(d)
		return
	}
	select {
	case c.publisher() <- publishJob{c: c, refresh: &claims}:
	default:
		c.s.metrics.refreshes["busy"].Inc()
		c.sendError("busy", "node busy; send the refresh again")
	}
}

// checkRefresh is everything about a refresh that needs no Redis: a
// Disconnect and the metric's result when it fails.
func (c *conn) checkRefresh(msg []byte) (auth.Claims, *Disconnect, string) {
	var m refreshMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return auth.Claims{}, disconnect(CloseUnauthorized, "refresh needs a token string"), "invalid"
	}
	claims, err := c.s.cfg.Verifier.Verify(m.Token)
	switch {
	case err != nil:
		return claims, disconnect(CloseUnauthorized, "refresh token: "+auth.Reason(err)), "invalid"
	case claims.Org != c.org:
		return claims, disconnect(CloseUnauthorized, "refresh token is for another org (org changed)"), "changed"
	case claims.User != c.user:
		return claims, disconnect(CloseUnauthorized, "refresh token is for another user (sub changed)"), "changed"
	}
	// c.hs is the handshake this reader accepted; it is never written again.
	for _, svc := range c.hs.Services {
		if !claims.Allows(svc) {
			return claims, disconnect(CloseForbidden, "refresh token does not allow service "+svc), "forbidden"
		}
	}
	return claims, nil, ""
}

// refreshJob is the Redis half of a refresh, on the connection's publisher:
// the revocation read, then the switch to the new token.
func (s *Server) refreshJob(ctx context.Context, c *conn, claims *auth.Claims) {
	switch err := s.checkRevoked(ctx, claims); err {
	case nil:
	case errRevoked:
		s.metrics.refreshes["revoked"].Inc()
		c.closeWith(errRevoked)
		return
	default:
		// The connection keeps its current token; the client may retry
		// until that one runs out.
		s.metrics.refreshes["error"].Inc()
		c.sendError("refresh_failed", "could not check the token; send the refresh again")
		return
	}
	if !c.adopt(*claims) {
		return
	}
	s.metrics.refreshes["ok"].Inc()
	c.SendText(message.Refreshed(claims.Expiry.Unix()))
}

// adopt makes claims the connection's token unless the connection is
// closing or its current token has already run out (a refresh cannot
// revive an expired connection: it is closed 4002 instead).
func (c *conn) adopt(claims auth.Claims) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stateClosing {
		return false
	}
	if time.Now().UnixNano() >= c.expireAt.Load() {
		c.expireLocked()
		return false
	}
	c.setToken(claims)
	return true
}
