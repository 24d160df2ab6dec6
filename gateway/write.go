package gateway

import (
	"bytes"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/internal/netpoll"
)

// send queues a frame for the peer. It never blocks and never writes to the
// socket: past the outbound cap it closes the connection as a slow consumer.
func (c *conn) send(f *wsframe.Frame) {
	c.mu.Lock()
	if c.state < stateClosing {
		c.enqueueLocked(f)
	}
	c.mu.Unlock()
}

func (c *conn) enqueueLocked(f *wsframe.Frame) {
	size := len(f.Wire(c.deflate))
	if c.out.Bytes()+size+wsframe.Overhead > c.s.cfg.OutboundQueueBytes {
		c.s.metrics.slowConsumers.Inc()
		c.closeLocked(disconnect(CloseSlowConsumer, "client is not reading fast enough; reconnect with lastSeq"))
		return
	}
	c.out.Push(f, size)
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
		f := wsframe.Control(ws.OpPong, bytes.Clone(payload))
		f.ClearOnWrite(&c.pongQueued) // the next ping gets its own pong
		c.enqueueLocked(f)
	}
	c.mu.Unlock()
}

// flush writes as much of the backlog as the socket takes right now. It runs
// on a writer goroutine and never waits on the socket: when the kernel's
// buffer is full it arms the write poller and returns.
func (c *conn) flush(iov *netpoll.Iovecs) {
	c.mu.Lock()
	if c.state == stateClosed || c.out.Len() == 0 {
		c.scheduled = false
		c.mu.Unlock()
		return
	}
	iov.Reset()
	total := 0
	for i := 0; i < c.out.Len() && !iov.Full() && total < maxWriteBatch; i++ {
		b := c.out.At(i).Wire(c.deflate)
		if i == 0 {
			b = b[c.out.Offset():]
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
	c.out.Advance(n, c.deflate)
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
	if c.out.Len() > 0 {
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

func (c *conn) signalDrainedLocked() {
	if c.drained != nil && c.out.Bytes() <= c.s.cfg.OutboundQueueBytes/2 {
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
	if c.out.Bytes() <= c.s.cfg.OutboundQueueBytes/2 {
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
