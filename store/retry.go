package store

import (
	"context"
	"errors"
	"net"
	"time"
)

// Retry helpers for the Feed's receive loop; nothing here knows pub/sub.

// backoff paces retries after receive errors: 100ms, doubling to 1s. Redis
// being down costs one dial attempt per step, not a busy loop.
type backoff struct{ next time.Duration }

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = time.Second
)

func (b *backoff) reset() { b.next = 0 }

// step returns how long to pause now and advances.
func (b *backoff) step() time.Duration {
	b.next = min(max(2*b.next, backoffMin), backoffMax)
	return b.next
}

// isTimeout reports a read deadline expiring, which for the feed means a
// quiet connection, not a broken one.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sleepCtx pauses for d; false means ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
