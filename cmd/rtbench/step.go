package main

import (
	"context"
	"fmt"
	"time"
)

// stepResult is one publishing step at a fixed rate.
type stepResult struct {
	Rate           float64   `json:"rate"` // target events/s
	PubRate        float64   `json:"pubRate"`
	Published      int64     `json:"published"`
	Expected       int64     `json:"expected"` // deliveries owed: Σ clients × events of their stream
	Delivered      int64     `json:"delivered"`
	Loss           int64     `json:"loss"`
	Dups           int64     `json:"dups"`
	Gaps           int64     `json:"gaps"`
	Behind         int       `json:"behind"`
	Closed         int       `json:"closed"`
	DrainMs        int64     `json:"drainMs"`
	DeliveriesPS   float64   `json:"deliveriesPerSec"`
	FramesPS       float64   `json:"framesPerSec"`
	EventsPerFrame float64   `json:"eventsPerFrame"`
	RatioCeiling   float64   `json:"framesToCeiling,omitempty"`
	Latency        latencyMs `json:"latencyMs"`
	GatewayCores   float64   `json:"gatewayCores"`
	CPUNsPerDeliv  float64   `json:"gatewayCpuNsPerDelivery"`
	RedisPerEvent  float64   `json:"redisCmdsPerEvent"`
	RedisCmds      []cmdRate `json:"redisCmdsPerEventByCmd"`
	OK             bool      `json:"ok"`
	Why            string    `json:"why,omitempty"`
}

// step publishes at rate for -duration, waits for the clients, and checks
// every delivery.
func (s *stepRunner) step(ctx context.Context, rate float64) (*stepResult, error) {
	o := s.e.o
	st := &stepResult{Rate: rate}
	s.e.prog.phase(fmt.Sprintf("step %.0f ev/s", rate))
	redis0, err := commandStats(ctx, s.e.rdb)
	if err != nil {
		return nil, err
	}
	gw0, err := scrapeAll(ctx, o.gateways)
	if err != nil {
		return nil, err
	}
	_, count0 := s.pub.snapshot()
	start := time.Now()
	s.p.await(func() { s.pub.run(ctx, rate, o.duration) })
	pubSecs := time.Since(start).Seconds()
	last, count1 := s.pub.snapshot()
	snap, err := s.e.snap(ctx, s.p, last, o.drainMax+10*time.Second)
	if err != nil {
		return nil, err
	}
	wall := time.Since(start).Seconds()
	gw1, err := scrapeAll(ctx, o.gateways)
	if err != nil {
		return nil, err
	}
	redis1, err := commandStats(ctx, s.e.rdb)
	if err != nil {
		return nil, err
	}
	published := map[string]int64{}
	for k, v := range count1 {
		published[k] = v - count0[k]
		st.Published += published[k]
	}
	st.Expected, st.Delivered, st.Loss, st.Dups, st.Gaps = snap.check(published)
	st.Behind, st.Closed, st.DrainMs = snap.behind, snap.closed-s.closed, snap.drainMs
	s.closed = snap.closed
	busy := pubSecs + float64(snap.drainMs)/1000 // publishing plus the tail of delivery
	st.PubRate = float64(st.Published) / pubSecs
	st.DeliveriesPS = float64(st.Delivered) / busy
	st.FramesPS = float64(snap.frames) / busy
	st.EventsPerFrame = float64(snap.events) / max(float64(snap.frames), 1)
	if c := s.res.Ceiling; c != nil && c.WritesPerSec > 0 {
		st.RatioCeiling = st.FramesPS / c.WritesPerSec
	}
	st.Latency = latencyOf(snap.latency)
	cpu := sumDelta(gw0, gw1, "process_cpu_seconds_total")
	st.GatewayCores = cpu / wall
	st.CPUNsPerDeliv = cpu * 1e9 / max(float64(st.Delivered), 1)
	rc := redis1.minus(redis0)
	st.RedisPerEvent = float64(rc.total()) / max(float64(st.Published), 1)
	st.RedisCmds = rc.perUnit(max(float64(st.Published), 1))
	st.judge(o)
	s.res.Steps = append(s.res.Steps, st)
	if n, err := s.pub.failures(); n > 0 {
		s.e.prog.note("%d publish calls failed so far, the first with: %v", n, err)
	}
	s.e.prog.note("step %.0f ev/s: %.0f deliveries/s, %.0f frames/s, loss %d dups %d closed %d drain %dms p99 %.2fms → %v %s",
		rate, st.DeliveriesPS, st.FramesPS, st.Loss, st.Dups, st.Closed, st.DrainMs, st.Latency.P99, st.OK, st.Why)
	return st, nil
}

// judge decides whether the step was sustained with zero loss.
func (st *stepResult) judge(o *options) {
	switch {
	case st.Loss > 0 || st.Gaps > 0:
		st.Why = fmt.Sprintf("lost %d deliveries", max(st.Loss, st.Gaps))
	case st.Dups > 0:
		st.Why = fmt.Sprintf("%d duplicates", st.Dups)
	case st.Closed > 0:
		st.Why = fmt.Sprintf("%d connections closed by the gateway", st.Closed)
	case st.Behind > 0:
		st.Why = fmt.Sprintf("%d clients still behind", st.Behind)
	case time.Duration(st.DrainMs)*time.Millisecond > o.drainMax:
		st.Why = fmt.Sprintf("backlog: %d ms to deliver after the last publish", st.DrainMs)
	case o.maxPerFrame > 0 && st.EventsPerFrame > o.maxPerFrame:
		st.Why = fmt.Sprintf("%.2f events per frame: the gateway is coalescing a backlog", st.EventsPerFrame)
	case st.PubRate < 0.95*st.Rate:
		st.Why = fmt.Sprintf("publisher reached only %.0f events/s", st.PubRate)
	default:
		st.OK = true
	}
}
