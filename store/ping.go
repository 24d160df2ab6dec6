package store

import "context"

// Ping checks that Redis answers (for a node's readiness), so that callers
// need no Redis client of their own.
func (l *Log) Ping(ctx context.Context) error { return l.client.Ping(ctx).Err() }
