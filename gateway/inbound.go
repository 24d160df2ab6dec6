package gateway

import (
	"encoding/json"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/gateway/message"
)

// Client messages: after the handshake (handshake.go) every message a
// client sends comes through onMessage, which dispatches on "type" to one
// handler per message, each in the file of its feature (chat.go publish,
// typing.go, package upload). A new client message gets a case here and a
// handler of its own; its answers are built in package message.

// onMessage handles one complete client message.
func (c *conn) onMessage(op ws.OpCode, msg []byte) error {
	st := c.currentState()
	switch {
	case st >= stateClosing:
		return nil // draining until the peer's close; ignore data
	case op != ws.OpText && st == stateHandshake:
		return disconnect(CloseBadHandshake, "the handshake must be a JSON text message")
	case op != ws.OpText:
		c.s.uploads.Chunk(c, msg)
		return nil
	case st == stateHandshake:
		return c.handshake(msg)
	}
	var m clientMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		c.sendError("bad_message", "message is not valid JSON: "+message.JSONProblem(err))
		return nil
	}
	switch m.Type {
	case "pong":
	case "publish":
		c.publish(msg)
	case "typing":
		c.typing(msg)
	case "refresh":
		c.refresh(msg)
	case "upload.start", "upload.resume", "upload.abort":
		c.s.uploads.Message(c, m.Type, msg)
	case "ping":
		c.SendText(message.Pong(time.Now()))
	default:
		c.sendError("unknown_type", "unknown message type")
	}
	return nil
}

// sendError reports a problem without closing the connection.
func (c *conn) sendError(code, msg string) {
	c.SendText(message.Error(code, msg))
}
