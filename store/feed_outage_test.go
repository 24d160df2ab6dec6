package store_test

import (
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// Outages: the feed must come back by itself and say so with OnSubscribed,
// which is the caller's cue to fill the gap with Range.

func TestFeedResubscribesAfterKill(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	a, b := e.org+"-a", e.org+"-b"
	_, rec := startFeed(t, e.log, nil, a, b)
	if out, err := e.srv.CLI(t, "CLIENT", "KILL", "TYPE", "pubsub"); err != nil || out != "1\n" {
		t.Fatalf("CLIENT KILL TYPE pubsub = %q, %v; want 1 killed", out, err)
	}
	for _, org := range []string{a, b} {
		testutil.Eventually(t, 10*time.Second, "second OnSubscribed("+org+")", func() bool { return rec.nSubs(org) >= 2 })
	}
	mustPublish(t, e.log, a, input(1))
	mustPublish(t, e.log, b, input(1))
	testutil.Eventually(t, 10*time.Second, "events after reconnect", func() bool { return rec.nEvents(a) == 1 && rec.nEvents(b) == 1 })
	if rec.nErrs(nil) == 0 {
		t.Error("lost connection was not reported through OnError")
	}
}

func TestFeedSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	_, rec := startFeed(t, e.log, nil, e.org)
	mustPublish(t, e.log, e.org, inputs(3)...)
	testutil.Eventually(t, 10*time.Second, "events before restart", func() bool { return rec.nEvents(e.org) == 3 })
	e.srv.Restart()
	testutil.Eventually(t, 10*time.Second, "OnSubscribed after restart", func() bool { return rec.nSubs(e.org) >= 2 })
	// The restarted server is empty: a new epoch, seqs from 1 again.
	mustPublish(t, e.log, e.org, input(4))
	testutil.Eventually(t, 10*time.Second, "event after restart", func() bool { return rec.nEvents(e.org) == 4 })
	if ev := rec.eventsOf(e.org)[3]; ev.Seq != 1 {
		t.Fatalf("first event after restart has seq %d, want 1", ev.Seq)
	}
}

// TestFeedCloseWhileRedisDown: Close must not wait out dial timeouts or
// backoff while the server is unreachable.
func TestFeedCloseWhileRedisDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	f, rec := startFeed(t, e.log, nil, e.org)
	e.srv.Stop()
	testutil.Eventually(t, 10*time.Second, "outage reported", func() bool { return rec.nErrs(nil) >= 2 })
	if err := f.Subscribe(e.org + "-late"); err != nil {
		t.Fatalf("Subscribe while down = %v, want nil (queued for reconnect)", err)
	}
	start := time.Now()
	_ = f.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close while Redis is down took %v", d)
	}
}

// TestFeedSubscribeWhileDown: a Subscribe made during an outage is sent on
// reconnect and confirmed then.
func TestFeedSubscribeWhileDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	f, rec := startFeed(t, e.log, nil, e.org)
	late := e.org + "-late"
	e.srv.Stop()
	testutil.Eventually(t, 10*time.Second, "outage reported", func() bool { return rec.nErrs(nil) >= 1 })
	if err := f.Subscribe(late); err != nil {
		t.Fatalf("Subscribe while down: %v", err)
	}
	e.srv.Restart()
	testutil.Eventually(t, 10*time.Second, "OnSubscribed(late) after restart", func() bool { return rec.nSubs(late) >= 1 })
	mustPublish(t, e.log, late, input(1))
	testutil.Eventually(t, 10*time.Second, "event for late org", func() bool { return rec.nEvents(late) == 1 })
}
