package redistest

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rtgw/realtime/internal/testutil"
)

// Client returns a go-redis client for the server, closed in t.Cleanup.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// UniqueName returns a name built from t.Name() and a random suffix, limited
// to [A-Za-z0-9_.-] and 64 bytes, so it is valid as an org id or key part.
// Tests that share a server use it instead of FLUSHDB so they can run in
// parallel.
func UniqueName(t testing.TB) string {
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '_'
	}, t.Name())
	suffix := "-" + strings.ToLower(rand.Text()[:8])
	if room := 64 - len(suffix); len(base) > room {
		base = base[len(base)-room:] // keep the tail: subtest names are the distinctive part
	}
	return base + suffix
}

// freePort asks the kernel for a free loopback port. It is free only until
// the probe closes; Start retries if redis-server then fails to bind.
var freePort = testutil.FreePort
