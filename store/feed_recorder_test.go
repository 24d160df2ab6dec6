package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// recorder collects a Feed's callbacks for assertions from the test goroutine.
type recorder struct {
	mu     sync.Mutex
	events map[string][]store.Event
	subs   map[string]int
	errs   []error
	closed bool // set after Close; any callback after it is a bug
	bad    string
}

func newRecorder() *recorder {
	return &recorder{events: map[string][]store.Event{}, subs: map[string]int{}}
}

func (r *recorder) config() store.FeedConfig {
	return store.FeedConfig{
		OnEvent: func(org, _ string, ev store.Event) {
			r.do(func() { r.events[org] = append(r.events[org], ev) })
		},
		OnSubscribed: func(org string) { r.do(func() { r.subs[org]++ }) },
		OnError:      func(err error) { r.do(func() { r.errs = append(r.errs, err) }) },
	}
}

func (r *recorder) do(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.bad = "callback after Close"
	}
	f()
}

func (r *recorder) nEvents(org string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events[org])
}

func (r *recorder) eventsOf(org string) []store.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Event(nil), r.events[org]...)
}

func (r *recorder) nSubs(org string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subs[org]
}

func (r *recorder) nErrs(target error) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, err := range r.errs {
		if target == nil || errors.Is(err, target) {
			n++
		}
	}
	return n
}

// startFeed opens a feed subscribed to orgs and waits for each confirmation.
func startFeed(t *testing.T, lg *store.Log, cfg func(*store.FeedConfig), orgs ...string) (*store.Feed, *recorder) {
	t.Helper()
	rec := newRecorder()
	fc := rec.config()
	if cfg != nil {
		cfg(&fc)
	}
	f := lg.NewFeed(fc)
	t.Cleanup(func() { _ = f.Close() })
	for _, org := range orgs {
		if err := f.Subscribe(org); err != nil {
			t.Fatalf("Subscribe(%s): %v", org, err)
		}
	}
	for _, org := range orgs {
		testutil.Eventually(t, 10*time.Second, "OnSubscribed("+org+")", func() bool { return rec.nSubs(org) >= 1 })
	}
	return f, rec
}

func (r *recorder) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}
