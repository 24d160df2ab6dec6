package gateway

import (
	"net"
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
)

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
		c.out.DropBacklog(c.deflate)
	}
	switch d.Code {
	case CloseNormal, CloseGoingAway:
	case CloseFallback:
		f := wsframe.Text(message.Fallback(d.Message))
		c.out.Push(f, len(f.Wire(false)))
	default:
		f := wsframe.Text(message.Error(d.Code.String(), d.Message))
		c.out.Push(f, len(f.Wire(false)))
	}
	f := wsframe.Close(uint16(d.Code), d.Message)
	c.out.Push(f, len(f.Wire(false)))
	c.scheduleLocked()
}

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
	present := c.present
	c.present = false
	c.out = wsframe.Queue{}
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
	c.s.uploads.Detach(c)
	c.s.reg.remove(c)
	if c.counted {
		c.s.limits.Release(c.org, c.user)
	}
	if present {
		c.s.presenceChange(c, -1)
	}
	if tail != nil {
		tail.unsubscribe(c, services)
	}
	c.s.metrics.active.Dec()
	if e := c.s.log.Debug(); e.Enabled() {
		e.Uint64("conn", c.id).Str("org", c.org).Str("user", c.user).
			Str("remote", c.remote).Int("code", int(code)).Str("reason", reason).
			Msg("connection closed")
	}
}
