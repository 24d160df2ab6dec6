package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Page is a slice of an org's log together with the epoch it belongs to,
// read atomically (MULTI/EXEC), so a reader can never take events of a new
// incarnation of the log for a continuation of the one it knew.
type Page struct {
	Epoch  string // "" when the org has no epoch (never used, or lost)
	Events []Event
}

// ReadAfter is Range plus the epoch, in one transaction. Readers that keep a
// position across calls (gateway tails, replays, long-polls) must use it:
// between two separate reads, Redis may restart without persistence or be
// flushed, and seq numbers start again at 1 with a different epoch.
func (l *Log) ReadAfter(ctx context.Context, org string, after int64, limit int) (Page, error) {
	if !ValidOrg(org) {
		return Page{}, fmt.Errorf("read of %q: %w", org, ErrInvalidOrg)
	}
	if limit <= 0 || limit > MaxRange {
		limit = MaxRange
	}
	if after == math.MaxInt64 {
		return Page{}, nil
	}
	start := strconv.FormatInt(max(after, 0)+1, 10)
	var epoch *redis.StringCmd
	var rng *redis.XMessageSliceCmd
	_, err := l.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		epoch = p.Get(ctx, l.keys.epoch(org))
		rng = p.XRangeN(ctx, l.keys.log(org), start, "+", int64(limit))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return Page{}, fmt.Errorf("read of %q after %d: %w", org, after, err)
	}
	page := Page{Epoch: epoch.Val()}
	msgs, err := rng.Result()
	if err != nil {
		return Page{}, fmt.Errorf("read of %q after %d: %w", org, after, err)
	}
	page.Events = make([]Event, 0, len(msgs))
	for _, m := range msgs {
		ev, err := eventFromEntry(m.ID, m.Values)
		if err != nil {
			return Page{}, fmt.Errorf("read of %q: %w", org, err)
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}
