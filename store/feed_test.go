package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

func TestFeedDeliversFullEventsPerOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	a, b, other := e.org+"-a", e.org+"-b", e.org+"-c"
	_, rec := startFeed(t, e.log, nil, a, b)

	mustPublish(t, e.log, other, input(99)) // not subscribed
	mustPublish(t, e.log, a, inputs(3)...)
	mustPublish(t, e.log, b, input(7), input(8))
	testutil.Eventually(t, 10*time.Second, "events for a and b", func() bool { return rec.nEvents(a) == 3 && rec.nEvents(b) == 2 })

	for _, org := range []string{a, b} {
		want := rangeAll(t, e.log, org, 0)
		got := rec.eventsOf(org)
		for i := range want {
			w, g := want[i], got[i]
			if g.Seq != w.Seq || g.TS != w.TS || g.Service != w.Service || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) {
				t.Fatalf("org %s event %d: feed %+v, log %+v", org, i, g, w)
			}
		}
	}
	// One connection delivers in publish order, so once a and b's events are
	// here, other's would have been too.
	if n := rec.nEvents(other); n != 0 {
		t.Fatalf("unsubscribed org delivered %d events", n)
	}
}

func TestFeedUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	a, b := e.org+"-a", e.org+"-b"
	f, rec := startFeed(t, e.log, nil, a, b)
	if err := f.Unsubscribe(b); err != nil {
		t.Fatal(err)
	}
	// Unsubscribe has no confirmation callback; wait for Redis to agree.
	testutil.Eventually(t, 10*time.Second, "UNSUBSCRIBE to take effect", func() bool {
		n, err := e.rdb.PubSubNumSub(context.Background(), key(b, "notify")).Result()
		return err == nil && n[key(b, "notify")] == 0
	})
	mustPublish(t, e.log, b, input(1))
	mustPublish(t, e.log, a, input(1)) // marker: sent after b's on the same connection
	testutil.Eventually(t, 10*time.Second, "marker on a", func() bool { return rec.nEvents(a) == 1 })
	if n := rec.nEvents(b); n != 0 {
		t.Fatalf("unsubscribed org delivered %d events", n)
	}
}

func TestFeedReportsMalformed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	_, rec := startFeed(t, e.log, nil, e.org)
	for _, payload := range []string{"garbage", "x\n1\ns\nt\n{}", "1\n2\n\nt\n{}"} {
		if err := e.rdb.Publish(context.Background(), key(e.org, "notify"), payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	mustPublish(t, e.log, e.org, input(1))
	testutil.Eventually(t, 10*time.Second, "good event after bad ones", func() bool { return rec.nEvents(e.org) == 1 })
	if n := rec.nErrs(store.ErrMalformed); n != 3 {
		t.Fatalf("OnError got %d ErrMalformed, want 3", n)
	}
}

func TestFeedClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	f, rec := startFeed(t, e.log, nil, e.org)
	start := time.Now()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	rec.do(func() { rec.closed = true })
	if err := f.Subscribe(e.org); !errors.Is(err, store.ErrFeedClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrFeedClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	mustPublish(t, e.log, e.org, input(1))
	// The pub/sub connection must be gone: nobody receives this publish.
	testutil.Eventually(t, 10*time.Second, "no subscribers left", func() bool {
		n, err := e.rdb.PubSubNumSub(context.Background(), key(e.org, "notify")).Result()
		return err == nil && n[key(e.org, "notify")] == 0
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.bad != "" {
		t.Fatal(rec.bad)
	}
}
