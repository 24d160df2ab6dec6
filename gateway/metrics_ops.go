package gateway

import (
	"github.com/VictoriaMetrics/metrics"

	"github.com/rtgw/realtime/rollout"
)

// opsMetrics are the series the operations dashboard and alert rules
// (docs/grafana, charts/realtime-gateway/files) need beyond the counters the
// data path already keeps. Every label set is fixed here, so counting is an
// atomic add with no map write or allocation.
type opsMetrics struct {
	// decisions counts rollout decisions at handshake by outcome
	// ("websocket" or "fallback") and reason; read-only after init.
	decisions map[rollout.Decision]*metrics.Counter
	// readyChecks counts /readyz answers by result: kubelet probes every
	// few seconds, so a failing Redis or a stuck drain shows here even on
	// a node with no clients.
	readyOK, readyRedis, readyDraining *metrics.Counter
	// resubscribes counts subscriptions Redis confirmed again for an org
	// tail that was already running: one per org tail each time the node's
	// notification link to Redis is re-established.
	resubscribes *metrics.Counter
}

func newOpsMetrics(s *metrics.Set) *opsMetrics {
	m := &opsMetrics{
		decisions:     make(map[rollout.Decision]*metrics.Counter),
		readyOK:       s.NewCounter(metricsPrefix + `readyz_checks_total{result="ready"}`),
		readyRedis:    s.NewCounter(metricsPrefix + `readyz_checks_total{result="redis_unreachable"}`),
		readyDraining: s.NewCounter(metricsPrefix + `readyz_checks_total{result="draining"}`),
		resubscribes:  s.NewCounter(metricsPrefix + "feed_resubscribes_total"),
	}
	for _, d := range []rollout.Decision{
		{In: true, Reason: rollout.ReasonAllowed}, {In: true, Reason: rollout.ReasonPercent}, {In: true, Reason: rollout.ReasonOptIn},
		{Reason: rollout.ReasonDisabled}, {Reason: rollout.ReasonDenied}, {Reason: rollout.ReasonPercent},
	} {
		outcome := "fallback"
		if d.In {
			outcome = "websocket"
		}
		m.decisions[d] = s.NewCounter(metricsPrefix + `rollout_decisions_total{outcome="` + outcome + `",reason="` + string(d.Reason) + `"}`)
	}
	return m
}

func (m *opsMetrics) decided(d rollout.Decision) {
	if c := m.decisions[d]; c != nil {
		c.Inc()
	}
}
