package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const streamPath = "/v2/realtime/stream"

// client is one benchmark WebSocket connection and its stream's checks.
type client struct {
	w      *worker
	idx    int    // global connection index
	target string // host:port
	src    net.IP
	org    string
	svc    string
	stream string // "org/service", or "ceiling"
	epoch  string // set by each handshake; owned by the worker's command loop
	chk    seqCheck

	mu       sync.Mutex
	nc       net.Conn      // caller holds mu
	done     chan struct{} // closed when the current reader exits; caller holds mu
	dropping atomic.Bool   // the close is ours (drop), not the server's

	target2   atomic.Int64 // catch-up target seq of a reconnect, 0 when none
	caughtAt  atomic.Int64 // unix nanos when last reached target2
	lastDrop  int64        // last seq when dropped; owned by the command loop
	prevStats streamStats  // counters at the previous snap; owned by the command loop
}

// handshakeMsg is the client's first message (docs/PROTOCOL.md).
type handshakeMsg struct {
	Services []string `json:"services"`
	Version  int      `json:"version"`
	LastSeq  *int64   `json:"lastSeq,omitempty"`
	Epoch    string   `json:"epoch,omitempty"`
}

// serverMsg is any non-event server message, decoded loosely.
type serverMsg struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Epoch     string `json:"epoch"`
	Recovered *bool  `json:"recovered"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// connect dials, sends the handshake (resuming from the last seq seen when
// resume is set), waits for the ack and starts the reader. It reports
// whether the gateway recovered the client's position.
func (c *client) connect(ctx context.Context, token string, resume bool) (recovered bool, err error) {
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: c.src}, Timeout: 10 * time.Second}
	d := ws.Dialer{Timeout: 10 * time.Second, NetDial: nd.DialContext}
	nc, br, _, err := d.Dial(ctx, "ws://"+c.target+streamPath+"?access_token="+url.QueryEscape(token))
	if err != nil {
		return false, err
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, 4096)
	}
	hs := handshakeMsg{Services: []string{c.svc}, Version: 1}
	if resume {
		last := c.chk.last.Load()
		hs.LastSeq, hs.Epoch = &last, c.epoch
	}
	ack, err := c.handshake(nc, br, hs)
	if err != nil {
		nc.Close()
		return false, err
	}
	c.epoch = ack.Epoch
	if resume {
		c.chk.resume(ack.Seq)
	} else {
		c.chk.start(ack.Seq)
	}
	c.dropping.Store(false)
	done := make(chan struct{})
	c.mu.Lock()
	c.nc, c.done = nc, done
	c.mu.Unlock()
	go c.readLoop(nc, br, done)
	return ack.Recovered != nil && *ack.Recovered, nil
}

var errNoAck = errors.New("no ack")

// handshake sends hs and reads until the ack, answering pings meanwhile.
func (c *client) handshake(nc net.Conn, br *bufio.Reader, hs handshakeMsg) (serverMsg, error) {
	_ = nc.SetDeadline(time.Now().Add(15 * time.Second))
	defer nc.SetDeadline(time.Time{})
	b, _ := json.Marshal(hs)
	if err := wsutil.WriteClientText(nc, b); err != nil {
		return serverMsg{}, err
	}
	for range 16 { // the ack is the first data message; pings may come before it
		h, p, err := readFrame(br, nil)
		if err != nil {
			return serverMsg{}, err
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(nc, ws.OpPong, p)
			continue
		case ws.OpClose:
			return serverMsg{}, fmt.Errorf("closed by server during handshake: %d", closeCode(p))
		}
		var m serverMsg
		if err := json.Unmarshal(p, &m); err != nil {
			return serverMsg{}, fmt.Errorf("bad message %q: %w", p, err)
		}
		switch m.Type {
		case "ack":
			return m, nil
		case "error", "fallback":
			return serverMsg{}, fmt.Errorf("%s: %s %s", m.Type, m.Code, m.Message)
		}
	}
	return serverMsg{}, errNoAck
}

// drop closes the socket abruptly, as a lost network would, and waits for
// the reader to exit.
func (c *client) drop() {
	c.mu.Lock()
	nc, done := c.nc, c.done
	c.mu.Unlock()
	if nc == nil {
		return
	}
	c.dropping.Store(true)
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, no FIN handshake: an abrupt loss
	}
	nc.Close()
	<-done
}

func closeCode(p []byte) int {
	if len(p) < 2 {
		return 1005
	}
	return int(p[0])<<8 | int(p[1])
}
