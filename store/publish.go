package store

import (
	"context"
	"fmt"
)

// Published is the outcome of one Append.
type Published struct {
	// Seqs holds each event's seq in input order: the one it got now, or,
	// for a duplicate, the one its IdempotencyKey got first.
	Seqs []int64
	// Duplicates lists, ascending, the indices of the events whose
	// IdempotencyKey the org already remembered (from an earlier call, or
	// from an earlier event of this one); nil when there are none. They
	// were neither appended nor announced.
	Duplicates []int
	// Epoch is the log's epoch the seqs belong to.
	Epoch string
}

// Append appends evs to org's log in one script call: the new ones get
// contiguous seqs, are stored and announced on the org's notify channel
// together, or not at all. An event whose IdempotencyKey the org remembers
// is a duplicate: it keeps its original seq and nothing is written for it.
// The key is recorded in the same call that assigns the seq, so racing
// retries of one key yield exactly one event. Input is validated before
// Redis is contacted (ErrInvalidOrg, ErrInvalidEvent, ErrTooManyEvents). A
// publish into an org whose epoch is missing starts a new epoch at seq 1.
//
// On a network error the outcome is unknown: the events may have been
// written. Retrying keyed events is safe within the idempotency window;
// retrying keyless ones may duplicate them under new seqs.
func (l *Log) Append(ctx context.Context, org string, evs ...Input) (Published, error) {
	if err := validateBatch(org, evs, l.maxEv); err != nil {
		return Published{}, err
	}
	args := make([]any, 0, 4+4*len(evs))
	args = append(args, l.maxLen, newEpoch(), l.notifyOpt, l.idemOpt)
	for _, ev := range evs {
		// []byte, not string: go-redis writes it as is, without a copy.
		args = append(args, ev.Service, ev.Type, []byte(ev.Data), ev.IdempotencyKey)
	}
	res, err := publishScript.Run(ctx, l.client, l.keys.script(org), args...).Slice()
	if err != nil {
		return Published{}, fmt.Errorf("publish %d events to %q: %w", len(evs), org, err)
	}
	p, err := parsePublishReply(res, len(evs))
	if err != nil {
		return Published{}, fmt.Errorf("publish to %q: %w", org, err)
	}
	return p, nil
}

// Publish is Append for callers that need only the seqs of the first and
// last event. Without duplicates they are the batch's contiguous range;
// with them the seqs in between may not all be this call's (use Append).
func (l *Log) Publish(ctx context.Context, org string, evs ...Input) (first, last int64, err error) {
	p, err := l.Append(ctx, org, evs...)
	if err != nil {
		return 0, 0, err
	}
	return p.Seqs[0], p.Seqs[len(p.Seqs)-1], nil
}
