package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// readFrameTimeout bounds how long a reader waits for the rest of a frame
// once its first byte arrived, so a peer that trickles a frame cannot hold a
// reader (slowloris) for longer than this.
const readFrameTimeout = 5 * time.Second

// readState is one reader goroutine's scratch space.
type readState struct {
	br *bufio.Reader
}

func newReadState() *readState { return &readState{br: bufio.NewReaderSize(nil, 4096)} }

// fragBuf reassembles a fragmented message. It holds memory only while a
// fragmented message is in progress.
type fragBuf struct {
	active     bool
	op         ws.OpCode
	compressed bool
	buf        []byte
}

// serveRead handles a readable socket: it reads every complete frame that
// has arrived, then re-arms the read registration.
func (c *conn) serveRead(st *readState) {
	var src io.Reader = c.nc
	if c.pre != nil {
		src = io.MultiReader(bytes.NewReader(c.pre), c.nc)
		c.pre = nil
	}
	st.br.Reset(src)
	for {
		// Per frame, not per wake-up: a handshake with a long replay runs
		// in between and must not eat the next frame's time.
		_ = c.nc.SetReadDeadline(time.Now().Add(readFrameTimeout))
		if err := c.readFrame(st.br); err != nil {
			c.fail(err)
			break
		}
		if st.br.Buffered() == 0 {
			break
		}
	}
	st.br.Reset(nil)
	if c.currentState() == stateClosed {
		return
	}
	if err := c.rdesc.Arm(); err != nil {
		c.destroy()
	}
}

// fail ends the connection after a read error: a Disconnect is sent to the
// peer; I/O errors (EOF, reset, timeout mid-frame) just close the socket.
func (c *conn) fail(err error) {
	var d *Disconnect
	if errors.As(err, &d) {
		c.s.metrics.rejected(d.Code)
		c.closeWith(d)
		return
	}
	var pe ws.ProtocolError
	if errors.As(err, &pe) {
		c.s.metrics.rejected(CloseProtocolError)
		c.closeWith(disconnect(CloseProtocolError, string(pe)))
		return
	}
	c.destroy()
}

// readFrame reads one frame and acts on it.
func (c *conn) readFrame(br *bufio.Reader) error {
	h, err := ws.ReadHeader(br)
	if err != nil {
		return err
	}
	c.lastRead.Store(time.Now().UnixNano())
	if err := c.checkHeader(h); err != nil {
		return err
	}
	if h.OpCode.IsControl() {
		return c.readControl(br, h)
	}
	limit := c.s.cfg.MaxMessageBytes
	if h.Length > int64(limit-len(c.frag.buf)) {
		return disconnect(CloseMessageTooBig, "message over the limit")
	}
	// The length is capped above, so this never allocates on an unbounded
	// peer-declared length.
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(br, payload); err != nil {
		return err
	}
	ws.Cipher(payload, h.Mask, 0)
	return c.assemble(h, payload)
}

func (c *conn) checkHeader(h ws.Header) error {
	if !h.Masked {
		return disconnect(CloseProtocolError, "client frames must be masked")
	}
	rsv1, rsv2, rsv3 := ws.RsvBits(h.Rsv)
	if rsv2 || rsv3 {
		return disconnect(CloseProtocolError, "reserved bits set")
	}
	if rsv1 && (!c.deflate || h.OpCode.IsControl() || h.OpCode == ws.OpContinuation) {
		return disconnect(CloseProtocolError, "unexpected compression bit")
	}
	if h.OpCode.IsReserved() {
		return disconnect(CloseProtocolError, "unknown opcode")
	}
	if h.OpCode.IsControl() && (!h.Fin || h.Length > 125) {
		return disconnect(CloseProtocolError, "invalid control frame")
	}
	return nil
}

func (c *conn) readControl(br *bufio.Reader, h ws.Header) error {
	var buf [125]byte
	p := buf[:h.Length]
	if _, err := io.ReadFull(br, p); err != nil {
		return err
	}
	ws.Cipher(p, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		c.send(controlFrame(ws.OpPong, bytes.Clone(p)))
	case ws.OpClose:
		c.peerClose(p)
	}
	return nil
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
	if len(p) == 1 || (len(p) >= 2 && !validCloseCode(code)) || !utf8.Valid(p[min(len(p), 2):]) {
		c.closeLocked(disconnect(CloseProtocolError, "invalid close frame"))
	} else {
		c.closeLocked(&Disconnect{Code: CloseNormal})
	}
	c.mu.Unlock()
}

// validCloseCode reports whether a peer may send code (RFC 6455 §7.4).
func validCloseCode(code CloseCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// assemble handles data frames, reassembling fragmented messages.
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
		f.active, f.op, f.compressed, f.buf = true, h.OpCode, h.Rsv1(), p
	}
	if !h.Fin {
		return nil
	}
	msg, op, compressed := f.buf, f.op, f.compressed
	*f = fragBuf{}
	if compressed {
		var err error
		if msg, err = inflate(msg, c.s.cfg.MaxMessageBytes); err != nil {
			if errors.Is(err, errInflateTooBig) {
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
