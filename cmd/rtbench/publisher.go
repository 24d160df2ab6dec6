package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/rtgw/realtime/store"
)

// publisher publishes benchmark events with the Go API (store.Log.Publish:
// one Lua call per batch). Each stream (org/service) has one goroutine, so
// a stream's seqs, and the counts below, are in publish order.
type publisher struct {
	log     *store.Log
	streams []streamRef
	batch   int
	pad     int

	mu    sync.Mutex
	last  map[string]int64 // stream → last seq published
	count map[string]int64 // stream → events published
	fails int64            // calls that failed (their events are not counted)
	err   error            // the first failure
}

// streamRef names one stream.
type streamRef struct{ org, svc, key string }

// streamFor names service svc of org org in run runID. The publisher and
// the workers both name streams through it, so they cannot disagree.
func streamFor(runID string, org, svc int) streamRef {
	r := streamRef{org: fmt.Sprintf("%s-o%d", runID, org), svc: fmt.Sprintf("s%d", svc)}
	r.key = r.org + "/" + r.svc
	return r
}

// benchStreams lists the streams of a run that have clients.
func benchStreams(o *options) []streamRef {
	var out []streamRef
	for org := range min(o.orgs, o.conns) {
		// The org's clients are org, org+orgs, …; its k-th follows service
		// k mod services (worker.newClient).
		clients := (o.conns - org + o.orgs - 1) / o.orgs
		for svc := range min(o.services, clients) {
			out = append(out, streamFor(o.runID, org, svc))
		}
	}
	return out
}

func newPublisher(log *store.Log, streams []streamRef, batch, size int) *publisher {
	return &publisher{log: log, streams: streams, batch: batch, pad: padFor(size),
		last: map[string]int64{}, count: map[string]int64{}}
}

// run publishes rate events per second, spread evenly over the streams, for
// d. Each stream's calls follow a fixed schedule; a late call is made at
// once, never skipped, so the count is exact and a slow Redis shows as a
// lower achieved rate.
func (p *publisher) run(ctx context.Context, rate float64, d time.Duration) {
	per := rate / float64(len(p.streams))
	every := time.Duration(float64(time.Second) * float64(p.batch) / per)
	calls := int(d / max(every, 1))
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range p.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stagger the streams so their calls do not all land at once.
			offset := every * time.Duration(i) / time.Duration(len(p.streams))
			for n := range max(calls, 1) {
				if wait := time.Until(start.Add(offset + every*time.Duration(n))); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						return
					}
				}
				p.publish(ctx, s, p.batch)
			}
		}()
	}
	wg.Wait()
}

// burst publishes n events to every stream as fast as one call at a time
// allows (storm: what the clients miss while away).
func (p *publisher) burst(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for _, s := range p.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left := n; left > 0; left -= p.batch {
				p.publish(ctx, s, min(left, p.batch))
			}
		}()
	}
	wg.Wait()
}

// publish makes one call of n events, stamped with the time now.
func (p *publisher) publish(ctx context.Context, s streamRef, n int) {
	data := json.RawMessage(appendData(nil, time.Now().UnixNano(), p.pad))
	evs := make([]store.Input, n)
	for i := range evs {
		evs[i] = store.Input{Service: s.svc, Type: "bench", Data: data}
	}
	_, last, err := p.log.Publish(ctx, s.org, evs...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.fails++
		if p.err == nil {
			p.err = err
		}
		return
	}
	p.last[s.key] = last
	p.count[s.key] += int64(n)
}

// snapshot returns the last seq and the count of every stream so far.
func (p *publisher) snapshot() (last, count map[string]int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.last), maps.Clone(p.count)
}

// failures returns how many calls failed so far and the first error.
func (p *publisher) failures() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fails, p.err
}
