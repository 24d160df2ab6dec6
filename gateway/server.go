package gateway

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway/admission"
	"github.com/rtgw/realtime/gateway/fallback"
	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/gateway/presence"
	"github.com/rtgw/realtime/gateway/upload"
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
	// unserved holds connections that have not delivered a request yet
	// (ConnState, ConnContext).
	unserved sync.Map
	origins  admission.Origins
	limits   *admission.Conns
	// handshakeRate limits upgrade attempts per remote IP, publishRate
	// client publishes per org and user.
	handshakeRate *admission.Rate
	publishRate   *admission.Rate
	presence      *presence.Tracker
	// publishes are the bounded queues of client publishes, one per
	// publisher goroutine; a connection always uses the same one, so its
	// messages reach the log in the order it sent them.
	publishes []chan publishJob

	// uploads are the uploads this node writes (package upload); gate is
	// the read gate's setting they need (readgate.go).
	uploads *upload.Service
	gate    gateConfig

	// api serves the backends' publish and disconnect (package httpapi).
	api *httpapi.API

	// revokes carries revocations heard on the feed to the revoker
	// (revoke.go); fallback serves long-polls and SSE (package fallback), whose
	// Clients it cuts.
	revokes  chan revocation
	fallback *fallback.Service

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
		revokes: make(chan revocation, revokeQueue),
	}
	env := &tailEnv{log: s.cfg.Log, cfg: &s.cfg, metrics: s.metrics, logger: s.log, stop: s.stop}
	s.hub = newHub(env, s.spawn)
	s.origins = admission.NewOrigins(cfg.AllowedOrigins)
	s.limits = admission.NewConns(cfg.MaxConnsPerUser, cfg.MaxConnsPerOrg)
	s.handshakeRate = admission.NewRate(cfg.HandshakeRate, cfg.HandshakeBurst)
	s.publishRate = admission.NewRate(cfg.PublishRate, max(1, int(2*cfg.PublishRate))) // a burst of 0 would refuse every publish
	s.presence = presence.New(presence.Config{Store: cfg.Log, TTL: cfg.PresenceTTL, Timeout: cfg.RedisTimeout,
		RedisErrors: s.metrics.redisErrors, Authenticate: s.authenticateUnrevoked})
	var err error
	s.uploads, err = upload.New(cfg.Uploads, upload.Options{Log: cfg.Log, RedisTimeout: cfg.RedisTimeout,
		Logger: cfg.Logger, Metrics: s.metrics.set, MetricsPrefix: metricsPrefix, RedisErrors: s.metrics.redisErrors,
		Duplicates: s.metrics.duplicates["script"]})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errConfig, err)
	}
	s.api = httpapi.New(httpapi.Config{Log: cfg.Log, Timeout: cfg.RedisTimeout, MaxPublishBytes: cfg.MaxPublishBytes,
		Logger: cfg.Logger, Counters: s.metrics.apiCounters()})
	s.fallback = s.newFallback()
	s.gate = gateConfig{capBytes: int64(s.uploads.BufferBytes()), onPark: s.uploads.ReadsPaused}
	s.publishes = make([]chan publishJob, cfg.Publishers)
	for i := range s.publishes {
		s.publishes[i] = make(chan publishJob, publishQueue/cfg.Publishers+1)
	}
	if s.rpoll, err = netpoll.New(netpoll.Config{Events: netpoll.Readable}); err != nil {
		return nil, err
	}
	if s.wpoll, err = netpoll.New(netpoll.Config{Events: netpoll.Writable}); err != nil {
		s.rpoll.Close()
		return nil, err
	}
	s.feed = cfg.Log.Watch(s.hub.onEvent, s.hub.onSubscribed, s.onEphemeral)
	env.feed = s.feed
	s.spawn(func() { _ = s.rpoll.Run() })
	s.spawn(func() { _ = s.wpoll.Run() })
	startWorkers(s.readers, cfg.Workers, newReadState, (*conn).serveRead)
	startWorkers(s.joiners, cfg.Joiners, func() struct{} { return struct{}{} }, func(c *conn, _ struct{}) { c.runJoin() })
	startWorkers(s.writers, cfg.Writers, func() *netpoll.Iovecs { return netpoll.NewIovecs(64) }, (*conn).flush)
	s.spawn(s.sweep)
	s.spawn(func() { s.presence.Beat(s.stop) })
	s.spawn(s.runRevoker)
	for _, q := range s.publishes {
		s.spawn(func() { s.runPublisher(q) })
	}
	s.uploads.Start()
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
func (s *Server) Handler() http.Handler { return s.served(s.router) }

func (s *Server) routes() {
	r := chi.NewRouter()
	// No response-wrapping middleware here: the stream route hijacks the
	// connection, and a wrapper that hides http.Hijacker breaks it.
	r.Get("/v2/realtime/stream", s.handleStream)
	// What pages call with fetch or EventSource, with CORS (httpapi/cors.go).
	cors := &httpapi.CORS{Origins: s.origins, Refused: s.metrics.originRefused, Preflights: s.metrics.preflights}
	cors.Routes(r, func(r chi.Router) {
		r.Get("/v2/realtime/poll", s.fallback.Poll)
		r.Get("/v2/realtime/sse", s.fallback.SSE)
		r.Get("/v2/realtime/presence", s.presence.ServeHTTP)
		s.uploads.Routes(r, s.authenticate)
		r.Get("/v2/realtime/metrics", s.requireAPIKeyOrToken(httpapi.StatsHandler(s.stats)))
	})
	r.Post("/v2/realtime/publish", s.requireAPIKey(s.api.Publish))
	r.Post("/v2/realtime/disconnect", s.requireAPIKey(s.api.Revoke))
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
		s.metrics.ops.readyDraining.Inc()
		writeError(w, http.StatusServiceUnavailable, "draining", "node is shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.cfg.Log.Ping(ctx); err != nil {
		s.metrics.ops.readyRedis.Inc()
		writeError(w, http.StatusServiceUnavailable, "redis_unreachable", "event log is unreachable")
		return
	}
	s.metrics.ops.readyOK.Inc()
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) requireAPIKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isAPIKey(r) {
			s.metrics.publishAuth.Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key")
			return
		}
		h(w, r)
	}
}

// requireAPIKeyOrToken lets in the API key or any valid access token (an
// app's user checking the node, as the seed's step 5 does): the JSON
// metrics are node-wide aggregates that name no org, so a token of any
// org may read them. The token is verified like a connect token; the
// revocation record is not read (no Redis round trip for a metrics read).
func (s *Server) requireAPIKeyOrToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.isAPIKey(r) {
			h(w, r)
			return
		}
		if _, err := s.cfg.Verifier.Verify(bearerToken(r)); err != nil {
			s.metrics.publishAuth.Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key or access token")
			return
		}
		h(w, r)
	}
}

func (s *Server) isAPIKey(r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1
}
