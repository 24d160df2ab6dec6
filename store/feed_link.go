package store

import (
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// link is one pub/sub connection and the goroutine that reads it. The
// classic feed has one; the sharded feed has one per Redis master.
//
// What happens when the connection fails differs: the classic link recovers
// in place (go-redis redials and resubscribes every channel with one
// SUBSCRIBE), while a sharded link is dropped and its channels placed again,
// because go-redis would resubscribe all of them in one SSUBSCRIBE, which
// Redis refuses (CROSSSLOT) as soon as they span two slots, and because
// after a failover or a slot move they may belong to another master.
type link struct {
	f     *Feed
	addr  string // the master's host:port; "" for the classic link
	newPS func() *redis.PubSub
	// down, when set, makes the link sharded: it is called once, from the
	// link's goroutine, when the connection failed or went silent, and the
	// goroutine then exits.
	down func(l *link, err error)
	// evicted (sharded) hears that the server unsubscribed ch by itself:
	// its slot moved to another master.
	evicted func(l *link, ch string)
	// refused (sharded) hears a Redis error reply, e.g. MOVED for an
	// SSUBSCRIBE sent with a stale slot map.
	refused func(l *link, err error)

	mu    sync.Mutex // guards the fields below; held across (S)SUBSCRIBE writes, never across a receive
	ps    *redis.PubSub
	chans map[string]struct{}
	// unsubs counts, per channel, the SUNSUBSCRIBEs sent and not yet
	// answered. Redis answers each one, so a sunsubscribe push that finds
	// none pending was Redis dropping the channel (its slot moved), even
	// when the channel was subscribed again meanwhile.
	unsubs map[string]int
	closed bool
}

func newLink(f *Feed, addr string, newPS func() *redis.PubSub) *link {
	return &link{f: f, addr: addr, newPS: newPS, ps: newPS(), chans: make(map[string]struct{}), unsubs: make(map[string]int)}
}

func (l *link) sharded() bool { return l.down != nil }

// errLinkClosed: the link was closed before the write; place the channels
// elsewhere.
var errLinkClosed = errors.New("feed: link closed")

// subscribe adds chs and sends the (S)SUBSCRIBE. A sharded link sends one
// SSUBSCRIBE per slot: Redis takes several channels in one SSUBSCRIBE only
// if they hash to one slot, and every org has its own hash tag, so most
// commands carry one channel. They are written back to back without
// waiting for replies; confirmations arrive on the link's goroutine.
func (l *link) subscribe(chs ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errLinkClosed
	}
	for _, ch := range chs {
		l.chans[ch] = struct{}{}
	}
	if !l.sharded() {
		// A write error is dropped: the receive loop hits the same broken
		// connection, and go-redis's resubscribe sends the whole set.
		_ = l.ps.Subscribe(l.f.ctx, chs...)
		return nil
	}
	bySlot := make(map[int][]string, len(chs))
	for _, ch := range chs {
		bySlot[slotOf(ch)] = append(bySlot[slotOf(ch)], ch)
	}
	for _, batch := range bySlot {
		if err := l.ps.SSubscribe(l.f.ctx, batch...); err != nil {
			return fmt.Errorf("feed: SSUBSCRIBE on %s: %w", l.addr, err)
		}
	}
	return nil
}

// unsubscribe drops ch; the write is best effort (a broken connection
// has no subscriptions left to drop).
func (l *link) unsubscribe(ch string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.chans[ch]; !ok || l.closed {
		return
	}
	delete(l.chans, ch)
	if l.sharded() {
		l.unsubs[ch]++
		_ = l.ps.SUnsubscribe(l.f.ctx, ch)
	} else {
		_ = l.ps.Unsubscribe(l.f.ctx, ch)
	}
}

// forget drops ch without a write: the server already unsubscribed it.
func (l *link) forget(ch string) {
	l.mu.Lock()
	delete(l.chans, ch)
	l.mu.Unlock()
}

// inSlot forgets and returns the channels of slot on this link (a MOVED
// reply said another master owns it).
func (l *link) inSlot(slot int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for ch := range l.chans {
		if slotOf(ch) == slot {
			out = append(out, ch)
			delete(l.chans, ch)
		}
	}
	return out
}

// evictedByServer reports whether a sunsubscribe push for ch is Redis
// dropping it rather than the answer to our own SUNSUBSCRIBE.
func (l *link) evictedByServer(ch string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.unsubs[ch]; n > 0 {
		if n == 1 {
			delete(l.unsubs, ch)
		} else {
			l.unsubs[ch] = n - 1
		}
		return false
	}
	_, wanted := l.chans[ch]
	return wanted
}

// has reports whether ch is (still) wanted on this link.
func (l *link) has(ch string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.chans[ch]
	return ok
}

func (l *link) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *link) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.chans)
}

// close interrupts a blocked receive; the goroutine then exits.
func (l *link) close() {
	l.mu.Lock()
	ps, was := l.ps, l.closed
	l.closed = true
	l.mu.Unlock()
	if !was {
		_ = ps.Close()
	}
}

func (l *link) current() (*redis.PubSub, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ps, l.closed
}

// run is the link's goroutine: receive, dispatch, and keep the link alive.
// go-redis reconnects by itself after a failed receive; run paces the
// retries and catches the one failure go-redis cannot see, a link that went
// silent (a half-open TCP connection blocks a receive for many minutes).
func (l *link) run() {
	var bo backoff
	pinged := false
	for {
		ps, closed := l.current()
		if closed {
			return
		}
		msg, err := ps.ReceiveTimeout(l.f.ctx, l.f.cfg.PingInterval)
		if l.f.ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			pinged = false
			bo.reset()
			l.dispatch(msg)
		case isTimeout(err) && !pinged:
			// Quiet so far: ask for a pong, so the next timeout means dead.
			pinged = true
			if err := ps.Ping(l.f.ctx); err != nil && l.sharded() {
				// go-redis would reconnect and resubscribe every channel
				// in one SSUBSCRIBE (CROSSSLOT): drop the link instead.
				err = fmt.Errorf("feed%s: PING: %w", l.where(), err)
				l.f.cfg.OnError(err)
				l.down(l, err)
				return
			} // classic: a failed write makes go-redis reconnect
		case isRedisError(err) && l.sharded() && !isMoved(err):
			// CROSSSLOT after a reconnect go-redis made on its own, an
			// unknown command: nothing on this connection can be trusted.
			pinged = false
			err = fmt.Errorf("feed%s: %w", l.where(), err)
			l.f.cfg.OnError(err)
			l.down(l, err)
			return
		case isTimeout(err):
			pinged = false
			err = fmt.Errorf("feed%s: no reply to PING within %v, reconnecting", l.where(), l.f.cfg.PingInterval)
			l.f.cfg.OnError(err)
			if l.sharded() {
				l.down(l, err)
				return
			}
			l.redial(ps)
		case isRedisError(err) && l.sharded():
			pinged = false
			l.f.cfg.OnError(fmt.Errorf("feed%s: %w", l.where(), err))
			l.refused(l, err)
		default:
			pinged = false
			if _, closed := l.current(); closed {
				return
			}
			err = fmt.Errorf("feed%s: receive: %w", l.where(), err)
			l.f.cfg.OnError(err)
			if l.sharded() {
				l.down(l, err)
				return
			}
			if !sleepCtx(l.f.ctx, bo.step()) {
				return
			}
		}
	}
}

func (l *link) where() string {
	if l.addr == "" {
		return ""
	}
	return " " + l.addr
}

// redial replaces a classic PubSub whose link went silent. go-redis has no
// exported way to drop a PubSub's connection, so we close it and subscribe
// afresh; confirmations arrive on the new one and fire OnSubscribed.
func (l *link) redial(old *redis.PubSub) {
	l.mu.Lock()
	if !l.closed && l.ps == old {
		l.ps = l.newPS()
		if len(l.chans) > 0 {
			chs := make([]string, 0, len(l.chans))
			for ch := range l.chans {
				chs = append(chs, ch)
			}
			_ = l.ps.Subscribe(l.f.ctx, chs...)
		}
	}
	l.mu.Unlock()
	_ = old.Close()
}

// dispatch turns one received pub/sub message into a callback.
func (l *link) dispatch(msg any) {
	switch m := msg.(type) {
	case *redis.Subscription:
		switch m.Kind {
		case "subscribe", "ssubscribe":
			if l.has(m.Channel) {
				l.f.confirmed(m.Channel)
			}
		case "sunsubscribe":
			if l.evictedByServer(m.Channel) { // its slot moved
				l.evicted(l, m.Channel)
			}
		}
	case *redis.Message:
		l.f.dispatchMessage(m)
	}
}

// isMoved reports a MOVED or ASK reply.
func isMoved(err error) bool {
	_, ok := movedSlot(err.Error())
	return ok
}

// isRedisError tells an error reply from Redis (MOVED, CROSSSLOT, an
// unknown command) from a broken connection.
func isRedisError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}
