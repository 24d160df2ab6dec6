package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
)

// maxFrame bounds one server message: an event frame carries at most a
// replay page, far below this.
const maxFrame = 16 << 20

// msg is a server message, decoded loosely.
type msg struct {
	Type      string  `json:"type"`
	Seq       int64   `json:"seq"`
	Epoch     string  `json:"epoch"`
	Recovered *bool   `json:"recovered"`
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Detail    string  `json:"detail"`
	Events    []event `json:"events"`

	CloseCode  int  // set when Type is "close"
	Compressed bool // the frame arrived with RSV1 (deflated)
}

type event struct {
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// wsConn is one client connection. It answers ping frames and notes when
// the first server ping (frame or JSON) arrived.
type wsConn struct {
	nc       net.Conn
	br       *bufio.Reader
	deflate  bool      // permessage-deflate was negotiated
	opened   time.Time // when the upgrade finished
	pingedAt time.Time // first server ping; zero until then
}

func dialWS(ctx context.Context, t *target, token string, deflate bool, timeout time.Duration) (*wsConn, error) {
	d := ws.Dialer{Timeout: timeout, TLSConfig: t.tls}
	if deflate {
		d.Extensions = []httphead.Option{wsflate.DefaultParameters.Option()}
	}
	nc, br, hs, err := d.Dial(ctx, t.streamURL(token))
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	if br == nil {
		br = bufio.NewReader(nc)
	}
	c := &wsConn{nc: nc, br: br, opened: time.Now()}
	for _, e := range hs.Extensions {
		c.deflate = c.deflate || string(e.Name) == wsflate.ExtensionName
	}
	return c, nil
}

// handshake sends the first message and returns the server's answer: the
// ack, or a fallback / error followed by a close.
func (c *wsConn) handshake(service string, lastSeq int64, epoch string, timeout time.Duration) (msg, error) {
	hs := map[string]any{"services": []string{service}, "version": 1}
	if epoch != "" {
		hs["lastSeq"], hs["epoch"] = lastSeq, epoch
	}
	// A node that refuses at the upgrade (4001, 4029) sends its error and
	// closes at once, so our write may fail: its answer is still readable.
	sendErr := c.send(hs)
	m, err := c.read(time.Now().Add(timeout))
	if err != nil && sendErr != nil {
		return msg{}, sendErr
	}
	return m, err
}

func (c *wsConn) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return wsutil.WriteClientText(c.nc, b)
}

// read returns the next message other than a ping, or a close as
// msg{Type: "close"}, before deadline.
func (c *wsConn) read(deadline time.Time) (msg, error) { return c.readMsg(deadline, false) }

// readMsg is read; with pings it also returns a ping (JSON or frame) as
// msg{Type: "ping"}.
func (c *wsConn) readMsg(deadline time.Time, pings bool) (msg, error) {
	_ = c.nc.SetReadDeadline(deadline)
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return msg{}, err
		}
		if h.Length > maxFrame {
			return msg{}, fmt.Errorf("frame of %d bytes", h.Length)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			return msg{}, err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			c.pinged()
			_ = wsutil.WriteClientMessage(c.nc, ws.OpPong, p)
			if pings {
				return msg{Type: "ping"}, nil
			}
			continue
		case ws.OpPong, ws.OpContinuation:
			continue
		case ws.OpClose:
			code := 1005
			if len(p) >= 2 {
				code = int(p[0])<<8 | int(p[1])
			}
			return msg{Type: "close", CloseCode: code, Message: string(p[min(2, len(p)):])}, nil
		}
		m, err := decode(p, h.Rsv1())
		if err != nil {
			return msg{}, err
		}
		if m.Type == "ping" {
			c.pinged()
			if !pings {
				continue
			}
		}
		return m, nil
	}
}

func (c *wsConn) pinged() {
	if c.pingedAt.IsZero() {
		c.pingedAt = time.Now()
	}
}

func decode(p []byte, compressed bool) (msg, error) {
	if compressed {
		r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
		out, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return msg{}, fmt.Errorf("inflate: %w", err)
		}
		p = out
	}
	var m msg
	if err := json.Unmarshal(p, &m); err != nil {
		return msg{}, fmt.Errorf("server sent non-JSON %.80q: %w", p, err)
	}
	m.Compressed = compressed
	return m, nil
}

// close sends a normal close frame and drops the socket.
func (c *wsConn) close() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = wsutil.WriteClientMessage(c.nc, ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
	_ = c.nc.Close()
}

// refusal describes a handshake answer that is not an ack.
func refusal(m msg) string {
	switch m.Type {
	case "fallback":
		return "fallback (" + m.Detail + ")"
	case "error":
		return "error " + m.Code + ": " + m.Message
	case "close":
		return fmt.Sprintf("closed %d %s", m.CloseCode, m.Message)
	}
	return "unexpected " + m.Type
}
