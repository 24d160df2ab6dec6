package gateway

import (
	"time"
)

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
