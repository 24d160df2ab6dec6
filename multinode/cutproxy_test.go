package multinode

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cutProxy is a TCP proxy in front of gateway nodes that loses answers: for
// a random share of connections it forwards the request, waits for the
// node's first answer byte — so the node has handled the request — and then
// closes both sides instead of forwarding it. Each connection goes to the
// first upstream that accepts it, so a dead node fails over to the next.
type cutProxy struct {
	ln        net.Listener
	upstreams func() []string
	share     float64 // of connections whose answer is lost

	mu  sync.Mutex
	rng *rand.Rand

	cuts   atomic.Int64 // answers dropped
	cuts2x atomic.Int64 // of them, 200s: the node had published
	wg     sync.WaitGroup
}

// startCutProxy listens on a free port; it stops in t.Cleanup. The seed is
// logged so a failing run can be replayed.
func startCutProxy(t *testing.T, share float64, seed uint64, upstreams func() []string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, upstreams: upstreams, share: share, rng: rand.New(rand.NewPCG(seed, 0))}
	t.Logf("cut proxy on %s, cutting %.0f%% of answers, seed %d", ln.Addr(), share*100, seed)
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.rng.Float64() < p.share
		p.mu.Unlock()
		p.wg.Go(func() { p.serve(c, cut) })
	}
}

// serve relays one client connection; the relay ends when either side
// closes, and the connection ends with it.
func (p *cutProxy) serve(c net.Conn, cut bool) {
	defer c.Close()
	up := p.dial()
	if up == nil {
		return
	}
	defer up.Close()
	p.wg.Go(func() {
		_, _ = io.Copy(up, c) // ends when serve closes c, at the latest
		_ = up.Close()        // unblocks the read below when the client leaves first
	})
	first := make([]byte, 64<<10)
	n, err := up.Read(first)
	if err != nil {
		return
	}
	if cut {
		p.cuts.Add(1)
		if bytes.HasPrefix(first[:n], []byte("HTTP/1.1 200")) {
			p.cuts2x.Add(1)
		}
		return
	}
	if _, err := c.Write(first[:n]); err != nil {
		return
	}
	_, _ = io.Copy(c, up)
}

// dial connects to the first upstream that accepts, or returns nil.
func (p *cutProxy) dial() net.Conn {
	for _, a := range p.upstreams() {
		if up, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			return up
		}
	}
	return nil
}
