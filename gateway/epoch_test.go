package gateway

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/wstest"
	"github.com/rtgw/realtime/store"
)

// hookLog wraps the real log to pause a replay read or drop notifications,
// so the races around a log reset can be driven deterministically.
type hookLog struct {
	EventLog
	drop        atomic.Bool
	blockAfter  atomic.Int64
	release     chan struct{}
	releaseOnce sync.Once
	entered     chan struct{}
	fired       atomic.Bool
}

// calledByConn reports whether a connection's handshake (not an org tail)
// is the caller, so the hook pauses the replay it means to pause.
func calledByConn() bool {
	pc := make([]uintptr, 32)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "(*conn).") {
			return true
		}
		if !more {
			return false
		}
	}
}

func (l *hookLog) ReadAfter(ctx context.Context, org string, after int64, limit int) (store.Page, error) {
	p, err := l.EventLog.ReadAfter(ctx, org, after, limit)
	if b := l.blockAfter.Load(); b > 0 && after == b && calledByConn() && l.fired.CompareAndSwap(false, true) {
		close(l.entered)
		<-l.release
	}
	return p, err
}

func (l *hookLog) Watch(onEvent func(org, epoch string, ev store.Event), onSubscribed func(org string), onEphemeral func(string, store.Ephemeral)) Feed {
	return l.EventLog.Watch(func(org, epoch string, ev store.Event) {
		if !l.drop.Load() {
			onEvent(org, epoch, ev)
		}
	}, onSubscribed, onEphemeral)
}

func newHookHarness(t *testing.T) (*harness, *hookLog) {
	hl := &hookLog{release: make(chan struct{}), entered: make(chan struct{})}
	h := newHarness(t, harnessOpts{cfg: func(c *Config) { hl.EventLog = c.Log; c.Log = hl }})
	t.Cleanup(hl.unblock) // runs before the harness's: a failed test never hangs Close
	return h, hl
}

func (l *hookLog) unblock() { l.releaseOnce.Do(func() { close(l.release) }) }

// connectAfter connects a client of service "s" to org, then publishes n
// events and waits until the client has them: the log's "old" incarnation
// the tests below then break.
func connectAfter(h *harness, org, user string, n int) (*wstest.Client, wstest.Msg) {
	h.t.Helper()
	c, ack := h.connect(org, user, map[string]any{"services": []string{"s"}})
	for i := 0; i < n; i++ {
		h.publish(org, "s", "t", `"old"`)
	}
	c.Events(n)
	return c, ack
}

// Redis restarts without persistence and takes new publishes before the
// node resubscribes: the catch-up must see the new epoch and resync the
// client, not feed it the new log's seqs as a continuation.
func TestCatchUpAcrossRedisRestart(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "restart"
	c, _ := connectAfter(h, org, "u", 5)
	h.redis.Restart()
	for i := 0; i < 8; i++ {
		h.publish(org, "s", "t", `"new"`)
	}
	m := c.Next(10 * time.Second)
	for m.Type == "error" {
		m = c.Next(10 * time.Second)
	}
	if m.Type != "close" || m.CloseCode != int(CloseInternalError) {
		t.Fatalf("client of the old log got %s, want close 1011 to resync", m.Raw)
	}
}

// A client acked on the old epoch must not join a tail that has moved to
// the new one (nor be replayed the new log from its old position).
func TestStaleEpochJoin(t *testing.T) {
	h, hl := newHookHarness(t)
	org := "stale-join"
	x, _ := connectAfter(h, org, "x", 5)
	hl.blockAfter.Store(3)
	b := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "b"), wstest.Options{})
	b.Send(map[string]any{"services": []string{"s"}, "lastSeq": 3})
	<-hl.entered
	if err := h.rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	h.publish(org, "s", "t", `"new"`)
	x.ExpectClose(int(CloseInternalError))
	hl.unblock()
	b.Expect("ack")
	b.Events(2) // 4 and 5 of the old log, read before the flush
	for i := 0; i < 9; i++ {
		h.publish(org, "s", "t", `"new"`)
	}
	for {
		m := b.Next(5 * time.Second)
		if m.Type == "event" {
			t.Fatalf("client of the old epoch got a new-epoch event: %s", m.Raw)
		}
		if m.Type == "close" {
			if m.CloseCode != int(CloseInternalError) {
				t.Fatalf("close %d, want 1011", m.CloseCode)
			}
			return
		}
	}
}

// After FLUSHALL on a quiet org, new clients join the new log at once
// instead of being closed in a loop until the next publish.
func TestFlushAllQuietOrgAcceptsNewClients(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "flush-quiet"
	keep, _ := connectAfter(h, org, "keep", 3)
	if err := h.rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	c, ack := h.connect(org, "new", map[string]any{"services": []string{"s"}})
	if ack.Seq != 0 {
		t.Fatalf("ack on the new log: %s", ack.Raw)
	}
	h.publish(org, "s", "t", `2`)
	if got := c.Events(1); got[0].Seq != 1 {
		t.Fatalf("new client got %+v", got)
	}
	keep.ExpectClose(int(CloseInternalError))
}

// Notifications of the old log still queued after a reset do not reset the
// tail again (which would close clients that joined the new log).
func TestStaleNotificationsDoNotResetTwice(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "stale-notes"
	h.connect(org, "a", map[string]any{"services": []string{"s"}})
	tl := h.srv.hub.lookup(org)
	if !tl.waitReady(5 * time.Second) {
		t.Fatal("tail not ready")
	}
	tl.mu.Lock()
	epoch := tl.epoch
	tl.mu.Unlock()
	c, _ := h.connect(org, "b", map[string]any{"services": []string{"s"}})
	// A notification of some other incarnation arrives: the log's epoch is
	// still ours, so nobody is closed and delivery continues.
	h.srv.hub.onEvent(org, "not-"+epoch, store.Event{Seq: 1, Service: "s", Type: "t", Data: []byte(`1`)})
	h.publish(org, "s", "t", `1`)
	if got := c.Events(1); got[0].Seq != 1 {
		t.Fatalf("got %+v", got)
	}
}

// The log going backwards under the same epoch (a failover that lost
// acknowledged writes, an old snapshot restored) rotates the epoch, so
// every client — connected or not — resyncs instead of later taking reused
// seqs for events it already has.
func TestLogRewindRotatesEpoch(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	org := "rewind"
	c, ack := connectAfter(h, org, "u", 5)
	// Rewind to seq 3 the way a lossy failover would: same epoch, shorter
	// log, lower counter. Then the node loses its pub/sub link and
	// resubscribes, as it does when a master dies.
	ctx := t.Context()
	key := "realtime:{rewind}:log"
	kept, err := h.rdb.XRangeN(ctx, key, "-", "+", 3).Result()
	if err != nil {
		t.Fatal(err)
	}
	h.rdb.Del(ctx, key) // a stream remembers its top ID: rebuild it as the replica had it
	for _, m := range kept {
		if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: m.ID, Values: m.Values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	h.rdb.Set(ctx, "realtime:{rewind}:seq", 3, 0)
	if err := h.rdb.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	c.ExpectClose(int(CloseInternalError))
	c2, ack2 := h.connect(org, "u", map[string]any{"services": []string{"s"}, "lastSeq": 5, "epoch": ack.Epoch})
	if ack2.Recovered == nil || *ack2.Recovered || ack2.Epoch == ack.Epoch {
		t.Fatalf("after the rewind: %s, want recovered:false with a new epoch", ack2.Raw)
	}
	h.publish(org, "s", "t", `2`)
	if got := c2.Events(1); got[0].Seq != 4 {
		t.Fatalf("got %+v", got)
	}
}
