package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints one status line to stderr at most once a second while a
// long phase runs: connections open and events received, with rates.
type progress struct {
	out   io.Writer
	mu    sync.Mutex
	label string
	start time.Time
	last  time.Time
	prev  reply
}

func newProgress(out io.Writer) *progress { return &progress{out: out, start: time.Now()} }

// phase names what runs now; it appears in every following line.
func (p *progress) phase(label string) {
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
}

// tick prints t unless a line was printed less than a second ago.
func (p *progress) tick(t reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < time.Second {
		return
	}
	secs := now.Sub(p.last).Seconds()
	if p.last.IsZero() {
		secs = 1
	}
	if t.Events < p.prev.Events { // a new pool of workers: counters start again
		p.prev = reply{}
	}
	ev := float64(t.Events-p.prev.Events) / secs
	fr := float64(t.Frames-p.prev.Frames) / secs
	fmt.Fprintf(p.out, "rtbench %5.0fs %-28s conns %6d  events/s %9.0f  frames/s %9.0f\n",
		now.Sub(p.start).Seconds(), p.label, t.Conns, ev, fr)
	p.last, p.prev = now, t
}

// note prints a free-form line.
func (p *progress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "rtbench %5.0fs "+format+"\n", append([]any{time.Since(p.start).Seconds()}, args...)...)
}
