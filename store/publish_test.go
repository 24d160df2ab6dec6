package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/store"
)

func TestPublishAssignsContiguousSeqs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	for i := 1; i <= 5; i++ {
		first, last := mustPublish(t, e.log, e.org, input(i))
		if first != int64(i) || last != int64(i) {
			t.Fatalf("publish %d returned %d..%d", i, first, last)
		}
	}
	first, last := mustPublish(t, e.log, e.org, inputs(3)...)
	if first != 6 || last != 8 {
		t.Fatalf("batch of 3 returned %d..%d, want 6..8", first, last)
	}
	assertContiguous(t, rangeAll(t, e.log, e.org, 0), 1, 8)
}

// TestPublishConcurrent is the no-gaps, no-duplicates guarantee under
// contention: seqs come from the script, never from a client-side read.
func TestPublishConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	const publishers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				if _, _, err := e.log.Publish(context.Background(), e.org, input(p*each+i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Publish: %v", err)
	}
	evs := rangeAll(t, e.log, e.org, 0)
	// assertContiguous checks order == seq order; also check every input
	// landed exactly once.
	assertContiguous(t, evs, 1, publishers*each)
	seen := make(map[string]bool, len(evs))
	for _, ev := range evs {
		if seen[string(ev.Data)] {
			t.Fatalf("input %s stored twice", ev.Data)
		}
		seen[string(ev.Data)] = true
	}
}

func TestPublishBatchRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, input(0)) // so the batch does not start at 1
	batch := []store.Input{
		{Service: "finance", Type: "revenue.created", Data: json.RawMessage(`{"amount":42,  "note":"spaces kept"}`)},
		{Service: "a:b", Type: "x-y_z.1", Data: json.RawMessage(`[1,"two\nlines",null]`)},
		{Service: "s", Type: "t", Data: json.RawMessage(`"just a string"`)},
		{Service: "s", Type: "t", Data: json.RawMessage("  7 ")},
		{Service: "s", Type: "t", Data: json.RawMessage(`{"unicode":"ünï\u00e9 ✓"}`)},
	}
	before := time.Now()
	first, last := mustPublish(t, e.log, e.org, batch...)
	if first != 2 || last != int64(1+len(batch)) {
		t.Fatalf("batch returned %d..%d, want 2..%d", first, last, 1+len(batch))
	}
	evs := rangeAll(t, e.log, e.org, 1)
	assertContiguous(t, evs, first, last)
	for i, ev := range evs {
		in := batch[i]
		if ev.Service != in.Service || ev.Type != in.Type || !bytes.Equal(ev.Data, in.Data) {
			t.Errorf("event %d = %s/%s %q, want %s/%s %q", i, ev.Service, ev.Type, ev.Data, in.Service, in.Type, in.Data)
		}
		if d := time.UnixMilli(ev.TS).Sub(before); d < -5*time.Second || d > 5*time.Second {
			t.Errorf("event %d TS %d is %v away from now", i, ev.TS, d)
		}
		if ev.TS != evs[0].TS {
			t.Errorf("event %d TS %d differs within one batch (%d)", i, ev.TS, evs[0].TS)
		}
	}
}

// TestPublishKeyContract pins the operator-facing key and field names.
func TestPublishKeyContract(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	ctx := context.Background()
	mustPublish(t, e.log, e.org, store.Input{Service: "svc", Type: "typ", Data: json.RawMessage(`{}`)})
	msgs, err := e.rdb.XRange(ctx, key(e.org, "log"), "-", "+").Result()
	if err != nil || len(msgs) != 1 || msgs[0].ID != "1-0" {
		t.Fatalf("XRANGE %s = %v, %v; want one entry 1-0", key(e.org, "log"), msgs, err)
	}
	v := msgs[0].Values
	if len(v) != 5 || v["seq"] != "1" || v["service"] != "svc" || v["type"] != "typ" || v["data"] != "{}" || v["ts"] == nil {
		t.Fatalf("entry fields = %v", v)
	}
	if s, err := e.rdb.Get(ctx, key(e.org, "seq")).Result(); err != nil || s != "1" {
		t.Fatalf("GET seq = %q, %v; want 1", s, err)
	}
	if ep, err := e.rdb.Get(ctx, key(e.org, "epoch")).Result(); err != nil || ep != mustHead(t, e.log, e.org).Epoch {
		t.Fatalf("GET epoch = %q, %v; want Head's epoch", ep, err)
	}
	if got := e.log.Prefix(); got != "realtime" {
		t.Fatalf("Prefix() = %q", got)
	}
}

// TestPublishCustomPrefix checks Prefix reaches every key.
func TestPublishCustomPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{Prefix: "rt2"})
	mustPublish(t, e.log, e.org, input(1))
	n, err := e.rdb.Exists(context.Background(), "rt2:{"+e.org+"}:log", "rt2:{"+e.org+"}:seq", "rt2:{"+e.org+"}:epoch").Result()
	if err != nil || n != 3 {
		t.Fatalf("EXISTS rt2 keys = %d, %v; want 3", n, err)
	}
}

// TestPublishHealsLostCounter: if the seq key disappears while the log
// survives, publishing continues after the log's newest entry instead of
// failing forever on XADD's "ID must grow" rule.
func TestPublishHealsLostCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, inputs(4)...)
	if err := e.rdb.Del(context.Background(), key(e.org, "seq")).Err(); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, e.log, e.org); h.Seq != 4 || h.First != 1 {
		t.Fatalf("Head after losing the counter = %+v, want Seq 4 First 1", h)
	}
	if first, _ := mustPublish(t, e.log, e.org, input(5)); first != 5 {
		t.Fatalf("publish after losing the counter got seq %d, want 5", first)
	}
}
