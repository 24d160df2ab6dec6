package main

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// blastResult is one ceiling write run.
type blastResult struct {
	Rounds  int64         // frames every connection got (seqs 1..Rounds)
	Writes  int64         // socket writes, one frame each
	Elapsed time.Duration // first write to last
	Errors  int64         // failed writes (a client gone): the run is void if not 0
}

// blast writes frames of size bytes to every connection, round-robin, with
// writers goroutines (each owns a slice of the sockets), for d. Frame k
// carries seq k and is built once per writer per round. All writers end on
// the same round so every client can be checked for seqs 1..Rounds.
func (s *ceilingServer) blast(d time.Duration, size, writers int) blastResult {
	s.mu.Lock()
	conns := append([]net.Conn(nil), s.conns...)
	s.mu.Unlock()
	var (
		mu      sync.Mutex
		stopped bool
		final   int64 // last round, once stopped; caller holds mu
		started int64 // highest round any writer started; caller holds mu
		writes  atomic.Int64
		errs    atomic.Int64
		wg      sync.WaitGroup
	)
	// begin reports whether round k may run, recording it as started.
	begin := func(k int64) bool {
		mu.Lock()
		defer mu.Unlock()
		if stopped && k > final {
			return false
		}
		started = max(started, k)
		return true
	}
	pad := padFor(size)
	start := time.Now()
	// A reader that stops reading would block its writer for good: the
	// deadline bounds the run whatever the clients do.
	hardStop := start.Add(d + 30*time.Second)
	fds := make([]int, len(conns))
	for i, nc := range conns {
		_ = nc.SetWriteDeadline(hardStop)
		fds[i] = sysFD(nc)
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var payload, frame []byte
			var n, bad int64
			defer func() { writes.Add(n); errs.Add(bad) }()
			for k := int64(1); begin(k) && time.Now().Before(hardStop); k++ {
				now := time.Now()
				payload = appendPayload(payload[:0], "s0", k, appendData(nil, now.UnixNano(), pad), now.UnixMilli())
				frame = appendServerFrame(frame[:0], payload)
				for i := w; i < len(conns); i += writers {
					if err := rawWrite(conns[i], fds[i], frame); err != nil {
						bad++
						continue
					}
					n++
				}
			}
		}()
	}
	time.Sleep(d)
	mu.Lock()
	stopped, final = true, started
	mu.Unlock()
	wg.Wait()
	return blastResult{Rounds: final, Writes: writes.Load(), Elapsed: time.Since(start), Errors: errs.Load()}
}

// sysFD returns nc's descriptor, or -1. The socket stays open (and the
// number valid) as long as nc is, which outlives the run.
func sysFD(nc net.Conn) int {
	fd := -1
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			_ = raw.Control(func(f uintptr) { fd = int(f) })
		}
	}
	return fd
}

// rawWrite makes the one write(2) a frame costs, straight on the
// non-blocking socket, so the ceiling is the kernel's cost and not Go's
// poller's. A full send buffer (EAGAIN) or a short write falls back to a
// blocking Write of the rest through the poller.
func rawWrite(nc net.Conn, fd int, p []byte) error {
	if fd >= 0 {
		n, err := syscall.Write(fd, p)
		if err == nil && n == len(p) {
			return nil
		}
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
			return err
		}
		p = p[max(n, 0):]
	}
	_, err := nc.Write(p)
	return err
}
