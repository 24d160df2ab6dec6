package store

import "time"

// Defaults for zero FeedConfig fields.
const (
	DefaultPingInterval        = 5 * time.Second
	DefaultSlotRefreshInterval = 10 * time.Second
)

// FeedConfig configures a Feed. Callbacks run on the feed's goroutines: the
// classic feed has one, the sharded feed one per Redis master, so callbacks
// for orgs on different masters may run at the same time and must be safe
// for that. All callbacks for one org come from the link that org is on,
// in the order Redis sent them. They must not block (that stalls every org
// on the link) and must not call Close (it waits for those goroutines). Nil
// callbacks are skipped.
type FeedConfig struct {
	// OnEvent is called for every notification with the epoch of the log
	// the event was appended to. ev is the caller's to keep.
	OnEvent func(org, epoch string, ev Event)
	// OnSubscribed is called each time the subscription to org is confirmed
	// by Redis: after Subscribe and again after every reconnect. Events
	// published while the connection was down are NOT delivered; the caller
	// fills the gap with Range.
	OnSubscribed func(org string)
	// OnEphemeral is called for every ephemeral signal (SendEphemeral) of a
	// subscribed org, and for every revocation (Revoke) as an Ephemeral of
	// KindRevoke. Signals are at most once: none is repeated after a
	// reconnect (a missed revocation is still enforced by the record).
	OnEphemeral func(org string, e Ephemeral)
	// OnError reports problems: lost connections (once per retry), dead-link
	// detection, malformed notifications. The feed keeps running after each.
	OnError func(err error)
	// PingInterval is how long the connection may stay silent before the
	// feed sends a PING; if that PING gets no reply within another interval
	// the link is presumed dead (e.g. a half-open TCP connection, which
	// would otherwise block a receive for many minutes) and the feed
	// reconnects. Default 5s.
	PingInterval time.Duration
	// SlotRefreshInterval (sharded pub/sub only) is how often the feed
	// re-reads the Cluster's slot map and moves any org whose master
	// changed without telling it. Slot moves and failovers are normally
	// noticed at once (Redis drops the subscription, or the connection
	// breaks); this catches the rest. Default 10s.
	SlotRefreshInterval time.Duration
}

func (c FeedConfig) withDefaults() FeedConfig {
	if c.OnEvent == nil {
		c.OnEvent = func(string, string, Event) {}
	}
	if c.OnEphemeral == nil {
		c.OnEphemeral = func(string, Ephemeral) {}
	}
	if c.OnSubscribed == nil {
		c.OnSubscribed = func(string) {}
	}
	if c.OnError == nil {
		c.OnError = func(error) {}
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.SlotRefreshInterval <= 0 {
		c.SlotRefreshInterval = DefaultSlotRefreshInterval
	}
	return c
}
