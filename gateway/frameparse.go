package gateway

import (
	"errors"

	"github.com/gobwas/ws"
	"github.com/rtgw/realtime/gateway/wsframe"
)

// parseHeader decodes a client frame's header (wsframe.ParseHeader) and
// turns a length the RFC forbids into the protocol-error close.
func parseHeader(b []byte) (ws.Header, int, error) {
	h, n, err := wsframe.ParseHeader(b)
	if errors.Is(err, wsframe.ErrLengthMSB) {
		return h, 0, disconnect(CloseProtocolError, "frame length has its most significant bit set")
	}
	return h, n, err
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
