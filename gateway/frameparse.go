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

// checkHeader applies RFC 6455's rules for client frames
// (wsframe.CheckClientHeader); a frame that breaks one is a protocol error.
func (c *conn) checkHeader(h ws.Header) error {
	if err := wsframe.CheckClientHeader(h, c.deflate); err != nil {
		return disconnect(CloseProtocolError, err.Error())
	}
	return nil
}
