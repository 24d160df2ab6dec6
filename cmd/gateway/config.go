package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rtgw/realtime/store"
)

// config is everything the binary reads from flags and the environment.
// Each field has one flag and one env var; the env var sets the default,
// an explicit flag wins.
type config struct {
	Addr              string
	MetricsAddr       string
	RedisURL          string
	SentinelAddrs     string
	SentinelMaster    string
	ClusterAddrs      string
	RedisPassword     string
	RedisTLS          bool
	AllowedOrigins    string
	MaxConnsPerUser   int
	MaxConnsPerOrg    int
	HandshakeRate     int
	HeaderTimeout     time.Duration
	ShutdownDelay     time.Duration
	RedisPrefix       string
	RedisPubSub       string
	HistoryMaxLen     int64
	IdempotencyWindow time.Duration
	JWTSecret         string
	JWTAlgorithm      string
	JWTPublicKeyFile  string
	JWTIssuer         string
	JWTAudience       string
	APIKey            string
	PingInterval      time.Duration
	HandshakeTimeout  time.Duration
	CompressThreshold int
	MaxMessageBytes   int
	MaxEventBytes     int
	OutboundBytes     int
	SendBufferBytes   int
	DrainTimeout      time.Duration
	StreamingV2       bool
	RolloutPercent    int
	KillSpread        time.Duration
	PresenceTTL       time.Duration
	RevocationTTL     time.Duration
	LogLevel          string
	LogFormat         string

	UploadDir          string
	UploadMaxBytes     int64
	UploadContentTypes string
	UploadMaxPerUser   int
	UploadMaxActive    int
	UploadExpiry       time.Duration
	UploadChunkBytes   int
	UploadBufferBytes  int
}

// setting binds one flag to one env var.
type setting struct {
	flag, env, help string
	bind            func(fs *flag.FlagSet, name, def, help string)
}

func settings(c *config) []setting {
	str := func(p *string) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, h string) { fs.StringVar(p, n, d, h) }
	}
	num := func(p *int) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, h string) {
			fs.Func(n, h+" (default "+d+")", intSetter(p))
			_ = intSetter(p)(d)
		}
	}
	num64 := func(p *int64) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, h string) {
			fs.Func(n, h+" (default "+d+")", int64Setter(p))
			_ = int64Setter(p)(d)
		}
	}
	boolean := func(p *bool) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, h string) {
			fs.Func(n, h+" (default "+d+")", boolSetter(p))
			_ = boolSetter(p)(d)
		}
	}
	dur := func(p *time.Duration) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, d, h string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(p, n, v, h)
		}
	}
	return []setting{
		{"addr", "REALTIME_ADDR", "listen address", str(&c.Addr)},
		{"metrics-addr", "REALTIME_METRICS_ADDR", "optional separate listen address for GET /metrics (it is also served on the main address)", str(&c.MetricsAddr)},
		{"redis-url", "REDIS_URL", "Redis URL (redis:// or rediss://); empty runs an embedded development Redis", str(&c.RedisURL)},
		{"redis-sentinel-addrs", "REDIS_SENTINEL_ADDRS", "comma-separated Sentinel host:port list (with -redis-sentinel-master)", str(&c.SentinelAddrs)},
		{"redis-sentinel-master", "REDIS_SENTINEL_MASTER", "Sentinel master name", str(&c.SentinelMaster)},
		{"redis-cluster-addrs", "REDIS_CLUSTER_ADDRS", "comma-separated Redis Cluster seed host:port list", str(&c.ClusterAddrs)},
		{"redis-password", "REDIS_PASSWORD", "password for Sentinel/Cluster nodes (a REDIS_URL carries its own)", str(&c.RedisPassword)},
		{"redis-tls", "REDIS_TLS", "use TLS to Sentinel/Cluster nodes (a REDIS_URL uses rediss://)", boolean(&c.RedisTLS)},
		{"redis-prefix", "REALTIME_REDIS_PREFIX", "prefix of every Redis key", str(&c.RedisPrefix)},
		{"redis-pubsub", "REALTIME_REDIS_PUBSUB", "how notifications travel: auto (sharded SPUBLISH/SSUBSCRIBE on a Redis Cluster, needs Redis 7.0+; classic elsewhere), classic (PUBLISH/SUBSCRIBE) or sharded", str(&c.RedisPubSub)},
		{"history-maxlen", "REALTIME_HISTORY_MAXLEN", "events retained per org (approximate MAXLEN)", num64(&c.HistoryMaxLen)},
		{"idempotency-window", "REALTIME_IDEMPOTENCY_WINDOW", "how long an org remembers a publish's idempotency key (a retry within it is answered with the first seq); each remembered key costs about 220 bytes of Redis memory", dur(&c.IdempotencyWindow)},
		{"jwt-secret", "REALTIME_JWT_SECRET", "HMAC secret for client tokens (HS256/384/512; at least 32 bytes)", str(&c.JWTSecret)},
		{"jwt-algorithm", "REALTIME_JWT_ALGORITHM", "the only accepted token algorithm: HS256, HS384, HS512, RS256, RS384, RS512, PS256, ES256, ES384", str(&c.JWTAlgorithm)},
		{"jwt-public-key-file", "REALTIME_JWT_PUBLIC_KEY_FILE", "PEM public key or certificate for RS*/PS256/ES* tokens", str(&c.JWTPublicKeyFile)},
		{"jwt-issuer", "REALTIME_JWT_ISSUER", "when set, tokens must carry this iss", str(&c.JWTIssuer)},
		{"jwt-audience", "REALTIME_JWT_AUDIENCE", "when set, tokens' aud must contain this", str(&c.JWTAudience)},
		{"api-key", "REALTIME_API_KEY", "bearer key for publish and metrics endpoints (required with REDIS_URL)", str(&c.APIKey)},
		{"ping-interval", "REALTIME_PING_INTERVAL", "interval between server pings", dur(&c.PingInterval)},
		{"handshake-timeout", "REALTIME_HANDSHAKE_TIMEOUT", "time a client has to send its handshake", dur(&c.HandshakeTimeout)},
		{"compress-threshold", "REALTIME_COMPRESS_THRESHOLD", "compress frames of at least this many bytes (-1 disables)", num(&c.CompressThreshold)},
		{"max-message-bytes", "REALTIME_MAX_MESSAGE_BYTES", "largest client message", num(&c.MaxMessageBytes)},
		{"max-event-bytes", "REALTIME_MAX_EVENT_BYTES", "largest event data accepted at publish", num(&c.MaxEventBytes)},
		{"outbound-queue-bytes", "REALTIME_OUTBOUND_QUEUE_BYTES", "per-connection unsent bytes before closing it as a slow consumer (4013)", num(&c.OutboundBytes)},
		{"send-buffer-bytes", "REALTIME_SEND_BUFFER_BYTES", "SO_SNDBUF per connection (0: kernel autotuning, up to net.ipv4.tcp_wmem max); bounds kernel memory a stalled client can pin", num(&c.SendBufferBytes)},
		{"drain-timeout", "REALTIME_DRAIN_TIMEOUT", "window over which SIGTERM closes connections with 1012", dur(&c.DrainTimeout)},
		{"streaming-v2", "REALTIME_STREAMING_V2", "rollout kill switch default when the Redis hash has no \"enabled\" field (true/false)", boolean(&c.StreamingV2)},
		{"rollout-percent", "REALTIME_ROLLOUT_PERCENT", "rollout percentage default when the Redis hash has no \"percent\" field (0-100)", num(&c.RolloutPercent)},
		{"presence-ttl", "REALTIME_PRESENCE_TTL", "how long a node's presence entries live without a heartbeat (a killed node's users disappear within it)", dur(&c.PresenceTTL)},
		{"revocation-ttl", "REALTIME_REVOCATION_TTL", "how long a revocation (POST /v2/realtime/disconnect) is kept in Redis; must cover the longest token lifetime, or a revoked token becomes usable again when its record expires", dur(&c.RevocationTTL)},
		{"kill-spread", "REALTIME_KILL_SPREAD", "window over which the kill switch moves connected clients to the fallback", dur(&c.KillSpread)},
		{"allowed-origins", "REALTIME_ALLOWED_ORIGINS", "comma-separated browser origins allowed to connect and to call the HTTP routes with CORS (https://app.example.com, *.example.com, *); empty: same-origin only", str(&c.AllowedOrigins)},
		{"max-conns-per-user", "REALTIME_MAX_CONNS_PER_USER", "connections one user may hold on this node (-1: unlimited)", num(&c.MaxConnsPerUser)},
		{"max-conns-per-org", "REALTIME_MAX_CONNS_PER_ORG", "connections one org may hold on this node (0: unlimited)", num(&c.MaxConnsPerOrg)},
		{"handshake-rate", "REALTIME_HANDSHAKE_RATE", "upgrade attempts per second allowed from one IP (0: unlimited)", num(&c.HandshakeRate)},
		{"header-timeout", "REALTIME_HEADER_TIMEOUT", "time a client has to send its HTTP request headers (slowloris guard)", dur(&c.HeaderTimeout)},
		{"shutdown-delay", "REALTIME_SHUTDOWN_DELAY", "on SIGTERM, time to keep serving with /readyz failing before the listener closes (lets load balancers notice)", dur(&c.ShutdownDelay)},
		{"upload-dir", "REALTIME_UPLOAD_DIR", "directory for uploaded documents, shared by every node (a ReadWriteMany volume); empty disables uploads, except in development mode, which uses a temporary directory", str(&c.UploadDir)},
		{"upload-max-bytes", "REALTIME_UPLOAD_MAX_BYTES", "largest upload", num64(&c.UploadMaxBytes)},
		{"upload-content-types", "REALTIME_UPLOAD_CONTENT_TYPES", "comma-separated allowed upload MIME types, patterns like image/* allowed, * for any (default: documents, images, text, archives)", str(&c.UploadContentTypes)},
		{"upload-max-per-user", "REALTIME_UPLOAD_MAX_PER_USER", "unfinished uploads one user may have in an org, across nodes (-1: unlimited)", num(&c.UploadMaxPerUser)},
		{"upload-max-active", "REALTIME_UPLOAD_MAX_ACTIVE", "uploads one node writes at once", num(&c.UploadMaxActive)},
		{"upload-expiry", "REALTIME_UPLOAD_EXPIRY", "an unfinished upload is deleted this long after its last stored byte", dur(&c.UploadExpiry)},
		{"upload-chunk-bytes", "REALTIME_UPLOAD_CHUNK_BYTES", "largest upload chunk in one WebSocket message", num(&c.UploadChunkBytes)},
		{"upload-buffer-bytes", "REALTIME_UPLOAD_BUFFER_BYTES", "received upload bytes buffered per connection before the node stops reading it until storage catches up", num(&c.UploadBufferBytes)},
		{"log-level", "REALTIME_LOG_LEVEL", "debug, info, warn or error", str(&c.LogLevel)},
		{"log-format", "REALTIME_LOG_FORMAT", "json or console", str(&c.LogFormat)},
	}
}

var defaults = map[string]string{
	"addr": ":4000", "redis-prefix": "realtime", "redis-pubsub": "auto", "history-maxlen": "10000", "idempotency-window": "24h",
	"ping-interval": "30s", "handshake-timeout": "10s", "compress-threshold": "1024",
	"max-message-bytes": "65536", "max-event-bytes": "65536", "outbound-queue-bytes": "1048576", "drain-timeout": "20s",
	"log-level": "info", "log-format": "json",
	"redis-tls": "false", "max-conns-per-user": "20", "max-conns-per-org": "0", "handshake-rate": "0",
	"jwt-algorithm": "HS256", "header-timeout": "10s", "send-buffer-bytes": "0", "shutdown-delay": "0s",
	"streaming-v2": "true", "rollout-percent": "100", "kill-spread": "5s", "presence-ttl": "30s", "revocation-ttl": "24h",
	"upload-max-bytes": "104857600", "upload-max-per-user": "4", "upload-max-active": "128",
	"upload-expiry": "1h", "upload-chunk-bytes": "262144", "upload-buffer-bytes": "1048576",
}

func intSetter(p *int) func(string) error {
	return func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		*p = v
		return nil
	}
}

func boolSetter(p *bool) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not true or false: %q", s)
		}
		*p = v
		return nil
	}
}

func int64Setter(p *int64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		*p = v
		return nil
	}
}

// loadConfig parses args over env-provided defaults and validates the
// result, reporting every problem at once.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	var problems []string
	for _, s := range settings(&c) {
		def := defaults[s.flag]
		if v := getenv(s.env); v != "" {
			def = v
		}
		s.bind(fs, s.flag, def, s.help+" [$"+s.env+"]")
	}
	// Apply env values through the same parsers, so a bad env value is an error.
	for _, s := range settings(&c) {
		if v := getenv(s.env); v != "" {
			if err := fs.Set(s.flag, v); err != nil {
				problems = append(problems, s.env+": "+err.Error())
			}
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gateway [flags]\n\nEvery flag can also be set by the environment variable in brackets.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return c, errors.New("invalid configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	return c, nil
}

// devMode is true when no Redis is configured at all: the binary then runs
// an embedded development Redis.
func (c *config) devMode() bool {
	return c.RedisURL == "" && c.SentinelAddrs == "" && c.ClusterAddrs == ""
}

func (c *config) validate() []string {
	var p []string
	modes := 0
	for _, v := range []string{c.RedisURL, c.SentinelAddrs, c.ClusterAddrs} {
		if v != "" {
			modes++
		}
	}
	if modes > 1 {
		p = append(p, "set only one of REDIS_URL, REDIS_SENTINEL_ADDRS, REDIS_CLUSTER_ADDRS")
	}
	if c.SentinelAddrs != "" && c.SentinelMaster == "" {
		p = append(p, "REDIS_SENTINEL_MASTER is required with REDIS_SENTINEL_ADDRS")
	}
	hmac := strings.HasPrefix(c.JWTAlgorithm, "HS")
	switch {
	case hmac && c.JWTPublicKeyFile != "":
		p = append(p, "REALTIME_JWT_PUBLIC_KEY_FILE is for RS*/PS*/ES* algorithms; "+c.JWTAlgorithm+" uses REALTIME_JWT_SECRET")
	case !hmac && c.JWTPublicKeyFile == "":
		p = append(p, "REALTIME_JWT_PUBLIC_KEY_FILE is required with REALTIME_JWT_ALGORITHM="+c.JWTAlgorithm)
	case !hmac && c.JWTSecret != "":
		p = append(p, "REALTIME_JWT_SECRET must be empty with REALTIME_JWT_ALGORITHM="+c.JWTAlgorithm+" (one key, one algorithm)")
	}
	if !c.devMode() {
		if hmac && c.JWTSecret == "" {
			p = append(p, "REALTIME_JWT_SECRET is required when Redis is configured")
		} else if hmac && len(c.JWTSecret) < 32 {
			p = append(p, "REALTIME_JWT_SECRET must be at least 32 bytes (RFC 7518 §3.2 for HS256)")
		}
		if c.APIKey == "" {
			p = append(p, "REALTIME_API_KEY is required when Redis is configured")
		}
	}
	if c.PresenceTTL < 300*time.Millisecond {
		p = append(p, "REALTIME_PRESENCE_TTL must be at least 300ms")
	}
	if c.RevocationTTL < time.Second {
		p = append(p, "REALTIME_REVOCATION_TTL must be at least 1s (and cover the longest token lifetime)")
	}
	if c.HeaderTimeout <= 0 {
		p = append(p, "REALTIME_HEADER_TIMEOUT must be positive")
	}
	if c.RedisURL != "" {
		if _, err := url.Parse(c.RedisURL); err != nil || !(strings.HasPrefix(c.RedisURL, "redis://") || strings.HasPrefix(c.RedisURL, "rediss://") || strings.HasPrefix(c.RedisURL, "unix://")) {
			p = append(p, "REDIS_URL must be a redis://, rediss:// or unix:// URL")
		}
	}
	if mode, err := store.ParsePubSubMode(c.RedisPubSub); err != nil {
		p = append(p, "REALTIME_REDIS_PUBSUB must be auto, classic or sharded")
	} else if mode == store.PubSubSharded && c.ClusterAddrs == "" {
		p = append(p, "REALTIME_REDIS_PUBSUB=sharded needs a Redis Cluster (REDIS_CLUSTER_ADDRS)")
	}
	if c.HistoryMaxLen < 1 {
		p = append(p, "REALTIME_HISTORY_MAXLEN must be at least 1")
	}
	// A window shorter than a publisher's retry loop would let a retry
	// through as a new event.
	if c.IdempotencyWindow < time.Second {
		p = append(p, "REALTIME_IDEMPOTENCY_WINDOW must be at least 1s")
	}
	if c.PingInterval < 100*time.Millisecond {
		p = append(p, "REALTIME_PING_INTERVAL must be at least 100ms")
	}
	p = append(p, c.validateUploads()...)
	if c.MaxMessageBytes < 1024 {
		p = append(p, "REALTIME_MAX_MESSAGE_BYTES must be at least 1024")
	}
	if c.MaxEventBytes < 1 {
		p = append(p, "REALTIME_MAX_EVENT_BYTES must be at least 1")
	}
	// A frame is at most a quarter of the queue and must hold one event.
	if min := 4 * (c.MaxEventBytes + 1024); c.OutboundBytes < max(min, 64<<10) {
		p = append(p, fmt.Sprintf("REALTIME_OUTBOUND_QUEUE_BYTES must be at least %d (4 × (REALTIME_MAX_EVENT_BYTES + 1024), and 65536)", max(min, 64<<10)))
	}
	if c.RolloutPercent < 0 || c.RolloutPercent > 100 {
		p = append(p, "REALTIME_ROLLOUT_PERCENT must be between 0 and 100")
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		p = append(p, "REALTIME_LOG_FORMAT must be json or console")
	}
	return p
}

// redacted returns the config as log fields with secrets masked.
func (c config) redacted() map[string]any {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	u := c.RedisURL
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		parsed.User = url.User("[redacted]")
		u = parsed.String()
	}
	return map[string]any{
		"addr": c.Addr, "metrics_addr": c.MetricsAddr, "redis_url": u, "redis_prefix": c.RedisPrefix, "redis_pubsub": c.RedisPubSub, "history_maxlen": c.HistoryMaxLen,
		"jwt_secret": mask(c.JWTSecret), "api_key": mask(c.APIKey), "redis_password": mask(c.RedisPassword),
		"redis_sentinel_addrs": c.SentinelAddrs, "redis_sentinel_master": c.SentinelMaster, "redis_cluster_addrs": c.ClusterAddrs,
		"allowed_origins": c.AllowedOrigins, "max_conns_per_user": c.MaxConnsPerUser, "ping_interval": c.PingInterval.String(),
		"compress_threshold": c.CompressThreshold, "drain_timeout": c.DrainTimeout.String(),
		"streaming_v2": c.StreamingV2, "rollout_percent": c.RolloutPercent,
	}
}
