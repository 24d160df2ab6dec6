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

// The reasons CheckClientHeader refuses a frame; each is a protocol error.
var (
	ErrUnmasked       = errors.New("client frames must be masked")
	ErrReservedBits   = errors.New("reserved bits set")
	ErrCompressionBit = errors.New("unexpected compression bit")
	ErrReservedOpcode = errors.New("unknown opcode")
	ErrInvalidControl = errors.New("invalid control frame")
)

// CheckClientHeader applies RFC 6455's rules to a client frame's header:
// masked (§5.3), no reserved bits but RSV1 on the first frame of a data
// message when deflate was negotiated (RFC 7692 §6), a known opcode, and
// control frames unfragmented and at most 125 bytes (§5.5).
func CheckClientHeader(h ws.Header, deflate bool) error {
	if !h.Masked {
		return ErrUnmasked
	}
	rsv1, rsv2, rsv3 := ws.RsvBits(h.Rsv)
	if rsv2 || rsv3 {
		return ErrReservedBits
	}
	if rsv1 && (!deflate || h.OpCode.IsControl() || h.OpCode == ws.OpContinuation) {
		return ErrCompressionBit
	}
	if h.OpCode.IsReserved() {
		return ErrReservedOpcode
	}
	if h.OpCode.IsControl() && (!h.Fin || h.Length > 125) {
		return ErrInvalidControl
	}
	return nil
}

// ValidCloseCode reports whether a peer may send code in a close frame
// (RFC 6455 §7.4).
func ValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
