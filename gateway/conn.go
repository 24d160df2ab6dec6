package gateway

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/internal/netpoll"
)

// connState is where a connection is in its life. It only moves forward.
type connState int32

const (
	stateHandshake connState = iota // upgraded, waiting for the client's first message
	stateJoining                    // handshake accepted, replaying / attaching to the org tail
	stateActive                     // receiving live events
	stateClosing                    // close frame queued, flushing what is left
	stateLinger                     // close frame sent, waiting for the peer's close or EOF
	stateClosed                     // socket closed, unregistered everywhere
)

// conn is one WebSocket connection. It has no goroutine of its own: the read
// poller hands it to a reader when bytes arrive, and the writer pool flushes
// it while it has a backlog (see docs/ARCHITECTURE.md).
type conn struct {
	id    uint64
	s     *Server
	nc    net.Conn
	raw   syscall.RawConn
	rdesc *netpoll.Desc
	wdesc *netpoll.Desc
	links [numLinks]*conn // intrusive workQueue links; owned by the queues

	// Set before the connection is shared, read-only afterwards.
	remote  string
	deflate bool // negotiated permessage-deflate (no context takeover both ways)
	org     string
	user    string
	claims  auth.Claims
	counted bool // holds a slot in Server.limits

	lastRead atomic.Int64 // unix nanos of the last frame from the peer

	// Owned by whichever reader holds the connection (one at a time: the read
	// registration is one-shot and re-armed only when the reader is done).
	pre     []byte     // bytes the HTTP server buffered past the upgrade request
	frag    fragBuf    // a fragmented message being reassembled
	partial []byte     // an incomplete frame, kept until the rest arrives
	hs      *handshake // the accepted handshake, handed to a joiner

	partialSince atomic.Int64 // unix nanos when partial became non-empty, 0 if empty (read by the sweep)

	mu         sync.Mutex
	state      connState     // caller holds mu
	out        outQueue      // caller holds mu
	scheduled  bool          // queued on the writers, being written, or waiting for EPOLLOUT; caller holds mu
	writing    bool          // a writev is in flight on a snapshot of out; caller holds mu
	pending    *Disconnect   // a close requested while writing; caller holds mu
	peerClosed bool          // the peer sent its close frame; caller holds mu
	closeCode  CloseCode     // caller holds mu
	deadline   time.Time     // handshake deadline, then close deadline; caller holds mu
	nextPing   time.Time     // caller holds mu
	drained    chan struct{} // closed when the backlog falls under half the cap; caller holds mu
	pongQueued atomic.Bool   // a pong is waiting in out; further pings are answered by it
	tail       *orgTail      // the org tail this connection holds a reference on; caller holds mu
	services   []string      // subscribed services, set at join; caller holds mu
}

func (c *conn) setState(st connState) {
	c.mu.Lock()
	if c.state < st && c.state < stateClosing {
		c.state = st
	}
	c.mu.Unlock()
}

func (c *conn) currentState() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// send queues a frame for the peer. It never blocks and never writes to the
// socket: past the outbound cap it closes the connection as a slow consumer.
func (c *conn) send(f *frame) {
	c.mu.Lock()
	if c.state < stateClosing {
		c.enqueueLocked(f)
	}
	c.mu.Unlock()
}

func (c *conn) enqueueLocked(f *frame) {
	size := len(f.wire(c.deflate))
	if c.out.bytes+size+frameOverhead > c.s.cfg.OutboundQueueBytes {
		c.s.metrics.slowConsumers.Inc()
		c.closeLocked(disconnect(CloseSlowConsumer, "client is not reading fast enough; reconnect with lastSeq"))
		return
	}
	c.out.push(f, size)
	c.scheduleLocked()
}

func (c *conn) scheduleLocked() {
	if !c.scheduled {
		c.scheduled = true
		c.s.writers.push(c)
	}
}

// sendPong answers a ping. While a pong is still queued, further pings are
// answered by it (RFC 6455 §5.5.3 lets an endpoint answer only some pings):
// a client flooding pings without reading cannot grow the queue a frame per
// ping. Once the pong is on the wire, the next ping gets a pong again.
func (c *conn) sendPong(payload []byte) {
	c.mu.Lock()
	if c.state < stateClosing && c.pongQueued.CompareAndSwap(false, true) {
		f := controlFrame(ws.OpPong, bytes.Clone(payload))
		f.clearOnWrite = &c.pongQueued // the next ping gets its own pong
		c.enqueueLocked(f)
	}
	c.mu.Unlock()
}

// closeWith starts a graceful close: an error frame (for error codes), then
// the close frame, then linger until the peer answers or CloseTimeout.
func (c *conn) closeWith(d *Disconnect) {
	c.mu.Lock()
	c.closeLocked(d)
	c.mu.Unlock()
}

func (c *conn) closeLocked(d *Disconnect) {
	if c.state >= stateClosing {
		return
	}
	c.state = stateClosing
	c.closeCode = d.Code
	c.deadline = time.Now().Add(c.s.cfg.CloseTimeout)
	c.s.metrics.closed(d.Code)
	if c.writing {
		// The writer holds a snapshot of the queue; let it finish and
		// apply the close (queueCloseLocked) when it returns.
		c.pending = d
		return
	}
	c.queueCloseLocked(d)
}

func (c *conn) queueCloseLocked(d *Disconnect) {
	if d.Code == CloseSlowConsumer {
		c.out.dropBacklog(c.deflate)
	}
	switch d.Code {
	case CloseNormal, CloseGoingAway:
	case CloseFallback:
		f := controlFrameText(fallbackPayload(d.Message))
		c.out.push(f, len(f.plain))
	default:
		f := controlFrameText(errorPayload(d.Code.String(), d.Message))
		c.out.push(f, len(f.plain))
	}
	f := closeFrame(d.Code, d.Message)
	c.out.push(f, len(f.plain))
	c.scheduleLocked()
}

// controlFrameText is a one-off text frame for a single connection (acks,
// errors): never compressed, never shared.
func controlFrameText(payload []byte) *frame {
	return &frame{plain: appendFrame(nil, ws.OpText, 0, payload)}
}

// flush writes as much of the backlog as the socket takes right now. It runs
// on a writer goroutine and never waits on the socket: when the kernel's
// buffer is full it arms the write poller and returns.
func (c *conn) flush(iov *netpoll.Iovecs) {
	c.mu.Lock()
	if c.state == stateClosed || c.out.n == 0 {
		c.scheduled = false
		c.mu.Unlock()
		return
	}
	iov.Reset()
	total := 0
	for i := 0; i < c.out.n && !iov.Full() && total < maxWriteBatch; i++ {
		b := c.out.at(i).wire(c.deflate)
		if i == 0 {
			b = b[c.out.off:]
		}
		iov.Append(b)
		total += len(b)
	}
	c.writing = true
	c.mu.Unlock()

	n, again, err := netpoll.Writev(c.raw, iov)

	c.mu.Lock()
	c.writing = false
	if c.state == stateClosed { // destroyed while we wrote; the queue is gone
		c.scheduled = false
		c.mu.Unlock()
		return
	}
	c.out.advance(n, c.deflate)
	if c.pending != nil {
		d := c.pending
		c.pending = nil
		c.queueCloseLocked(d)
	}
	if err != nil {
		c.scheduled = false
		c.mu.Unlock()
		c.destroy()
		return
	}
	c.signalDrainedLocked()
	if c.out.n > 0 {
		c.mu.Unlock()
		if again || n < total {
			if c.wdesc.Arm() != nil {
				c.destroy()
			}
			return
		}
		c.s.writers.push(c)
		return
	}
	c.scheduled = false
	if c.state == stateClosing {
		c.finishCloseLocked()
		return // finishCloseLocked unlocked
	}
	c.mu.Unlock()
}

// maxWriteBatch bounds one writev so one busy connection cannot monopolise a
// writer; the rest of its backlog goes back to the end of the queue.
const maxWriteBatch = 256 << 10

// finishCloseLocked runs once the close frame is on the wire. If the peer
// already sent its close, the socket is closed now; otherwise the write side
// is shut so the peer sees the end of the stream, and the reader waits for
// its close frame or EOF (bounded by the close deadline in the sweep).
// Closing at once instead could reset the connection and lose the close
// frame in flight when the peer still has unread data on our side.
func (c *conn) finishCloseLocked() {
	if c.peerClosed {
		c.mu.Unlock()
		c.destroy()
		return
	}
	c.state = stateLinger
	c.mu.Unlock()
	if tcp, ok := c.nc.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
}

func (c *conn) signalDrainedLocked() {
	if c.drained != nil && c.out.bytes <= c.s.cfg.OutboundQueueBytes/2 {
		close(c.drained)
		c.drained = nil
	}
}

// waitDrained blocks until the backlog is at most half the cap, so a replay
// can stream a long history through a bounded queue. It reports false when
// the connection closed or the client did not read within timeout.
func (c *conn) waitDrained(timeout time.Duration) bool {
	c.mu.Lock()
	if c.state >= stateClosing {
		c.mu.Unlock()
		return false
	}
	if c.out.bytes <= c.s.cfg.OutboundQueueBytes/2 {
		c.mu.Unlock()
		return true
	}
	if c.drained == nil {
		c.drained = make(chan struct{})
	}
	ch := c.drained
	c.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return c.currentState() < stateClosing
	case <-t.C:
		return false
	}
}

// destroy closes the socket and unregisters the connection everywhere. Safe
// to call from any goroutine, any number of times.
func (c *conn) destroy() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.state = stateClosed
	tail, services := c.tail, c.services
	c.tail = nil
	c.out = outQueue{}
	if c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
	code, reason := c.closeCode, c.closeCode.String()
	if code == 0 {
		reason = "connection lost" // no close handshake: EOF, reset, dead peer
	}
	c.mu.Unlock()

	c.rdesc.Remove()
	c.wdesc.Remove()
	_ = c.nc.Close()
	c.s.reg.remove(c)
	if c.counted {
		c.s.limits.release(c.org, c.user)
	}
	if tail != nil {
		tail.leave(c, services)
	}
	c.s.metrics.active.Dec()
	if e := c.s.log.Debug(); e.Enabled() {
		e.Uint64("conn", c.id).Str("org", c.org).Str("user", c.user).
			Str("remote", c.remote).Int("code", int(code)).Str("reason", reason).
			Msg("connection closed")
	}
}

// Ready is called by the read poller (readable) — see pollHandlers.
type readHandler struct{ c *conn }

func (h readHandler) Ready() { h.c.s.readers.push(h.c) }

type writeHandler struct{ c *conn }

func (h writeHandler) Ready() { h.c.s.writers.push(h.c) }
