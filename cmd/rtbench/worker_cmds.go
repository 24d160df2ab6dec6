package main

import (
	"context"
	"math"
	"sync"
	"time"
)

// connectAll dials every client (resuming when resume is set) with at most
// DialConc dials in flight, and reports how many completed the handshake.
// recovered, if non-nil, is called for each resumed client.
func (w *worker) connectAll(resume bool, recovered func(ok bool)) reply {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var mu sync.Mutex
	r := reply{Type: "connect"}
	sem := make(chan struct{}, max(w.job.DialConc, 1))
	var wg sync.WaitGroup
	for _, c := range w.clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok, err := c.connect(ctx, w.token(c), resume)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failed++
				if len(r.Errors) < 5 {
					r.Errors = append(r.Errors, err.Error())
				}
				return
			}
			r.OK++
			if recovered != nil {
				recovered(ok)
			}
		}()
	}
	wg.Wait()
	r.DialSecs = time.Since(start).Seconds()
	r.Conns = w.open()
	return r
}

// token mints the client's JWT: one user per connection, so the gateway's
// per-user connection cap never applies.
func (w *worker) token(c *client) string {
	if w.tokens == nil {
		return "ceiling"
	}
	t, _ := w.tokens.token(c.idx, c.org)
	return t
}

// waitFor polls until every open client's last seq reaches its stream's
// expected seq, or until wait has passed; it returns the clients still
// behind and the time it waited.
func (w *worker) waitFor(expect map[string]int64, wait time.Duration) (behind int, waited time.Duration) {
	start := time.Now()
	for {
		behind = 0
		for _, c := range w.clients {
			if want, ok := expect[c.stream]; ok && c.chk.last.Load() < want && c.alive() {
				behind++
			}
		}
		if behind == 0 || time.Since(start) > wait {
			return behind, time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// snap waits for the expected seqs, then reports everything since the
// previous snap.
func (w *worker) snap(cmd command) reply {
	behind, waited := w.waitFor(cmd.Expect, time.Duration(cmd.WaitMs)*time.Millisecond)
	r := reply{Type: "snap", Behind: behind, DrainMs: waited.Milliseconds(), Streams: map[string]streamStats{}}
	for _, c := range w.clients {
		now := streamStats{Clients: 1, Uniq: c.chk.uniq.Load(), Dups: c.chk.dups.Load(), Gaps: c.chk.gaps.Load()}
		d := streamStats{Uniq: now.Uniq - c.prevStats.Uniq, Dups: now.Dups - c.prevStats.Dups, Gaps: now.Gaps - c.prevStats.Gaps}
		if c.alive() {
			d.Clients = 1
		}
		c.prevStats = now
		s := r.Streams[c.stream]
		s.add(d)
		r.Streams[c.stream] = s
	}
	ev, fr, by := w.events.Load(), w.frames.Load(), w.bytes.Load()
	r.Events, r.Frames, r.Bytes = ev-w.snapped[0], fr-w.snapped[1], by-w.snapped[2]
	w.snapped = [3]int64{ev, fr, by}
	r.Latency = w.latency.since()
	r.Closed, r.CloseCodes = w.closedStats()
	r.ErrorFrames = w.errorFrames.Load()
	r.Conns = w.open()
	return r
}

func (w *worker) dropAll() {
	var wg sync.WaitGroup
	for _, c := range w.clients {
		c.lastDrop = c.chk.last.Load()
		wg.Add(1)
		go func() { defer wg.Done(); c.drop() }()
	}
	wg.Wait()
}

// reconnect redials every client with its lastSeq and epoch, all at once
// (bounded by DialConc), and reports how long each took to catch up with
// its stream's target: the head when the coordinator sent the command.
func (w *worker) reconnect(cmd command) reply {
	start := time.Now()
	missed := []int64{math.MaxInt64, 0, 0}
	for _, c := range w.clients {
		t := cmd.Expect[c.stream]
		c.caughtAt.Store(0)
		c.target2.Store(t)
		m := t - c.lastDrop
		missed[0], missed[1], missed[2] = min(missed[0], m), missed[1]+m, max(missed[2], m)
	}
	unrecovered := 0
	r := w.connectAll(true, func(ok bool) {
		if !ok {
			unrecovered++
		}
	})
	r.Type = "reconnect"
	r.Behind, _ = w.waitFor(cmd.Expect, time.Until(start.Add(time.Duration(cmd.WaitMs)*time.Millisecond)))
	r.CatchUp = histCounts{}
	var slowest int64
	for _, c := range w.clients {
		if at := c.caughtAt.Load(); at > 0 {
			r.CatchUp[bucketOf(at-start.UnixNano())]++
			slowest = max(slowest, at-start.UnixNano())
		}
		c.target2.Store(0)
	}
	r.DrainMs = slowest / 1e6 // the last client to catch up
	r.Unrecovered, r.Missed = unrecovered, missed
	r.Closed, r.CloseCodes = w.closedStats()
	return r
}

// alive reports whether the client's reader is running.
func (c *client) alive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}
