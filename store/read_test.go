package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/store"
)

func TestReadAfterCarriesTheEpoch(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	log, err := store.New(store.Config{Client: rdb})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	org := redistest.UniqueName(t)
	page, err := log.ReadAfter(ctx, org, 0, 10)
	if err != nil || page.Epoch != "" || len(page.Events) != 0 {
		t.Fatalf("empty org: %+v %v", page, err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := log.Publish(ctx, org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`1`)}); err != nil {
			t.Fatal(err)
		}
	}
	head, _ := log.Head(ctx, org)
	page, err = log.ReadAfter(ctx, org, 2, 2)
	if err != nil || page.Epoch != head.Epoch || len(page.Events) != 2 || page.Events[0].Seq != 3 || page.Events[1].Seq != 4 {
		t.Fatalf("page: %+v %v", page, err)
	}
	rdb.FlushAll(ctx)
	log.Publish(ctx, org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`2`)})
	page, _ = log.ReadAfter(ctx, org, 0, 10)
	if page.Epoch == head.Epoch || len(page.Events) != 1 || page.Events[0].Seq != 1 {
		t.Fatalf("after FLUSHALL the page must carry the new epoch: %+v", page)
	}
}

func TestMaxEventBytes(t *testing.T) {
	srv := redistest.Start(t)
	log, err := store.New(store.Config{Client: srv.Client(t), MaxEventBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	org := redistest.UniqueName(t)
	_, _, err = log.Publish(context.Background(), org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`"01234567890"`)})
	if !errors.Is(err, store.ErrInvalidEvent) {
		t.Fatalf("12-byte event with a 10-byte cap: %v", err)
	}
	if _, _, err := log.Publish(context.Background(), org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`"0123"`)}); err != nil {
		t.Fatal(err)
	}
}

func TestRotateEpoch(t *testing.T) {
	srv := redistest.Start(t)
	log, _ := store.New(store.Config{Client: srv.Client(t)})
	ctx := context.Background()
	org := redistest.UniqueName(t)
	log.Publish(ctx, org, store.Input{Service: "s", Type: "t", Data: json.RawMessage(`1`)})
	head, _ := log.Head(ctx, org)
	next, err := log.RotateEpoch(ctx, org, head.Epoch)
	if err != nil || next == head.Epoch || next == "" {
		t.Fatalf("rotate: %q %v", next, err)
	}
	// A second caller that saw the old epoch does not rotate again.
	again, err := log.RotateEpoch(ctx, org, head.Epoch)
	if err != nil || again != next {
		t.Fatalf("second rotate: %q %v, want %q", again, err, next)
	}
	after, _ := log.Head(ctx, org)
	if after.Epoch != next || after.Seq != 1 {
		t.Fatalf("head after rotate: %+v (the log must be kept)", after)
	}
}
