package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
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
// with nothing on the bus and one connection per master — and idempotency
// keys work in each org's slot.
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
				// The idempotency keys live in the org's slot too: a repeat
				// is found there, on whichever shard owns the org, and is
				// not announced again.
				for i := range 2 {
					p, err := lg.Append(context.Background(), org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`2`), IdempotencyKey: "once"})
					if err != nil || p.Seqs[0] != 4 || (i == 1) != (p.Duplicates != nil) {
						t.Fatalf("keyed publish %d to %s: %+v %v", i, org, p, err)
					}
				}
				page, err := lg.ReadAfter(context.Background(), org, 1, 10)
				if err != nil || page.Epoch != head.Epoch || len(page.Events) != 3 || page.Events[0].Seq != 2 {
					t.Fatalf("read %s: %+v %v", org, page, err)
				}
			}
			for _, org := range orgs {
				testutil.Eventually(t, 10*time.Second, "4 events of "+org, func() bool { return rec.nEvents(org) == 4 })
			}
			classic1, sharded1 := cl.BusPublishes()
			n := int64(4 * len(orgs))
			t.Logf("%s: %d events crossed the cluster bus as %d publish and %d publishshard messages",
				mode, n, classic1-classic0, sharded1-sharded0)
			links := pubsubClients(cl)
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
				testResubscribeChurn(t, cl, rdb, lg, f, rec, orgs[1], orgs)
				testSlotMove(t, cl, rdb, lg, rec, orgs[0])
			} else if got := classic1 - classic0; got != 2*n {
				t.Fatalf("classic: %d publish messages on the bus for %d events, want %d (one per other master)", got, n, 2*n)
			}
			_ = f.Close()
			testRevokeOnCluster(t, lg, orgs)
		})
	}
}

// testRevokeOnCluster: revoke.lua writes the record and announces it in
// the org's slot on whichever shard owns it, the handshake's MGET of the
// two keys is one command there, and a feed hears the announcement.
func testRevokeOnCluster(t *testing.T, lg *store.Log, orgs []string) {
	t.Helper()
	var mu sync.Mutex
	heard := map[string]int64{}
	startFeed(t, lg, func(c *store.FeedConfig) {
		c.OnEphemeral = func(org string, e store.Ephemeral) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == store.KindRevoke && e.User == "u1" {
				heard[org] = e.At
			}
		}
	}, orgs...)
	at := time.Unix(1_800_000_000, 0)
	for _, org := range orgs {
		if _, err := lg.Revoke(context.Background(), org, "u1", at); err != nil {
			t.Fatalf("revoke in %s: %v", org, err)
		}
		if r, err := lg.Revoked(context.Background(), org, "u1"); err != nil || r.User != at.Unix() {
			t.Fatalf("revoked in %s: %+v %v", org, r, err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "every org's revocation heard", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(heard) == len(orgs)
	})
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
		for _, c := range pubsubClients(cl) {
			if c != 1 {
				return false
			}
		}
		return true
	})
}

// testResubscribeChurn: a tail that goes idle and comes back unsubscribes
// and subscribes its org again on the same link. The answer to our own
// SUNSUBSCRIBE must not be mistaken for Redis dropping the channel (a slot
// move), which would cost a slot map reload (CLUSTER SLOTS) and a second
// SSUBSCRIBE each time, and could leave the channel subscribed on Redis
// but unknown to the feed. Another org on the same master keeps the link
// busy so that replies arrive late.
func testResubscribeChurn(t *testing.T, cl *redistest.Cluster, rdb *redis.ClusterClient, lg *store.Log, f *store.Feed, rec *recorder, org string, orgs []string) {
	t.Helper()
	busy := ""
	for _, o := range orgs {
		if o != org && cl.SlotOwner(slotOfOrg(t, rdb, o)) == cl.SlotOwner(slotOfOrg(t, rdb, org)) {
			busy = o
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _, _ = lg.Publish(context.Background(), busy, input(0))
		}
	}()
	reloads0 := clusterSlotsCalls(t, cl)
	const rounds = 30
	for i := range rounds {
		subs := rec.nSubs(org)
		if err := f.Unsubscribe(org); err != nil {
			t.Fatal(err)
		}
		if err := f.Subscribe(org); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, fmt.Sprintf("OnSubscribed, round %d", i), func() bool { return rec.nSubs(org) > subs })
	}
	close(stop)
	<-done
	before := rec.nEvents(org)
	mustPublish(t, lg, org, input(1))
	testutil.Eventually(t, 10*time.Second, "event after the churn", func() bool { return rec.nEvents(org) == before+1 })
	if n := clusterSlotsCalls(t, cl) - reloads0; n > 2 {
		t.Fatalf("%d rounds of unsubscribe/subscribe made the feed re-read the slot map %d times; want none (a periodic refresh at most)", rounds, n)
	}
}

// clusterSlotsCalls sums CLUSTER SLOTS calls over the masters.
func clusterSlotsCalls(t *testing.T, cl *redistest.Cluster) int {
	t.Helper()
	n := 0
	for _, m := range cl.Masters() {
		v := cl.Info(m, "commandstats", "cmdstat_cluster|slots")
		if _, rest, ok := strings.Cut(v, "calls="); ok {
			c, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
			n += c
		}
	}
	return n
}

// pubsubClients counts, per master, the connections with sharded
// subscriptions (the feed's connections are unnamed).
func pubsubClients(cl *redistest.Cluster) map[string]int {
	return cl.ShardedSubscribers()[""]
}

func slotOfOrg(t *testing.T, rdb *redis.ClusterClient, org string) int {
	t.Helper()
	slot, err := rdb.ClusterKeySlot(context.Background(), "realtime:{"+org+"}:log").Result()
	if err != nil {
		t.Fatal(err)
	}
	return int(slot)
}
