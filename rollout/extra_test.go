package rollout

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/redistest"
)

// getExtra is an Extra that reads one key.
type getExtra struct {
	key string
	cmd *redis.StringCmd
}

func (g *getExtra) Queue(ctx context.Context, c redis.Cmdable) { g.cmd = c.Get(ctx, g.key) }

// roundTrips records what the client sends to Redis, leaving out the
// connection's own setup (HELLO, CLIENT SETINFO): each Process is one round
// trip, and each ProcessPipeline one too, whatever it carries.
type roundTrips struct {
	mu    sync.Mutex
	trips [][]string // command names per round trip
}

func (r *roundTrips) record(cmds []redis.Cmder) {
	var names []string
	for _, c := range cmds {
		if n := c.Name(); n != "hello" && n != "client" {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		r.mu.Lock()
		r.trips = append(r.trips, names)
		r.mu.Unlock()
	}
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.record([]redis.Cmder{cmd}); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.record(cmds); return next(ctx, cmds) }
}

var _ redis.Hook = (*roundTrips)(nil)

// DecideWith sends the extra read in the same pipeline as the HMGET: one
// round trip for both, and both answers are right.
func TestDecideWithOneRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t) + ":rollout"
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	cli(t, srv, "HSET", key, "deny:user:u1", "1")
	cli(t, srv, "SET", key+":extra", "hello")
	rt := &roundTrips{}
	client.AddHook(rt)
	s, err := New(Config{Client: client, Key: key, DefaultEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	extra := &getExtra{key: key + ":extra"}
	d := s.DecideWith(context.Background(), "u1", "acme", false, extra)
	if d.In || d.Reason != ReasonDenied {
		t.Fatalf("decision %+v, want denied", d)
	}
	if v, err := extra.cmd.Result(); err != nil || v != "hello" {
		t.Fatalf("extra read %q, %v", v, err)
	}
	if len(rt.trips) != 1 || len(rt.trips[0]) != 2 {
		t.Fatalf("round trips %v, want one carrying hmget and get", rt.trips)
	}
}

// While the rollout fields are skipped after a failure, the extra read is
// still sent (its caller must not take a skipped read for an empty one).
func TestDecideWithWhileDown(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t) + ":rollout"
	s := newSource(t, srv, key, nil)
	s.failed(net.ErrClosed) // as after a failed read: HMGETs are skipped for a second
	cli(t, srv, "SET", key+":extra", "x")
	extra := &getExtra{key: key + ":extra"}
	if d := s.DecideWith(context.Background(), "u", "o", false, extra); !d.In {
		t.Fatalf("defaults should let u in: %+v", d)
	}
	if extra.cmd == nil {
		t.Fatal("extra read not sent while the rollout read was skipped")
	}
	if v, err := extra.cmd.Result(); err != nil || v != "x" {
		t.Fatalf("extra read %q, %v", v, err)
	}
}

// The handshake decides through DecideWith, so the client's opt-in must
// reach the decision there as it does through Decide.
func TestDecideWithOptIn(t *testing.T) {
	srv := redistest.Start(t)
	key := redistest.UniqueName(t) + ":rollout"
	s := newSource(t, srv, key, nil)
	cli(t, srv, "HSET", key, "percent", "0", "optin", "1")
	for _, optIn := range []bool{false, true} {
		extra := &getExtra{key: key + ":extra"}
		d := s.DecideWith(context.Background(), "u", "o", optIn, extra)
		want := Decision{In: false, Reason: ReasonPercent}
		if optIn {
			want = Decision{In: true, Reason: ReasonOptIn}
		}
		if d != want {
			t.Fatalf("optIn %v: got %+v, want %+v", optIn, d, want)
		}
	}
}
