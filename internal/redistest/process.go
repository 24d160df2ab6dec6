package redistest

import (
	"bufio"
	"fmt"
	"github.com/rtgw/realtime/internal/testutil"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

const (
	// startTimeout bounds how long we wait for PING after exec; redis-server
	// answers in a few milliseconds on an idle machine, so 10s only trips
	// when something is really wrong.
	startTimeout = 10 * time.Second
	// stopTimeout is how long SIGTERM gets before SIGKILL.
	stopTimeout = 5 * time.Second
)

// process is one running redis-server.
type process struct {
	cmd    *exec.Cmd
	out    *syncBuffer   // server log, shown when start fails
	exited chan struct{} // closed when the process has exited
}

func startProcess(port int, extra []string) (*process, error) {
	args := append([]string{
		"--save", "", "--appendonly", "no",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
	}, extra...)
	p := &process{cmd: exec.Command("redis-server", args...), out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec redis-server: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	if err := p.waitReady("127.0.0.1:" + strconv.Itoa(port)); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w\nredis-server log:\n%s", err, p.out.String())
	}
	return p, nil
}

// waitReady polls with PING until the server answers, the process exits
// (e.g. the port was taken), or startTimeout passes.
func (p *process) waitReady(addr string) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("redis-server on %s exited during startup", addr)
		default:
		}
		if ping(addr) == nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer PING within %v", addr, startTimeout)
}

// ping speaks raw RESP so the helper does not depend on client behaviour
// (retries, RESP3 negotiation) that the tests may want to exercise.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// syncBuffer is the server log, written by exec's copier goroutines
// while a failing start reads it.
type syncBuffer = testutil.LockedBuffer
