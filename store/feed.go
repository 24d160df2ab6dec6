package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// All pub/sub specifics live in this file. For Redis Cluster, notifications
// should move to sharded pub/sub: SPUBLISH in publish.lua, SSUBSCRIBE here
// (go-redis then keeps one connection per shard; the {org} hash tag already
// puts an org's channel on the shard that owns its log). Nothing outside this
// file and the script should need to change.

// Feed receives publish-time notifications for many orgs over one Redis
// connection, driven by one goroutine. It is safe for concurrent use.
type Feed struct {
	client redis.UniversalClient
	keys   keys
	cfg    FeedConfig
	ctx    context.Context // canceled by Close; aborts dials and waits
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	mu     sync.Mutex    // guards the fields below; held across SUBSCRIBE writes, never across a receive
	ps     *redis.PubSub // replaced by redial
	chans  map[string]struct{}
	closed bool
}

// NewFeed starts a Feed with no subscriptions. Close it when done.
func (l *Log) NewFeed(cfg FeedConfig) *Feed {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Feed{
		client: l.client, keys: l.keys, cfg: cfg.withDefaults(),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		ps: l.client.Subscribe(ctx), chans: make(map[string]struct{}),
	}
	go f.run()
	return f
}

// Subscribe starts delivery for org. It returns once SUBSCRIBE is sent, or
// could not be: then go-redis keeps the channel and sends it again when the
// feed reconnects, and the feed reports the outage through OnError. Either
// way delivery starts with OnSubscribed(org). Errors: ErrInvalidOrg, ErrFeedClosed.
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
	ch := f.keys.notify(org)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("feed: %q: %w", org, ErrFeedClosed)
	}
	// Write errors are dropped: the receive loop hits the same broken
	// connection and reports it, and go-redis's resubscribe on reconnect
	// sends the current channel set.
	if sub {
		f.chans[ch] = struct{}{}
		_ = f.ps.Subscribe(f.ctx, ch)
	} else {
		delete(f.chans, ch)
		_ = f.ps.Unsubscribe(f.ctx, ch)
	}
	return nil
}

// Close stops the feed and waits for its goroutine to exit. No callback runs
// after Close returns. Calling it again is a no-op.
func (f *Feed) Close() error {
	f.cancel() // first: unblocks a Subscribe stuck dialing while holding mu
	f.mu.Lock()
	closed, ps := f.closed, f.ps
	f.closed = true
	f.mu.Unlock()
	if !closed {
		_ = ps.Close() // interrupts a blocked receive
	}
	<-f.done
	return nil
}

// run is the feed's goroutine: receive, dispatch, and keep the link alive.
// go-redis reconnects and resubscribes by itself after a failed receive; run
// only paces the retries and catches the one failure go-redis cannot see,
// a link that went silent.
func (f *Feed) run() {
	defer close(f.done)
	var bo backoff
	pinged := false
	for {
		ps := f.current()
		msg, err := ps.ReceiveTimeout(f.ctx, f.cfg.PingInterval)
		if f.ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			pinged = false
			bo.reset()
			f.dispatch(msg)
		case isTimeout(err) && !pinged:
			// Quiet so far: ask for a pong, so the next timeout means dead.
			pinged = true
			_ = ps.Ping(f.ctx) // a failed write makes go-redis reconnect
		case isTimeout(err):
			pinged = false
			f.cfg.OnError(fmt.Errorf("feed: no reply to PING within %v, reconnecting", f.cfg.PingInterval))
			f.redial(ps)
		default:
			pinged = false
			f.cfg.OnError(fmt.Errorf("feed: receive: %w", err))
			if !sleepCtx(f.ctx, bo.step()) {
				return
			}
		}
	}
}

func (f *Feed) current() *redis.PubSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ps
}

// redial replaces a PubSub whose link went silent. go-redis has no exported
// way to drop a PubSub's connection, so we close it and subscribe afresh;
// confirmations arrive on the new one and fire OnSubscribed.
func (f *Feed) redial(old *redis.PubSub) {
	f.mu.Lock()
	if !f.closed && f.ps == old {
		f.ps = f.client.Subscribe(f.ctx)
		if len(f.chans) > 0 {
			_ = f.ps.Subscribe(f.ctx, slices.Collect(maps.Keys(f.chans))...)
		}
	}
	f.mu.Unlock()
	_ = old.Close()
}

// dispatch turns one received pub/sub message into a callback.
func (f *Feed) dispatch(msg any) {
	switch m := msg.(type) {
	case *redis.Subscription:
		if m.Kind != "subscribe" {
			return
		}
		if org, ok := f.keys.orgOfNotify(m.Channel); ok {
			f.cfg.OnSubscribed(org)
		}
	case *redis.Message:
		org, ok := f.keys.orgOfNotify(m.Channel)
		if !ok {
			f.cfg.OnError(fmt.Errorf("feed: message on unexpected channel %q: %w", m.Channel, ErrMalformed))
			return
		}
		if strings.HasPrefix(m.Payload, ephemeralMark) {
			if e, ok := decodeEphemeral(m.Payload); ok {
				f.cfg.OnEphemeral(org, e)
			} else {
				f.cfg.OnError(fmt.Errorf("feed: org %q: ephemeral signal: %w", org, ErrMalformed))
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
}
