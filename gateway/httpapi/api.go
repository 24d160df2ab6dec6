package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// Log is what the API needs of the event log: package store's Log
// satisfies it, as the gateway's Log interface does.
type Log interface {
	// Append publishes evs atomically and returns each one's seq.
	Append(ctx context.Context, org string, evs ...store.Input) (store.Published, error)
	// Revoke records and announces a revocation of user's tokens in org
	// ("": every user) and returns its time in unix seconds.
	Revoke(ctx context.Context, org, user string, at time.Time) (int64, error)
}

// Counters are the gateway's metric handles the API counts into; the
// gateway registers them (their names are its metrics contract) and every
// one must be set.
type Counters struct {
	PublishOK     *metrics.Counter // realtime_publish_requests_total{result="ok"}
	PublishBad    *metrics.Counter // {result="bad_request"}
	PublishFailed *metrics.Counter // {result="error"}
	Duplicates    *metrics.Counter // realtime_publish_duplicates_total{via="http"}
	RedisErrors   *metrics.Counter // realtime_redis_errors_total
	Revocations   *metrics.Counter // realtime_revocations_total
}

// Config is what New needs; every field is required.
type Config struct {
	Log Log
	// Timeout bounds each request's Redis round trip.
	Timeout time.Duration
	// MaxPublishBytes caps a publish body; past it the answer is 413.
	MaxPublishBytes int64
	// Logger takes one warning per failed request and one info line per
	// revocation (the audit trail); never a line per published event.
	Logger   *zerolog.Logger
	Counters Counters
}

// API serves the backend endpoints. It holds no state of its own beyond
// its Config, so its handlers run concurrently.
type API struct {
	cfg Config
}

// New returns the API for cfg.
func New(cfg Config) *API { return &API{cfg: cfg} }

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers status with the protocol's error body
// {"type":"error","code":…,"message":…}.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, message.Problem{Type: "error", Code: code, Message: msg})
}

// WriteUnavailable answers 503 when the event log cannot be reached.
func WriteUnavailable(w http.ResponseWriter) {
	WriteError(w, http.StatusServiceUnavailable, "unavailable", "event log unavailable, retry")
}
