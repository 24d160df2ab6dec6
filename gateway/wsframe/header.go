package wsframe

import (
	"encoding/binary"
	"errors"

	"github.com/gobwas/ws"
)

// ErrShortHeader means b does not yet hold a whole frame header: read more.
var ErrShortHeader = errors.New("incomplete frame header")

// ErrLengthMSB means a 64-bit payload length has its most significant bit
// set, which RFC 6455 §5.2 forbids: a protocol error.
var ErrLengthMSB = errors.New("frame length has its most significant bit set")

// ParseHeader decodes a frame header from the start of b (RFC 6455 §5.2)
// and returns it with its length in bytes. It checks only the encoding;
// what a header may say (masking, opcodes, reserved bits) is the caller's
// policy.
func ParseHeader(b []byte) (ws.Header, int, error) {
	if len(b) < 2 {
		return ws.Header{}, 0, ErrShortHeader
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
			return h, 0, ErrShortHeader
		}
		h.Length = int64(binary.BigEndian.Uint16(b[n:]))
		n += 2
	case 127:
		if len(b) < n+8 {
			return h, 0, ErrShortHeader
		}
		u := binary.BigEndian.Uint64(b[n:])
		if u>>63 != 0 {
			return h, 0, ErrLengthMSB
		}
		h.Length = int64(u)
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, ErrShortHeader
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}
