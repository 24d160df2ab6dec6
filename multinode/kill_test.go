package multinode

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
)

// publisher publishes round-robin over orgs at a steady rate through the
// live nodes' HTTP API (or via), and records each org's last accepted seq.
type publisher struct {
	orgs  []string
	nodes *cluster
	every time.Duration
	// via, when set, publishes the i-th event to org instead of the HTTP
	// API (the soak writes straight into the log); nodes is then unused.
	via   func(org string, i int) (seq int64, err error)
	last  []atomic.Int64
	fails atomic.Int64
	count atomic.Int64 // accepted publishes

	mu       sync.Mutex
	accepted []accepted // every accepted publish, in order

	inflight sync.Mutex    // held across each publish
	held     []atomic.Bool // per org: skip it for now
}

// accepted is one publish the gateway answered with a seq.
type accepted struct {
	org int
	seq int64
	at  time.Time
}

func newPublisher(orgs []string, nodes *cluster, rate int) *publisher {
	return &publisher{orgs: orgs, nodes: nodes, every: time.Second / time.Duration(rate),
		last: make([]atomic.Int64, len(orgs)), held: make([]atomic.Bool, len(orgs))}
}

func (p *publisher) run(stop <-chan struct{}) {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		o := i % len(p.orgs)
		if p.held[o].Load() {
			continue
		}
		p.inflight.Lock()
		seq, err := p.publish(o, i)
		p.inflight.Unlock()
		if err != nil {
			p.fails.Add(1)
			continue
		}
		p.last[o].Store(seq)
		p.count.Add(1)
		p.mu.Lock()
		p.accepted = append(p.accepted, accepted{org: o, seq: seq, at: time.Now()})
		p.mu.Unlock()
	}
}

// publish sends the i-th event to org o through via, or else over HTTP to
// one of the live nodes in turn.
func (p *publisher) publish(o, i int) (int64, error) {
	if p.via != nil {
		return p.via(p.orgs[o], i)
	}
	live := p.nodes.live()
	return live[i%len(live)].Publish(p.orgs[o], "s", "t", fmt.Sprintf(`{"i":%d}`, i))
}

// hold stops publishing to orgs (indexes) and returns once no publish to
// them is in flight; release resumes.
func (p *publisher) hold(orgs []int) {
	for _, o := range orgs {
		p.held[o].Store(true)
	}
	p.inflight.Lock()
	defer p.inflight.Unlock()
}

func (p *publisher) release(orgs []int) {
	for _, o := range orgs {
		p.held[o].Store(false)
	}
}

// after returns the seq of org o's first publish accepted at or after t, or
// 0 if there is none yet.
func (p *publisher) after(o int, t time.Time) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accepted {
		if a.org == o && !a.at.Before(t) {
			return a.seq
		}
	}
	return 0
}

func (p *publisher) total() int64 {
	var n int64
	for i := range p.last {
		n += p.last[i].Load()
	}
	return n
}

// SIGKILL one of three nodes while 300 clients over 20 orgs receive a
// steady stream: its clients reconnect to the others with lastSeq and,
// in the end, every client has every event of its org exactly once, in
// order.
func TestNodeKillLosesNothing(t *testing.T) {
	redis := redistest.Start(t)
	nodes := &cluster{}
	for i := 0; i < 3; i++ {
		nodes.nodes = append(nodes.nodes, gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr}))
	}
	const orgCount, clients = 20, 300
	orgs := make([]string, orgCount)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("org%02d", i)
	}
	pub := newPublisher(orgs, nodes, 200)
	checkers := newCheckers(t, nodes, orgs, clients)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var stopped atomic.Bool
	deadline := time.Now().Add(60 * time.Second)
	runAll(t, &wg, checkers, pub, &stopped, deadline)
	waitConnected(t, 20*time.Second, checkers)
	pubDone := make(chan struct{})
	go func() { pub.run(stop); close(pubDone) }()
	testutil.Eventually(t, 10*time.Second, "events flowing", func() bool { return pub.total() >= 200 })
	killed := nodes.nodes[1]
	nodes.kill(killed)
	killedAt := pub.total()
	testutil.Eventually(t, 20*time.Second, "events after the kill", func() bool { return pub.total() >= killedAt+400 })
	close(stop)
	<-pubDone
	stopped.Store(true)
	wg.Wait()

	moved := 0
	for _, k := range checkers {
		if len(k.problems) > 0 {
			t.Errorf("client %d (%s): %v", k.id, k.org, k.problems)
		}
		if k.resyncs > 0 {
			t.Errorf("client %d: %d recovered:false acks; a node kill must not cost replay", k.id, k.resyncs)
		}
		if k.connects.Load() > 1 {
			moved++
		}
	}
	t.Logf("%d clients on 3 nodes, %d events over %d orgs (%d publish failures); node killed at event %d; %d clients moved; 0 lost, 0 duplicated",
		clients, pub.total(), orgCount, pub.fails.Load(), killedAt, moved)
	if moved < clients/4 {
		t.Fatalf("only %d clients reconnected; the kill did not hit a third of them", moved)
	}
}
