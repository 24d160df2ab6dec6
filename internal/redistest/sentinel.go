package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Sentinel is a real redis-server in sentinel mode, monitoring one master.
type Sentinel struct {
	Addr string
	proc *process
}

// StartSentinel starts a sentinel watching master under name, with a quorum
// of 1 and short timeouts so tests see a failover within seconds. It stops
// in t.Cleanup.
func StartSentinel(t testing.TB, master *Server, name string) *Sentinel {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found: install it with `apt-get install -y redis-server`")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		port, name, master.port, name, name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: exec.Command("redis-server", conf, "--sentinel"), out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start sentinel: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	s := &Sentinel{Addr: "127.0.0.1:" + strconv.Itoa(port), proc: p}
	if err := p.waitReady(s.Addr); err != nil {
		p.stop()
		t.Fatalf("sentinel: %v\n%s", err, p.out.String())
	}
	t.Cleanup(p.stop)
	return s
}

// ReplicaOf starts a replica of master, stopped in t.Cleanup.
func ReplicaOf(t testing.TB, master *Server) *Server {
	t.Helper()
	r := Start(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	return r
}
