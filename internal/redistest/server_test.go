package redistest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startWithKey starts a server and sets k to v through a go-redis client,
// which it returns.
func startWithKey(t *testing.T) (*Server, *redis.Client) {
	t.Helper()
	srv := Start(t)
	rdb := srv.Client(t)
	if err := rdb.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	return srv, rdb
}

func TestStartClientCLI(t *testing.T) {
	t.Parallel()
	srv, _ := startWithKey(t)
	out, err := srv.CLI(t, "GET", "k")
	if err != nil || strings.TrimSpace(out) != "v" {
		t.Fatalf("CLI GET = %q, %v; want v", out, err)
	}
	// --save "" must be in effect: tests rely on a restart losing data.
	out, err = srv.CLI(t, "CONFIG", "GET", "save")
	if err != nil || strings.Contains(out, "3600") {
		t.Fatalf("CONFIG GET save = %q, %v", out, err)
	}
}

func TestExtraArgs(t *testing.T) {
	t.Parallel()
	srv := Start(t, "--maxmemory", "12mb")
	out, err := srv.CLI(t, "CONFIG", "GET", "maxmemory")
	if err != nil || !strings.Contains(out, "12582912") {
		t.Fatalf("CONFIG GET maxmemory = %q, %v", out, err)
	}
}

func TestRestartSamePortEmpty(t *testing.T) {
	t.Parallel()
	srv, rdb := startWithKey(t)
	ctx := context.Background()
	addr := srv.Addr
	srv.Restart()
	if srv.Addr != addr {
		t.Fatalf("Addr changed across Restart: %s -> %s", addr, srv.Addr)
	}
	// The pooled connection died with the old process; go-redis retries on a
	// fresh one, so poll briefly instead of assuming the first call succeeds.
	deadline := time.Now().Add(5 * time.Second)
	var n int64
	var err error
	for time.Now().Before(deadline) {
		if n, err = rdb.Exists(ctx, "k").Result(); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || n != 0 {
		t.Fatalf("after restart EXISTS k = %d, %v; want 0, nil", n, err)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	srv.Stop()
	srv.Stop()
	if err := ping(srv.Addr); err == nil {
		t.Fatal("server still answers PING after Stop")
	}
}

func TestUniqueName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	a, b := UniqueName(t), UniqueName(t)
	if a == b {
		t.Fatalf("UniqueName repeated %q", a)
	}
	t.Run(strings.Repeat("very long subtest name/", 6), func(t *testing.T) {
		if n := UniqueName(t); !valid.MatchString(n) {
			t.Fatalf("UniqueName = %q, not a valid org", n)
		}
	})
	if !valid.MatchString(a) {
		t.Fatalf("UniqueName = %q, not a valid org", a)
	}
}
