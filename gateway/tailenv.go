package gateway

import (
	"context"

	"github.com/rs/zerolog"
)

// tailEnv is what the hub and every org tail need from their node, handed
// to them once at construction, so a tail reads its log, feed, settings
// and metrics directly rather than through the server.
type tailEnv struct {
	log     Log
	feed    Feed // set by New right after the hub (the feed's callbacks are the hub's), before any tail starts
	cfg     *Config
	metrics *serverMetrics
	logger  *zerolog.Logger
	stop    <-chan struct{} // closed when the node stops
}

// redisCtx bounds one Redis call of a tail.
func (e *tailEnv) redisCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.cfg.RedisTimeout)
}

func (e *tailEnv) maxFrameBytes() int { return maxFrameBytes(e.cfg) }
