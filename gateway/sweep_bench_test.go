package gateway

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// BenchmarkSweep is one tick of the sweep over a node's connections, none
// of them due a ping or expired: the per-tick cost of checking every
// connection's deadlines, token expiry included. The sweep ticks every
// min(PingInterval/4, 250 ms), so at 18,000 connections ns/op × 4 is the
// share of a core it takes.
func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{1000, 18000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			s := &Server{metrics: newServerMetrics(), reg: newRegistry()}
			s.cfg.PingInterval = 30 * time.Second
			now := time.Now()
			for i := 0; i < n; i++ {
				c := &conn{id: uint64(i), s: s, state: stateActive, nextPing: now.Add(time.Hour)}
				c.lastRead.Store(now.UnixNano())
				c.expireAt.Store(math.MaxInt64)
				s.reg.add(c)
			}
			buf := s.sweepOnce(now, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = s.sweepOnce(now, buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/conn")
		})
	}
}
