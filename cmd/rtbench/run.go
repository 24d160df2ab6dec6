package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/store"
)

// env is what a scenario run shares: options, progress, and (for the
// scenarios that publish) Redis.
type env struct {
	o    *options
	prog *progress
	rdb  *redis.Client
	log  *store.Log
}

func newEnv(o *options, prog *progress) (*env, error) {
	e := &env{o: o, prog: prog}
	if o.scenario == "ceiling" || o.scenario == "conns" {
		return e, nil
	}
	e.rdb = redis.NewClient(&redis.Options{Addr: o.redisAddr, PoolSize: 64})
	var err error
	// MaxLen well above what a run publishes per org, so storms can replay.
	if e.log, err = store.New(store.Config{Client: e.rdb, MaxLen: 1_000_000}); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := e.rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis %s: %w", o.redisAddr, err)
	}
	return e, nil
}

func (e *env) close() {
	if e.rdb != nil {
		e.rdb.Close()
	}
}

// connectPool starts the workers and opens every connection; targets are
// the gateways, or the ceiling server.
func (e *env) connectPool(ctx context.Context, targets []string, ceiling bool) (*pool, connectSummary, error) {
	p, err := startPool(ctx, e.o.procs, e.prog)
	if err != nil {
		return nil, connectSummary{}, err
	}
	for i, j := range e.o.jobs(targets, ceiling) {
		if err := p.send(i, command{Cmd: "connect", Job: &j}); err != nil {
			p.close()
			return nil, connectSummary{}, err
		}
	}
	e.prog.phase(fmt.Sprintf("connect %d", e.o.conns))
	reps, err := p.gather(ctx, "connect", 10*time.Minute)
	if err != nil {
		p.close()
		return nil, connectSummary{}, err
	}
	sum := summarizeConnect(reps)
	e.prog.note("connected %d of %d in %.1fs (%.0f/s), %d failed %v", sum.OK, e.o.conns, sum.Secs, sum.Rate, sum.Failed, sum.Errors)
	return p, sum, nil
}

// connectSummary totals the workers' connect replies.
type connectSummary struct {
	OK     int      `json:"ok"`
	Failed int      `json:"failed"`
	Errors []string `json:"errors,omitempty"`
	Secs   float64  `json:"secs"` // the slowest worker's time: workers dial in parallel
	Rate   float64  `json:"perSec"`
}

func summarizeConnect(reps []reply) connectSummary {
	var s connectSummary
	for _, r := range reps {
		s.OK += r.OK
		s.Failed += r.Failed
		s.Secs = max(s.Secs, r.DialSecs)
		if len(s.Errors) < 5 {
			s.Errors = append(s.Errors, r.Errors...)
		}
	}
	if s.Secs > 0 {
		s.Rate = float64(s.OK) / s.Secs
	}
	return s
}

// snap asks every worker to wait for expect and report.
func (e *env) snap(ctx context.Context, p *pool, expect map[string]int64, wait time.Duration) (snapTotal, error) {
	if err := p.all(command{Cmd: "snap", Expect: expect, WaitMs: wait.Milliseconds()}); err != nil {
		return snapTotal{}, err
	}
	reps, err := p.gather(ctx, "snap", wait+time.Minute)
	if err != nil {
		return snapTotal{}, err
	}
	return sumSnaps(reps), nil
}

// snapTotal merges the workers' snap replies.
type snapTotal struct {
	streams              map[string]streamStats
	latency              histCounts
	events, frames       int64
	bytes                int64
	drainMs              int64 // the slowest worker
	behind, closed, open int
	closeCodes           map[int]int
	errorFrames          int64
}

func sumSnaps(reps []reply) snapTotal {
	t := snapTotal{streams: map[string]streamStats{}, latency: histCounts{}, closeCodes: map[int]int{}}
	for _, r := range reps {
		for k, v := range r.Streams {
			s := t.streams[k]
			s.add(v)
			t.streams[k] = s
		}
		t.latency.merge(r.Latency)
		t.events += r.Events
		t.frames += r.Frames
		t.bytes += r.Bytes
		t.drainMs = max(t.drainMs, r.DrainMs)
		t.behind += r.Behind
		t.closed += r.Closed
		t.open += r.Conns
		t.errorFrames += r.ErrorFrames
		for k, v := range r.CloseCodes {
			t.closeCodes[k] += v
		}
	}
	return t
}

// check compares what clients got with what was published: published maps
// each stream to the events it got in the interval.
func (t snapTotal) check(published map[string]int64) (expected, uniq, loss, dups, gaps int64) {
	for k, s := range t.streams {
		expected += int64(s.Clients) * published[k]
		uniq += s.Uniq
		dups += s.Dups
		gaps += s.Gaps
	}
	return expected, uniq, max(expected-uniq, 0), dups, gaps
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }
