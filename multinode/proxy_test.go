package multinode

import (
	"io"
	"net"
	"sync"
	"testing"
)

// linkProxy is a TCP proxy between one gateway node and Redis that a test
// cuts and restores: cut closes every proxied connection and refuses new
// ones (accepted, then closed at once), which is what a node sees when its
// network link to Redis goes down.
type linkProxy struct {
	Addr string

	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool                  // caller holds mu
	conns  map[net.Conn]struct{} // both ends of every live pair; caller holds mu
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c, up)
	}
}

func (p *linkProxy) track(a, b net.Conn) {
	p.mu.Lock()
	p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Add(2)
	go pipe(a, b)
	go pipe(b, a)
}

// cut drops the link: live connections are closed, new ones refused.
func (p *linkProxy) cut() {
	p.mu.Lock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// restore lets new connections through again.
func (p *linkProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
