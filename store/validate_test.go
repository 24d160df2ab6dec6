package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/store"
)

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	ok := store.Input{Service: "svc", Type: "t", Data: json.RawMessage(`{}`)}
	with := func(f func(*store.Input)) []store.Input { in := ok; f(&in); return []store.Input{in} }
	long := strings.Repeat("a", 65)
	cases := []struct {
		name string
		org  string
		evs  []store.Input
		want error
	}{
		{"empty org", "", []store.Input{ok}, store.ErrInvalidOrg},
		{"org with space", "a b", []store.Input{ok}, store.ErrInvalidOrg},
		{"org with brace", "a}b", []store.Input{ok}, store.ErrInvalidOrg},
		{"org with colon", "a:b", []store.Input{ok}, store.ErrInvalidOrg},
		{"org too long", long, []store.Input{ok}, store.ErrInvalidOrg},
		{"no events", "", nil, store.ErrInvalidOrg}, // org is checked first
		{"empty batch", "X", nil, store.ErrInvalidEvent},
		{"empty service", "X", with(func(in *store.Input) { in.Service = "" }), store.ErrInvalidEvent},
		{"service with newline", "X", with(func(in *store.Input) { in.Service = "a\nb" }), store.ErrInvalidEvent},
		{"service too long", "X", with(func(in *store.Input) { in.Service = long }), store.ErrInvalidEvent},
		{"type with space", "X", with(func(in *store.Input) { in.Type = "a b" }), store.ErrInvalidEvent},
		{"type non-ascii", "X", with(func(in *store.Input) { in.Type = "é" }), store.ErrInvalidEvent},
		{"nil data", "X", with(func(in *store.Input) { in.Data = nil }), store.ErrInvalidEvent},
		{"unquoted key", "X", with(func(in *store.Input) { in.Data = json.RawMessage(`{a:1}`) }), store.ErrInvalidEvent},
		{"truncated", "X", with(func(in *store.Input) { in.Data = json.RawMessage(`{"a":`) }), store.ErrInvalidEvent},
		{"two values", "X", with(func(in *store.Input) { in.Data = json.RawMessage(`1 2`) }), store.ErrInvalidEvent},
		{"bad event late in batch", "X", append(inputs(5), store.Input{Service: "s", Type: "t"}), store.ErrInvalidEvent},
		{"too many", "X", inputs(store.MaxBatch + 1), store.ErrTooManyEvents},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org := strings.Replace(tc.org, "X", e.org, 1)
			_, _, err := e.log.Publish(context.Background(), org, tc.evs...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Publish error = %v, want %v", err, tc.want)
			}
		})
	}
	// Nothing may have been written for any case, not even an epoch.
	n, err := e.rdb.Exists(context.Background(), key(e.org, "log"), key(e.org, "seq"), key(e.org, "epoch")).Result()
	if err != nil || n != 0 {
		t.Fatalf("keys after rejected publishes: EXISTS = %d, %v; want 0", n, err)
	}
	// The limits are inclusive.
	if first, last := mustPublish(t, e.log, e.org, inputs(store.MaxBatch)...); first != 1 || last != store.MaxBatch {
		t.Fatalf("batch of MaxBatch returned %d..%d", first, last)
	}
	if _, _, err := e.log.Publish(context.Background(), strings.Repeat("b", 64), ok); err != nil {
		t.Fatalf("64-byte org: %v", err)
	}
}

func TestReadValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	if _, err := e.log.Head(context.Background(), "a b"); !errors.Is(err, store.ErrInvalidOrg) {
		t.Fatalf("Head(bad org) = %v, want ErrInvalidOrg", err)
	}
	if _, err := e.log.Range(context.Background(), "{x}", 0, 10); !errors.Is(err, store.ErrInvalidOrg) {
		t.Fatalf("Range(bad org) = %v, want ErrInvalidOrg", err)
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed
	t.Cleanup(func() { _ = rdb.Close() })
	cases := []struct {
		name   string
		cfg    store.Config
		want   error
		prefix string
	}{
		{"defaults", store.Config{Client: rdb}, nil, "realtime"},
		{"custom prefix", store.Config{Client: rdb, Prefix: "x:y"}, nil, "x:y"},
		{"no client", store.Config{}, store.ErrInvalidConfig, ""},
		{"brace in prefix", store.Config{Client: rdb, Prefix: "a{b"}, store.ErrInvalidConfig, ""},
		{"negative maxlen", store.Config{Client: rdb, MaxLen: -1}, store.ErrInvalidConfig, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lg, err := store.New(tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("New error = %v, want %v", err, tc.want)
			}
			if err == nil && lg.Prefix() != tc.prefix {
				t.Fatalf("Prefix() = %q, want %q", lg.Prefix(), tc.prefix)
			}
		})
	}
}

func TestValidNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s         string
		org, name bool
	}{
		{"acme", true, true},
		{"A-Z_0.9", true, true},
		{"svc:sub", false, true},
		{"", false, false},
		{strings.Repeat("x", 64), true, true},
		{strings.Repeat("x", 65), false, false},
		{"a b", false, false},
		{"a\n", false, false},
		{"{a}", false, false},
		{"a/b", false, false},
		{"ä", false, false},
	}
	for _, tc := range cases {
		if got := store.ValidOrg(tc.s); got != tc.org {
			t.Errorf("ValidOrg(%q) = %v, want %v", tc.s, got, tc.org)
		}
		if got := store.ValidName(tc.s); got != tc.name {
			t.Errorf("ValidName(%q) = %v, want %v", tc.s, got, tc.name)
		}
	}
}
