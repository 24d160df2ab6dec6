package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/store"
)

// On a real 3-master Redis Cluster: an org's keys share one slot (so the
// scripts and MULTI are legal), orgs spread over every shard, and one feed
// connection hears every org (plain PUBLISH reaches the whole cluster), and
// idempotency keys work in each org's slot.
func TestOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := cl.Client(t)
	log, err := store.New(store.Config{Client: rdb})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	orgs := make([]string, 12)
	shards := map[string]bool{}
	for i := range orgs {
		orgs[i] = fmt.Sprintf("corg%d", i)
		slot := redisKeySlot(t, rdb, "realtime:{"+orgs[i]+"}:log")
		shards[slotOwner(t, rdb, slot)] = true
	}
	if len(shards) < 3 {
		t.Fatalf("orgs landed on %d shards; want all 3", len(shards))
	}
	var mu sync.Mutex
	got := map[string][]int64{}
	subscribed := map[string]bool{}
	feed := log.NewFeed(store.FeedConfig{
		OnEvent: func(org, epoch string, ev store.Event) {
			mu.Lock()
			got[org] = append(got[org], ev.Seq)
			mu.Unlock()
		},
		OnSubscribed: func(org string) {
			mu.Lock()
			subscribed[org] = true
			mu.Unlock()
		},
	})
	defer feed.Close()
	for _, org := range orgs {
		if err := feed.Subscribe(org); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(subscribed) == len(orgs)
	})
	for _, org := range orgs {
		head, err := log.Head(ctx, org)
		if err != nil || head.Seq != 0 {
			t.Fatalf("head %s: %+v %v", org, head, err)
		}
		for i := 0; i < 3; i++ {
			if _, _, err := log.Publish(ctx, org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`1`)}); err != nil {
				t.Fatalf("publish %s: %v", org, err)
			}
		}
		// The idempotency keys live in the org's slot too: a repeat is
		// found there, on whichever shard owns the org.
		for i := range 2 {
			p, err := log.Append(ctx, org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`2`), IdempotencyKey: "once"})
			if err != nil || p.Seqs[0] != 4 || (i == 1) != (p.Duplicates != nil) {
				t.Fatalf("keyed publish %d to %s: %+v %v", i, org, p, err)
			}
		}
		page, err := log.ReadAfter(ctx, org, 1, 10)
		if err != nil || page.Epoch != head.Epoch || len(page.Events) != 3 || page.Events[0].Seq != 2 {
			t.Fatalf("read %s: %+v %v", org, page, err)
		}
	}
	waitUntil(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, org := range orgs {
			if len(got[org]) != 4 {
				return false
			}
		}
		return true
	})
}

func redisKeySlot(t *testing.T, rdb *redis.ClusterClient, key string) int64 {
	slot, err := rdb.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return slot
}

func slotOwner(t *testing.T, rdb *redis.ClusterClient, slot int64) string {
	slots, err := rdb.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) {
			return s.Nodes[0].Addr
		}
	}
	t.Fatalf("no owner for slot %d", slot)
	return ""
}

func waitUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
