package main

import (
	"context"
	"fmt"
)

// fanoutResult is a fan-out run: optional ceiling, then one step per rate.
type fanoutResult struct {
	Conns    int            `json:"conns"`
	Orgs     int            `json:"orgs"`
	Services int            `json:"services"`
	Size     int            `json:"size"`
	Batch    int            `json:"batch"`
	Procs    int            `json:"procs"`
	Ceiling  *ceilingResult `json:"ceiling,omitempty"`
	Connect  connectSummary `json:"connect"`
	Steps    []*stepResult  `json:"steps"`
	Max      *stepResult    `json:"max,omitempty"`  // -find-max: the highest sustained step
	Half     *stepResult    `json:"half,omitempty"` // -find-max: a step at 50% of Max
}

// runFanout measures the ceiling (if asked), connects, then runs one step at
// -rate or the -find-max search.
func runFanout(ctx context.Context, e *env) (*fanoutResult, error) {
	o := e.o
	r := &fanoutResult{Conns: o.conns, Orgs: o.orgs, Services: o.services, Size: o.size, Batch: o.batch, Procs: o.procs}
	if o.withCeiling {
		c, err := runCeiling(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
		r.Ceiling = c
		e.prog.note("ceiling: %.0f writes/s", c.WritesPerSec)
	}
	p, conn, err := e.connectPool(ctx, o.gateways, false)
	if err != nil {
		return nil, err
	}
	defer p.close()
	r.Connect = conn
	if conn.Failed > 0 {
		return r, fmt.Errorf("%d connections failed: %v", conn.Failed, conn.Errors)
	}
	run := &stepRunner{e: e, p: p, pub: newPublisher(e.log, benchStreams(o), o.batch, o.size), res: r}
	if !o.findMax {
		_, err := run.step(ctx, o.rate)
		return r, err
	}
	return r, run.search(ctx)
}

// stepRunner runs publishing steps against connected workers.
type stepRunner struct {
	e      *env
	p      *pool
	pub    *publisher
	res    *fanoutResult
	closed int // connections closed by the server before this step
}
