package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real Redis Cluster started for one test: masters, optionally
// with replicas, that a test can kill, reshard and grow.
type Cluster struct {
	// Nodes holds every server ever started for the cluster, masters and
	// replicas, in start order.
	Nodes []*Server

	t       testing.TB
	timeout time.Duration
	mu      sync.Mutex
	killed  map[string]bool
}

// ClusterOptions configures StartClusterWith.
type ClusterOptions struct {
	Masters  int           // default 3
	Replicas int           // replicas per master; default 0
	Timeout  time.Duration // cluster-node-timeout; default 2s (failover after about 2-3 s)
}

// Addrs lists the host:port of every node started and not killed.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.Nodes {
		if !c.killed[n.Addr] {
			out = append(out, n.Addr)
		}
	}
	return out
}

// StartCluster starts n masters without replicas (see StartClusterWith).
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartClusterWith(t, ClusterOptions{Masters: n})
}

// StartClusterWith starts the redis-server processes with cluster mode on,
// joins them with the real `redis-cli --cluster create` and waits until
// every node reports cluster_state:ok. They stop in t.Cleanup.
func StartClusterWith(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	if o.Masters == 0 {
		o.Masters = 3
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	c := &Cluster{t: t, timeout: o.Timeout, killed: map[string]bool{}}
	for range o.Masters * (1 + o.Replicas) {
		c.Nodes = append(c.Nodes, c.startNode())
	}
	if o.Masters == 1 && o.Replicas == 0 {
		// redis-cli --cluster create wants three masters; one master
		// simply takes every slot.
		c.cli("-p", strings.TrimPrefix(c.Nodes[0].Addr, "127.0.0.1:"), "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	} else {
		args := append([]string{"--cluster", "create"}, c.Addrs()...)
		args = append(args, "--cluster-replicas", strconv.Itoa(o.Replicas), "--cluster-yes")
		c.cli(args...)
	}
	c.WaitHealthy(o.Masters)
	return c
}

func (c *Cluster) startNode() *Server {
	c.t.Helper()
	dir := c.t.TempDir()
	return Start(c.t, "--cluster-enabled", "yes",
		"--cluster-config-file", dir+"/nodes.conf", "--dir", dir,
		"--cluster-node-timeout", strconv.Itoa(int(c.timeout.Milliseconds())))
}

// cli runs redis-cli and fails the test on a non-zero exit.
func (c *Cluster) cli(args ...string) string {
	c.t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		c.t.Fatalf("redis-cli not found: install it with `apt-get install -y redis-server`")
	}
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Client returns a cluster client, closed in t.Cleanup.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// node is one line of CLUSTER NODES.
type node struct {
	id, addr, master string // master: "-" for a master, else its id
	isMaster, failed bool
	slots            []string
}

// nodes reads CLUSTER NODES from the first live node that answers.
func (c *Cluster) nodes() ([]node, error) {
	var lastErr error
	for _, addr := range c.Addrs() {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: time.Second})
		out, err := rdb.ClusterNodes(context.Background()).Result()
		rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		var ns []node
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			n := node{id: f[0], addr: strings.SplitN(f[1], "@", 2)[0], master: f[3],
				isMaster: strings.Contains(f[2], "master"), failed: strings.Contains(f[2], "fail"), slots: f[8:]}
			ns = append(ns, n)
		}
		return ns, nil
	}
	return nil, fmt.Errorf("no cluster node answers: %v", lastErr)
}

// Masters lists the host:port of the healthy masters that own slots.
func (c *Cluster) Masters() []string {
	c.t.Helper()
	ns, err := c.nodes()
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		if n.isMaster && !n.failed && len(n.slots) > 0 {
			out = append(out, n.addr)
		}
	}
	return out
}

// NodeID returns the cluster node id of addr.
func (c *Cluster) NodeID(addr string) string {
	c.t.Helper()
	ns, err := c.nodes()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, n := range ns {
		if n.addr == addr {
			return n.id
		}
	}
	c.t.Fatalf("no cluster node at %s", addr)
	return ""
}

// SlotOwner returns the host:port of the master that serves slot, as the
// first live node sees it.
func (c *Cluster) SlotOwner(slot int) string {
	c.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: c.Addrs()[0]})
	defer rdb.Close()
	ranges, err := rdb.ClusterSlots(context.Background()).Result()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, r := range ranges {
		if int(r.Start) <= slot && slot <= int(r.End) {
			return r.Nodes[0].Addr
		}
	}
	c.t.Fatalf("slot %d has no owner", slot)
	return ""
}

// Kill SIGKILLs the node at addr (no shutdown, no goodbye to the bus), as
// a crashed host would.
func (c *Cluster) Kill(addr string) {
	c.t.Helper()
	for _, n := range c.Nodes {
		if n.Addr == addr {
			c.mu.Lock()
			c.killed[addr] = true
			c.mu.Unlock()
			n.Kill()
			return
		}
	}
	c.t.Fatalf("no cluster node at %s", addr)
}

// WaitFailover waits until the cluster has noticed that the master at
// dead failed and a replica took over its slots: no live node lists dead
// as a master owning slots, and every live node is ok again.
func (c *Cluster) WaitFailover(dead string, masters int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, why := c.healthy(masters)
		if ok {
			for _, m := range c.Masters() {
				if m == dead {
					ok, why = false, dead+" still owns slots"
				}
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no failover of %s after 30s: %s", dead, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitHealthy waits until every live node reports cluster_state:ok and
// sees exactly masters masters owning slots.
func (c *Cluster) WaitHealthy(masters int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, why := c.healthy(masters)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("cluster not healthy after 30s: %s", why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) healthy(masters int) (bool, string) {
	for _, addr := range c.Addrs() {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: time.Second})
		info, err := rdb.ClusterInfo(context.Background()).Result()
		rdb.Close()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return false, fmt.Sprintf("%s: %v %s", addr, err, info)
		}
	}
	ns, err := c.nodes()
	if err != nil {
		return false, err.Error()
	}
	n := 0
	for _, x := range ns {
		if x.isMaster && !x.failed && len(x.slots) > 0 {
			n++
		}
	}
	return n == masters, fmt.Sprintf("%d masters own slots, want %d", n, masters)
}
