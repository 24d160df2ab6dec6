package gateway

import (
	"time"

	"github.com/rtgw/realtime/store"
)

// take handles one notification plus whatever else is already queued, so a
// burst becomes one batch of frames.
func (t *orgTail) take(n notification) {
	batch := t.batch[:0]
	defer func() { t.batch = batch[:0] }()
	for {
		if n.eph != nil { // a signal queued between events
			t.fanout(batch)
			batch = batch[:0]
			t.signal(*n.eph)
		} else if n.epoch != t.epoch {
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

// catchUp reads everything after the tail's position from the log. It runs
// after a resubscribe, a dropped notification or a detected gap. On a Redis
// error it retries on the next tick; the position does not move, so nothing
// is skipped.
func (t *orgTail) catchUp() {
	env := t.env
	t.needCatch = false
	for {
		ctx, cancel := env.redisCtx()
		from := t.lastSeq()
		p, err := env.log.ReadAfter(ctx, t.org, from, env.cfg.ReplayPageSize)
		cancel()
		if err != nil {
			env.metrics.redisErrors.Inc()
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
		if len(page) < env.cfg.ReplayPageSize {
			return
		}
	}
}

// checkEpoch compares the tail's epoch with the log's; an idle org whose log
// was flushed is noticed here (after a resubscribe) rather than at the next
// publish.
func (t *orgTail) checkEpoch() {
	ctx, cancel := t.env.redisCtx()
	defer cancel()
	head, err := t.env.log.Head(ctx, t.org)
	if err != nil {
		t.needCatch = true
		return
	}
	if head.Epoch == t.epoch && head.Seq < t.lastSeq() {
		// The log went backwards under the same epoch (a failover lost
		// acknowledged writes, or an old snapshot was restored): its next
		// publishes would reuse seqs clients already applied. A new epoch
		// makes every such client resync, here and on every other node.
		if _, err := t.env.log.RotateEpoch(ctx, t.org, head.Epoch); err != nil {
			t.env.metrics.redisErrors.Inc()
			t.needCatch = true
			return
		}
		t.env.logger.Warn().Str("org", t.org).Int64("log_seq", head.Seq).Int64("delivered_seq", t.lastSeq()).
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
		ctx, cancel := t.env.redisCtx()
		var err error
		head, err = t.env.log.Head(ctx, t.org)
		cancel()
		if err == nil {
			break
		}
		t.env.metrics.redisErrors.Inc()
		select {
		case <-t.env.stop:
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
	t.recent.Reset()
	t.wakeLocked()
	t.mu.Unlock()
	for _, c := range victims {
		c.closeWith(errLogReset)
	}
}
