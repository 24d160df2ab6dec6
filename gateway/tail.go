package gateway

import (
	"github.com/rtgw/realtime/gateway/fallback"
	"sync"
	"time"

	"github.com/rtgw/realtime/store"
)

// inboxSize bounds an org tail's queue of notifications. Past it the feed
// drops the notification and pokes the tail, which reads the log instead:
// a burst costs a Redis read, never memory without bound or a lost event.
const inboxSize = 128

type notification struct {
	epoch string
	ev    store.Event
	eph   *store.Ephemeral // set for an ephemeral signal instead of an event
}

// pendingSub is a connection whose resume point is ahead of the tail (it
// read the log further than the tail has fanned out). It is promoted to a
// subscriber exactly when the tail reaches pos.
type pendingSub struct {
	c        *conn
	pos      int64
	services []string
}

// orgTail owns one org's live fan-out on this node: a single goroutine (run)
// takes the org's notifications in seq order, encodes each batch once and
// queues it on every subscribed connection. It never writes to a socket.
type orgTail struct {
	env        *tailEnv
	h          *hub // removes the tail once idle
	org        string
	inbox      chan notification
	kick       chan struct{}   // cap 1: catch up from the log
	subscribed chan struct{}   // cap 1: the feed confirmed the subscription
	ready      chan struct{}   // closed once seq and epoch are known
	after      <-chan struct{} // a previous tail's UNSUBSCRIBE to wait for (nil: none)

	// Owned by run; epoch is also written under mu so fallback clients can
	// read it.
	epoch     string
	needCatch bool
	buf       []byte        // frame payload scratch
	batch     []store.Event // notification batch scratch

	mu        sync.Mutex
	refs      int                           // connections holding the tail; caller holds mu
	idleSince time.Time                     // when refs last fell to 0; caller holds mu
	stopped   bool                          // caller holds mu
	seq       int64                         // last seq fanned out; caller holds mu (written by run only)
	subs      map[string]map[*conn]struct{} // service → connections; caller holds mu
	pending   []pendingSub                  // caller holds mu
	recent    *fallback.Ring                // last events, once a fallback client asked; caller holds mu
	changed   chan struct{}                 // closed when seq or epoch moves, made on demand; caller holds mu
}

func newOrgTail(h *hub, org string) *orgTail {
	return &orgTail{
		env:        h.env,
		h:          h,
		org:        org,
		inbox:      make(chan notification, inboxSize),
		kick:       make(chan struct{}, 1),
		subscribed: make(chan struct{}, 1),
		ready:      make(chan struct{}),
		subs:       make(map[string]map[*conn]struct{}),
	}
}

func (t *orgTail) poke() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *orgTail) waitReady(timeout time.Duration) bool {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-t.ready:
		return true
	case <-tm.C:
		return false
	case <-t.env.stop:
		return false
	}
}

func (t *orgTail) idleLongEnoughLocked() bool {
	return time.Since(t.idleSince) >= t.env.cfg.TailIdle
}

// run is the org's goroutine. It subscribes, learns the head, then fans out
// until no connection has needed it for TailIdle or the server stops.
func (t *orgTail) run() {
	if !t.start() {
		return
	}
	tick := time.NewTicker(tailTick(t.env.cfg.TailIdle))
	defer tick.Stop()
	for {
		select {
		case n := <-t.inbox:
			t.take(n) // events and signals alike
		case <-t.kick:
			t.catchUp()
		case <-tick.C:
			if t.needCatch {
				t.catchUp()
			}
			if t.h.remove(t) {
				return
			}
		case <-t.env.stop:
			return
		}
	}
}

func tailTick(idle time.Duration) time.Duration {
	d := idle / 4
	if d > time.Second {
		d = time.Second
	}
	return max(d, 10*time.Millisecond)
}

// start subscribes and then reads the head. The order matters: an event
// published after the subscription is confirmed arrives as a notification,
// one published before is at or below the head — none falls in between.
func (t *orgTail) start() bool {
	if t.after != nil {
		select {
		case <-t.after:
		case <-t.env.stop:
			return false
		}
	}
	backoff := 50 * time.Millisecond
	for {
		if err := t.env.feed.Subscribe(t.org); err == nil {
			select {
			case <-t.subscribed:
				if t.initHead() {
					close(t.ready)
					return true
				}
			case <-time.After(t.env.cfg.RedisTimeout):
			case <-t.env.stop:
				return false
			}
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		case <-t.env.stop:
			return false
		}
	}
}

func (t *orgTail) initHead() bool {
	ctx, cancel := t.env.redisCtx()
	defer cancel()
	head, err := t.env.log.Head(ctx, t.org)
	if err != nil {
		t.env.metrics.redisErrors.Inc()
		return false
	}
	t.mu.Lock()
	t.epoch = head.Epoch
	t.seq = head.Seq
	t.recent.Reset()
	t.wakeLocked()
	t.mu.Unlock()
	return true
}

// lastSeq is the last seq fanned out.
func (t *orgTail) lastSeq() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}
