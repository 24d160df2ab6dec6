package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// latency: events published one at a time over HTTP, each timed from just
// before the POST until its frame is read on the first connection, which
// is what a user sees. The verdict is p99 against -latency-target.
func (c *checker) latency(ctx context.Context) row {
	if c.conn == nil {
		return failed("latency", "no connection (handshake failed)")
	}
	took := make([]time.Duration, 0, c.cfg.Events)
	for i := range c.cfg.Events {
		start := time.Now()
		if _, err := c.publish(ctx, i, ""); err != nil {
			return failed("latency", "event %d: %v", i, err)
		}
		if _, err := c.awaitEvent(c.conn, i, time.Now().Add(c.cfg.Timeout)); err != nil {
			return failed("latency", "event %d not received: %v", i, err)
		}
		took = append(took, time.Since(start))
	}
	p50, p99 := quantile(took, 0.50), quantile(took, 0.99)
	r := row{Name: "latency", Status: pass,
		Figure: fmt.Sprintf("p50 %s p99 %s over %d events (target %s)", ms(p50), ms(p99), len(took), c.cfg.LatencyTarget),
		Values: map[string]any{"p50Ms": p50.Seconds() * 1e3, "p99Ms": p99.Seconds() * 1e3, "events": len(took), "targetMs": c.cfg.LatencyTarget.Seconds() * 1e3}}
	if p99 > c.cfg.LatencyTarget {
		r.Status = fail
	}
	return r
}

// quantile is the nearest-rank q-quantile of d (sorted in place).
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(q*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", d.Seconds()*1e3) }
