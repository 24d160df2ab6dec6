package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

func keyed(i int, key string) store.Input {
	in := input(i)
	in.IdempotencyKey = key
	return in
}

func mustAppend(t *testing.T, lg *store.Log, org string, evs ...store.Input) store.Published {
	t.Helper()
	p, err := lg.Append(context.Background(), org, evs...)
	if err != nil {
		t.Fatalf("Append(%s, %d events): %v", org, len(evs), err)
	}
	return p
}

// TestIdempotentRepeat: a repeated key answers the original seq, appends
// nothing and announces nothing.
func TestIdempotentRepeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	_, rec := startFeed(t, e.log, nil, e.org)
	mustPublish(t, e.log, e.org, input(0))
	p := mustAppend(t, e.log, e.org, keyed(1, "order-42"))
	if !slices.Equal(p.Seqs, []int64{2}) || p.Duplicates != nil || p.Epoch != mustHead(t, e.log, e.org).Epoch {
		t.Fatalf("first keyed publish = %+v, want seq 2, no duplicates, the head's epoch", p)
	}
	for range 3 {
		// Different data under the same key is still the same event: the
		// key, not the payload, identifies it.
		if p := mustAppend(t, e.log, e.org, keyed(99, "order-42")); !slices.Equal(p.Seqs, []int64{2}) || !slices.Equal(p.Duplicates, []int{0}) {
			t.Fatalf("repeat = %+v, want seq 2 as duplicate 0", p)
		}
	}
	if first, _ := mustPublish(t, e.log, e.org, input(3)); first != 3 {
		t.Fatalf("next keyless publish got %d, want 3: duplicates must not use seqs", first)
	}
	evs := rangeAll(t, e.log, e.org, 0)
	assertContiguous(t, evs, 1, 3)
	if string(evs[1].Data) != `{"i":1}` {
		t.Fatalf("seq 2 holds %s, want the first attempt's data", evs[1].Data)
	}
	// Seq 3's notification was sent after every repeat, on the same
	// connection; had a repeat been announced it would have arrived before.
	testutil.Eventually(t, 10*time.Second, "seq 3's notification", func() bool {
		return slices.ContainsFunc(rec.eventsOf(e.org), func(ev store.Event) bool { return ev.Seq == 3 })
	})
	if got := rec.eventsOf(e.org); len(got) != 3 {
		t.Fatalf("feed heard %d events, want 3 (repeats announced?)", len(got))
	}
}

// TestIdempotentConcurrent races many goroutines on one key against a real
// redis-server: the script's atomicity must leave exactly one event, and
// every caller must get its seq.
func TestIdempotentConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	const racers, rounds = 32, 20
	for r := range rounds {
		key := fmt.Sprintf("race-%d", r)
		results := make([]store.Published, racers)
		errs := make([]error, racers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for g := range racers {
			wg.Go(func() {
				start.Wait()
				results[g], errs[g] = e.log.Append(context.Background(), e.org, keyed(g, key))
			})
		}
		start.Done()
		wg.Wait()
		fresh := 0
		for g, p := range results {
			if errs[g] != nil {
				t.Fatalf("round %d racer %d: %v", r, g, errs[g])
			}
			if p.Seqs[0] != int64(r+1) {
				t.Fatalf("round %d racer %d got seq %d, want %d", r, g, p.Seqs[0], r+1)
			}
			if p.Duplicates == nil {
				fresh++
			}
		}
		if fresh != 1 {
			t.Fatalf("round %d: %d racers appended, want exactly 1", r, fresh)
		}
	}
	assertContiguous(t, rangeAll(t, e.log, e.org, 0), 1, rounds)
}

// TestIdempotentBatch mixes new, keyless, repeated-in-batch and
// already-seen events in one atomic call.
func TestIdempotentBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustAppend(t, e.log, e.org, keyed(0, "seen")) // seq 1
	p := mustAppend(t, e.log, e.org,
		keyed(1, "a"),    // new: 2
		input(2),         // keyless: 3
		keyed(3, "a"),    // repeat within the batch: 2
		keyed(4, "seen"), // seen before: 1
		keyed(5, "b"),    // new: 4
		input(6),         // keyless: 5
	)
	if !slices.Equal(p.Seqs, []int64{2, 3, 2, 1, 4, 5}) || !slices.Equal(p.Duplicates, []int{2, 3}) {
		t.Fatalf("batch = %+v, want seqs [2 3 2 1 4 5], duplicates [2 3]", p)
	}
	evs := rangeAll(t, e.log, e.org, 0)
	assertContiguous(t, evs, 1, 5)
	for i, want := range []string{`{"i":0}`, `{"i":1}`, `{"i":2}`, `{"i":5}`, `{"i":6}`} {
		if string(evs[i].Data) != want {
			t.Fatalf("seq %d holds %s, want %s", i+1, evs[i].Data, want)
		}
	}
	// A batch of nothing but duplicates writes nothing and keeps the counter.
	p = mustAppend(t, e.log, e.org, keyed(7, "b"), keyed(8, "a"))
	if !slices.Equal(p.Seqs, []int64{4, 2}) || !slices.Equal(p.Duplicates, []int{0, 1}) {
		t.Fatalf("all-duplicate batch = %+v", p)
	}
	if h := mustHead(t, e.log, e.org); h.Seq != 5 {
		t.Fatalf("Head after an all-duplicate batch = %+v, want Seq 5", h)
	}
	// Publish's first/last are the first and last event's seqs.
	if first, last := mustPublish(t, e.log, e.org, keyed(9, "a"), input(10)); first != 2 || last != 6 {
		t.Fatalf("Publish = %d..%d, want 2..6", first, last)
	}
}

// TestIdempotentPerOrg: a key is remembered per org, never across orgs.
func TestIdempotentPerOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	other := e.org + "-b"
	mustPublish(t, e.log, other, inputs(4)...)
	if p := mustAppend(t, e.log, e.org, keyed(1, "shared")); p.Seqs[0] != 1 || p.Duplicates != nil {
		t.Fatalf("org a = %+v", p)
	}
	if p := mustAppend(t, e.log, other, keyed(2, "shared")); p.Seqs[0] != 5 || p.Duplicates != nil {
		t.Fatalf("org b = %+v, want a new seq 5: keys must not cross orgs", p)
	}
}

// TestIdempotentBadKey: a key outside the charset or over 160 bytes is
// refused before Redis, and nothing of the batch is written.
func TestIdempotentBadKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	long := string(make([]byte, store.MaxIdempotencyKey+1))
	for _, k := range []string{"has space", "a/b", "{org}", "ü", "new\nline", long} {
		_, err := e.log.Append(context.Background(), e.org, input(0), keyed(1, k))
		if !errors.Is(err, store.ErrInvalidEvent) {
			t.Errorf("key %q: err = %v, want ErrInvalidEvent", k, err)
		}
	}
	ok := fmt.Sprintf("%0160d", 7)
	if p := mustAppend(t, e.log, e.org, keyed(2, ok), keyed(3, "A-z_0.9:x")); !slices.Equal(p.Seqs, []int64{1, 2}) {
		t.Fatalf("valid keys = %+v", p)
	}
}

// TestIdempotentWindowAndContract pins the key layout ("<seq>:<epoch>"
// under <prefix>:{org}:idem:<key>, expiring after the window) and checks
// that an expired key publishes anew.
func TestIdempotentWindowAndContract(t *testing.T) {
	t.Parallel()
	const window = 400 * time.Millisecond
	e := newEnv(t, store.Config{IdempotencyWindow: window})
	ctx := context.Background()
	p := mustAppend(t, e.log, e.org, keyed(1, "short"))
	v, err := e.rdb.Get(ctx, key(e.org, "idem:short")).Result()
	if err != nil || v != "1:"+p.Epoch {
		t.Fatalf("GET idem key = %q, %v; want %q", v, err, "1:"+p.Epoch)
	}
	if ttl, err := e.rdb.PTTL(ctx, key(e.org, "idem:short")).Result(); err != nil || ttl <= 0 || ttl > window {
		t.Fatalf("PTTL idem key = %v, %v; want within (0, %v]", ttl, err, window)
	}
	testutil.Eventually(t, 10*time.Second, "the key to expire", func() bool {
		n, err := e.rdb.Exists(ctx, key(e.org, "idem:short")).Result()
		return err == nil && n == 0
	})
	if p := mustAppend(t, e.log, e.org, keyed(2, "short")); p.Seqs[0] != 2 || p.Duplicates != nil {
		t.Fatalf("after the window = %+v, want a new seq 2", p)
	}
}

// TestIdempotentNewEpoch: a key remembered in an earlier incarnation of the
// log names an event that went with it, so it publishes again.
func TestIdempotentNewEpoch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, inputs(3)...)
	old := mustAppend(t, e.log, e.org, keyed(1, "k"))
	if err := e.rdb.Del(context.Background(), key(e.org, "epoch")).Err(); err != nil {
		t.Fatal(err)
	}
	p := mustAppend(t, e.log, e.org, keyed(1, "k"))
	if p.Epoch == old.Epoch || p.Seqs[0] != 1 || p.Duplicates != nil {
		t.Fatalf("after losing the epoch = %+v (before %+v); want a new epoch, seq 1, not a duplicate", p, old)
	}
	if p := mustAppend(t, e.log, e.org, keyed(1, "k")); p.Seqs[0] != 1 || p.Duplicates == nil {
		t.Fatalf("repeat in the new epoch = %+v, want duplicate of seq 1", p)
	}
}

func TestIdempotencyWindowConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	for _, w := range []time.Duration{-time.Second, time.Microsecond} {
		if _, err := store.New(store.Config{Client: e.rdb, IdempotencyWindow: w}); !errors.Is(err, store.ErrInvalidConfig) {
			t.Errorf("IdempotencyWindow %v: err = %v, want ErrInvalidConfig", w, err)
		}
	}
	mustAppend(t, e.log, e.org, keyed(1, "default"))
	ttl, err := e.rdb.PTTL(context.Background(), key(e.org, "idem:default")).Result()
	if err != nil || ttl < store.DefaultIdempotencyWindow-time.Minute || ttl > store.DefaultIdempotencyWindow {
		t.Fatalf("default window PTTL = %v, %v; want about 24h", ttl, err)
	}
}
