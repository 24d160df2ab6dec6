package gateway

import (
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/rollout"
)

// metricsPrefix starts every series the gateway exports.
const metricsPrefix = "realtime_"

// allCloseCodes are the codes that get their own labelled series; the label
// set is fixed at start-up, so counting never allocates or locks.
var allCloseCodes = []CloseCode{
	CloseNormal, CloseGoingAway, CloseProtocolError, CloseInvalidPayload,
	CloseMessageTooBig, CloseInternalError, CloseServiceRestart, CloseSlowConsumer,
	CloseUnauthorized, CloseForbidden, CloseBadHandshake, CloseHandshakeTimeout,
	CloseFallback, CloseTooManyConns, CloseTokenExpired, CloseRevoked,
}

// serverMetrics is the one source of truth for the node's counters: the
// Prometheus endpoint and the JSON endpoint both read it. Handles are
// resolved once in newServerMetrics; the hot path only does atomic adds.
type serverMetrics struct {
	set             *metrics.Set
	active          *metrics.Gauge
	opened          *metrics.Counter
	delivered       *metrics.Counter
	compressed      *metrics.Counter
	replayed        *metrics.Counter
	unrecovered     *metrics.Counter
	tails           *metrics.Gauge
	slowConsumers   *metrics.Counter
	deadPeers       *metrics.Counter
	partialFrames   *metrics.Counter
	originRefused   *metrics.Counter
	preflights      *metrics.Counter
	headerTimeouts  *metrics.Counter
	rateLimited     *metrics.Counter
	redisErrors     *metrics.Counter
	inboxOverflows  *metrics.Counter
	deliveryDelay   *metrics.PrometheusHistogram
	replaySize      *metrics.PrometheusHistogram
	publishOK       *metrics.Counter
	publishBad      *metrics.Counter
	publishAuth     *metrics.Counter
	publishFailed   *metrics.Counter
	polls           *metrics.Counter
	sseStreams      *metrics.Gauge
	tokenExpired    *metrics.Counter                    // WebSocket connections closed 4002 and SSE streams ended at their token's expiry
	revocations     *metrics.Counter                    // revocations recorded through this node's POST /v2/realtime/disconnect
	revokeDropped   *metrics.Counter                    // revocation signals this node could not queue (still enforced by the record)
	refreshes       map[string]*metrics.Counter         // in-band token refreshes by result; read-only after init
	fallbacks       map[rollout.Reason]*metrics.Counter // read-only after init
	clientPublishes map[string]*metrics.Counter         // by result; read-only after init
	closes          map[CloseCode]*metrics.Counter      // read-only after init
	rejects         map[CloseCode]*metrics.Counter      // read-only after init
	ops             *opsMetrics
	duplicates      map[string]*metrics.Counter // by via; read-only after init
}

func newServerMetrics() *serverMetrics {
	s := metrics.NewSet()
	m := &serverMetrics{
		set:            s,
		active:         s.NewGauge(metricsPrefix+"connections_active", nil),
		opened:         s.NewCounter(metricsPrefix + "connections_opened_total"),
		delivered:      s.NewCounter(metricsPrefix + "events_delivered_total"),
		compressed:     s.NewCounter(metricsPrefix + "frames_compressed_total"),
		replayed:       s.NewCounter(metricsPrefix + "events_replayed_total"),
		unrecovered:    s.NewCounter(metricsPrefix + "resumes_unrecovered_total"),
		tails:          s.NewGauge(metricsPrefix+"org_tails_active", nil),
		slowConsumers:  s.NewCounter(metricsPrefix + "slow_consumer_disconnects_total"),
		deadPeers:      s.NewCounter(metricsPrefix + "dead_peer_disconnects_total"),
		partialFrames:  s.NewCounter(metricsPrefix + "incomplete_frame_disconnects_total"),
		originRefused:  s.NewCounter(metricsPrefix + "origin_refused_total"),
		preflights:     s.NewCounter(metricsPrefix + "cors_preflights_total"),
		headerTimeouts: s.NewCounter(metricsPrefix + "http_closed_before_request_total"),
		rateLimited:    s.NewCounter(metricsPrefix + "handshakes_rate_limited_total"),
		redisErrors:    s.NewCounter(metricsPrefix + "redis_errors_total"),
		inboxOverflows: s.NewCounter(metricsPrefix + "tail_inbox_overflows_total"),
		deliveryDelay: s.NewPrometheusHistogramExt(metricsPrefix+"delivery_latency_seconds",
			[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}),
		replaySize: s.NewPrometheusHistogramExt(metricsPrefix+"replay_events",
			[]float64{0, 1, 10, 100, 1000, 10000, 100000}),
		publishOK:       s.NewCounter(metricsPrefix + `publish_requests_total{result="ok"}`),
		publishBad:      s.NewCounter(metricsPrefix + `publish_requests_total{result="bad_request"}`),
		publishAuth:     s.NewCounter(metricsPrefix + `publish_requests_total{result="unauthorized"}`),
		publishFailed:   s.NewCounter(metricsPrefix + `publish_requests_total{result="error"}`),
		polls:           s.NewCounter(metricsPrefix + "long_polls_total"),
		sseStreams:      s.NewGauge(metricsPrefix+"sse_streams_active", nil),
		tokenExpired:    s.NewCounter(metricsPrefix + "token_expired_closes_total"),
		revocations:     s.NewCounter(metricsPrefix + "revocations_total"),
		revokeDropped:   s.NewCounter(metricsPrefix + "revocation_signals_dropped_total"),
		refreshes:       make(map[string]*metrics.Counter),
		fallbacks:       make(map[rollout.Reason]*metrics.Counter),
		clientPublishes: make(map[string]*metrics.Counter),
		closes:          make(map[CloseCode]*metrics.Counter),
		rejects:         make(map[CloseCode]*metrics.Counter),
		ops:             newOpsMetrics(s),
		duplicates:      newDuplicateCounters(s),
	}
	for _, code := range allCloseCodes {
		label := `{code="` + strconv.Itoa(int(code)) + `",reason="` + code.String() + `"}`
		m.closes[code] = s.NewCounter(metricsPrefix + "disconnects_total" + label)
		m.rejects[code] = s.NewCounter(metricsPrefix + "handshakes_rejected_total" + label)
	}
	for _, r := range []string{"ok", "not_allowed", "rate_limited", "busy", "error"} {
		m.clientPublishes[r] = s.NewCounter(metricsPrefix + `client_publishes_total{result="` + r + `"}`)
	}
	for _, r := range refreshResults {
		m.refreshes[r] = s.NewCounter(metricsPrefix + `token_refreshes_total{result="` + r + `"}`)
	}
	for _, r := range []rollout.Reason{rollout.ReasonDisabled, rollout.ReasonDenied, rollout.ReasonPercent, reasonKillSwitch} {
		m.fallbacks[r] = s.NewCounter(metricsPrefix + `fallbacks_total{reason="` + string(r) + `"}`)
	}
	return m
}

func (m *serverMetrics) fellBack(r rollout.Reason) {
	if c := m.fallbacks[r]; c != nil {
		c.Inc()
	}
}

func (m *serverMetrics) closed(code CloseCode) {
	if c := m.closes[code]; c != nil {
		c.Inc()
	}
}

func (m *serverMetrics) rejected(code CloseCode) {
	if c := m.rejects[code]; c != nil {
		c.Inc()
	}
}

// ObserveDelivery records publish → frame written latency. It runs once per
// frame (for the first connection that finishes writing it), not once per
// connection, so it costs the fan-out nothing per subscriber.
func (m *serverMetrics) ObserveDelivery(tsMillis int64) {
	d := time.Since(time.UnixMilli(tsMillis)).Seconds()
	if d >= 0 {
		m.deliveryDelay.Update(d)
	}
}

// stats is the node's GET /v2/realtime/metrics document (httpapi.Stats).
func (s *Server) stats() httpapi.Stats {
	m := s.metrics
	orgs := s.hub.stats()
	active := uint64(max(m.active.Get(), 0))
	return httpapi.Stats{
		ActiveConnections:    active,
		TotalConnections:     m.opened.Get(),
		EventsDelivered:      m.delivered.Get(),
		CompressedMessages:   m.compressed.Get(),
		MissedEventsReplayed: m.replayed.Get(),
		ConnectionPoolStats: httpapi.PoolStats{
			TotalSubscriptions: orgs,
			TotalConnections:   active,
			TotalOrgs:          orgs,
		},
	}
}

// The JSON answers every route shares live with the backend API.
var (
	writeJSON        = httpapi.WriteJSON
	writeError       = httpapi.WriteError
	writeUnavailable = httpapi.WriteUnavailable
)

// duplicateVias are the label values of realtime_publish_duplicates_total:
// http (POST /v2/realtime/publish), ws (client publishes) and script (the
// gateway's own publishes, such as upload.completed).
var duplicateVias = []string{"http", "ws", "script"}

// newDuplicateCounters registers one counter per via.
func newDuplicateCounters(s *metrics.Set) map[string]*metrics.Counter {
	m := make(map[string]*metrics.Counter, len(duplicateVias))
	for _, via := range duplicateVias {
		m[via] = s.NewCounter(metricsPrefix + `publish_duplicates_total{via="` + via + `"}`)
	}
	return m
}

// apiCounters lends the backend API (package httpapi) its handles.
func (m *serverMetrics) apiCounters() httpapi.Counters {
	return httpapi.Counters{PublishOK: m.publishOK, PublishBad: m.publishBad, PublishFailed: m.publishFailed,
		Duplicates: m.duplicates["http"], RedisErrors: m.redisErrors, Revocations: m.revocations}
}
