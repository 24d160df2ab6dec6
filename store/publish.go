package store

import (
	"context"
	"fmt"
)

// Publish appends evs to org's log in one script call: they get contiguous
// seqs first..last, are stored and announced on the org's notify channel
// together, or not at all. Input is validated before Redis is contacted
// (ErrInvalidOrg, ErrInvalidEvent, ErrTooManyEvents). A publish into an org
// whose epoch is missing starts a new epoch at seq 1.
//
// On a network error the outcome is unknown: the events may have been
// written. Retrying may then duplicate them under new seqs.
func (l *Log) Publish(ctx context.Context, org string, evs ...Input) (first, last int64, err error) {
	if err := validateBatch(org, evs, l.maxEv); err != nil {
		return 0, 0, err
	}
	args := make([]any, 0, 3+3*len(evs))
	args = append(args, l.maxLen, newEpoch(), l.pubsub.publishCommand())
	for _, ev := range evs {
		// []byte, not string: go-redis writes it as is, without a copy.
		args = append(args, ev.Service, ev.Type, []byte(ev.Data))
	}
	res, err := publishScript.Run(ctx, l.client, l.keys.script(org), args...).Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("publish %d events to %q: %w", len(evs), org, err)
	}
	first, last, err = parsePublishReply(res)
	if err != nil {
		return 0, 0, fmt.Errorf("publish to %q: %w", org, err)
	}
	return first, last, nil
}

// parsePublishReply reads publish.lua's {first, last, epoch}.
func parsePublishReply(res []any) (first, last int64, err error) {
	if len(res) != 3 {
		return 0, 0, fmt.Errorf("script reply has %d elements, want 3: %w", len(res), ErrMalformed)
	}
	first, ok1 := res[0].(int64)
	last, ok2 := res[1].(int64)
	if !ok1 || !ok2 || first < 1 || last < first {
		return 0, 0, fmt.Errorf("script reply %v: %w", res, ErrMalformed)
	}
	return first, last, nil
}
