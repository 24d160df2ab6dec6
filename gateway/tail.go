package gateway

import (
	"context"
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
}

// pendingJoin is a connection whose resume point is ahead of the tail (it
// read the log further than the tail has fanned out). It is promoted to a
// subscriber exactly when the tail reaches pos.
type pendingJoin struct {
	c        *conn
	pos      int64
	services []string
}

// orgTail owns one org's live fan-out on this node: a single goroutine (run)
// takes the org's notifications in seq order, encodes each batch once and
// queues it on every subscribed connection. It never writes to a socket.
type orgTail struct {
	h          *hub
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
	pending   []pendingJoin                 // caller holds mu
	recent    *recentRing                   // last events, once a fallback client asked; caller holds mu
	changed   chan struct{}                 // closed when seq or epoch moves, made on demand; caller holds mu
}

func newOrgTail(h *hub, org string) *orgTail {
	return &orgTail{
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
	case <-t.h.s.stop:
		return false
	}
}

func (t *orgTail) idleLongEnoughLocked() bool {
	return time.Since(t.idleSince) >= t.h.s.cfg.TailIdle
}

// run is the org's goroutine. It subscribes, learns the head, then fans out
// until no connection has needed it for TailIdle or the server stops.
func (t *orgTail) run() {
	s := t.h.s
	if !t.start() {
		return
	}
	tick := time.NewTicker(tailTick(s.cfg.TailIdle))
	defer tick.Stop()
	for {
		select {
		case n := <-t.inbox:
			t.take(n)
		case <-t.kick:
			t.catchUp()
		case <-tick.C:
			if t.needCatch {
				t.catchUp()
			}
			if t.h.remove(t) {
				return
			}
		case <-s.stop:
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
	s := t.h.s
	if t.after != nil {
		select {
		case <-t.after:
		case <-s.stop:
			return false
		}
	}
	backoff := 50 * time.Millisecond
	for {
		if err := s.feed.Subscribe(t.org); err == nil {
			select {
			case <-t.subscribed:
				if t.initHead() {
					close(t.ready)
					return true
				}
			case <-time.After(s.cfg.RedisTimeout):
			case <-s.stop:
				return false
			}
		}
		select {
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		case <-s.stop:
			return false
		}
	}
}

func (t *orgTail) initHead() bool {
	ctx, cancel := context.WithTimeout(context.Background(), t.h.s.cfg.RedisTimeout)
	defer cancel()
	head, err := t.h.s.cfg.Log.Head(ctx, t.org)
	if err != nil {
		t.h.s.metrics.redisErrors.Inc()
		return false
	}
	t.mu.Lock()
	t.epoch = head.Epoch
	t.seq = head.Seq
	t.recent.reset()
	t.wakeLocked()
	t.mu.Unlock()
	return true
}

// take handles one notification plus whatever else is already queued, so a
// burst becomes one batch of frames.
func (t *orgTail) take(n notification) {
	batch := t.batch[:0]
	defer func() { t.batch = batch[:0] }()
	for {
		if n.epoch != t.epoch {
			// Either the log was reset, or this is a notification of the
			// old incarnation still queued after a reset we already did:
			// ask the log which.
			t.fanout(batch)
			batch = batch[:0]
			t.checkEpoch()
		} else {
			next := t.lastSeq()
			if len(batch) > 0 {
				next = batch[len(batch)-1].Seq
			}
			switch {
			case n.ev.Seq <= next: // already delivered (catch-up overlap)
			case n.ev.Seq == next+1:
				batch = append(batch, n.ev)
			default: // a notification was missed: read the gap from the log
				t.fanout(batch)
				batch = batch[:0]
				t.catchUp()
			}
		}
		if len(batch) >= maxBatch {
			break
		}
		select {
		case n = <-t.inbox:
			continue
		default:
		}
		break
	}
	t.fanout(batch)
}

const maxBatch = 256

func (t *orgTail) lastSeq() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// catchUp reads everything after the tail's position from the log. It runs
// after a resubscribe, a dropped notification or a detected gap. On a Redis
// error it retries on the next tick; the position does not move, so nothing
// is skipped.
func (t *orgTail) catchUp() {
	s := t.h.s
	t.needCatch = false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
		from := t.lastSeq()
		p, err := s.cfg.Log.ReadAfter(ctx, t.org, from, s.cfg.ReplayPageSize)
		cancel()
		if err != nil {
			s.metrics.redisErrors.Inc()
			t.needCatch = true
			return
		}
		page := p.Events
		if p.Epoch != t.epoch {
			// Checked on every page, not only an empty one: after Redis
			// lost the log and took new publishes, the new incarnation's
			// seqs can run straight on from ours.
			t.resetEpoch()
			return
		}
		if len(page) > 0 && page[0].Seq != from+1 {
			// The log no longer holds what follows our position (trimmed
			// during an outage, or reset): nobody here can be served
			// exactly, so every connection resyncs.
			t.resetEpoch()
			return
		}
		if len(page) == 0 {
			t.checkEpoch()
			return
		}
		t.fanout(page)
		if len(page) < s.cfg.ReplayPageSize {
			return
		}
	}
}

// checkEpoch compares the tail's epoch with the log's; an idle org whose log
// was flushed is noticed here (after a resubscribe) rather than at the next
// publish.
func (t *orgTail) checkEpoch() {
	ctx, cancel := context.WithTimeout(context.Background(), t.h.s.cfg.RedisTimeout)
	defer cancel()
	head, err := t.h.s.cfg.Log.Head(ctx, t.org)
	if err != nil {
		t.needCatch = true
		return
	}
	if head.Epoch == t.epoch && head.Seq < t.lastSeq() {
		// The log went backwards under the same epoch (a failover lost
		// acknowledged writes, or an old snapshot was restored): its next
		// publishes would reuse seqs clients already applied. A new epoch
		// makes every such client resync, here and on every other node.
		if _, err := t.h.s.cfg.Log.RotateEpoch(ctx, t.org, head.Epoch); err != nil {
			t.h.s.metrics.redisErrors.Inc()
			t.needCatch = true
			return
		}
		t.h.s.log.Warn().Str("org", t.org).Int64("log_seq", head.Seq).Int64("delivered_seq", t.lastSeq()).
			Msg("event log went backwards under the same epoch; rotated the epoch so clients resync")
	}
	if head.Epoch != t.epoch || head.Seq < t.lastSeq() {
		t.resetEpoch()
	}
}

// resetEpoch handles a log that lost its history (Redis restarted without
// persistence, FLUSHALL, or trimmed past us): every connection of the org is
// closed so it reconnects and is told recovered:false — never served events
// of another incarnation of the log. The new head and the detaching of the
// old subscribers happen under one lock, so a client that joins under the
// new epoch is never closed by mistake.
func (t *orgTail) resetEpoch() {
	var head store.Head
	for {
		ctx, cancel := context.WithTimeout(context.Background(), t.h.s.cfg.RedisTimeout)
		var err error
		head, err = t.h.s.cfg.Log.Head(ctx, t.org)
		cancel()
		if err == nil {
			break
		}
		t.h.s.metrics.redisErrors.Inc()
		select {
		case <-t.h.s.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.mu.Lock()
	var victims []*conn
	for _, set := range t.subs {
		for c := range set {
			victims = append(victims, c)
		}
	}
	for _, p := range t.pending {
		victims = append(victims, p.c)
	}
	clear(t.subs)
	t.pending = t.pending[:0]
	t.epoch, t.seq = head.Epoch, head.Seq
	t.recent.reset()
	t.wakeLocked()
	t.mu.Unlock()
	for _, c := range victims {
		c.closeWith(errLogReset)
	}
}

// join attaches c at pos of the log incarnation epoch. It returns how far
// the tail is ahead of pos when c must first replay more history from the
// log (0 when attached), and errEpochMismatch (with a channel closed when
// the tail next moves) when the tail is on another epoch.
func (t *orgTail) join(c *conn, pos int64, epoch string, services []string) (behind int64, changed <-chan struct{}, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return 0, nil, errTailStopped
	}
	if epoch != t.epoch {
		return 0, t.changedLocked(), errEpochMismatch
	}
	if pos < t.seq {
		return t.seq - pos, nil, nil
	}
	if c.currentState() >= stateClosing {
		return 0, nil, nil
	}
	c.setState(stateActive)
	if pos == t.seq {
		t.subscribeLocked(c, services)
	} else {
		t.pending = append(t.pending, pendingJoin{c: c, pos: pos, services: services})
	}
	return 0, nil, nil
}

// changedLocked returns a channel closed when the tail next moves.
func (t *orgTail) changedLocked() <-chan struct{} {
	if t.changed == nil {
		t.changed = make(chan struct{})
	}
	return t.changed
}

func (t *orgTail) subscribeLocked(c *conn, services []string) {
	for _, svc := range services {
		set := t.subs[svc]
		if set == nil {
			set = make(map[*conn]struct{})
			t.subs[svc] = set
		}
		set[c] = struct{}{}
	}
}

// leave detaches c and drops its reference.
func (t *orgTail) leave(c *conn, services []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, svc := range services {
		if set := t.subs[svc]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(t.subs, svc)
			}
		}
	}
	for i, p := range t.pending {
		if p.c == c {
			t.pending = append(t.pending[:i], t.pending[i+1:]...)
			break
		}
	}
	t.releaseLocked()
}

// release drops a reference taken by hub.acquire without a join.
func (t *orgTail) release() {
	t.mu.Lock()
	t.releaseLocked()
	t.mu.Unlock()
}

func (t *orgTail) releaseLocked() {
	t.refs--
	if t.refs == 0 {
		t.idleSince = time.Now()
	}
}
