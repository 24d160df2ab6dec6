// Package wstest is a WebSocket client for tests of the gateway's protocol:
// it dials over a real socket (optionally negotiating permessage-deflate),
// answers pings and close frames the way browsers do, and decodes server
// messages loosely for assertions.
package wstest

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"
	"golang.org/x/sys/unix"
)

// Msg is any server message, decoded loosely. Type is "close" for a close
// frame, with CloseCode set.
type Msg struct {
	Type      string  `json:"type"`
	Seq       int64   `json:"seq"`
	Epoch     string  `json:"epoch"`
	Recovered *bool   `json:"recovered"`
	Timestamp string  `json:"timestamp"`
	Exp       int64   `json:"exp"` // ack and refreshed: the token's expiry, unix seconds
	Service   string  `json:"service"`
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Events    []Event `json:"events"`

	// Upload messages (upload.ready, upload.progress, upload.done, errors).
	UploadID  string `json:"uploadId"`
	Offset    int64  `json:"offset"`
	ChunkSize int    `json:"chunkSize"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	ID        string `json:"id"`

	CloseCode  int    // set for a close frame
	Compressed bool   // the frame arrived deflated
	Raw        []byte // the payload as received (inflated)
}

// Event is one event inside an event frame.
type Event struct {
	Seq  int64           `json:"seq"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	TS   string          `json:"ts"`
}

// Options configure Dial.
type Options struct {
	Deflate bool        // offer permessage-deflate
	Header  http.Header // extra request headers
	RcvBuf  int         // SO_RCVBUF before connect (slow-consumer tests)
}

// Client is one test WebSocket connection.
type Client struct {
	T       testing.TB
	NC      net.Conn
	br      *bufio.Reader
	Deflate bool // the server accepted permessage-deflate
}

// Dial connects or fails the test; the connection is closed in t.Cleanup.
func Dial(t testing.TB, url string, o Options) *Client {
	t.Helper()
	c, err := TryDial(url, o)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.T = t
	t.Cleanup(func() { c.NC.Close() })
	return c
}

// TryDial connects; the caller closes the connection and sets T.
func TryDial(url string, o Options) (*Client, error) {
	d := ws.Dialer{Timeout: 5 * time.Second, Header: ws.HandshakeHeaderHTTP(o.Header)}
	if o.Deflate {
		d.Extensions = []httphead.Option{wsflate.DefaultParameters.Option()}
	}
	if o.RcvBuf > 0 {
		nd := net.Dialer{Control: setRcvBuf(o.RcvBuf)}
		d.NetDial = nd.DialContext
	}
	nc, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReader(nc)
	}
	c := &Client{NC: nc, br: br}
	for _, e := range hs.Extensions {
		if string(e.Name) == wsflate.ExtensionName {
			c.Deflate = true
		}
	}
	return c, nil
}

func setRcvBuf(n int) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}); err != nil {
			return err
		}
		return serr
	}
}

// Send writes v as a JSON text message.
func (c *Client) Send(v any) {
	c.T.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.T.Fatal(err)
	}
	c.SendRaw(b)
}

// SendRaw writes b as a text message.
func (c *Client) SendRaw(b []byte) {
	c.T.Helper()
	if err := wsutil.WriteClientText(c.NC, b); err != nil {
		c.T.Fatalf("send: %v", err)
	}
}

// SendBinary writes b as a binary message.
func (c *Client) SendBinary(b []byte) {
	c.T.Helper()
	if err := wsutil.WriteClientBinary(c.NC, b); err != nil {
		c.T.Fatalf("send: %v", err)
	}
}

// Chunk builds an upload chunk message: 0x01, the id's length, the id, the
// offset as 8 bytes big-endian, then data (docs/PROTOCOL.md "Uploads").
func Chunk(uploadID string, off int64, data []byte) []byte {
	b := make([]byte, 0, 2+len(uploadID)+8+len(data))
	b = append(b, 0x01, byte(len(uploadID)))
	b = append(b, uploadID...)
	b = binary.BigEndian.AppendUint64(b, uint64(off))
	return append(b, data...)
}

// Next reads the next message (JSON pings skipped) or fails the test.
func (c *Client) Next(timeout time.Duration) Msg {
	c.T.Helper()
	m, err := c.Read(timeout)
	if err != nil {
		c.T.Fatalf("read: %v", err)
	}
	return m
}

// Read reads the next message, skipping JSON pings.
func (c *Client) Read(timeout time.Duration) (Msg, error) { return c.read(timeout, false) }

// ReadIncludingPings is Read, but returns JSON pings too.
func (c *Client) ReadIncludingPings(timeout time.Duration) (Msg, error) { return c.read(timeout, true) }

func (c *Client) read(timeout time.Duration, pings bool) (Msg, error) {
	_ = c.NC.SetReadDeadline(time.Now().Add(timeout))
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return Msg{}, err
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			return Msg{}, err
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(c.NC, ws.OpPong, p)
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			// Answer like a browser does, so the server need not linger.
			_ = wsutil.WriteClientMessage(c.NC, ws.OpClose, p)
			code := 1005
			if len(p) >= 2 {
				code = int(p[0])<<8 | int(p[1])
			}
			return Msg{Type: "close", CloseCode: code, Raw: p}, nil
		}
		var m Msg
		if h.Rsv1() {
			if p, err = inflate(p); err != nil {
				return Msg{}, fmt.Errorf("inflate: %w", err)
			}
			m.Compressed = true
		}
		if err := json.Unmarshal(p, &m); err != nil {
			return Msg{}, fmt.Errorf("bad JSON from server %q: %w", p, err)
		}
		m.Raw = p
		if m.Type == "ping" && !pings {
			continue
		}
		return m, nil
	}
}

func inflate(p []byte) ([]byte, error) {
	tail := []byte{0x00, 0x00, 0xff, 0xff}
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(tail)))
	out, err := io.ReadAll(r)
	if err == io.ErrUnexpectedEOF {
		err = nil
	}
	return out, err
}

// Expect reads the next message and checks its type.
func (c *Client) Expect(typ string) Msg {
	c.T.Helper()
	m := c.Next(5 * time.Second)
	if m.Type != typ {
		c.T.Fatalf("got %s (%s), want %s", m.Type, m.Raw, typ)
	}
	return m
}

// ExpectClose reads until a close frame with code and returns the error
// frame that preceded it (zero if none).
func (c *Client) ExpectClose(code int) Msg {
	c.T.Helper()
	var errMsg Msg
	for {
		m := c.Next(5 * time.Second)
		switch m.Type {
		case "error":
			errMsg = m
		case "close":
			if m.CloseCode != code {
				c.T.Fatalf("close code %d (%s), want %d", m.CloseCode, m.Raw, code)
			}
			return errMsg
		}
	}
}

// Seen is one delivered event, flattened.
type Seen struct {
	Service string
	Seq     int64
	Type    string
	Data    string
}

// Events reads event frames until n events arrived, checking that each
// frame's seq is its last event's. Presence messages are skipped.
func (c *Client) Events(n int) []Seen {
	c.T.Helper()
	var out []Seen
	for len(out) < n {
		m := c.Next(10 * time.Second)
		if m.Type == "presence" { // room members coming and going
			continue
		}
		if m.Type != "event" {
			c.T.Fatalf("got %s (%s) while waiting for events", m.Type, m.Raw)
		}
		if len(m.Events) == 0 || m.Seq != m.Events[len(m.Events)-1].Seq {
			c.T.Fatalf("frame seq %d does not match its events %s", m.Seq, m.Raw)
		}
		for _, e := range m.Events {
			out = append(out, Seen{Service: m.Service, Seq: e.Seq, Type: e.Type, Data: string(e.Data)})
		}
	}
	return out
}

// Reader exposes the buffered reader for tests that parse frames themselves
// (benchmarks that must not pay for JSON decoding).
func (c *Client) Reader() *bufio.Reader { return c.br }

// SendFrame writes one client frame exactly as given (masked unless told):
// for tests of what a browser would never send. t is the test calling,
// which may be a subtest of the one that dialled.
func SendFrame(t testing.TB, c *Client, fin bool, rsv byte, op ws.OpCode, masked bool, payload []byte) {
	t.Helper()
	h := ws.Header{Fin: fin, Rsv: rsv, OpCode: op, Length: int64(len(payload)), Masked: masked}
	p := append([]byte(nil), payload...)
	if masked {
		h.Mask = ws.NewMask()
		ws.Cipher(p, h.Mask, 0)
	}
	if err := ws.WriteHeader(c.NC, h); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NC.Write(p); err != nil {
		t.Fatal(err)
	}
}
