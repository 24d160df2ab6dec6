package multinode

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

// clusterWorld is one real Redis Cluster (3 masters, one replica each) with
// two gateway nodes on it, shared by the Cluster tests below so the suite
// starts six redis-servers and two gateways once.
type clusterWorld struct {
	cl    *redistest.Cluster
	rdb   *redis.ClusterClient
	nodes *cluster
}

func startClusterWorld(t *testing.T) *clusterWorld {
	cl := redistest.StartClusterWith(t, redistest.ClusterOptions{Masters: 3, Replicas: 1, Timeout: time.Second})
	env := map[string]string{"REDIS_CLUSTER_ADDRS": strings.Join(cl.Addrs(), ",")}
	w := &clusterWorld{cl: cl, rdb: cl.Client(t), nodes: &cluster{}}
	for range 2 {
		w.nodes.nodes = append(w.nodes.nodes, gatewaytest.Start(t, gatewaytest.Options{Env: env}))
	}
	return w
}

// orgsPerMaster returns n org names (with prefix) whose slots belong to
// each current master, and the master of each.
func (w *clusterWorld) orgsPerMaster(t *testing.T, prefix string, n int) (orgs []string, owner map[string]string) {
	t.Helper()
	owner = map[string]string{}
	count := map[string]int{}
	masters := w.cl.Masters()
	for i := 0; len(orgs) < n*len(masters); i++ {
		if i > 10000 {
			t.Fatal("could not spread orgs over the masters")
		}
		org := fmt.Sprintf("%s%d", prefix, i)
		m := w.cl.SlotOwner(w.slot(t, org))
		if count[m] < n {
			count[m]++
			orgs = append(orgs, org)
			owner[org] = m
		}
	}
	return orgs, owner
}

func (w *clusterWorld) slot(t *testing.T, org string) int {
	t.Helper()
	s, err := w.rdb.ClusterKeySlot(context.Background(), "realtime:{"+org+"}:log").Result()
	if err != nil {
		t.Fatal(err)
	}
	return int(s)
}

// The whole path — publish, fan-out, replay — on a real Cluster, orgs on
// every shard, two gateway nodes; then sharded pub/sub through a master's
// death, a slot migration and a new master, with publishing throughout.
func TestRedisCluster(t *testing.T) {
	w := startClusterWorld(t)
	t.Run("PublishFanoutReplay", func(t *testing.T) { testClusterFanoutReplay(t, w) })
	t.Run("ShardedTopologyChanges", func(t *testing.T) { testShardedTopologyChanges(t, w) })
}

func testClusterFanoutReplay(t *testing.T, w *clusterWorld) {
	a, b := w.nodes.nodes[0], w.nodes.nodes[1]
	orgs, _ := w.orgsPerMaster(t, "shard-org-", 3)
	type sub struct {
		c     *wstest.Client
		epoch string
	}
	subs := make([]sub, len(orgs))
	for i, org := range orgs {
		c := wstest.Dial(t, a.StreamURL(gatewaytest.Token(t, org, "u")), wstest.Options{})
		c.Send(map[string]any{"services": []string{"s"}})
		subs[i] = sub{c: c, epoch: c.Expect("ack").Epoch}
	}
	for round := 0; round < 3; round++ {
		for _, org := range orgs {
			if _, err := b.Publish(org, "s", "t", fmt.Sprint(round)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, s := range subs {
		got := s.c.Events(3)
		for j, e := range got {
			if e.Seq != int64(j+1) {
				t.Fatalf("org %d: event %d has seq %d", i, j, e.Seq)
			}
		}
		s.c.NC.Close()
	}
	// Resume on the other node: exactly events 2 and 3.
	for i, org := range orgs {
		c := wstest.Dial(t, b.StreamURL(gatewaytest.Token(t, org, "u")), wstest.Options{})
		c.Send(map[string]any{"services": []string{"s"}, "lastSeq": 1, "epoch": subs[i].epoch})
		if ack := c.Expect("ack"); ack.Recovered == nil || !*ack.Recovered {
			t.Fatalf("org %d resume: %s", i, ack.Raw)
		}
		if got := c.Events(2); got[0].Seq != 2 || got[1].Seq != 3 {
			t.Fatalf("org %d replay: %+v", i, got)
		}
		c.NC.Close()
	}
}

// stallMeter measures how long the clients of some orgs went without a
// new event after a disruption: from the disruption until every checker of
// those orgs holds an event published after it.
type stallMeter struct {
	pub      *publisher
	checkers []*checker
	orgIdx   map[string]int
}

func (s *stallMeter) measure(t *testing.T, orgs []string, start time.Time, what string) time.Duration {
	t.Helper()
	// The first seq each org accepts after start marks "published after".
	marks := map[string]int64{}
	testutil.Eventually(t, 60*time.Second, what+": publishing resumed on every affected org", func() bool {
		for _, org := range orgs {
			if _, ok := marks[org]; ok {
				continue
			}
			if seq := s.pub.after(s.orgIdx[org], start); seq > 0 {
				marks[org] = seq
			}
		}
		return len(marks) == len(orgs)
	})
	testutil.Eventually(t, 60*time.Second, what+": clients received events published after it", func() bool {
		for _, k := range s.checkers {
			if m, ok := marks[k.org]; ok && k.last.Load() < m {
				return false
			}
		}
		return true
	})
	d := time.Since(start)
	t.Logf("%s: clients of %v went %v without a new event", what, orgs, d.Round(time.Millisecond))
	return d
}

// checkOneConnPerMaster: each gateway node holds at most one sharded
// pub/sub connection per master (CLIENT LIST, by connection name).
func (w *clusterWorld) checkOneConnPerMaster(t *testing.T, when string) {
	t.Helper()
	for name, per := range w.cl.ShardedSubscribers() {
		if !strings.HasPrefix(name, "realtime-gateway:") {
			continue
		}
		for m, c := range per {
			if c > 1 {
				t.Errorf("%s: %s holds %d pub/sub connections to master %s; want at most 1", when, name, c, m)
			}
		}
		t.Logf("%s: %s: sharded pub/sub connections per master %v", when, name, per)
	}
}

func testShardedTopologyChanges(t *testing.T, w *clusterWorld) {
	orgs, owner := w.orgsPerMaster(t, "topo-", 2)
	pub := newPublisher(orgs, w.nodes, 150)
	var stopped sync.WaitGroup
	finished := make(chan struct{})
	var doneFlag atomic.Bool
	var checkers []*checker
	idx := map[string]int{}
	deadline := time.Now().Add(3 * time.Minute)
	for i, org := range orgs {
		idx[org] = i
		for j := range 2 { // one client starting on each gateway node
			k := &checker{id: 2*i + j, org: org, tok: gatewaytest.Token(t, org, fmt.Sprint("u", j)), nodes: w.nodes}
			checkers = append(checkers, k)
			stopped.Go(func() {
				k.run(t, func(last int64) bool { return doneFlag.Load() && last >= pub.last[i].Load() }, deadline)
			})
		}
	}
	waitConnected(t, 30*time.Second, checkers)
	stop := make(chan struct{})
	go func() { pub.run(stop); close(finished) }()
	meter := &stallMeter{pub: pub, checkers: checkers, orgIdx: idx}

	// Steady state: nothing on the bus but replication to replicas, and
	// each gateway node has at most one pub/sub connection per master.
	testutil.Eventually(t, 30*time.Second, "100 events published", func() bool { return pub.total() >= 100 })
	classic0, sharded0 := w.cl.BusPublishes()
	n0 := pub.count.Load()
	testutil.Eventually(t, 30*time.Second, "300 more events", func() bool { return pub.count.Load() >= n0+300 })
	classic1, sharded1 := w.cl.BusPublishes()
	n := pub.count.Load() - n0
	t.Logf("steady: about %d events; cluster bus: %d publish, %d publishshard messages (one per replica per event)", n, classic1-classic0, sharded1-sharded0)
	if classic1 != classic0 {
		t.Errorf("classic publish messages on the cluster bus grew by %d for about %d events; want 0", classic1-classic0, n)
	}
	w.checkOneConnPerMaster(t, "steady")

	// A master dies: its replica takes over.
	victim := owner[orgs[0]]
	var hit []string
	for _, org := range orgs {
		if owner[org] == victim {
			hit = append(hit, org)
		}
	}
	// Redis replicates asynchronously: a write the master acknowledged in
	// the last moment before a SIGKILL can be missing on the replica, and
	// clients that saw it are then told recovered:false (the honest answer,
	// tested in RELIABILITY's lost-write cases). To test the gateway's side
	// exactly, publishing to the victim's orgs pauses for the moment it
	// takes the replica to confirm every write; the other shards' orgs keep
	// being published throughout.
	var hitIdx []int
	for _, org := range hit {
		hitIdx = append(hitIdx, idx[org])
	}
	pub.hold(hitIdx)
	w.cl.WaitReplicasInSync(victim)
	start := time.Now()
	w.cl.Kill(victim)
	pub.release(hitIdx)
	w.cl.WaitFailover(victim, 3)
	t.Logf("master %s killed; cluster healthy again after %v", victim, time.Since(start).Round(time.Millisecond))
	meter.measure(t, hit, start, "failover")

	// A live org's slot migrates to another master.
	moved := orgs[len(orgs)-1]
	slot := w.slot(t, moved)
	var to string
	for _, m := range w.cl.Masters() {
		if m != w.cl.SlotOwner(slot) {
			to = m
			break
		}
	}
	start = time.Now()
	w.cl.MoveSlot(slot, to)
	t.Logf("slot %d of %s moved to %s in %v", slot, moved, to, time.Since(start).Round(time.Millisecond))
	meter.measure(t, []string{moved}, start, "slot migration")

	// A new master joins and takes a live org's slot.
	nm := w.cl.AddMaster()
	target := orgs[len(orgs)/2]
	start = time.Now()
	w.cl.MoveSlot(w.slot(t, target), nm.Addr)
	w.cl.WaitHealthy(4)
	meter.measure(t, []string{target}, start, "new master")

	w.checkOneConnPerMaster(t, "after the changes")
	close(stop)
	<-finished
	doneFlag.Store(true)
	stopped.Wait()
	for _, k := range checkers {
		if len(k.problems) > 0 {
			t.Errorf("client %d (%s): %v", k.id, k.org, k.problems)
		}
		if k.resyncs > 0 {
			t.Errorf("client %d (%s): %d recovered:false", k.id, k.org, k.resyncs)
		}
	}
	t.Logf("%d events published (%d publishes refused during the changes); every client has every event of its org once, in order",
		pub.total(), pub.fails.Load())
}
