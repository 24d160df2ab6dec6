package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/store"
)

// env is one test's real redis-server, a raw client for poking at keys, and
// a Log over it.
type env struct {
	srv *redistest.Server
	rdb *redis.Client
	log *store.Log
	org string // unique to the test
}

func newEnv(t testing.TB, cfg store.Config) env {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg.Client = rdb
	lg, err := store.New(cfg)
	if err != nil {
		t.Fatalf("store.New: %v", err)
	}
	return env{srv: srv, rdb: rdb, log: lg, org: redistest.UniqueName(t)}
}

// key spells a key out by hand rather than through the package, so a change
// to the key contract breaks a test.
func key(org, suffix string) string { return "realtime:{" + org + "}:" + suffix }

func input(i int) store.Input {
	return store.Input{Service: "svc", Type: "thing.done", Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
}

func inputs(n int) []store.Input {
	evs := make([]store.Input, n)
	for i := range evs {
		evs[i] = input(i)
	}
	return evs
}

func mustPublish(t *testing.T, lg *store.Log, org string, evs ...store.Input) (int64, int64) {
	t.Helper()
	first, last, err := lg.Publish(context.Background(), org, evs...)
	if err != nil {
		t.Fatalf("Publish(%s, %d events): %v", org, len(evs), err)
	}
	return first, last
}

func mustHead(t *testing.T, lg *store.Log, org string) store.Head {
	t.Helper()
	h, err := lg.Head(context.Background(), org)
	if err != nil {
		t.Fatalf("Head(%s): %v", org, err)
	}
	return h
}

// rangeAll pages through org's log from after to the end.
func rangeAll(t *testing.T, lg *store.Log, org string, after int64) []store.Event {
	t.Helper()
	var all []store.Event
	for {
		evs, err := lg.Range(context.Background(), org, after, store.MaxRange)
		if err != nil {
			t.Fatalf("Range(%s, %d): %v", org, after, err)
		}
		all = append(all, evs...)
		if len(evs) < store.MaxRange {
			return all
		}
		after = evs[len(evs)-1].Seq
	}
}

// assertContiguous checks that evs hold seqs from..to, in order, once each.
func assertContiguous(t *testing.T, evs []store.Event, from, to int64) {
	t.Helper()
	if int64(len(evs)) != to-from+1 {
		t.Fatalf("got %d events, want seqs %d..%d", len(evs), from, to)
	}
	for i, ev := range evs {
		if want := from + int64(i); ev.Seq != want {
			t.Fatalf("event %d has seq %d, want %d", i, ev.Seq, want)
		}
	}
}
