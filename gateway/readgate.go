package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

// readGate lets something that takes a connection's messages and finishes
// them later (uploads, which store chunks on workers) push back on the
// peer: it charges the bytes it holds (Hold), and the reader stops taking
// bytes from the socket while the charge is at the cap, until Release
// brings it down to half. It also carries the connection's binary message
// limit, which such a consumer may raise. Nothing else in the gateway
// needs to know who holds the gate.
type readGate struct {
	held   atomic.Int64 // bytes charged and not yet released
	binary atomic.Int64 // largest binary message allowed, when over MaxMessageBytes; 0: none
	mu     sync.Mutex
	// parked: the reader stopped without re-arming the socket; Release
	// re-arms it. Written under mu, read by the sweep without it.
	parked atomic.Bool
}

// gateConfig is the node's setting for every connection's gate.
type gateConfig struct {
	capBytes int64  // the charge at which reads pause; 0: never
	onPark   func() // counts a pause (may be nil)
}

// Hold charges n bytes taken from the socket and not yet finished.
func (c *conn) Hold(n int) { c.gate.held.Add(int64(n)) }

// Release gives back n bytes; once the charge is at most half the cap, a
// reader parked by parkReads is re-armed.
func (c *conn) Release(n int) {
	if c.gate.held.Add(-int64(n)) > c.s.gate.capBytes/2 {
		return
	}
	g := &c.gate
	g.mu.Lock()
	parked := g.parked.Load()
	if parked {
		// The pause was ours, not the peer's silence. Refreshed before
		// parked clears, so the sweep, which checks parked first, never
		// pairs "not parked" with a timestamp from before the pause.
		now := time.Now().UnixNano()
		c.lastRead.Store(now)
		if c.partialSince.Load() != 0 {
			c.partialSince.Store(now)
		}
		g.parked.Store(false)
	}
	g.mu.Unlock()
	if !parked {
		return
	}
	if err := c.rdesc.Arm(); err != nil {
		c.destroy()
	}
}

// AllowBinary lets the peer send binary messages of up to n bytes from now
// on (never lowered).
func (c *conn) AllowBinary(n int) {
	for {
		cur := c.gate.binary.Load()
		if int64(n) <= cur || c.gate.binary.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// gateFull reports whether the charge is at the cap; the reader then stops
// taking bytes from the socket.
func (c *conn) gateFull() bool {
	b := c.gate.held.Load()
	return b > 0 && b >= c.s.gate.capBytes
}

// parkReads is the reader's last step instead of re-arming the socket:
// true when the gate is full, and Release will re-arm it. The check and
// the flag are under the gate's mu, which Release takes after its
// decrement, so a drain cannot slip between them and leave the socket
// unarmed forever.
func (c *conn) parkReads() bool {
	g := &c.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	if !c.gateFull() {
		return false
	}
	g.parked.Store(true)
	if c.s.gate.onPark != nil {
		c.s.gate.onPark()
	}
	return true
}

// messageLimit is the largest data message c may send now.
func (c *conn) messageLimit(op ws.OpCode) int {
	if op == ws.OpBinary {
		if b := int(c.gate.binary.Load()); b > 0 {
			return max(c.s.cfg.MaxMessageBytes, b)
		}
	}
	return c.s.cfg.MaxMessageBytes
}

// dataOp is the opcode of the message a data frame belongs to.
func (c *conn) dataOp(op ws.OpCode) ws.OpCode {
	if op == ws.OpContinuation && c.frag.active {
		return c.frag.op
	}
	return op
}
