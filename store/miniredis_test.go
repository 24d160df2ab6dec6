package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// TestMiniredis runs the scripts where the gateway's development mode runs
// them. miniredis embeds gopher-lua and its own command set, so this guards
// against Lua or commands that only real Redis has.
func TestMiniredis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	lg, err := store.New(store.Config{Client: rdb, MaxLen: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	org := "dev-org"

	h0 := mustHead(t, lg, org)
	if h0.Epoch == "" || h0.Seq != 0 || h0.First != 1 {
		t.Fatalf("Head of empty org = %+v", h0)
	}
	_, rec := startFeed(t, lg, nil, org)

	first, last := mustPublish(t, lg, org, inputs(3)...)
	if first != 1 || last != 3 {
		t.Fatalf("Publish = %d..%d, want 1..3", first, last)
	}
	testutil.Eventually(t, 10*time.Second, "3 events on the feed", func() bool { return rec.nEvents(org) == 3 })
	stored := rangeAll(t, lg, org, 0)
	assertContiguous(t, stored, 1, 3)
	for i, ev := range rec.eventsOf(org) {
		if s := stored[i]; ev.Seq != s.Seq || ev.TS != s.TS || ev.Type != s.Type || !bytes.Equal(ev.Data, s.Data) || ev.TS == 0 {
			t.Fatalf("feed event %d = %+v, stored %+v", i, ev, s)
		}
	}

	// Retention (miniredis trims exactly; MAXLEN ~ is accepted).
	for range 3 {
		mustPublish(t, lg, org, inputs(50)...)
	}
	h := mustHead(t, lg, org)
	if h.Epoch != h0.Epoch || h.Seq != 153 || h.First <= 1 {
		t.Fatalf("Head after 153 events with MaxLen 50 = %+v", h)
	}
	assertContiguous(t, rangeAll(t, lg, org, 0), h.First, h.Seq)

	// The script's own validation.
	keys := []string{key(org, "log"), key(org, "epoch"), key(org, "seq"), key(org, "notify"), key(org, "idem:")}
	if err := rdb.Eval(ctx, testutil.ReadFile(t, "lua/publish.lua"), keys, 10, "", 1000, "bad name", "t", "{}", "").Err(); err == nil {
		t.Fatal("script accepted an invalid service on miniredis")
	}
	if err := rdb.Eval(ctx, testutil.ReadFile(t, "lua/publish.lua"), keys, 10, "", 1000, "s", "t", "{x", "").Err(); err == nil {
		t.Fatal("script accepted invalid JSON on miniredis")
	}

	// Idempotency keys, including a repeat inside one batch.
	keyed := func(k string) store.Input { in := input(9); in.IdempotencyKey = k; return in }
	p, err := lg.Append(ctx, org, keyed("dev-1"), keyed("dev-1"), keyed("dev-2"))
	if err != nil || len(p.Seqs) != 3 || p.Seqs[0] != 154 || p.Seqs[1] != 154 || p.Seqs[2] != 155 || len(p.Duplicates) != 1 || p.Duplicates[0] != 1 {
		t.Fatalf("keyed Append on miniredis = %+v, %v; want seqs 154 154 155, duplicate 1", p, err)
	}
	if p, err := lg.Append(ctx, org, keyed("dev-2")); err != nil || p.Seqs[0] != 155 || len(p.Duplicates) != 1 {
		t.Fatalf("repeat on miniredis = %+v, %v; want seq 155 as a duplicate", p, err)
	}
	if h := mustHead(t, lg, org); h.Seq != 155 {
		t.Fatalf("Head after duplicates = %+v, want Seq 155", h)
	}

	// A flushed dev server is a new epoch starting at 1.
	mr.FlushAll()
	if first, _ := mustPublish(t, lg, org, input(1)); first != 1 {
		t.Fatalf("publish after FlushAll got seq %d, want 1", first)
	}
	if h := mustHead(t, lg, org); h.Epoch == h0.Epoch || h.Seq != 1 {
		t.Fatalf("Head after FlushAll = %+v, old epoch %s", h, h0.Epoch)
	}
}
