package store_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/rtgw/realtime/store"
)

// BenchmarkPublish measures one Publish round trip against a local
// redis-server per batch size. The MaxBatch case bounds how long one call
// holds the Redis node, since scripts run atomically.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1, 100, store.MaxBatch} {
		b.Run("batch="+strconv.Itoa(n), func(b *testing.B) {
			e := newEnv(b, store.Config{})
			evs := inputs(n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.log.Publish(ctx, e.org, evs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
