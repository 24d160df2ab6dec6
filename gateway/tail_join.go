package gateway

import (
	"time"
)

// Verbs, one meaning each: a connection *joins* (conn.join, on a joiner:
// rollout, head, ack, replay, attach), *attaches* to its org's tail
// (conn.attach: a reference on the tail, then replay until it can
// subscribe), and the tail *subscribes* it (orgTail.subscribe: into the
// subscriber sets now, or pending until fan-out reaches its position).
// unsubscribe undoes subscribe and drops the reference.

// subscribe adds c at pos of the log incarnation epoch. It returns how far
// the tail is ahead of pos when c must first replay more history from the
// log (0 when subscribed or pending), and errEpochMismatch (with a channel
// closed when the tail next moves) when the tail is on another epoch.
func (t *orgTail) subscribe(c *conn, pos int64, epoch string, services []string) (behind int64, changed <-chan struct{}, err error) {
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
		t.addSubscriberLocked(c, services)
	} else {
		t.pending = append(t.pending, pendingSub{c: c, pos: pos, services: services})
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

// addSubscriberLocked puts c in the subscriber set of each of its services.
func (t *orgTail) addSubscriberLocked(c *conn, services []string) {
	for _, svc := range services {
		set := t.subs[svc]
		if set == nil {
			set = make(map[*conn]struct{})
			t.subs[svc] = set
		}
		set[c] = struct{}{}
	}
}

// unsubscribe removes c and drops its reference.
func (t *orgTail) unsubscribe(c *conn, services []string) {
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

// release drops a reference taken by hub.acquire without a subscribe.
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
