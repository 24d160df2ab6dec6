package e2e

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/store"
)

// publishDirect writes events straight into Redis with the store, as a
// backend publisher does, for when the gateway is down.
func publishDirect(t *testing.T, redis *redistest.Server, org string, seqs ...int64) {
	t.Helper()
	log, err := store.New(store.Config{Client: redis.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range seqs {
		data, _ := json.Marshal(map[string]int64{"n": n})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		first, _, err := log.Publish(ctx, org, store.Input{Service: "finance", Type: "tick", Data: data})
		cancel()
		if err != nil || first != n {
			t.Fatalf("store publish n=%d: seq %d, %v", n, first, err)
		}
	}
}

func publishTicks(g *gatewayProc, org string, seqs ...int64) {
	g.t.Helper()
	for _, n := range seqs {
		if got := g.publish(org, "finance", "tick", map[string]int64{"n": n}); got != n {
			g.t.Fatalf("publish n=%d got seq %d", n, got)
		}
	}
}

// (c) SIGKILL the gateway, publish while it is down, restart it on the same
// port: the page reconnects and has every event exactly once, in order.
func TestBrowserSurvivesGatewayKill(t *testing.T) {
	redis := redistest.Start(t)
	g, org, p := openFinancePage(t, redis)
	publishTicks(g, org, 1, 2, 3)
	p.waitSeqs(1, 2, 3)

	g.kill()
	p.waitUntil("the page to notice the crash", func(s snapshot) bool { return s.State != "open" })
	publishDirect(t, redis, org, 4, 5, 6)
	g.start()
	publishTicks(g, org, 7, 8, 9)
	p.waitSeqs(1, 2, 3, 4, 5, 6, 7, 8, 9)
	// The stream is ordered, so once a later event is in, no duplicate of
	// an earlier one can still be on its way.
	publishTicks(g, org, 10)
	s := p.waitSeqs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	if s.State != "open" || len(s.Resyncs) != 0 || *s.LastSeq != 10 {
		t.Fatalf("after the restart: %s; want open, no resync, lastSeq 10", s.summary())
	}
}

// (f) The log is lost (FLUSHALL) while the page is connected. The next
// publish starts a new epoch; the gateway closes with 1011, the page
// reconnects with its old position, is told recovered:false, calls
// onResync and continues from the new epoch's head.
func TestBrowserResyncAfterLogReset(t *testing.T) {
	redis := redistest.Start(t)
	g, org, p := openFinancePage(t, redis)
	publishTicks(g, org, 1, 2)
	s := p.waitSeqs(1, 2)
	oldEpoch := *s.Epoch

	if out, err := redis.CLI(t, "FLUSHALL"); err != nil {
		t.Fatalf("FLUSHALL: %v %s", err, out)
	}
	publishTicks(g, org, 1) // seq 1 of a new epoch
	s = p.waitUntil("onResync", func(s snapshot) bool { return len(s.Resyncs) > 0 && s.State == "open" })
	r := s.Resyncs[0]
	if r.Epoch == oldEpoch || r.Epoch != *s.Epoch || r.Seq != *s.LastSeq {
		t.Fatalf("resync %+v, state %s; want a new epoch and the client's position", r, s.summary())
	}
	// Seq 2 again, of the new epoch: a client that kept its old lastSeq
	// would drop it as a duplicate.
	publishTicks(g, org, 2)
	s = p.waitUntil("the new epoch's seq 2", func(s snapshot) bool { return len(s.Events) >= 3 })
	last := s.Events[len(s.Events)-1]
	if last.Seq != 2 || string(last.Data) != `{"n":2}` || len(s.Resyncs) != 1 {
		t.Fatalf("got %s, last event %+v; want seq 2 of the new epoch after one resync", s.summary(), last)
	}
}

// A gateway that stops answering without closing (SIGSTOP: the sockets
// stay open) is detected by the page's silence watchdog, from the ping
// interval it learned (1s here, while it was told to assume 60s).
func TestBrowserDetectsSilentGateway(t *testing.T) {
	redis := redistest.Start(t)
	g, org, p := gatewayPage(t, redis)
	p.start(map[string]any{
		"token": token(t, org, time.Now().Add(time.Hour)), "services": []string{"finance"},
		"pingInterval": 60000, "connectTimeout": 2000,
	})
	p.waitState("open")
	publishTicks(g, org, 1)
	p.waitSeqs(1)
	p.waitUntil("two pings", func(s snapshot) bool { return s.Pings >= 2 })

	g.signal(syscall.SIGSTOP)
	stopped := time.Now()
	p.waitUntil("the watchdog", func(s snapshot) bool { return s.State != "open" })
	// 2.5 learned intervals, plus scheduling slack; 150s if it had not learned.
	d := time.Since(stopped)
	if d > 10*time.Second {
		t.Fatalf("silence detected after %v; want about 2.5s", d)
	}
	t.Logf("silence detected after %v", d.Round(time.Millisecond))
	publishDirect(t, redis, org, 2)
	g.signal(syscall.SIGCONT)
	p.waitSeqs(1, 2)
	p.waitState("open")
}
