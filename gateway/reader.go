package gateway

import (
	"errors"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/internal/netpoll"
)

// readFrameTimeout bounds how long a frame may take to arrive once its
// first byte did. A peer that trickles a frame (slowloris) is cut off by
// the sweep after this; it never holds a reader, because readers only
// parse what has arrived and return.
const readFrameTimeout = 5 * time.Second

// maxReadPerWake bounds the bytes one reader takes from one socket per
// wake-up, so a chatty peer cannot monopolise a reader; the rest is
// reported again by the (level-triggered) re-armed registration.
const maxReadPerWake = 64 << 10

// readState is one reader goroutine's scratch space.
type readState struct {
	buf []byte
	rd  *netpoll.Reader
}

func newReadState() *readState {
	return &readState{buf: make([]byte, 16<<10), rd: netpoll.NewReader()}
}

// fragBuf reassembles a fragmented message. It holds memory only while a
// fragmented message is in progress.
type fragBuf struct {
	active     bool
	op         ws.OpCode
	compressed bool
	buf        []byte
}

// serveRead handles a readable socket: it takes what has arrived without
// waiting, acts on every complete frame, keeps an incomplete one for later
// and re-arms the read registration. It never blocks on the peer.
func (c *conn) serveRead(st *readState) {
	if c.pre != nil { // arrived before anything still in the socket
		pre := c.pre
		c.pre = nil
		if err := c.consume(pre); err != nil {
			c.fail(err)
		}
	}
	eof := false
	for total := 0; total < maxReadPerWake; {
		n, again, err := st.rd.Read(c.raw, st.buf)
		if err != nil {
			c.destroy()
			return
		}
		if again {
			break
		}
		if n == 0 {
			eof = true
			break
		}
		total += n
		if err := c.consume(st.buf[:n]); err != nil {
			c.fail(err)
			break
		}
		if c.gateFull() {
			break // a consumer (uploads) is behind: leave the rest in the socket
		}
	}
	if eof {
		c.destroy()
		return
	}
	if c.currentState() == stateClosed || c.parkReads() {
		return
	}
	if err := c.rdesc.Arm(); err != nil {
		c.destroy()
	}
}

// consume appends newly read bytes to any incomplete frame kept from
// before, handles every complete frame, and keeps the incomplete rest.
func (c *conn) consume(in []byte) error {
	data := in
	if len(c.partial) > 0 {
		c.partial = append(c.partial, in...)
		data = c.partial
	}
	off, err := c.frames(data)
	rest := data[off:]
	switch {
	case err != nil:
		c.partial = nil
	case len(rest) == 0:
		c.partial = nil
		c.partialSince.Store(0)
	default:
		// Copy: in is the reader's scratch buffer. Overlapping copies
		// within c.partial are fine (append moves memory like memmove).
		c.partial = append(c.partial[:0], rest...)
		// The clock is per frame: it restarts when frames completed and
		// a new one began in this read.
		if off > 0 || c.partialSince.Load() == 0 {
			c.partialSince.Store(time.Now().UnixNano())
		}
	}
	return err
}

// frames handles the complete frames at the start of data and returns how
// many bytes they took.
func (c *conn) frames(data []byte) (int, error) {
	off := 0
	for {
		h, hlen, err := parseHeader(data[off:])
		if err == wsframe.ErrShortHeader {
			return off, nil
		}
		if err != nil {
			return off, err
		}
		if err := c.checkHeader(h); err != nil {
			return off, err
		}
		if !h.OpCode.IsControl() && h.Length > int64(c.messageLimit(c.dataOp(h.OpCode))-len(c.frag.buf)) {
			// Refused before the payload arrives: nothing is buffered for
			// a peer-declared length over the limit.
			return off, disconnect(CloseMessageTooBig, "message over the limit")
		}
		end := off + hlen + int(h.Length)
		if end > len(data) {
			return off, nil // the payload is still on its way
		}
		c.lastRead.Store(time.Now().UnixNano())
		payload := data[off+hlen : end]
		ws.Cipher(payload, h.Mask, 0)
		off = end
		if h.OpCode.IsControl() {
			c.control(h.OpCode, payload)
			continue
		}
		if err := c.assemble(h, payload); err != nil {
			return off, err
		}
	}
}

// fail ends the connection after a read error: a Disconnect is sent to the
// peer; anything else just closes the socket.
func (c *conn) fail(err error) {
	var d *Disconnect
	if errors.As(err, &d) {
		c.s.metrics.rejected(d.Code)
		c.closeWith(d)
		return
	}
	c.destroy()
}

func (c *conn) control(op ws.OpCode, p []byte) {
	switch op {
	case ws.OpPing:
		c.sendPong(p)
	case ws.OpClose:
		c.peerClose(p)
	}
}

// peerClose answers the peer's close frame (with 1000, or 1002 when the
// frame is malformed) and closes.
func (c *conn) peerClose(p []byte) {
	code := CloseNormal
	if len(p) >= 2 {
		code = CloseCode(uint16(p[0])<<8 | uint16(p[1]))
	}
	c.mu.Lock()
	c.peerClosed = true
	st := c.state
	if st >= stateClosing {
		c.mu.Unlock()
		if st == stateLinger {
			c.destroy()
		}
		return
	}
	if len(p) == 1 || (len(p) >= 2 && !wsframe.ValidCloseCode(uint16(code))) || !utf8.Valid(p[min(len(p), 2):]) {
		c.closeLocked(disconnect(CloseProtocolError, "invalid close frame"))
	} else {
		c.closeLocked(&Disconnect{Code: CloseNormal})
	}
	c.mu.Unlock()
}

// assemble handles data frames, reassembling fragmented messages. p is
// only valid during the call: fragments are copied.
func (c *conn) assemble(h ws.Header, p []byte) error {
	f := &c.frag
	if h.OpCode == ws.OpContinuation {
		if !f.active {
			return disconnect(CloseProtocolError, "continuation frame without a message")
		}
		f.buf = append(f.buf, p...)
	} else {
		if f.active {
			return disconnect(CloseProtocolError, "new message inside a fragmented one")
		}
		f.active, f.op, f.compressed = true, h.OpCode, h.Rsv1()
		if !h.Fin {
			f.buf = append([]byte(nil), p...)
		} else {
			f.buf = p
		}
	}
	if !h.Fin {
		return nil
	}
	msg, op, compressed := f.buf, f.op, f.compressed
	*f = fragBuf{}
	if compressed {
		var err error
		if msg, err = wsframe.Inflate(msg, c.messageLimit(op)); err != nil {
			if errors.Is(err, wsframe.ErrInflateTooBig) {
				return disconnect(CloseMessageTooBig, "message over the limit")
			}
			return disconnect(CloseInvalidPayload, "cannot inflate message")
		}
	}
	if op == ws.OpText && !utf8.Valid(msg) {
		return disconnect(CloseInvalidPayload, "text message is not valid UTF-8")
	}
	return c.onMessage(op, msg)
}
