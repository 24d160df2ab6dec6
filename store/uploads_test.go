package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

func newUpload(id, user, owner string) store.Upload {
	return store.Upload{ID: id, User: user, Name: "a.pdf", Size: 100, ContentType: "application/pdf", SHA256: "ab", Owner: owner}
}

// The upload lifecycle in Redis: start, commit, takeover by a claim (the
// old owner's commit then fails), finish freeing the slot, and the
// per-user limit counted across callers.
func TestUploadLifecycle(t *testing.T) {
	e := newEnv(t, store.Config{})
	ctx := context.Background()
	u := newUpload("u1", "alice", "node-a")
	if err := e.log.StartUpload(ctx, e.org, u, time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	if err := e.log.StartUpload(ctx, e.org, u, time.Hour, 2); !errors.Is(err, store.ErrUploadExists) {
		t.Fatalf("second start with the same id: %v", err)
	}
	if err := e.log.StartUpload(ctx, e.org, newUpload("u2", "alice", "x"), time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	if err := e.log.StartUpload(ctx, e.org, newUpload("u3", "alice", "x"), time.Hour, 2); !errors.Is(err, store.ErrUploadLimit) {
		t.Fatalf("third concurrent upload: %v, want ErrUploadLimit", err)
	}
	if err := e.log.StartUpload(ctx, e.org, newUpload("u4", "bob", "x"), time.Hour, 2); err != nil {
		t.Fatalf("another user's limit is separate: %v", err)
	}
	if err := e.log.CommitUpload(ctx, e.org, u, 40, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.ClaimUpload(ctx, e.org, "bob", "u1", "node-b", time.Hour); !errors.Is(err, store.ErrUploadNotFound) {
		t.Fatalf("another user's claim: %v", err)
	}
	got, err := e.log.ClaimUpload(ctx, e.org, "alice", "u1", "node-b", time.Hour)
	if err != nil || got.Offset != 40 || got.Owner != "node-b" || got.Status != store.UploadActive || got.Size != 100 || got.Name != "a.pdf" {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	if err := e.log.CommitUpload(ctx, e.org, u, 60, time.Hour); !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("old owner's commit after a takeover: %v", err)
	}
	if err := e.log.FinishUpload(ctx, e.org, got, store.UploadDone, 7, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := e.log.StartUpload(ctx, e.org, newUpload("u5", "alice", "x"), time.Hour, 2); err != nil {
		t.Fatalf("finishing freed no slot: %v", err)
	}
	done, err := e.log.ClaimUpload(ctx, e.org, "alice", "u1", "node-c", time.Hour)
	if err != nil || done.Status != store.UploadDone || done.Seq != 7 || done.Owner != "node-b" {
		t.Fatalf("claim of a finished upload: %+v, %v (owner must not change)", done, err)
	}
	if err := e.log.AbortUpload(ctx, e.org, "alice", "u1"); !errors.Is(err, store.ErrUploadNotFound) {
		t.Fatalf("abort of a completed upload: %v", err)
	}
	if err := e.log.AbortUpload(ctx, e.org, "alice", "u2"); err != nil {
		t.Fatal(err)
	}
	if n := e.rdb.Exists(ctx, key(e.org, "upload:u2")).Val(); n != 0 {
		t.Fatal("aborted upload still in Redis")
	}
	if m := e.rdb.ZRange(ctx, key(e.org, "uploads:alice"), 0, -1).Val(); len(m) != 1 || m[0] != "u5" {
		t.Fatalf("alice's slots %v, want [u5]", m)
	}
}

// An upload nobody commits expires: its record leaves Redis and its slot
// frees without a cleanup job.
func TestUploadExpiryFreesSlot(t *testing.T) {
	e := newEnv(t, store.Config{})
	ctx := context.Background()
	ttl := 300 * time.Millisecond
	if err := e.log.StartUpload(ctx, e.org, newUpload("u1", "alice", "x"), ttl, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.log.StartUpload(ctx, e.org, newUpload("u2", "alice", "x"), ttl, 1); !errors.Is(err, store.ErrUploadLimit) {
		t.Fatalf("want limit, got %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := e.log.StartUpload(ctx, e.org, newUpload("u2", "alice", "x"), ttl, 1)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot never freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The slot is freed by the set's score, the record by its key's own
	// expiry, set a moment later in the same script; under load the claim
	// can land between the two, so wait for the record too.
	testutil.Eventually(t, 10*time.Second, "expired upload no longer claimable", func() bool {
		_, err := e.log.ClaimUpload(ctx, e.org, "alice", "u1", "y", ttl)
		return errors.Is(err, store.ErrUploadNotFound)
	})
}

// Committing the last byte makes the upload "completing": it can no longer
// be aborted (its file may be in place), and a claim still takes it over
// so that a resume can finish the completion.
func TestUploadCompleting(t *testing.T) {
	e := newEnv(t, store.Config{})
	ctx := context.Background()
	u := newUpload("u1", "alice", "node-a")
	if err := e.log.StartUpload(ctx, e.org, u, time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.log.CommitUpload(ctx, e.org, u, 99, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.log.UploadInfo(ctx, e.org, "u1"); got.Status != store.UploadActive {
		t.Fatalf("status %q before the last byte", got.Status)
	}
	if err := e.log.CommitUpload(ctx, e.org, u, 100, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := e.log.AbortUpload(ctx, e.org, "alice", "u1"); !errors.Is(err, store.ErrUploadNotFound) {
		t.Fatalf("abort while completing: %v", err)
	}
	got, err := e.log.ClaimUpload(ctx, e.org, "alice", "u1", "node-b", time.Hour)
	if err != nil || got.Status != store.UploadCompleting || got.Owner != "node-b" || got.Offset != 100 {
		t.Fatalf("claim while completing: %+v, %v", got, err)
	}
}
