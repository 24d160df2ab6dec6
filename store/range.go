package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
)

// MaxRange caps the limit of one Range call, bounding the reply a single
// XRANGE builds on the Redis node.
const MaxRange = 1000

// Range returns up to limit events of org with seq > after, in seq order.
// limit <= 0 or above MaxRange means MaxRange; after < 0 means 0. Fewer than
// limit events means the reader has caught up. If the first event's Seq is
// above after+1, the events between were trimmed (compare Head.First).
//
// Range reads only; it neither creates an epoch nor tells one incarnation of
// the log from the next: pair it with Head to detect a reset.
func (l *Log) Range(ctx context.Context, org string, after int64, limit int) ([]Event, error) {
	if !ValidOrg(org) {
		return nil, fmt.Errorf("range of %q: %w", org, ErrInvalidOrg)
	}
	if limit <= 0 || limit > MaxRange {
		limit = MaxRange
	}
	if after == math.MaxInt64 {
		return nil, nil
	}
	// Entry IDs are "<seq>-0", so the start ID "<after+1>" (sequence part 0
	// implied) is exactly the first event past after.
	start := strconv.FormatInt(max(after, 0)+1, 10)
	msgs, err := l.client.XRangeN(ctx, l.keys.log(org), start, "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("range of %q after %d: %w", org, after, err)
	}
	evs := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		ev, err := eventFromEntry(m.ID, m.Values)
		if err != nil {
			return nil, fmt.Errorf("range of %q: %w", org, err)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}
