package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/store"
)

// BenchmarkPublishIdempotency compares a publish without a key, with a new
// key, and a repeat of a remembered key (a duplicate: nothing appended),
// against a local redis-server. Besides time it reports, from INFO
// commandstats, the Redis commands run per event (those inside the script,
// not the EVALSHA itself) and the script's own time in Redis per event,
// which a loaded machine disturbs less than the round trip.
func BenchmarkPublishIdempotency(b *testing.B) {
	for _, n := range []int{1, 100} {
		for _, mode := range []string{"none", "new", "repeat"} {
			b.Run(fmt.Sprintf("batch=%d/key=%s", n, mode), func(b *testing.B) {
				e := newEnv(b, store.Config{})
				ctx := context.Background()
				evs := inputs(n)
				keyAll := func(round int) {
					for j := range evs {
						evs[j].IdempotencyKey = fmt.Sprintf("bench-%d-%d", round, j)
					}
				}
				if mode == "repeat" {
					keyAll(0)
					if _, err := e.log.Append(ctx, e.org, evs...); err != nil {
						b.Fatal(err)
					}
				}
				before, usBefore := commandCalls(b, e.rdb)
				b.ReportAllocs()
				round := 0
				for b.Loop() {
					if mode == "new" {
						round++
						keyAll(round)
					}
					if _, err := e.log.Append(ctx, e.org, evs...); err != nil {
						b.Fatal(err)
					}
				}
				events := float64(b.N * n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
				after, usAfter := commandCalls(b, e.rdb)
				b.ReportMetric(float64(after-before-1)/events, "redis-cmds/event")
				b.ReportMetric(float64(usAfter-usBefore)/events, "script-µs/event")
			})
		}
	}
}

// commandCalls sums the calls of every command in INFO commandstats except
// the scripting and INFO calls themselves (the INFO call that reads it is
// counted once in the later reading, hence the -1 above), and returns the
// microseconds Redis spent in EVALSHA.
func commandCalls(b *testing.B, rdb *redis.Client) (calls, scriptUsec int64) {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(field(rest, ""), 10, 64)
		switch name {
		case "evalsha":
			scriptUsec, _ = strconv.ParseInt(field(rest, "usec="), 10, 64)
		case "eval", "info", "script|load":
		default:
			calls += n
		}
	}
	return calls, scriptUsec
}

// field returns the value after name in a "a,name=v,..." stats line; with
// name "" the first value.
func field(s, name string) string {
	if name != "" {
		_, s, _ = strings.Cut(s, ","+name)
	}
	v, _, _ := strings.Cut(s, ",")
	return v
}
