package store

import "time"

// DefaultPingInterval is FeedConfig.PingInterval's default.
const DefaultPingInterval = 5 * time.Second

// FeedConfig configures a Feed. Callbacks run on the feed's single goroutine,
// one at a time, so they need no locking among themselves; they must not
// block (that stalls every org on the feed) and must not call Close (it
// waits for that goroutine). Nil callbacks are skipped.
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
	// subscribed org. Signals are at most once: none is repeated after a
	// reconnect.
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
	return c
}
