package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// pool is the coordinator's view of its worker processes: the same binary
// re-executed with the hidden -worker flag.
type pool struct {
	procs   []*proc
	replies chan reply
	mu      sync.Mutex
	latest  []reply // last progress report of each worker
	prog    *progress
}

type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
}

// startPool starts n workers. They are killed when ctx ends.
func startPool(ctx context.Context, n int, prog *progress) (*pool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &pool{replies: make(chan reply, 4*n), latest: make([]reply, n), prog: prog}
	for i := range n {
		cmd := exec.CommandContext(ctx, exe, "-worker")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			p.close()
			return nil, fmt.Errorf("start worker: %w", err)
		}
		p.procs = append(p.procs, &proc{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin)})
		go p.read(i, stdout)
	}
	return p, nil
}

// read forwards worker i's replies; progress replies only update latest.
func (p *pool) read(i int, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var rep reply
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			rep = reply{Type: "error", Err: fmt.Sprintf("worker %d: bad reply: %v", i, err)}
		}
		rep.Worker = i
		if rep.Type == "progress" {
			p.mu.Lock()
			p.latest[i] = rep
			p.mu.Unlock()
			continue
		}
		p.replies <- rep
	}
	p.replies <- reply{Type: "exit", Worker: i}
}

// send gives worker i a command.
func (p *pool) send(i int, c command) error {
	if err := p.procs[i].enc.Encode(c); err != nil {
		return fmt.Errorf("worker %d: %w", i, err)
	}
	return nil
}

// all gives every worker the same command.
func (p *pool) all(c command) error {
	for i := range p.procs {
		if err := p.send(i, c); err != nil {
			return err
		}
	}
	return nil
}

// gather waits for one reply of type typ from every worker, printing
// progress meanwhile. A worker error or exit, limit or ctx ends it early.
func (p *pool) gather(ctx context.Context, typ string, limit time.Duration) ([]reply, error) {
	got := make([]reply, len(p.procs))
	seen := make([]bool, len(p.procs))
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for have := 0; have < len(p.procs); {
		select {
		case r := <-p.replies:
			switch {
			case r.Type == "error" || r.Type == "exit":
				return nil, fmt.Errorf("worker %d: %s %s", r.Worker, r.Type, r.Err)
			case r.Type == typ && !seen[r.Worker]:
				got[r.Worker], seen[r.Worker] = r, true
				have++
			}
		case <-tick.C:
			p.prog.tick(p.totals())
		case <-timeout.C:
			return nil, fmt.Errorf("workers did not answer %q within %s", typ, limit)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return got, nil
}

// await runs f and prints progress until it returns.
func (p *pool) await(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			p.prog.tick(p.totals())
		}
	}
}

// wait sleeps for d, printing progress.
func (p *pool) wait(ctx context.Context, d time.Duration) error {
	end := time.NewTimer(d)
	defer end.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-end.C:
			return nil
		case <-tick.C:
			p.prog.tick(p.totals())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// totals sums the workers' latest progress reports.
func (p *pool) totals() reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	var t reply
	for _, r := range p.latest {
		t.Conns += r.Conns
		t.Events += r.Events
		t.Frames += r.Frames
		t.Bytes += r.Bytes
	}
	return t
}

// close asks every worker to close its connections and exit, and waits up
// to 30 s for them; the context given to startPool kills stragglers.
func (p *pool) close() {
	for _, pr := range p.procs {
		_ = pr.enc.Encode(command{Cmd: "close"})
		pr.stdin.Close()
	}
	done := make(chan struct{})
	go func() {
		for _, pr := range p.procs {
			_ = pr.cmd.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		for _, pr := range p.procs {
			_ = pr.cmd.Process.Kill()
		}
	}
}
