package store

import "errors"

// Sentinel errors. Functions wrap them with context (org, index, field), so
// test with errors.Is.
var (
	// ErrInvalidConfig: Config or FeedConfig is unusable (no client, bad prefix).
	ErrInvalidConfig = errors.New("store: invalid config")
	// ErrInvalidOrg: the org id does not match ValidOrg.
	ErrInvalidOrg = errors.New("store: invalid org")
	// ErrInvalidEvent: no events, a service or type that fails ValidName, or
	// Data that is not valid JSON. Nothing was written.
	ErrInvalidEvent = errors.New("store: invalid event")
	// ErrTooManyEvents: more than MaxBatch events in one Publish. Nothing was written.
	ErrTooManyEvents = errors.New("store: too many events")
	// ErrMalformed: something read back from Redis (a stream entry, a
	// notification) is not in the shape this package writes, e.g. it was
	// written by hand.
	ErrMalformed = errors.New("store: malformed data in redis")
	// ErrFeedClosed: the Feed was closed.
	ErrFeedClosed = errors.New("store: feed closed")
)
