package upload

import "github.com/VictoriaMetrics/metrics"

// uploadMetrics are the upload series; the names are the ones in the
// README's metrics table.
type uploadMetrics struct {
	started *metrics.Counter
	resumed *metrics.Counter
	bytes   *metrics.Counter
	paused  *metrics.Counter
	expired *metrics.Counter
	results map[string]*metrics.Counter // read-only after init
}

var uploadResults = []string{"done", "aborted", "upload_hash_mismatch", "upload_too_large", "upload_type_not_allowed",
	"upload_too_many", "upload_taken_over", "upload_not_found", "upload_failed", "upload_invalid", "upload_offset"}

func newUploadMetrics(s *metrics.Set, metricsPrefix string) *uploadMetrics {
	m := &uploadMetrics{
		started: s.NewCounter(metricsPrefix + "uploads_started_total"),
		resumed: s.NewCounter(metricsPrefix + "uploads_resumed_total"),
		bytes:   s.NewCounter(metricsPrefix + "upload_bytes_stored_total"),
		paused:  s.NewCounter(metricsPrefix + "upload_reads_paused_total"),
		expired: s.NewCounter(metricsPrefix + "upload_parts_expired_total"),
		results: make(map[string]*metrics.Counter),
	}
	for _, r := range uploadResults {
		m.results[r] = s.NewCounter(metricsPrefix + `upload_results_total{result="` + r + `"}`)
	}
	return m
}

func (m *uploadMetrics) result(r string) {
	if c := m.results[r]; c != nil {
		c.Inc()
	}
}
