package gateway

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/internal/auth"
)

// bearerToken reads the client's JWT from ?access_token= or the
// Authorization header.
func bearerToken(r *http.Request) string {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t
	}
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}

// handleStream upgrades to WebSocket. A bad token is reported after the
// upgrade (error frame + 4001), because a browser cannot read the body of a
// failed upgrade response.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, "draining", "node is shutting down; connect to another")
		return
	}
	if !s.origins.Allows(r) {
		s.metrics.originRefused.Inc()
		writeError(w, http.StatusForbidden, "origin_not_allowed", "this origin may not connect")
		return
	}
	if !s.handshakeRate.AllowAddr(r.RemoteAddr, time.Now()) {
		s.metrics.rateLimited.Inc()
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many connection attempts from this address")
		return
	}
	claims, authErr := s.cfg.Verifier.Verify(bearerToken(r))
	ext := wsflate.Extension{Parameters: wsflate.Parameters{
		ServerNoContextTakeover: true,
		ClientNoContextTakeover: true,
	}}
	up := ws.HTTPUpgrader{Timeout: 5 * time.Second}
	if s.cfg.CompressThreshold >= 0 {
		up.Negotiate = ext.Negotiate
	}
	nc, rw, _, err := up.Upgrade(r, w)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	_, deflate := ext.Accepted()
	if e := s.log.Debug(); e.Enabled() {
		e.Str("url", redactURL(r.URL)).Str("remote", r.RemoteAddr).Bool("token_ok", authErr == nil).Msg("upgrade")
	}
	c := &conn{
		id:      s.nextID.Add(1),
		s:       s,
		nc:      nc,
		remote:  r.RemoteAddr,
		deflate: deflate,
		org:     claims.Org,
		user:    claims.User,
	}
	if authErr == nil {
		c.setToken(claims)
	}
	if n := rw.Reader.Buffered(); n > 0 {
		c.pre, _ = rw.Reader.Peek(n)
		c.pre = append([]byte(nil), c.pre...)
	}
	// The slot is taken before the connection is shared, so destroy
	// (from any goroutine) sees counted as it will stay.
	c.counted = authErr == nil && s.limits.Acquire(c.org, c.user)
	if !s.register(c) {
		if c.counted {
			s.limits.Release(c.org, c.user)
		}
		return
	}
	switch {
	case authErr != nil:
		s.metrics.rejected(CloseUnauthorized)
		c.closeWith(disconnect(CloseUnauthorized, auth.Reason(authErr)))
	case !c.counted:
		s.metrics.rejected(CloseTooManyConns)
		c.closeWith(disconnect(CloseTooManyConns, "too many connections for this user or org on this node"))
	}
	if c.pre != nil {
		s.readers.push(c)
	} else if c.rdesc.Arm() != nil {
		c.destroy()
	}
}

// register sets up a freshly upgraded connection with the pollers and the
// registry. It reports false (and closes the socket) when that fails.
func (s *Server) register(c *conn) bool {
	now := time.Now()
	c.lastRead.Store(now.UnixNano())
	c.deadline = now.Add(s.cfg.HandshakeTimeout)
	c.nextPing = now.Add(s.cfg.PingInterval)
	err := errNotSyscallConn
	if sc, ok := c.nc.(syscall.Conn); ok {
		err = s.attachPollers(c, sc)
	}
	if err != nil {
		_ = c.nc.Close()
		s.log.Warn().Err(err).Msg("cannot register connection with the poller")
		return false
	}
	s.reg.add(c)
	s.metrics.opened.Inc()
	s.metrics.active.Inc()
	if e := s.log.Debug(); e.Enabled() {
		e.Uint64("conn", c.id).Str("org", c.org).Str("user", c.user).Str("remote", c.remote).
			Bool("deflate", c.deflate).Msg("connection opened")
	}
	return true
}

var errNotSyscallConn = errors.New("hijacked connection exposes no file descriptor")

func (s *Server) attachPollers(c *conn, sc syscall.Conn) error {
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	c.raw = raw
	if tcp, ok := c.nc.(*net.TCPConn); ok && s.cfg.SendBufferBytes > 0 {
		if err := tcp.SetWriteBuffer(s.cfg.SendBufferBytes); err != nil {
			return err
		}
	}
	if c.rdesc, err = s.rpoll.Add(sc, readHandler{c}); err != nil {
		return err
	}
	if c.wdesc, err = s.wpoll.Add(sc, writeHandler{c}); err != nil {
		c.rdesc.Remove()
		return err
	}
	return nil
}

// authenticate verifies the client token of an HTTP request, answering 401
// itself when it is missing or bad (the upload routes use it).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Claims, bool) {
	claims, err := s.cfg.Verifier.Verify(bearerToken(r))
	if err != nil {
		writeError(w, http.StatusUnauthorized, CloseUnauthorized.String(), auth.Reason(err))
		return claims, false
	}
	return claims, true
}

// authenticateUnrevoked is authenticate plus the revocation record (one
// Redis round trip), for reads of org data over plain HTTP (presence): a
// revoked token reads nothing, answered 401 "token revoked" like a poll.
func (s *Server) authenticateUnrevoked(w http.ResponseWriter, r *http.Request) (auth.Claims, bool) {
	claims, ok := s.authenticate(w, r)
	if !ok {
		return claims, false
	}
	switch err := s.checkRevoked(r.Context(), &claims); err {
	case nil:
		return claims, true
	case errRevoked:
		s.metrics.rejected(CloseUnauthorized)
		writeError(w, http.StatusUnauthorized, CloseUnauthorized.String(), errRevoked.Message)
	default:
		httpapi.WriteUnavailable(w)
	}
	return claims, false
}
