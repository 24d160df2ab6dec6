package store_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/store"
)

// blackholeProxy forwards TCP to a backend until freeze, after which the
// connections open at that moment silently drop everything in both
// directions, like a peer that vanished without a FIN or RST. Connections
// opened later forward normally.
type blackholeProxy struct {
	ln      net.Listener
	backend string
	pings   atomic.Int64 // PING commands seen going to the server

	mu    sync.Mutex
	links []*atomic.Bool // per connection: frozen
	conns []net.Conn
}

func newBlackholeProxy(t *testing.T, backend string) *blackholeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{ln: ln, backend: backend}
	t.Cleanup(p.close)
	go p.accept()
	return p
}

func (p *blackholeProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.backend)
		if err != nil {
			_ = c.Close()
			continue
		}
		frozen := new(atomic.Bool)
		p.mu.Lock()
		p.links = append(p.links, frozen)
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(s, c, frozen, true)
		go p.pipe(c, s, frozen, false)
	}
}

// pipe copies src to dst, or discards once frozen; toServer counts PINGs.
func (p *blackholeProxy) pipe(dst, src net.Conn, frozen *atomic.Bool, toServer bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && toServer {
			p.pings.Add(int64(bytes.Count(bytes.ToLower(buf[:n]), []byte("ping"))))
		}
		if n > 0 && !frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF && !frozen.Load() {
				_ = dst.Close()
			}
			return
		}
	}
}

func (p *blackholeProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.links {
		f.Store(true)
	}
}

func (p *blackholeProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// TestFeedDetectsSilentLink: a half-open connection never errors a read, so
// only the feed's PING check can notice it. The feed must reconnect, fire
// OnSubscribed again and deliver new events.
func TestFeedDetectsSilentLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Config{})
	proxy := newBlackholeProxy(t, e.srv.Addr)
	viaProxy := redis.NewClient(&redis.Options{Addr: proxy.ln.Addr().String()})
	t.Cleanup(func() { _ = viaProxy.Close() })
	lg, err := store.New(store.Config{Client: viaProxy})
	if err != nil {
		t.Fatal(err)
	}
	const interval = 50 * time.Millisecond
	_, rec := startFeed(t, lg, func(c *store.FeedConfig) { c.PingInterval = interval }, e.org)

	// A quiet but healthy link is pinged and kept.
	testutil.Eventually(t, 10*time.Second, "3 PINGs on an idle link", func() bool { return proxy.pings.Load() >= 3 })
	if n, errs := rec.nSubs(e.org), rec.nErrs(nil); n != 1 || errs != 0 {
		t.Fatalf("idle healthy link: %d OnSubscribed, %d errors; want 1, 0", n, errs)
	}

	proxy.freeze()
	start := time.Now()
	testutil.Eventually(t, 10*time.Second, "OnSubscribed after the link went silent", func() bool { return rec.nSubs(e.org) >= 2 })
	t.Logf("silent link replaced after %v (PingInterval %v)", time.Since(start), interval)
	mustPublish(t, e.log, e.org, input(1))
	testutil.Eventually(t, 10*time.Second, "event over the new link", func() bool { return rec.nEvents(e.org) == 1 })
}
