package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// One real 3-master Redis Cluster for every Cluster property of the store,
// so the suite starts it once: an org's keys share one slot (the scripts and
// MULTI are legal there), orgs spread over every shard, and the feed hears
// every org in both pub/sub modes — classic through the cluster bus, sharded
// with nothing on the bus and one connection per master.
func TestOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := cl.Client(t)
	orgs := make([]string, 12)
	shards := map[string]bool{}
	for i := range orgs {
		orgs[i] = fmt.Sprintf("corg%d", i)
		shards[cl.SlotOwner(slotOfOrg(t, rdb, orgs[i]))] = true
	}
	if len(shards) < 3 {
		t.Fatalf("orgs landed on %d shards; want all 3", len(shards))
	}
	for _, mode := range []store.PubSubMode{store.PubSubClassic, store.PubSubSharded} {
		t.Run(string(mode), func(t *testing.T) {
			lg, err := store.New(store.Config{Client: rdb, PubSub: mode, Prefix: "rt" + string(mode)})
			if err != nil {
				t.Fatal(err)
			}
			if err := lg.CheckServers(context.Background()); err != nil {
				t.Fatalf("CheckServers on Redis 7 masters: %v", err)
			}
			f, rec := startFeed(t, lg, nil, orgs...)
			classic0, sharded0 := cl.BusPublishes()
			for _, org := range orgs {
				head := mustHead(t, lg, org)
				if head.Seq != 0 {
					t.Fatalf("head %s: %+v", org, head)
				}
				mustPublish(t, lg, org, inputs(3)...)
				page, err := lg.ReadAfter(context.Background(), org, 1, 10)
				if err != nil || page.Epoch != head.Epoch || len(page.Events) != 2 || page.Events[0].Seq != 2 {
					t.Fatalf("read %s: %+v %v", org, page, err)
				}
			}
			for _, org := range orgs {
				testutil.Eventually(t, 10*time.Second, "3 events of "+org, func() bool { return rec.nEvents(org) == 3 })
			}
			classic1, sharded1 := cl.BusPublishes()
			n := int64(3 * len(orgs))
			t.Logf("%s: %d events crossed the cluster bus as %d publish and %d publishshard messages",
				mode, n, classic1-classic0, sharded1-sharded0)
			links := pubsubClients(t, cl)
			if mode == store.PubSubSharded {
				if classic1 != classic0 || sharded1 != sharded0 {
					t.Fatalf("sharded: bus carried %d publish, %d publishshard messages for %d events; want 0 (no replicas)",
						classic1-classic0, sharded1-sharded0, n)
				}
				for addr, c := range links {
					if c != 1 {
						t.Fatalf("master %s has %d sharded pub/sub connections; want 1 (%v)", addr, c, links)
					}
				}
				if len(links) != 3 {
					t.Fatalf("sharded pub/sub connections on %d masters, want 3: %v", len(links), links)
				}
				testSlotMove(t, cl, rdb, lg, rec, orgs[0])
			} else if got := classic1 - classic0; got != 2*n {
				t.Fatalf("classic: %d publish messages on the bus for %d events, want %d (one per other master)", got, n, 2*n)
			}
			_ = f.Close()
		})
	}
}

// testSlotMove migrates org's slot while the feed is subscribed: Redis
// drops the subscription, the feed re-subscribes on the new owner and says
// so (OnSubscribed), and later events arrive.
func testSlotMove(t *testing.T, cl *redistest.Cluster, rdb *redis.ClusterClient, lg *store.Log, rec *recorder, org string) {
	t.Helper()
	slot := slotOfOrg(t, rdb, org)
	from := cl.SlotOwner(slot)
	var to string
	for _, m := range cl.Masters() {
		if m != from {
			to = m
			break
		}
	}
	subs := rec.nSubs(org)
	before := rec.nEvents(org)
	cl.MoveSlot(slot, to)
	testutil.Eventually(t, 10*time.Second, "OnSubscribed after the slot moved", func() bool { return rec.nSubs(org) > subs })
	t.Logf("slot %d moved %s -> %s; feed errors meanwhile: %v", slot, from, to, rec.errors())
	mustPublish(t, lg, org, input(99))
	testutil.Eventually(t, 10*time.Second, "event after the slot moved", func() bool { return rec.nEvents(org) == before+1 })
	// The old owner's link closes once it holds no org; the new owner still
	// has one connection.
	testutil.Eventually(t, 10*time.Second, "one sharded connection per master after the move", func() bool {
		for _, c := range pubsubClients(t, cl) {
			if c != 1 {
				return false
			}
		}
		return true
	})
}

// pubsubClients counts, per master, the connections with sharded
// subscriptions (CLIENT LIST's ssub field).
func pubsubClients(t *testing.T, cl *redistest.Cluster) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, addr := range cl.Masters() {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		list, err := rdb.ClientList(context.Background()).Result()
		rdb.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(list, "\n") {
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "ssub="); ok && v != "0" {
					out[addr]++
				}
			}
		}
	}
	return out
}

func slotOfOrg(t *testing.T, rdb *redis.ClusterClient, org string) int {
	t.Helper()
	slot, err := rdb.ClusterKeySlot(context.Background(), "realtime:{"+org+"}:log").Result()
	if err != nil {
		t.Fatal(err)
	}
	return int(slot)
}
