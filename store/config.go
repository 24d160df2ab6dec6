package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for zero Config fields.
const (
	DefaultPrefix            = "realtime"
	DefaultMaxLen            = 10000
	DefaultIdempotencyWindow = 24 * time.Hour
)

// Config configures a Log. The zero value of each field except Client means
// its default.
type Config struct {
	// Client is the Redis connection pool. Required. The Log never closes it.
	Client redis.UniversalClient
	// Prefix starts every key, "<prefix>:{<org>}:log". Default "realtime".
	// It must not contain '{' or '}': those would move the Cluster hash tag
	// off the org.
	Prefix string
	// MaxLen is the approximate number of events retained per org (XADD
	// MAXLEN ~). Redis trims whole stream nodes (100 entries by default), so
	// the log may hold somewhat more. Default 10000; negative is an error.
	MaxLen int64
	// MaxEventBytes caps one event's data. Default 64 KiB (DefaultMaxEventBytes);
	// negative is an error. Every event travels whole in one frame and a
	// replay page holds up to MaxRange events in memory, so the cap bounds
	// what one publish can cost every reader.
	MaxEventBytes int
	// IdempotencyWindow is how long an org remembers an event's
	// IdempotencyKey. Default 24h (DefaultIdempotencyWindow); negative or
	// under a millisecond is an error. Each remembered key costs about 220
	// bytes of Redis memory (docs/RELIABILITY.md), so an org holds at most
	// window × keyed publish rate of them.
	IdempotencyWindow time.Duration
	// PubSub chooses how notifications travel. Default (PubSubAuto):
	// sharded when Client is a *redis.ClusterClient, classic otherwise.
	// See PubSubMode.
	PubSub PubSubMode
	// RevocationTTL is how long a revocation record (Revoke) is kept: while
	// it exists, tokens of that user or org issued at or before it are
	// refused. It must cover the longest token lifetime the issuer hands
	// out, or a token issued before a revocation becomes usable again once
	// the record expires. Default 24h (DefaultRevocationTTL).
	RevocationTTL time.Duration
}

// DefaultRevocationTTL is Config.RevocationTTL's default.
const DefaultRevocationTTL = 24 * time.Hour

// DefaultMaxEventBytes is Config.MaxEventBytes' default.
const DefaultMaxEventBytes = 64 << 10

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.Client == nil {
		return c, fmt.Errorf("%w: Client is required", ErrInvalidConfig)
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(c.Prefix, "{}") {
		return c, fmt.Errorf("%w: Prefix %q contains a brace", ErrInvalidConfig, c.Prefix)
	}
	if c.MaxLen == 0 {
		c.MaxLen = DefaultMaxLen
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	if c.RevocationTTL <= 0 {
		c.RevocationTTL = DefaultRevocationTTL
	}
	if c.MaxEventBytes < 0 {
		return c, fmt.Errorf("%w: MaxEventBytes %d is negative", ErrInvalidConfig, c.MaxEventBytes)
	}
	if c.IdempotencyWindow == 0 {
		c.IdempotencyWindow = DefaultIdempotencyWindow
	}
	if c.IdempotencyWindow < time.Millisecond {
		return c, fmt.Errorf("%w: IdempotencyWindow %v is under 1ms", ErrInvalidConfig, c.IdempotencyWindow)
	}
	if err := c.PubSub.check(c.Client); err != nil {
		return c, err
	}
	if c.PubSub == PubSubAuto {
		c.PubSub = PubSubClassic
		if _, ok := c.Client.(*redis.ClusterClient); ok {
			c.PubSub = PubSubSharded
		}
	}
	if c.MaxLen < 0 {
		return c, fmt.Errorf("%w: MaxLen %d is negative", ErrInvalidConfig, c.MaxLen)
	}
	return c, nil
}
