package rollout

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/redistest"
)

func newSource(t *testing.T, srv *redistest.Server, key string, mod func(*Config)) *Source {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	cfg := Config{Client: client, Key: key, DefaultEnabled: true}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cli(t *testing.T, srv *redistest.Server, args ...string) {
	t.Helper()
	if out, err := srv.CLI(t, args...); err != nil {
		t.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
}

// Operators' redis-cli commands change the next decision, no restart.
func TestSourceFollowsRedisCLI(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t) + ":rollout"
	s := newSource(t, srv, key, nil)
	ctx := context.Background()
	user := "user-7" // bucket below 100, above 0
	steps := []struct {
		name string
		cli  []string
		want Decision
	}{
		{name: "absent hash: defaults (on, 100%)", want: Decision{true, ReasonPercent}},
		{name: "percent 0", cli: []string{"HSET", key, "percent", "0"}, want: Decision{false, ReasonPercent}},
		{name: "allow user", cli: []string{"HSET", key, "allow:user:" + user, "1"}, want: Decision{true, ReasonAllowed}},
		{name: "deny org", cli: []string{"HSET", key, "deny:org:acme", "1"}, want: Decision{false, ReasonDenied}},
		{name: "kill switch", cli: []string{"HSET", key, "enabled", "0"}, want: Decision{false, ReasonDisabled}},
		{name: "typo in enabled falls back to the default", cli: []string{"HSET", key, "enabled", "yes"}, want: Decision{false, ReasonDenied}},
	}
	for _, st := range steps {
		if st.cli != nil {
			cli(t, srv, st.cli...)
		}
		if got := s.Decide(ctx, user, "acme", false); got != st.want {
			t.Fatalf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
}

// The "optin" field, as operators set it with redis-cli: off when absent,
// honoured only for a client that asks, and never over enabled=0 or deny.
func TestSourceOptIn(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t) + ":rollout"
	s := newSource(t, srv, key, nil)
	ctx := context.Background()
	cli(t, srv, "HSET", key, "percent", "0")
	steps := []struct {
		name  string
		cli   []string
		optIn bool
		want  Decision
	}{
		{name: "optin absent: asking changes nothing", optIn: true, want: Decision{false, ReasonPercent}},
		{name: "optin 1, asked", cli: []string{"HSET", key, "optin", "1"}, optIn: true, want: Decision{true, ReasonOptIn}},
		{name: "optin 1, not asked", want: Decision{false, ReasonPercent}},
		{name: "deny user beats opt-in", cli: []string{"HSET", key, "deny:user:u-1", "1"}, optIn: true, want: Decision{false, ReasonDenied}},
		{name: "kill switch beats opt-in", cli: []string{"HSET", key, "enabled", "0"}, optIn: true, want: Decision{false, ReasonDisabled}},
		{name: "typo in optin is off", cli: []string{"HMSET", key, "enabled", "1", "deny:user:u-1", "0", "optin", "yes"}, optIn: true, want: Decision{false, ReasonPercent}},
	}
	for _, st := range steps {
		if st.cli != nil {
			cli(t, srv, st.cli...)
		}
		if got := s.Decide(ctx, "u-1", "acme", st.optIn); got != st.want {
			t.Fatalf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
}

func TestSourceDefaults(t *testing.T) {
	srv := redistest.Start(t)
	s := newSource(t, srv, redistest.UniqueName(t), func(c *Config) {
		c.DefaultEnabled, c.DefaultPercent, c.DefaultPercentSet = true, 0, true
	})
	if d := s.Decide(context.Background(), "u", "o", false); d.In {
		t.Fatalf("default percent 0 let the user in: %+v", d)
	}
	s = newSource(t, srv, redistest.UniqueName(t), func(c *Config) { c.DefaultEnabled = false })
	if d := s.Decide(context.Background(), "u", "o", false); d.In || d.Reason != ReasonDisabled {
		t.Fatalf("default disabled: %+v", d)
	}
}

// With Redis down, a decision still comes within the bound: the last values
// read while they are fresh, then the defaults. It recovers when Redis does.
func TestSourceRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t)
	s := newSource(t, srv, key, func(c *Config) { c.MaxStale = 300 * time.Millisecond })
	cli(t, srv, "HSET", key, "percent", "0")
	ctx := context.Background()
	if d := s.Decide(ctx, "user-7", "o", false); d.In {
		t.Fatal("percent 0 not applied")
	}
	srv.Stop()
	for i := 0; i < 5; i++ {
		start := time.Now()
		d := s.Decide(ctx, "user-7", "o", false)
		// The read is bounded at 100 ms; 500 ms leaves room for a loaded
		// 2-core CI box (210 ms seen with the race-built suites running in
		// parallel) and still tells a bounded read from go-redis's 5 s dial.
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Fatalf("decision with Redis down took %v", el)
		}
		if d.In {
			t.Fatalf("cached percent 0 not used while fresh: %+v", d)
		}
	}
	stale := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(stale) {
		time.Sleep(20 * time.Millisecond)
	}
	if d := s.Decide(ctx, "user-7", "o", false); !d.In {
		t.Fatalf("stale cache still used instead of defaults: %+v", d)
	}
	srv.Restart()
	cli(t, srv, "HSET", key, "percent", "0")
	stop := make(chan struct{})
	defer close(stop)
	go s.Run(stop)
	deadline := time.Now().Add(5 * time.Second)
	for s.Decide(ctx, "user-7", "o", false).In {
		if time.Now().After(deadline) {
			t.Fatal("did not recover after Redis came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunCallsOnKill(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t)
	killed := make(chan struct{}, 1)
	s := newSource(t, srv, key, func(c *Config) {
		c.Refresh = 20 * time.Millisecond
		c.OnKill = func() { killed <- struct{}{} }
	})
	stop := make(chan struct{})
	defer close(stop)
	go s.Run(stop)
	cli(t, srv, "HSET", key, "enabled", "0")
	select {
	case <-killed:
	case <-time.After(time.Second):
		t.Fatal("OnKill not called within a second of HSET enabled 0")
	}
}
