package store

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Log is the per-org event log in Redis. It is safe for concurrent use and
// holds no state besides its config: every method is one script or command.
type Log struct {
	client redis.UniversalClient
	keys   keys
	maxLen int64
	maxEv  int
	pubsub PubSubMode // never PubSubAuto after New
	revTTL time.Duration
	// publish.lua's options, built once: "notify=<command>" and
	// "idem=<IdempotencyWindow in ms>".
	notifyOpt, idemOpt string
}

// New checks cfg, fills its defaults and returns a Log. It does not talk to
// Redis: scripts are sent on first use (EVALSHA, then EVAL on NOSCRIPT).
func New(cfg Config) (*Log, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("store.New: %w", err)
	}
	return &Log{client: cfg.Client, keys: keys{prefix: cfg.Prefix}, maxLen: cfg.MaxLen, maxEv: cfg.MaxEventBytes, pubsub: cfg.PubSub,
		revTTL:    cfg.RevocationTTL,
		notifyOpt: "notify=" + cfg.PubSub.publishCommand(),
		idemOpt:   "idem=" + strconv.FormatInt(cfg.IdempotencyWindow.Milliseconds(), 10)}, nil
}

// MaxEventBytes returns the cap on one event's data, after defaults.
func (l *Log) MaxEventBytes() int { return l.maxEv }

// PubSub returns the pub/sub mode in use, after defaults (never PubSubAuto).
func (l *Log) PubSub() PubSubMode { return l.pubsub }

// Prefix returns the key prefix in use, after defaults.
func (l *Log) Prefix() string { return l.keys.prefix }

// newEpoch returns an epoch candidate. The scripts store it only when the
// org has no epoch yet, so most candidates are thrown away; they are random
// rather than time-based so that a log rebuilt on a server with a skewed
// clock still gets an id it never had before.
func newEpoch() string { return rand.Text() }
