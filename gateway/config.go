package gateway

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/auth"
)

// Config configures a Server. Zero values mean the documented default.
type Config struct {
	// Log is the org event log (required).
	Log EventLog
	// Verifier checks client JWTs (required).
	Verifier *auth.Verifier
	// Rollout decides at handshake who may use WebSocket; nil lets everyone
	// in. Long-poll and SSE never consult it.
	Rollout Rollout
	// KillSpread is the window over which KillSwitch closes connected
	// clients. Default 5s.
	KillSpread time.Duration
	// AllowedOrigins lists the browser origins that may connect: exact
	// origins ("https://app.example.com"), host patterns ("*.example.com")
	// or "*". Empty: same-origin and non-browser clients only.
	AllowedOrigins []string
	// MaxConnsPerUser caps one user's connections on this node (per org).
	// Default 20; negative means unlimited. Past it: close 4029.
	MaxConnsPerUser int
	// MaxConnsPerOrg caps one org's connections on this node. Default 0:
	// unlimited.
	MaxConnsPerOrg int
	// HandshakeRate is the sustained upgrade attempts per second allowed
	// from one IP address (burst HandshakeBurst). Default 0: unlimited.
	// Behind a proxy every client shares the proxy's address: limit there.
	HandshakeRate  float64
	HandshakeBurst int
	// PublishRate is the sustained client publishes per second one user may
	// send on this node (burst 2×). Default 10.
	PublishRate float64
	// Publishers is the number of goroutines appending client publishes to
	// the log. Default 8.
	Publishers int
	// PresenceTTL is how long a node's presence entries live without a
	// heartbeat (sent every PresenceTTL/3): a killed node's users disappear
	// within it. Default 30s.
	PresenceTTL time.Duration
	// APIKey guards POST /v2/realtime/publish and GET /v2/realtime/metrics.
	// Empty disables both endpoints (they answer 401).
	APIKey string
	// Logger receives connection-level logs, never one line per event.
	// Default: disabled.
	Logger *zerolog.Logger

	// PingInterval between server pings. Default 30s. A peer that sends
	// nothing (not even a pong) for 1.5 intervals is closed, so a dead peer is
	// gone within two intervals.
	PingInterval time.Duration
	// HandshakeTimeout is how long a client has to send its first message
	// after the upgrade. Default 10s; close code 4408 past it.
	HandshakeTimeout time.Duration
	// MaxMessageBytes caps one client message (all fragments). Default 64 KiB;
	// close code 1009 past it.
	MaxMessageBytes int
	// MaxServices caps the services one handshake may name. Default 64.
	MaxServices int
	// OutboundQueueBytes caps one connection's unsent bytes. Default 1 MiB;
	// past it the connection is closed with 4013 and its backlog dropped —
	// the client resumes from its lastSeq.
	OutboundQueueBytes int
	// CompressThreshold: event frames of at least this many bytes are sent
	// deflated to connections that negotiated permessage-deflate. Default
	// 1024. Negative disables compression.
	CompressThreshold int
	// SendBufferBytes sets SO_SNDBUF on each connection. Default 0 leaves
	// the kernel's autotuning, which lets one stalled peer pin up to
	// net.ipv4.tcp_wmem's max (4 MiB on stock Linux) of kernel memory before
	// the outbound cap even starts counting; set it to bound kernel memory
	// per connection on large nodes.
	SendBufferBytes int
	// CloseTimeout bounds how long a closing connection may take to flush its
	// close frame and hear the peer's. Default 5s.
	CloseTimeout time.Duration
	// ReplayPageSize is how many events one Redis read fetches during replay.
	// Default 500.
	ReplayPageSize int
	// RedisTimeout bounds each Redis call made on a client's behalf.
	// Default 3s.
	RedisTimeout time.Duration
	// Workers is the size of the pool that reads client frames and runs
	// handshakes. Default 16 × GOMAXPROCS.
	Workers int
	// Joiners is the size of the pool that runs accepted handshakes: the
	// Redis reads, the replay and the attach to the org tail. They are kept
	// off the readers so that a slow Redis never stops the node from
	// reading its clients' frames (pongs). Default 64.
	Joiners int
	// Writers is the number of goroutines that flush outbound queues. They
	// never block on a socket. Default 2 × GOMAXPROCS.
	Writers int
	// TailIdle keeps an org's tail running this long after its last
	// connection leaves, so reconnect churn does not resubscribe. Default 30s.
	TailIdle time.Duration
	// MaxPublishBytes caps a publish request body. Default 1 MiB.
	MaxPublishBytes int64

	// Uploads configures document uploads (package upload); a nil
	// Uploads.Storage disables them (every upload message is answered with
	// upload_disabled). A nil Uploads.State is filled in with Log when Log
	// implements upload.State (store.Log does).
	Uploads upload.Config
}

// errConfig is wrapped by every configuration error.
var errConfig = errors.New("gateway: invalid config")

func (c *Config) setDefaults() error {
	if c.Log == nil {
		return fmt.Errorf("%w: Log is required", errConfig)
	}
	if c.Verifier == nil {
		return fmt.Errorf("%w: Verifier is required", errConfig)
	}
	if c.Logger == nil {
		l := zerolog.Nop()
		c.Logger = &l
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PingInterval, 30*time.Second)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.CloseTimeout, 5*time.Second)
	def(&c.RedisTimeout, 3*time.Second)
	def(&c.TailIdle, 30*time.Second)
	def(&c.KillSpread, 5*time.Second)
	def(&c.PresenceTTL, 30*time.Second)
	defInt(&c.MaxMessageBytes, 64<<10)
	defInt(&c.MaxServices, 64)
	defInt(&c.OutboundQueueBytes, 1<<20)
	defInt(&c.ReplayPageSize, 500)
	defInt(&c.Workers, 16*runtime.GOMAXPROCS(0))
	defInt(&c.Writers, 2*runtime.GOMAXPROCS(0))
	defInt(&c.Joiners, 64)
	defInt(&c.Publishers, 8)
	if c.PublishRate <= 0 {
		c.PublishRate = 10
	}
	if c.MaxConnsPerUser == 0 {
		c.MaxConnsPerUser = 20
	}
	if c.MaxConnsPerUser < 0 {
		c.MaxConnsPerUser = 0
	}
	if c.HandshakeBurst <= 0 {
		c.HandshakeBurst = max(int(2*c.HandshakeRate), 10)
	}
	if c.CompressThreshold == 0 {
		c.CompressThreshold = 1024
	}
	if c.MaxPublishBytes <= 0 {
		c.MaxPublishBytes = 1 << 20
	}
	if st, ok := c.Log.(upload.State); ok && c.Uploads.State == nil {
		c.Uploads.State = st
	}
	if c.ReplayPageSize > 1000 {
		return fmt.Errorf("%w: ReplayPageSize %d over 1000", errConfig, c.ReplayPageSize)
	}
	return nil
}
