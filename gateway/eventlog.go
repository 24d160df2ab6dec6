package gateway

import (
	"context"
	"time"

	"github.com/rtgw/realtime/store"
)

// EventLog is what the gateway needs from the org event log. store.Log
// implements it; the gateway never builds a Redis key itself.
type EventLog interface {
	Head(ctx context.Context, org string) (store.Head, error)
	// ReadAfter returns up to limit events after seq after, with the epoch
	// they belong to, read atomically.
	ReadAfter(ctx context.Context, org string, after int64, limit int) (store.Page, error)
	// Append publishes evs atomically and returns each one's seq; events
	// whose IdempotencyKey the org remembers come back as duplicates with
	// their original seq, and nothing is written for them.
	Append(ctx context.Context, org string, evs ...store.Input) (store.Published, error)
	// RotateEpoch replaces org's epoch if it is still seen (keeping the
	// log) and returns the epoch in force.
	RotateEpoch(ctx context.Context, org, seen string) (string, error)
	// Watch starts the node's notification feed: onEvent for every event
	// published to a subscribed org (in seq order per org, possibly with
	// gaps the caller repairs with Range), onSubscribed whenever a
	// subscription is (re)confirmed. Both must not block.
	Watch(onEvent func(org, epoch string, ev store.Event), onSubscribed func(org string), onEphemeral func(org string, e store.Ephemeral)) Feed
	// SendEphemeral sends a signal to the org's live subscribers on every
	// node; it is never logged or replayed.
	SendEphemeral(ctx context.Context, org string, e store.Ephemeral) error
	// Presence: see store.PresenceBeat, PresenceLeave and Presence.
	PresenceBeat(ctx context.Context, org, node string, entries []store.PresenceEntry, ttl time.Duration) error
	PresenceLeave(ctx context.Context, org, node string, e store.PresenceEntry) error
	Presence(ctx context.Context, org, room string) ([]string, error)
	// Ping checks that the log is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// Feed is the node's subscription set on the event log's notifications.
type Feed interface {
	Subscribe(org string) error
	Unsubscribe(org string) error
	Close() error
}
