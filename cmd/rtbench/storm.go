package main

import (
	"context"
	"fmt"
	"time"
)

// stormResult is a reconnect storm: every client drops at once, misses
// events, and resumes with lastSeq + epoch while events keep flowing.
type stormResult struct {
	Conns          int            `json:"conns"`
	Orgs           int            `json:"orgs"`
	Rate           float64        `json:"rate"` // background events/s, all orgs
	Connect        connectSummary `json:"connect"`
	Reconnected    int            `json:"reconnected"`
	ReconnectFail  int            `json:"reconnectFailed"`
	Errors         []string       `json:"errors,omitempty"`
	Unrecovered    int            `json:"unrecovered"`
	MissedMin      int64          `json:"missedMin"`
	MissedAvg      float64        `json:"missedAvg"`
	MissedMax      int64          `json:"missedMax"`
	DialSecs       float64        `json:"dialSecs"`       // every reconnect dialed and acked
	AllCaughtUpMs  int64          `json:"allCaughtUpMs"`  // every client had the head of the reconnect moment
	CatchUp        latencyMs      `json:"catchUpMs"`      // per client, from the reconnect command
	Behind         int            `json:"behind"`         // clients not caught up when the wait ended
	RedisPerReconn float64        `json:"redisPerReconn"` // commands above the steady publishing rate
	RedisCmds      []cmdRate      `json:"redisPerReconnByCmd"`
	Loss           int64          `json:"loss"`
	Dups           int64          `json:"dups"`
	Gaps           int64          `json:"gaps"`
	Closed         int            `json:"closed"`
}

// runStorm: connect, warm up, publish in the background, measure the
// steady Redis rate, drop every client, publish -miss events per org,
// reconnect all, then verify every client's stream end to end.
func runStorm(ctx context.Context, e *env) (*stormResult, error) {
	o := e.o
	o.services = 1 // dense streams: every gap is seen by the client itself
	p, conn, err := e.connectPool(ctx, o.gateways, false)
	if err != nil {
		return nil, err
	}
	defer p.close()
	r := &stormResult{Conns: o.conns, Orgs: o.orgs, Rate: o.rate, Connect: conn}
	pub := newPublisher(e.log, benchStreams(o), o.batch, o.size)
	pub.burst(ctx, 5)
	last, countWarm := pub.snapshot()
	if _, err := e.snap(ctx, p, last, 30*time.Second); err != nil {
		return nil, err
	}
	bg, stopBG := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	go func() { pub.run(bg, o.rate, o.timeout); close(bgDone) }()
	defer func() { stopBG(); <-bgDone }()

	base, baseSecs, err := e.steadyRedis(ctx, p, 3*time.Second)
	if err != nil {
		return nil, err
	}
	e.prog.phase("drop all")
	if err := p.all(command{Cmd: "drop"}); err != nil {
		return nil, err
	}
	if _, err := p.gather(ctx, "drop", time.Minute); err != nil {
		return nil, err
	}
	pub.burst(ctx, o.miss)
	target, _ := pub.snapshot()
	if err := e.reconnect(ctx, p, r, target, base, baseSecs); err != nil {
		return nil, err
	}
	stopBG()
	<-bgDone
	final, countEnd := pub.snapshot()
	snap, err := e.snap(ctx, p, final, 30*time.Second)
	if err != nil {
		return nil, err
	}
	published := map[string]int64{}
	for k, v := range countEnd {
		published[k] = v - countWarm[k]
	}
	_, _, r.Loss, r.Dups, r.Gaps = snap.check(published)
	r.Closed = snap.closed
	return r, nil
}

// steadyRedis measures Redis commands per second while nothing but the
// background publishing runs.
func (e *env) steadyRedis(ctx context.Context, p *pool, d time.Duration) (cmdStats, float64, error) {
	e.prog.phase("steady redis rate")
	s0, err := commandStats(ctx, e.rdb)
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	if err := p.wait(ctx, d); err != nil {
		return nil, 0, err
	}
	s1, err := commandStats(ctx, e.rdb)
	return s1.minus(s0), time.Since(t0).Seconds(), err
}

// reconnect runs the storm's reconnect phase and fills r.
func (e *env) reconnect(ctx context.Context, p *pool, r *stormResult, target map[string]int64, base cmdStats, baseSecs float64) error {
	e.prog.phase("reconnect all")
	s0, err := commandStats(ctx, e.rdb)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := p.all(command{Cmd: "reconnect", Expect: target, WaitMs: 60_000}); err != nil {
		return err
	}
	reps, err := p.gather(ctx, "reconnect", 3*time.Minute)
	if err != nil {
		return err
	}
	s1, err := commandStats(ctx, e.rdb)
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	catch := histCounts{}
	var missedSum int64
	r.MissedMin = 1 << 62
	for _, x := range reps {
		r.Reconnected += x.OK
		r.ReconnectFail += x.Failed
		r.Errors = append(r.Errors, x.Errors...)
		r.Unrecovered += x.Unrecovered
		r.Behind += x.Behind
		r.DialSecs = max(r.DialSecs, x.DialSecs)
		r.AllCaughtUpMs = max(r.AllCaughtUpMs, x.DrainMs)
		catch.merge(x.CatchUp)
		if len(x.Missed) == 3 {
			r.MissedMin, missedSum, r.MissedMax = min(r.MissedMin, x.Missed[0]), missedSum+x.Missed[1], max(r.MissedMax, x.Missed[2])
		}
	}
	r.MissedAvg = float64(missedSum) / float64(max(e.o.conns, 1))
	r.CatchUp = latencyOf(catch)
	excess := s1.minus(s0)
	for k, v := range base {
		excess[k] -= int64(float64(v) * secs / baseSecs)
	}
	n := float64(max(r.Reconnected, 1))
	r.RedisPerReconn = float64(excess.total()) / n
	r.RedisCmds = excess.perUnit(n)
	e.prog.note("reconnected %d in %.1fs, all caught up after %d ms, %.1f Redis commands per reconnect",
		r.Reconnected, r.DialSecs, r.AllCaughtUpMs, r.RedisPerReconn)
	if r.ReconnectFail > 0 {
		return fmt.Errorf("%d reconnects failed: %v", r.ReconnectFail, r.Errors)
	}
	return nil
}
