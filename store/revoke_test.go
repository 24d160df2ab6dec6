package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// Revoke writes the record under the contract's keys with the configured
// TTL, never moves a revocation earlier, and Revoked reads back what applies
// to one user: the org's and the user's own, not another user's.
func TestRevokeRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{RevocationTTL: time.Hour})
	ctx := context.Background()
	at := time.Unix(1_700_000_100, 0)

	got, err := e.log.Revoke(ctx, e.org, "u1", at)
	if err != nil || got != at.Unix() {
		t.Fatalf("Revoke = %d, %v; want %d", got, err, at.Unix())
	}
	if v, _ := e.rdb.Get(ctx, key(e.org, "revoked:u1")).Result(); v != "1700000100" {
		t.Fatalf("record = %q", v)
	}
	if ttl := e.rdb.TTL(ctx, key(e.org, "revoked:u1")).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("record TTL = %v, want about 1h", ttl)
	}
	// An older revocation (a node with a slow clock) keeps the later time.
	if got, _ := e.log.Revoke(ctx, e.org, "u1", at.Add(-time.Minute)); got != at.Unix() {
		t.Fatalf("earlier revocation moved the record to %d", got)
	}
	if _, err := e.log.Revoke(ctx, e.org, "", at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user string
		want store.Revocation
	}{
		{"u1", store.Revocation{Org: at.Unix() - 3600, User: at.Unix()}},
		{"u2", store.Revocation{Org: at.Unix() - 3600}},
	}
	for _, tc := range cases {
		r, err := e.log.Revoked(ctx, e.org, tc.user)
		if err != nil || r != tc.want {
			t.Fatalf("Revoked(%s) = %+v, %v; want %+v", tc.user, r, err, tc.want)
		}
	}
	if r, err := e.log.Revoked(ctx, e.org+"-other", "u1"); err != nil || r != (store.Revocation{}) {
		t.Fatalf("another org: %+v, %v", r, err)
	}
	if _, err := e.log.Revoke(ctx, "bad org", "u1", at); err == nil {
		t.Fatal("Revoke accepted an invalid org")
	}
}

// A record that is not a number is an error, never "not revoked".
func TestRevokedMalformed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	if err := e.rdb.Set(context.Background(), key(e.org, "revoked"), "soon", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Revoked(context.Background(), e.org, "u1"); err == nil {
		t.Fatal("malformed record read without error")
	}
}

func TestRevocationRefuses(t *testing.T) {
	cases := []struct {
		name string
		r    store.Revocation
		iat  int64
		want bool
	}{
		{"none", store.Revocation{}, 100, false},
		{"none, no iat", store.Revocation{}, 0, false},
		{"issued before", store.Revocation{User: 100}, 99, true},
		{"issued the same second", store.Revocation{User: 100}, 100, true},
		{"issued after", store.Revocation{User: 100}, 101, false},
		{"no iat while revoked", store.Revocation{Org: 100}, 0, true},
		{"org revocation is the later one", store.Revocation{Org: 200, User: 100}, 150, true},
	}
	for _, tc := range cases {
		if got := tc.r.Refuses(tc.iat); got != tc.want {
			t.Errorf("%s: Refuses(%d) = %v, want %v", tc.name, tc.iat, got, tc.want)
		}
	}
}

// Every subscribed node hears a revocation as an Ephemeral of KindRevoke
// carrying the user ("" for the org) and the time in force.
func TestFeedDeliversRevocations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	var mu sync.Mutex
	var got []store.Ephemeral
	startFeed(t, e.log, func(c *store.FeedConfig) {
		c.OnEphemeral = func(org string, ev store.Ephemeral) {
			mu.Lock()
			defer mu.Unlock()
			if org == e.org {
				got = append(got, ev)
			}
		}
	}, e.org)
	ctx := context.Background()
	if _, err := e.log.Revoke(ctx, e.org, "u\n1", time.Unix(500, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Revoke(ctx, e.org, "", time.Unix(600, 0)); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "two revocations", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	})
	want := []store.Ephemeral{{Kind: store.KindRevoke, User: "u\n1", At: 500}, {Kind: store.KindRevoke, At: 600}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("signal %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
