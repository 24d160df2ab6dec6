package fallback

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway/httpapi"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// Request is a validated long-poll or SSE request.
type Request struct {
	Claims   auth.Claims
	Services []string // deduplicated
	LastSeq  *int64   // from the query, or Last-Event-ID (which wins); nil: from now
	Epoch    string
}

// Error is a rejection with an HTTP status and a JSON error body.
type Error struct {
	Status  int
	Code    string
	Message string
}

// Write answers the rejection.
func (e *Error) Write(w http.ResponseWriter) { httpapi.WriteError(w, e.Status, e.Code, e.Message) }

// ErrRevoked is what Core.CheckRevoked returns for a revoked token.
var ErrRevoked = errors.New("fallback: token revoked")

// View is what a client sees of an org tail at one instant.
type View struct {
	Epoch   string
	Seq     int64
	Events  []store.Event // after the asked position, from the ring
	Covered bool          // Events is complete up to Seq
	Changed <-chan struct{}
}

// Tail is one org's tail as a fallback client holds it.
type Tail interface {
	// View returns up to limit events after pos held in memory, and a
	// channel closed when the tail next moves.
	View(pos int64, limit int) View
	// Poke asks the tail to re-read the log (it may have been reset).
	Poke()
	// Release lets the tail go; the handler calls it once.
	Release()
}

// Core is what the gateway does for a fallback request.
type Core interface {
	// Parse authenticates and validates r, as for a WebSocket handshake
	// (and refuses it while the node drains).
	Parse(r *http.Request) (Request, *Error)
	// Start finds where the client begins, with the WebSocket ack's rules.
	Start(ctx context.Context, req Request) (head store.Head, pos int64, recovered *bool, err error)
	// Acquire holds org's tail once it is ready; false: it could not start.
	Acquire(org string) (Tail, bool)
	// CheckRevoked reads the revocation record: nil, ErrRevoked, or the
	// failure to read it.
	CheckRevoked(ctx context.Context, claims *auth.Claims) error
	// Deadline is when a token stops counting: its exp plus the leeway.
	Deadline(claims *auth.Claims) time.Time
	// Draining reports whether the node is shutting down.
	Draining() bool
}

// Log is the read of the event log the handlers make when the tail's ring
// does not hold their position.
type Log interface {
	ReadAfter(ctx context.Context, org string, after int64, limit int) (store.Page, error)
}

// Counters are the gateway's metric handles; every one must be set.
type Counters struct {
	Polls        *metrics.Counter // realtime_long_polls_total
	SSEStreams   *metrics.Gauge   // realtime_sse_streams_active
	Delivered    *metrics.Counter // events sent to clients
	TokenExpired *metrics.Counter // streams ended at their token's expiry
	RedisErrors  *metrics.Counter
}

// Ends are the protocol's code and message for the ways a fallback
// client's authority ends (the gateway's close codes, as strings).
type Ends struct {
	Revoked      Error // a poll's answer when its token is revoked
	RevokedEvent Error // an SSE stream's error event on revocation (Status unused)
	ExpiredEvent Error // an SSE stream's error event at the token's end (Status unused)
}

// Config is what New needs; every field is required.
type Config struct {
	Core Core
	Log  Log
	// Timeout bounds each Redis read; also how long a request waits for
	// its tail to start.
	Timeout time.Duration
	// PingInterval spaces an idle SSE stream's comments.
	PingInterval time.Duration
	// Drain closes when the node starts draining: every wait ends.
	Drain <-chan struct{}
	// Sanitize and Redact are the gateway's, so that every transport
	// sends events and logs URLs alike.
	Sanitize func(*store.Event)
	Redact   func(*url.URL) string
	Logger   *zerolog.Logger
	Counters Counters
	Ends     Ends
}

// Service serves both transports.
type Service struct {
	cfg Config
	// Clients are this node's SSE streams and long-polls, for the revoker.
	Clients Clients
}

// New returns the Service for cfg.
func New(cfg Config) *Service { return &Service{cfg: cfg} }
