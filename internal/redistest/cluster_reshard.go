package redistest

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// MoveSlot migrates slot, keys included, from its owner to the master at
// to, the way `redis-cli --cluster reshard` does one slot: IMPORTING on the
// target, MIGRATING on the source, MIGRATE the keys in batches, then
// SETSLOT NODE on every master. Traffic keeps flowing meanwhile; clients
// get ASK and TRYAGAIN replies for the slot until it is done.
func (c *Cluster) MoveSlot(slot int, to string) {
	c.t.Helper()
	from := c.SlotOwner(slot)
	if from == to {
		return
	}
	ctx := context.Background()
	src, dst := c.direct(from), c.direct(to)
	defer src.Close()
	defer dst.Close()
	srcID, dstID := c.NodeID(from), c.NodeID(to)
	c.must(dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err(), "IMPORTING")
	c.must(src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err(), "MIGRATING")
	host, port, _ := strings.Cut(to, ":")
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, slot, 100).Result()
		c.must(err, "GETKEYSINSLOT")
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		c.must(src.Do(ctx, args...).Err(), "MIGRATE")
	}
	// Target first, then source (as redis-cli does), then everyone else, so
	// no node sends clients back to a source that no longer has the keys.
	c.must(dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err(), "SETSLOT NODE on target")
	c.must(src.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err(), "SETSLOT NODE on source")
	for _, m := range c.Masters() {
		if m != from && m != to {
			rdb := c.direct(m)
			_ = rdb.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err()
			rdb.Close()
		}
	}
}

// AddMaster starts an empty master and joins it with the real
// `redis-cli --cluster add-node`; it owns no slot until MoveSlot gives it
// some. It waits until every node knows it.
func (c *Cluster) AddMaster() *Server {
	c.t.Helper()
	n := c.startNode()
	c.Nodes = append(c.Nodes, n)
	c.cli("--cluster", "add-node", n.Addr, c.Masters()[0])
	id := c.nodeText(n.Addr, "CLUSTER", "MYID")
	deadline := time.Now().Add(20 * time.Second)
	for _, addr := range c.Addrs() {
		rdb := c.direct(addr)
		for {
			out, err := rdb.ClusterNodes(context.Background()).Result()
			if err == nil && knowsConnected(out, id) {
				break
			}
			if time.Now().After(deadline) {
				rdb.Close()
				c.t.Fatalf("node %s does not know the new master %s after 20s:\n%s", addr, n.Addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	// The newcomer answers CLUSTERDOWN until it has learnt the slot map.
	c.WaitHealthy(len(c.Masters()))
	return n
}

// knowsConnected reports whether a CLUSTER NODES output lists id as a
// connected node past the handshake.
func knowsConnected(nodes, id string) bool {
	for _, line := range strings.Split(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && f[0] == id {
			return !strings.Contains(f[2], "handshake") && !strings.Contains(f[2], "noaddr") && f[7] == "connected"
		}
	}
	return false
}

// direct is a plain client to one node, not following redirects.
func (c *Cluster) direct(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr})
}

func (c *Cluster) must(err error, what string) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("cluster %s: %v", what, err)
	}
}

// nodeText runs one command on the node at addr over a direct client and
// returns its reply as text, failing the test on an error.
func (c *Cluster) nodeText(addr string, cmd ...string) string {
	c.t.Helper()
	rdb := c.direct(addr)
	defer rdb.Close()
	args := make([]any, len(cmd))
	for i, a := range cmd {
		args[i] = a
	}
	out, err := rdb.Do(context.Background(), args...).Text()
	c.must(err, strings.Join(cmd, " "))
	return out
}

// Info returns one INFO field of the node at addr, as a string.
func (c *Cluster) Info(addr, section, field string) string {
	c.t.Helper()
	for _, line := range strings.Split(c.nodeText(addr, "INFO", section), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// BusPublishes sums cluster_stats_messages_publish_sent and
// cluster_stats_messages_publishshard_sent over the live nodes: how many
// classic and sharded pub/sub messages crossed the cluster bus.
func (c *Cluster) BusPublishes() (classic, sharded int64) {
	c.t.Helper()
	for _, addr := range c.Addrs() {
		for _, line := range strings.Split(c.nodeText(addr, "CLUSTER", "INFO"), "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "cluster_stats_messages_publish_sent":
				classic += n
			case "cluster_stats_messages_publishshard_sent":
				sharded += n
			}
		}
	}
	return classic, sharded
}

// WaitReplicasInSync waits until every replica of the master at addr has
// acknowledged the master's whole replication stream (INFO replication:
// each slaveN offset equals master_repl_offset). Writes must be paused.
func (c *Cluster) WaitReplicasInSync(addr string) {
	c.t.Helper()
	rdb := c.direct(addr)
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := rdb.Info(context.Background(), "replication").Result()
		c.must(err, "INFO replication")
		if replicasCaughtUp(info) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("replicas of %s not in sync after 10s:\n%s", addr, info)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func replicasCaughtUp(info string) bool {
	var master string
	var offsets []string
	for _, line := range strings.Split(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		switch {
		case k == "master_repl_offset":
			master = v
		case strings.HasPrefix(k, "slave") && k != "slave_read_only":
			for _, f := range strings.Split(v, ",") {
				if o, ok := strings.CutPrefix(f, "offset="); ok {
					offsets = append(offsets, o)
				}
			}
		}
	}
	if master == "" || len(offsets) == 0 {
		return false
	}
	for _, o := range offsets {
		if o != master {
			return false
		}
	}
	return true
}

// ShardedSubscribers counts, per client name and per master, the
// connections that hold sharded subscriptions (CLIENT LIST's ssub field).
// Unnamed connections count under "".
func (c *Cluster) ShardedSubscribers() map[string]map[string]int {
	c.t.Helper()
	out := map[string]map[string]int{}
	for _, addr := range c.Masters() {
		for _, line := range strings.Split(c.nodeText(addr, "CLIENT", "LIST"), "\n") {
			var name string
			ssub := false
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "name="); ok {
					name = v
				}
				if v, ok := strings.CutPrefix(f, "ssub="); ok && v != "0" {
					ssub = true
				}
			}
			if ssub {
				if out[name] == nil {
					out[name] = map[string]int{}
				}
				out[name][addr]++
			}
		}
	}
	return out
}
