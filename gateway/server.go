package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/go-chi/chi/v5"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/netpoll"
)

// Server is one gateway node: HTTP routes, the WebSocket connections, the
// org tails and the goroutines that serve them.
type Server struct {
	cfg     Config
	log     *zerolog.Logger
	metrics *serverMetrics
	router  chi.Router
	hub     *hub
	reg     *registry
	feed    Feed
	rpoll   *netpoll.Poller
	wpoll   *netpoll.Poller
	readers *workQueue
	writers *workQueue
	joiners *workQueue
	nextID  atomic.Uint64
	origins originPolicy
	limits  *connLimits
	ipRate  *ipRate

	stop      chan struct{} // closed when the node stops: every goroutine exits
	drain     chan struct{} // closed when the drain starts: fallback streams end
	drainOnce sync.Once
	stopOnce  sync.Once
	wg        sync.WaitGroup
	draining  atomic.Bool
}

// New builds a Server and starts its goroutines (pollers, workers, sweep,
// notification feed). Stop them with Shutdown.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: newServerMetrics(),
		reg:     newRegistry(),
		readers: newWorkQueue(linkRead),
		writers: newWorkQueue(linkWrite),
		joiners: newWorkQueue(linkJoin),
		stop:    make(chan struct{}),
		drain:   make(chan struct{}),
	}
	s.hub = newHub(s)
	s.origins = newOriginPolicy(cfg.AllowedOrigins)
	s.limits = newConnLimits(cfg.MaxConnsPerUser, cfg.MaxConnsPerOrg)
	s.ipRate = newIPRate(cfg.HandshakeRate, cfg.HandshakeBurst)
	var err error
	if s.rpoll, err = netpoll.New(netpoll.Config{Events: netpoll.Readable}); err != nil {
		return nil, err
	}
	if s.wpoll, err = netpoll.New(netpoll.Config{Events: netpoll.Writable}); err != nil {
		s.rpoll.Close()
		return nil, err
	}
	s.feed = cfg.Log.Watch(s.hub.onEvent, s.hub.onSubscribed)
	s.spawn(func() { _ = s.rpoll.Run() })
	s.spawn(func() { _ = s.wpoll.Run() })
	startWorkers(s.readers, cfg.Workers, newReadState, (*conn).serveRead)
	startWorkers(s.joiners, cfg.Joiners, func() struct{} { return struct{}{} }, func(c *conn, _ struct{}) { c.runJoin() })
	startWorkers(s.writers, cfg.Writers, func() *netpoll.Iovecs { return netpoll.NewIovecs(64) }, (*conn).flush)
	s.spawn(s.sweep)
	s.routes()
	return s, nil
}

// spawn runs a long-lived goroutine owned by the server; Shutdown waits for
// every one of them.
func (s *Server) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) routes() {
	r := chi.NewRouter()
	// No response-wrapping middleware here: the stream route hijacks the
	// connection, and a wrapper that hides http.Hijacker breaks it.
	r.Get("/v2/realtime/stream", s.handleStream)
	r.Get("/v2/realtime/poll", s.handlePoll)
	r.Get("/v2/realtime/sse", s.handleSSE)
	r.Post("/v2/realtime/publish", s.requireAPIKey(s.handlePublish))
	r.Get("/v2/realtime/metrics", s.requireAPIKey(s.handleStats))
	r.Get("/metrics", s.MetricsHandler().ServeHTTP)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.handleReady)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint")
	})
	s.router = r
}

// MetricsHandler serves the Prometheus text format, for a separate metrics
// listener (REALTIME_METRICS_ADDR) as well as GET /metrics.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		s.metrics.set.WritePrometheus(w)
		// go_goroutines, go_memstats_*, process_resident_memory_bytes,
		// process_open_fds: what capacity planning and rtbench read.
		metrics.WriteProcessMetrics(w)
		metrics.WriteFDMetrics(w)
	})
}

// Mount adds a route to the server's router (used by cmd/gateway for
// development-only pages).
func (s *Server) Mount(pattern string, h http.Handler) { s.router.Mount(pattern, h) }

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, "draining", "node is shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.cfg.Log.Ping(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, "redis_unreachable", "event log is unreachable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) requireAPIKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || s.cfg.APIKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1 {
			s.metrics.publishAuth.Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key")
			return
		}
		h(w, r)
	}
}

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
	if !s.origins.allows(r) {
		s.metrics.originRefused.Inc()
		writeError(w, http.StatusForbidden, "origin_not_allowed", "this origin may not connect")
		return
	}
	if !s.ipRate.allow(r.RemoteAddr, time.Now()) {
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
		claims:  claims,
	}
	if n := rw.Reader.Buffered(); n > 0 {
		c.pre, _ = rw.Reader.Peek(n)
		c.pre = append([]byte(nil), c.pre...)
	}
	// The slot is taken before the connection is shared, so destroy
	// (from any goroutine) sees counted as it will stay.
	c.counted = authErr == nil && s.limits.acquire(c.org, c.user)
	if !s.register(c) {
		if c.counted {
			s.limits.release(c.org, c.user)
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
