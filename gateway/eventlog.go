package gateway

import (
	"context"
	"time"

	"github.com/rtgw/realtime/store"
)

// The gateway's seam to the store: a few small interfaces, each naming
// what one part of the gateway needs, so a part can be read (and faked)
// knowing only its own. store.Log implements all of them (Watch through
// StoreLog); the gateway never builds a Redis key and never imports a
// Redis client.

// EventLog is everything the gateway needs from the store, as Config.Log.
type EventLog interface {
	Log
	Signals
	PresenceStore
	Revocations
	// Ping checks that the store is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// Log is the org event log: what joins, tails, fallbacks and publishes use.
type Log interface {
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
}

// Signals carries what is never logged: the notifications of published
// events and ephemeral signals such as typing.
type Signals interface {
	// Watch starts the node's notification feed: onEvent for every event
	// published to a subscribed org (in seq order per org, possibly with
	// gaps the caller repairs with ReadAfter), onSubscribed whenever a
	// subscription is (re)confirmed, onEphemeral for every signal. None
	// may block.
	Watch(onEvent func(org, epoch string, ev store.Event), onSubscribed func(org string), onEphemeral func(org string, e store.Ephemeral)) Feed
	// SendEphemeral sends a signal to the org's live subscribers on every
	// node; it is never logged or replayed.
	SendEphemeral(ctx context.Context, org string, e store.Ephemeral) error
}

// Revocations is the record of revoked tokens (store/revoke.go).
type Revocations interface {
	// Revoke records a revocation of user's tokens in org ("": every
	// token of the org) at at, announces it to every node's feed, and
	// returns the revocation time in force (unix seconds).
	Revoke(ctx context.Context, org, user string, at time.Time) (int64, error)
	// Revoked reads what applies to user in org.
	Revoked(ctx context.Context, org, user string) (store.Revocation, error)
	// RevocationQuery is Revoked split for a shared pipeline (admit.go).
	RevocationQuery(org, user string) *store.RevocationQuery
}

// PresenceStore is the cluster-wide presence: see store.PresenceBeat,
// PresenceLeave and Presence.
type PresenceStore interface {
	PresenceBeat(ctx context.Context, org, node string, entries []store.PresenceEntry, ttl time.Duration) error
	PresenceLeave(ctx context.Context, org, node string, e store.PresenceEntry) error
	Presence(ctx context.Context, org, room string) ([]string, error)
}

// Feed is the node's subscription set on the event log's notifications.
type Feed interface {
	Subscribe(org string) error
	Unsubscribe(org string) error
	Close() error
}
