package store_test

import (
	"context"
	"testing"

	"github.com/rtgw/realtime/store"
)

func TestHeadEmptyOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	h := mustHead(t, e.log, e.org)
	if h.Epoch == "" || h.Seq != 0 || h.First != 1 {
		t.Fatalf("Head of empty org = %+v, want an epoch, Seq 0, First 1", h)
	}
	if again := mustHead(t, e.log, e.org); again != h {
		t.Fatalf("Head changed without writes: %+v then %+v", h, again)
	}
	mustPublish(t, e.log, e.org, inputs(3)...)
	if got := mustHead(t, e.log, e.org); got.Epoch != h.Epoch || got.Seq != 3 || got.First != 1 {
		t.Fatalf("Head after 3 events = %+v, want epoch %s, Seq 3, First 1", got, h.Epoch)
	}
}

// TestHeadAfterFlush: losing the keys must show as a new epoch, and seqs
// restart at 1, whichever call comes first.
func TestHeadAfterFlush(t *testing.T) {
	t.Parallel()
	for _, headFirst := range []bool{true, false} {
		name := map[bool]string{true: "head first", false: "publish first"}[headFirst]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, store.Config{})
			ctx := context.Background()
			mustPublish(t, e.log, e.org, inputs(5)...)
			old := mustHead(t, e.log, e.org)
			if err := e.rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if headFirst {
				if h := mustHead(t, e.log, e.org); h.Epoch == old.Epoch || h.Seq != 0 || h.First != 1 {
					t.Fatalf("Head after FLUSHALL = %+v, old %+v; want new epoch, Seq 0, First 1", h, old)
				}
			}
			if first, _ := mustPublish(t, e.log, e.org, input(1)); first != 1 {
				t.Fatalf("publish after FLUSHALL got seq %d, want 1", first)
			}
			h := mustHead(t, e.log, e.org)
			if h.Epoch == old.Epoch || h.Seq != 1 || h.First != 1 {
				t.Fatalf("Head after FLUSHALL+publish = %+v, old %+v", h, old)
			}
		})
	}
}

// TestHeadLostEpochDropsLog: a log without its epoch is an incarnation
// readers can no longer identify, so it is discarded rather than continued.
func TestHeadLostEpochDropsLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	mustPublish(t, e.log, e.org, inputs(5)...)
	old := mustHead(t, e.log, e.org)
	if err := e.rdb.Del(context.Background(), key(e.org, "epoch")).Err(); err != nil {
		t.Fatal(err)
	}
	h := mustHead(t, e.log, e.org)
	if h.Epoch == old.Epoch || h.Seq != 0 || h.First != 1 {
		t.Fatalf("Head after losing the epoch = %+v, want new epoch, Seq 0, First 1", h)
	}
	if evs := rangeAll(t, e.log, e.org, 0); len(evs) != 0 {
		t.Fatalf("old incarnation still readable: %d events", len(evs))
	}
}
