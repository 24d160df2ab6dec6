package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// maxFrame bounds a server frame the client will buffer: a gateway frame
// holds at most 64 events of at most 64 KiB each.
const maxFrame = 8 << 20

// readFrame reads one frame's header and payload into buf (grown as needed).
func readFrame(br *bufio.Reader, buf []byte) (ws.Header, []byte, error) {
	h, err := ws.ReadHeader(br)
	if err != nil {
		return h, nil, err
	}
	if h.Length > maxFrame {
		return h, nil, io.ErrShortBuffer
	}
	if int64(cap(buf)) < h.Length {
		buf = make([]byte, h.Length)
	}
	p := buf[:h.Length]
	if _, err := io.ReadFull(br, p); err != nil {
		return h, nil, err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return h, p, nil
}

// readLoop reads server frames until the connection ends: it checks event
// seqs, records latencies and answers pings. It is the only goroutine that
// reads or (after the handshake) writes the socket.
func (c *client) readLoop(nc net.Conn, br *bufio.Reader, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 1024)
	var evs []evRef
	for {
		h, p, err := readFrame(br, buf)
		if err != nil {
			if !c.dropping.Load() {
				c.w.serverClosed(0)
			}
			return
		}
		if cap(p) > cap(buf) {
			buf = p
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(nc, ws.OpPong, p)
		case ws.OpClose:
			if !c.dropping.Load() {
				c.w.serverClosed(closeCode(p))
			}
			_ = wsutil.WriteClientMessage(nc, ws.OpClose, p)
			nc.Close()
			return
		case ws.OpText:
			if isEvent(p) {
				evs = c.onEvents(p, evs[:0])
			} else {
				c.onOther(nc, p)
			}
		}
	}
}

// onEvents handles one event frame.
func (c *client) onEvents(p []byte, evs []evRef) []evRef {
	now := time.Now().UnixNano()
	evs = parseEvents(p, evs)
	for _, e := range evs {
		c.chk.see(e.seq)
		if e.pub > 0 {
			c.w.latency.add(now - e.pub)
		}
	}
	c.w.frames.Add(1)
	c.w.events.Add(int64(len(evs)))
	c.w.bytes.Add(int64(len(p)))
	if t := c.target2.Load(); t > 0 && c.chk.last.Load() >= t && c.caughtAt.Load() == 0 {
		c.caughtAt.Store(now)
	}
	return evs
}

// onOther handles a JSON ping (answered with a pong, so the gateway never
// takes an idle benchmark client for a dead peer) or an error message.
func (c *client) onOther(nc net.Conn, p []byte) {
	var m serverMsg
	if json.Unmarshal(p, &m) != nil {
		return
	}
	switch m.Type {
	case "ping":
		_ = wsutil.WriteClientText(nc, []byte(`{"type":"pong"}`))
	case "error":
		c.w.errorFrames.Add(1)
	}
}
