package gateway

import (
	"encoding/binary"
	"errors"

	"github.com/gobwas/ws"
)

var errShortHeader = errors.New("incomplete frame header")

// parseHeader decodes a frame header from the start of b (RFC 6455 §5.2).
func parseHeader(b []byte) (ws.Header, int, error) {
	if len(b) < 2 {
		return ws.Header{}, 0, errShortHeader
	}
	h := ws.Header{
		Fin:    b[0]&0x80 != 0,
		Rsv:    (b[0] >> 4) & 0x7,
		OpCode: ws.OpCode(b[0] & 0x0f),
		Masked: b[1]&0x80 != 0,
	}
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < n+2 {
			return h, 0, errShortHeader
		}
		h.Length = int64(binary.BigEndian.Uint16(b[n:]))
		n += 2
	case 127:
		if len(b) < n+8 {
			return h, 0, errShortHeader
		}
		u := binary.BigEndian.Uint64(b[n:])
		if u>>63 != 0 {
			return h, 0, disconnect(CloseProtocolError, "frame length has its most significant bit set")
		}
		h.Length = int64(u)
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, errShortHeader
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
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
