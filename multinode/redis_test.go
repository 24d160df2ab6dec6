package multinode

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// fleet is the common setup of the Redis fault tests: nodes on one Redis,
// checkers spread over orgs and nodes, a steady publisher.
type fleet struct {
	t        *testing.T
	redis    *redistest.Server
	nodes    *cluster
	pub      *publisher
	checkers []*checker
	wg       sync.WaitGroup
	stop     chan struct{}
	pubDone  chan struct{}
	stopped  atomic.Bool
}

func startFleet(t *testing.T, redisArgs []string, nodes, orgCount, clients, rate int) *fleet {
	f := &fleet{t: t, redis: redistest.Start(t, redisArgs...), nodes: &cluster{}, stop: make(chan struct{}), pubDone: make(chan struct{})}
	for i := 0; i < nodes; i++ {
		f.nodes.nodes = append(f.nodes.nodes, gatewaytest.Start(t, gatewaytest.Options{RedisAddr: f.redis.Addr}))
	}
	orgs := make([]string, orgCount)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("org%02d", i)
	}
	f.pub = newPublisher(orgs, f.nodes, rate)
	deadline := time.Now().Add(90 * time.Second)
	f.checkers = newCheckers(t, f.nodes, orgs, clients)
	runAll(t, &f.wg, f.checkers, f.pub, &f.stopped, deadline)
	waitConnected(t, 20*time.Second, f.checkers)
	go func() { f.pub.run(f.stop); close(f.pubDone) }()
	return f
}

// finish stops publishing and waits for every checker to have everything.
func (f *fleet) finish() {
	close(f.stop)
	<-f.pubDone
	f.stopped.Store(true)
	f.wg.Wait()
	for _, k := range f.checkers {
		if len(k.problems) > 0 {
			f.t.Errorf("client %d (%s): %v", k.id, k.org, k.problems)
		}
	}
}

func (f *fleet) publishedAtLeast(n int64, within time.Duration) {
	f.t.Helper()
	testutil.Eventually(f.t, within, fmt.Sprintf("%d events published", n), func() bool { return f.pub.total() >= n })
}

func aofArgs(t *testing.T) []string {
	return []string{"--appendonly", "yes", "--appendfsync", "everysec", "--dir", t.TempDir()}
}

// Redis restarts with AOF: gateways reconnect by themselves, tails resume,
// clients keep their connections (or resume recovered:true), no loss.
func TestRedisRestartWithAOF(t *testing.T) {
	f := startFleet(t, aofArgs(t), 2, 4, 40, 100)
	f.publishedAtLeast(100, 10*time.Second)
	f.redis.Restart()
	at := f.pub.total()
	f.publishedAtLeast(at+150, 20*time.Second)
	f.finish()
	for _, k := range f.checkers {
		if k.resyncs > 0 {
			t.Errorf("client %d: recovered:false after a persistent restart", k.id)
		}
	}
	t.Logf("%d events; %d publishes refused while Redis restarted; 0 lost", f.pub.total(), f.pub.fails.Load())
}

// Redis restarts without persistence: the log is gone, the epoch changes,
// and every client is told recovered:false — never served the new log's
// events as if they followed its old position.
func TestRedisRestartWithoutPersistence(t *testing.T) {
	f := startFleet(t, nil, 2, 4, 40, 100)
	f.publishedAtLeast(100, 10*time.Second)
	before := make([]int64, len(f.pub.last))
	for i := range f.pub.last {
		before[i] = f.pub.last[i].Load()
	}
	f.redis.Restart()
	// The publisher's per-org "last" restarts at 1 with the new log.
	for i := range f.pub.last {
		f.pub.last[i].Store(0)
	}
	testutil.Eventually(t, 20*time.Second, "publishing on the new log", func() bool { return f.pub.total() >= 100 })
	f.finish()
	for _, k := range f.checkers {
		if k.resyncs == 0 {
			t.Errorf("client %d never told recovered:false after the log was lost", k.id)
		}
	}
	t.Logf("every client resynced after the restart; events before: %v", before)
}

// Redis unreachable for 10 s: connections stay up, /readyz says not ready,
// publishes fail fast with 503, and everything resumes afterwards with no
// loss of the events that were accepted.
func TestRedisOutage(t *testing.T) {
	f := startFleet(t, aofArgs(t), 2, 4, 40, 50)
	f.publishedAtLeast(50, 10*time.Second)
	connects := 0
	for _, k := range f.checkers {
		connects += int(k.connects.Load())
	}
	f.redis.Stop()
	down := time.Now()
	for _, n := range f.nodes.nodes {
		testutil.Eventually(t, 5*time.Second, "/readyz 503", func() bool {
			resp, err := http.Get(n.URL("/readyz"))
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 503
		})
	}
	start := time.Now()
	_, err := f.nodes.nodes[0].Publish("org00", "s", "t", `1`)
	slowest := time.Since(start)
	if err == nil || err.Error() != "publish: HTTP 503" {
		t.Fatalf("publish with Redis down: %v, want HTTP 503", err)
	}
	if slowest > 5*time.Second {
		t.Fatalf("publish with Redis down took %v", slowest)
	}
	for time.Since(down) < 10*time.Second {
		time.Sleep(100 * time.Millisecond) // the outage lasts 10 s by design
	}
	f.redis.Restart()
	at := f.pub.total()
	f.publishedAtLeast(at+100, 30*time.Second)
	f.finish()
	reconnects := -connects
	for _, k := range f.checkers {
		reconnects += int(k.connects.Load())
		if k.resyncs > 0 {
			t.Errorf("client %d: recovered:false after an outage of a persistent Redis", k.id)
		}
	}
	if reconnects > 0 {
		t.Errorf("%d clients reconnected; the outage must not cut connections", reconnects)
	}
	t.Logf("10 s outage: publish answered 503 in %v; %d publishes refused; 0 connections lost; 0 events lost", slowest, f.pub.fails.Load())
}
