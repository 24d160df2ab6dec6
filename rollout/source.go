package rollout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Source. Zero values mean the documented default.
type Config struct {
	// Client reads the hash (required). Use a client with
	// ContextTimeoutEnabled so Timeout bounds the network wait too.
	Client redis.UniversalClient
	// Key is the hash, e.g. "realtime:rollout" (required).
	Key string
	// DefaultEnabled is used when the hash has no "enabled" field
	// (REALTIME_STREAMING_V2). DefaultPercent likewise for "percent"
	// (REALTIME_ROLLOUT_PERCENT); set DefaultPercentSet when it was given,
	// else 100.
	DefaultEnabled    bool
	DefaultPercent    int
	DefaultPercentSet bool
	// Timeout bounds one HMGET at handshake. Default 100ms.
	Timeout time.Duration
	// MaxStale is how long the last global values read (enabled, percent)
	// stand in when Redis fails. Default 5s; past it the defaults apply.
	MaxStale time.Duration
	// Refresh is how often Run re-reads the global fields, which is how the
	// kill switch reaches connected clients. Default 500ms.
	Refresh time.Duration
	// OnKill is called from Run when "enabled" turns from on to off.
	OnKill func()
	// OnError hears Redis failures (may be nil). Rate-limit in the caller
	// if it logs.
	OnError func(error)
}

// Source answers rollout decisions from the Redis hash.
type Source struct {
	cfg Config

	mu       sync.Mutex
	global   globals   // last values read from Redis; caller holds mu
	readAt   time.Time // when global was read; caller holds mu
	haveRead bool      // caller holds mu

	// downUntil (unix nanos): after a failure, handshakes skip Redis for a
	// second instead of each waiting out the timeout; Run keeps probing.
	downUntil atomic.Int64
}

type globals struct {
	enabled bool
	percent int
	optIn   bool // "optin": absent or anything but "1" is off
}

var errConfig = errors.New("rollout: invalid config")

// New validates cfg and returns a Source. Call Run to watch the kill switch.
func New(cfg Config) (*Source, error) {
	if cfg.Client == nil || cfg.Key == "" {
		return nil, fmt.Errorf("%w: Client and Key are required", errConfig)
	}
	if !cfg.DefaultPercentSet {
		cfg.DefaultPercent = 100
	}
	if cfg.DefaultPercent < 0 || cfg.DefaultPercent > 100 {
		return nil, fmt.Errorf("%w: default percent %d outside 0..100", errConfig, cfg.DefaultPercent)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = 5 * time.Second
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 500 * time.Millisecond
	}
	if cfg.OnError == nil {
		cfg.OnError = func(error) {}
	}
	return &Source{cfg: cfg}, nil
}

// Decide reads the fields for (user, org) with one HMGET and decides;
// optIn is the client's own request to be let in (see Flags.OptIn).
func (s *Source) Decide(ctx context.Context, user, org string, optIn bool) Decision {
	return Decide(s.Flags(ctx, user, org), user, optIn)
}

// Extra is another read that rides on the pipeline carrying a handshake's
// HMGET (the gateway's revocation check, store.RevocationQuery): the two go
// out together, so the handshake still pays one round trip. On a Cluster
// the keys sit in different slots; go-redis sends each node its part in
// parallel, which is still one round trip of latency.
type Extra interface {
	Queue(ctx context.Context, c redis.Cmdable)
}

// DecideWith is Decide with extra queued on the same pipeline, bounded by
// the same Timeout; optIn is as for Decide. The extra read is sent even when the rollout fields are
// not (Redis failed within the last second). The caller reads the extra's
// own result and error, and may read again with a longer bound when it
// timed out.
func (s *Source) DecideWith(ctx context.Context, user, org string, optIn bool, extra Extra) Decision {
	return Decide(s.flags(ctx, user, org, extra), user, optIn)
}

// Flags reads the fields for (user, org). On a Redis failure it returns the
// cached globals (or defaults) with no allow/deny entries.
func (s *Source) Flags(ctx context.Context, user, org string) Flags {
	return s.flags(ctx, user, org, nil)
}

func (s *Source) flags(ctx context.Context, user, org string, extra Extra) Flags {
	down := time.Now().UnixNano() < s.downUntil.Load()
	if down && extra == nil {
		return s.fallbackFlags()
	}
	var hmget *redis.SliceCmd
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	_, _ = s.cfg.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if !down {
			hmget = p.HMGet(ctx, s.cfg.Key, "enabled", "percent", "optin",
				"allow:user:"+user, "allow:org:"+org, "deny:user:"+user, "deny:org:"+org)
		}
		if extra != nil {
			extra.Queue(ctx, p)
		}
		return nil
	})
	if hmget == nil {
		return s.fallbackFlags()
	}
	vals, err := hmget.Result()
	if err != nil {
		s.failed(err)
		return s.fallbackFlags()
	}
	g := s.parseGlobals(vals[0], vals[1], vals[2])
	s.store(g)
	return Flags{
		Enabled: g.enabled, Percent: g.percent, OptIn: g.optIn,
		AllowUser: isOne(vals[3]), AllowOrg: isOne(vals[4]),
		DenyUser: isOne(vals[5]), DenyOrg: isOne(vals[6]),
	}
}

// Enabled reports the kill switch as last read (or the default).
func (s *Source) Enabled() bool { return s.fallbackFlags().Enabled }

func (s *Source) failed(err error) {
	s.downUntil.Store(time.Now().Add(time.Second).UnixNano())
	s.cfg.OnError(fmt.Errorf("rollout: read %s: %w", s.cfg.Key, err))
}

func (s *Source) store(g globals) {
	s.mu.Lock()
	s.global, s.readAt, s.haveRead = g, time.Now(), true
	s.mu.Unlock()
}

func (s *Source) fallbackFlags() Flags {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.haveRead && time.Since(s.readAt) <= s.cfg.MaxStale {
		return Flags{Enabled: s.global.enabled, Percent: s.global.percent, OptIn: s.global.optIn}
	}
	return Flags{Enabled: s.cfg.DefaultEnabled, Percent: s.cfg.DefaultPercent}
}

// parseGlobals applies defaults to absent fields. A malformed value (not
// 0/1, a percent outside 0..100) counts as absent, so a typo falls back to
// the deployment's defaults instead of switching everyone off. "optin" has
// no configured default: only "1" turns it on.
func (s *Source) parseGlobals(enabled, percent, optIn any) globals {
	g := globals{enabled: s.cfg.DefaultEnabled, percent: s.cfg.DefaultPercent, optIn: isOne(optIn)}
	if v, ok := enabled.(string); ok && (v == "0" || v == "1") {
		g.enabled = v == "1"
	}
	if v, ok := percent.(string); ok {
		if p, err := strconv.Atoi(v); err == nil && p >= 0 && p <= 100 {
			g.percent = p
		}
	}
	return g
}

func isOne(v any) bool {
	s, ok := v.(string)
	return ok && s == "1"
}
