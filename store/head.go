package store

import (
	"context"
	"fmt"
)

// Head returns org's epoch, last seq and oldest retained seq in one round
// trip. If the org has no epoch yet, one is created (set-if-absent, and any
// leftover log is dropped), so the epoch a reader sees here is the one the
// next Publish keeps.
func (l *Log) Head(ctx context.Context, org string) (Head, error) {
	if !ValidOrg(org) {
		return Head{}, fmt.Errorf("head of %q: %w", org, ErrInvalidOrg)
	}
	res, err := headScript.Run(ctx, l.client, l.keys.script(org)[:3], newEpoch()).Slice()
	if err != nil {
		return Head{}, fmt.Errorf("head of %q: %w", org, err)
	}
	h, err := parseHeadReply(res)
	if err != nil {
		return Head{}, fmt.Errorf("head of %q: %w", org, err)
	}
	return h, nil
}

// parseHeadReply reads head.lua's {epoch, seq, first}.
func parseHeadReply(res []any) (Head, error) {
	if len(res) != 3 {
		return Head{}, fmt.Errorf("script reply has %d elements, want 3: %w", len(res), ErrMalformed)
	}
	epoch, ok0 := res[0].(string)
	seq, ok1 := res[1].(int64)
	first, ok2 := res[2].(int64)
	if !ok0 || !ok1 || !ok2 || epoch == "" || first < 1 || first > seq+1 {
		return Head{}, fmt.Errorf("script reply %v: %w", res, ErrMalformed)
	}
	return Head{Epoch: epoch, Seq: seq, First: first}, nil
}
