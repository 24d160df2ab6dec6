package main

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// ceilingResult is the physical write ceiling with a fan-out run's
// connection count, frame size and readers.
type ceilingResult struct {
	Conns        int            `json:"conns"`
	Size         int            `json:"size"`
	Writers      int            `json:"writers"`
	Connect      connectSummary `json:"connect"`
	Writes       int64          `json:"writes"`
	WritesPerSec float64        `json:"writesPerSec"`
	Rounds       int64          `json:"rounds"`
	Secs         float64        `json:"secs"`
	Loss         int64          `json:"loss"`
	Dups         int64          `json:"dups"`
	WriteErrors  int64          `json:"writeErrors"`
	Latency      latencyMs      `json:"latencyMs"`
	ServerCores  float64        `json:"serverCores"`      // CPU the server used during the run
	NsPerWrite   float64        `json:"serverNsPerWrite"` // server CPU per write: compare with the gateway's ns per delivery
}

// runCeiling serves the clients from a bare in-process server and measures
// how many frames per second the box can write to them.
func runCeiling(ctx context.Context, e *env) (*ceilingResult, error) {
	o := e.o
	if err := ensureFiles(o.conns + 256); err != nil {
		return nil, fmt.Errorf("ceiling server: %w", err)
	}
	srv, err := startCeilingServer("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.close()
	p, conn, err := e.connectPool(ctx, []string{srv.addr()}, true)
	if err != nil {
		return nil, err
	}
	defer p.close()
	if n := srv.count(); n != conn.OK {
		return nil, fmt.Errorf("ceiling server admitted %d connections, clients report %d", n, conn.OK)
	}
	e.prog.phase("ceiling write run")
	cpu0 := processCPU()
	var b blastResult
	p.await(func() { b = srv.blast(o.duration, o.size, o.writers) })
	cpu := processCPU() - cpu0
	snap, err := e.snap(ctx, p, map[string]int64{"ceiling": b.Rounds}, 30*time.Second)
	if err != nil {
		return nil, err
	}
	_, _, loss, dups, gaps := snap.check(map[string]int64{"ceiling": b.Rounds})
	r := &ceilingResult{Conns: o.conns, Size: o.size, Writers: o.writers, Connect: conn,
		Writes: b.Writes, Rounds: b.Rounds, Secs: b.Elapsed.Seconds(),
		WritesPerSec: float64(b.Writes) / b.Elapsed.Seconds(),
		Loss:         max(loss, gaps), Dups: dups, WriteErrors: b.Errors, Latency: latencyOf(snap.latency)}
	r.ServerCores = cpu.Seconds() / b.Elapsed.Seconds()
	r.NsPerWrite = float64(cpu.Nanoseconds()) / float64(max(b.Writes, 1))
	return r, nil
}

// latencyMs summarizes a latency histogram in milliseconds.
type latencyMs struct {
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	Count int64   `json:"count"`
}

func latencyOf(h histCounts) latencyMs {
	return latencyMs{P50: ms(h.quantile(0.5)), P99: ms(h.quantile(0.99)), P999: ms(h.quantile(0.999)),
		Max: ms(h.quantile(1)), Count: h.total()}
}

// processCPU is the user + system CPU this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
