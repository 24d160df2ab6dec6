package store_test

import (
	"context"
	"math"
	"testing"

	"github.com/rtgw/realtime/store"
)

func TestRangePaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, inputs(25)...)
	cases := []struct {
		name     string
		after    int64
		limit    int
		from, to int64 // expected seqs; to < from means none
	}{
		{"first page", 0, 10, 1, 10},
		{"middle page", 10, 10, 11, 20},
		{"short last page", 20, 10, 21, 25},
		{"caught up", 25, 10, 26, 25},
		{"past the end", 99, 10, 100, 99},
		{"negative after", -5, 3, 1, 3},
		{"zero limit means max", 0, 0, 1, 25},
		{"negative limit means max", 3, -1, 4, 25},
		{"limit one", 7, 1, 8, 8},
		{"max after", math.MaxInt64, 10, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := e.log.Range(context.Background(), e.org, tc.after, tc.limit)
			if err != nil {
				t.Fatalf("Range: %v", err)
			}
			if tc.to < tc.from {
				if len(evs) != 0 {
					t.Fatalf("got %d events, want none", len(evs))
				}
				return
			}
			assertContiguous(t, evs, tc.from, tc.to)
		})
	}
	if evs, err := e.log.Range(context.Background(), "never-used", 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("Range of unknown org = %d events, %v; want none", len(evs), err)
	}
}

func TestRangeLimitCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, inputs(store.MaxBatch)...)
	mustPublish(t, e.log, e.org, inputs(200)...)
	evs, err := e.log.Range(context.Background(), e.org, 0, 5000)
	if err != nil {
		t.Fatal(err)
	}
	assertContiguous(t, evs, 1, store.MaxRange)
}

// TestRetention: MAXLEN ~ trims whole stream nodes, so only bounds and
// contiguity are asserted, not exact counts.
func TestRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{MaxLen: 100})
	for range 10 {
		mustPublish(t, e.log, e.org, inputs(100)...)
	}
	h := mustHead(t, e.log, e.org)
	if h.Seq != 1000 || h.First <= 1 || h.First > 1000-100+1 {
		t.Fatalf("Head = %+v, want Seq 1000 and 1 < First <= 901", h)
	}
	evs := rangeAll(t, e.log, e.org, 0)
	assertContiguous(t, evs, h.First, h.Seq)
	t.Logf("MaxLen 100 retained %d of 1000 (First %d)", len(evs), h.First)
}
