package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Feed receives publish-time notifications for many orgs. It is safe for
// concurrent use.
//
// How notifications travel depends on the Log's PubSubMode:
//   - classic: one SUBSCRIBE connection and one goroutine per node, whatever
//     the number of orgs (feed_classic.go);
//   - sharded: one SSUBSCRIBE connection and one goroutine per Redis master
//     that owns the slot of at least one subscribed org, plus one goroutine
//     that places orgs on masters and follows slot moves (feed_shards.go).
//
// Either way the number of Redis connections does not grow with the number
// of orgs, and every (re)subscription is confirmed through OnSubscribed,
// the caller's cue to fill a gap from the log.
type Feed struct {
	keys   keys
	cfg    FeedConfig
	ctx    context.Context // canceled by Close; aborts dials and waits
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the feed
	router router

	mu     sync.Mutex // guards closed
	closed bool
}

// router is the part that differs between the two modes: which connection
// a channel is subscribed on.
type router interface {
	add(ch string)
	remove(ch string)
	close()
}

// NewFeed starts a Feed with no subscriptions. Close it when done.
func (l *Log) NewFeed(cfg FeedConfig) *Feed {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Feed{keys: l.keys, cfg: cfg.withDefaults(), ctx: ctx, cancel: cancel}
	if cc, ok := l.client.(*redis.ClusterClient); ok && l.pubsub == PubSubSharded {
		f.router = newShards(f, cc)
	} else {
		f.router = newClassic(f, l.client)
	}
	return f
}

// Subscribe starts delivery for org. It does not wait for Redis: delivery
// starts with OnSubscribed(org), which fires once Redis confirms, possibly
// after an outage, which the feed reports through OnError. Errors:
// ErrInvalidOrg, ErrFeedClosed.
func (f *Feed) Subscribe(org string) error {
	return f.change(org, true)
}

// Unsubscribe stops delivery for org. Notifications already in flight may
// still be delivered. Errors: ErrInvalidOrg, ErrFeedClosed.
func (f *Feed) Unsubscribe(org string) error {
	return f.change(org, false)
}

func (f *Feed) change(org string, sub bool) error {
	if !ValidOrg(org) {
		return fmt.Errorf("feed: %q: %w", org, ErrInvalidOrg)
	}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return fmt.Errorf("feed: %q: %w", org, ErrFeedClosed)
	}
	if sub {
		f.router.add(f.keys.notify(org))
	} else {
		f.router.remove(f.keys.notify(org))
	}
	return nil
}

// Close stops the feed and waits for its goroutines to exit. No callback
// runs after Close returns. Calling it again is a no-op.
func (f *Feed) Close() error {
	f.cancel() // first: unblocks a subscribe stuck dialing
	f.mu.Lock()
	closed := f.closed
	f.closed = true
	f.mu.Unlock()
	if !closed {
		f.router.close() // interrupts blocked receives
	}
	f.wg.Wait()
	return nil
}

// spawn runs fn on a goroutine that Close waits for.
func (f *Feed) spawn(fn func()) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		fn()
	}()
}

// dispatchMessage turns one received notification into a callback.
func (f *Feed) dispatchMessage(m *redis.Message) {
	org, ok := f.keys.orgOfNotify(m.Channel)
	if !ok {
		f.cfg.OnError(fmt.Errorf("feed: message on unexpected channel %q: %w", m.Channel, ErrMalformed))
		return
	}
	if decode := signalDecoder(m.Payload); decode != nil {
		if e, ok := decode(m.Payload); ok {
			f.cfg.OnEphemeral(org, e)
		} else {
			f.cfg.OnError(fmt.Errorf("feed: org %q: signal %.1q: %w", org, m.Payload, ErrMalformed))
		}
		return
	}
	epoch, ev, err := decodeNotify(m.Payload)
	if err != nil {
		f.cfg.OnError(fmt.Errorf("feed: org %q: %w", org, err))
		return
	}
	f.cfg.OnEvent(org, epoch, ev)
}

// signalDecoder returns the parser of a payload that is a signal rather
// than an event, by its first byte (events start with a digit), or nil.
func signalDecoder(payload string) func(string) (Ephemeral, bool) {
	switch {
	case strings.HasPrefix(payload, ephemeralMark):
		return decodeEphemeral
	case strings.HasPrefix(payload, revokeMark):
		return decodeRevocation
	}
	return nil
}

// confirmed reports a (re)subscription Redis confirmed.
func (f *Feed) confirmed(ch string) {
	if org, ok := f.keys.orgOfNotify(ch); ok {
		f.cfg.OnSubscribed(org)
	}
}
