package gateway

import (
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// A connection's authority ends with its token. The token's claims can be
// replaced in band (refresh.go) while readers check them for publishes, so
// they live behind an atomic pointer; the moment they stop counting,
// expireAt (the token's exp plus the verifier's leeway, unix nanos), is an
// atomic too, read by fan-out once per connection per frame and by the
// sweep once per tick. Neither allocates or locks.
//
// Revocation (revoke.go) ends it early: a connection whose token was
// issued at or before a revocation of its user or org is closed 4009.

// setToken makes claims the connection's authority. The first call happens
// before the connection is shared; later ones come from refresh.
func (c *conn) setToken(claims auth.Claims) {
	c.tok.Store(&claims)
	c.expireAt.Store(claims.Expiry.Add(c.s.cfg.Verifier.Leeway()).UnixNano())
}

// token is the connection's current authority. Never nil once the
// connection is past its handshake.
func (c *conn) token() *auth.Claims { return c.tok.Load() }

// expiredAt reports whether the token ran out at now (unix nanos), and if so
// closes the connection with 4002: called where an event is about to be
// queued, so nothing published after the moment reaches it, whatever the
// sweep's granularity. Caller may hold orgTail.mu (the close takes conn.mu).
func (c *conn) expiredAt(now int64) bool {
	if now < c.expireAt.Load() {
		return false
	}
	c.mu.Lock()
	expired := now >= c.expireAt.Load() // a refresh may have won the race (adopt)
	if expired {
		c.expireLocked()
	}
	c.mu.Unlock()
	return expired
}

// errTokenExpired is the close of a connection whose token ran out.
var errTokenExpired = disconnect(CloseTokenExpired, "get a new token and reconnect with lastSeq and epoch: nothing is lost")

// expireLocked closes the connection for an expired token, once. Caller
// holds c.mu.
func (c *conn) expireLocked() {
	if c.state < stateClosing {
		c.s.metrics.tokenExpired.Inc()
		c.closeLocked(errTokenExpired)
	}
}

// unixOrZero is t in unix seconds, 0 for the zero time (a token without iat).
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
