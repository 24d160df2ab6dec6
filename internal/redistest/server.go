// Package redistest starts a real redis-server for tests.
//
// We have no Docker in CI, and miniredis does not behave like Redis in the
// places the log depends on (approximate trimming, connection kills, restarts),
// so tests that need the real thing start their own server on a free loopback
// port and stop it in t.Cleanup:
//
//	srv := redistest.Start(t)
//	rdb := srv.Client(t)
//	org := redistest.UniqueName(t)
//
// A server started by Start belongs to one test; give each test a unique key
// prefix or org (UniqueName) anyway, so subtests can run with t.Parallel().
package redistest

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// Server is one redis-server process owned by a test.
type Server struct {
	// Addr is host:port of the server, stable across Restart.
	Addr string

	port int
	args []string
	t    testing.TB

	mu   sync.Mutex // guards proc
	proc *process   // nil while stopped
}

// Start starts redis-server with `--save "" --appendonly no` on a free
// loopback port, plus args, and waits until it answers PING. The server is
// stopped in t.Cleanup. A missing redis-server fails the test rather than
// skipping it: a skipped suite looks green in CI and hides the gap.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found: install it with `apt-get install -y redis-server`")
	}
	// Its own working directory: redis-server loads dump.rdb from its
	// directory at start, and a replica writes the RDB it receives there,
	// so a shared directory (the package's) leaks data between tests and
	// runs. Args may override it (a later --dir wins).
	s := &Server{args: append([]string{"--dir", t.TempDir()}, args...), t: t}
	if err := s.startFreePort(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// startFreePort retries because the port we pick is free only until we close
// our probe listener; another process can take it before redis-server binds.
func (s *Server) startFreePort() error {
	var err error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			return err
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
		if err = s.start(); err == nil {
			return nil
		}
	}
	return err
}

// Stop stops the server and waits for it to exit. Stopping a stopped server
// is a no-op.
func (s *Server) Stop() {
	if p := s.detach(); p != nil {
		p.stop()
	}
}

// Restart stops the server and starts a fresh one on the same port, with an
// empty dataset (--save ""), for outage tests: clients see their connections
// drop and then reconnect. It fails the test that called Start, so call it
// from that test's goroutine.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart on %s: %v", s.Addr, err)
	}
}

// CLI runs the real redis-cli against the server and returns its combined
// output. An error means redis-cli exited non-zero; note that redis-cli
// exits 0 on most Redis error replies and prints "(error) ..." instead.
func (s *Server) CLI(t testing.TB, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli not found: install it with `apt-get install -y redis-server`")
	}
	full := append([]string{"-p", strconv.Itoa(s.port)}, args...)
	var out bytes.Buffer
	cmd := exec.Command("redis-cli", full...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("redis-cli %v: %w: %s", args, err, out.String())
	}
	return out.String(), nil
}

func (s *Server) start() error {
	p, err := startProcess(s.port, s.args)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// Kill SIGKILLs the server, as a crash would: no shutdown, no final write.
// Restart brings it back empty.
func (s *Server) Kill() {
	if p := s.detach(); p != nil {
		p.kill()
	}
}

// detach takes the running process out of s (nil when stopped), so that
// waiting for it to exit happens outside s.mu and a second Stop or Kill
// finds nothing to do.
func (s *Server) detach() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	s.proc = nil
	return p
}

// Log is what the running server has printed so far ("" when stopped).
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ""
	}
	return s.proc.out.String()
}
