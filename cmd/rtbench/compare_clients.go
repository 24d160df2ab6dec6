package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// transportStats are what one transport's clients count together; every
// field is updated with atomics from the client goroutines.
type transportStats struct {
	wire      wireCounter
	requests  atomic.Int64 // HTTP requests sent: polls, SSE opens, upgrades
	events    atomic.Int64 // events received
	connected atomic.Int64 // clients past their first answer
	errors    atomic.Int64
	lat       hist // publish → receipt, nanoseconds
}

// received records the events of one response or frame.
func (s *transportStats) received(evs []evRef) {
	now := time.Now().UnixNano()
	for _, e := range evs {
		if e.pub > 0 {
			s.lat.add(now - e.pub)
		}
	}
	s.events.Add(int64(len(evs)))
}

// compareClient is one client of one transport; run returns when ctx ends.
type compareClient struct {
	base    string // http://host:port
	token   string
	service string
	st      *transportStats
	http    *http.Client
}

// runLongPoll polls in a loop, each request carrying the last seq it got,
// as realtime.js does on the fallback.
func (c *compareClient) runLongPoll(ctx context.Context) {
	var last int64
	epoch := ""
	var evs []evRef
	c.st.connected.Add(1) // its first poll waits on the org's tail
	for ctx.Err() == nil {
		u := c.base + "/v2/realtime/poll?timeout=25&services=" + c.service + "&lastSeq=" + strconv.FormatInt(last, 10)
		if epoch != "" {
			u += "&epoch=" + epoch
		}
		body, err := c.get(ctx, u, nil)
		if err != nil {
			c.pause(ctx)
			continue
		}
		if epoch == "" {
			var head struct {
				Epoch string `json:"epoch"`
			}
			_ = json.Unmarshal(body, &head)
			epoch = head.Epoch
		}
		evs = parseEvents(body, evs[:0])
		c.st.received(evs)
		for _, e := range evs {
			last = max(last, e.seq)
		}
	}
}

func (c *compareClient) get(ctx context.Context, u string, hdr http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range hdr {
		req.Header[k] = v
	}
	c.st.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return b, err
}

func (c *compareClient) pause(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	c.st.errors.Add(1)
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
}

// runSSE holds one event stream, reopening it (with Last-Event-ID) if it
// ends, as EventSource does.
func (c *compareClient) runSSE(ctx context.Context) {
	lastID := ""
	counted := false
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v2/realtime/sse?services="+c.service, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		c.st.requests.Add(1)
		resp, err := c.http.Do(req)
		if err != nil {
			c.pause(ctx)
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var evs [1]evRef
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case bytes.HasPrefix(line, []byte("event: ack")) && !counted:
				counted = true
				c.st.connected.Add(1)
			case bytes.HasPrefix(line, []byte("id: ")):
				lastID = string(line[4:])
			case bytes.HasPrefix(line, []byte(`data: {"seq":`)):
				if i := bytes.Index(line, keyPub); i >= 0 {
					evs[0].pub, _ = leadingInt(line[i+len(keyPub):])
					c.st.received(evs[:])
				}
			}
		}
		resp.Body.Close()
	}
}

// runWebSocket holds one WebSocket: handshake, then read frames until ctx
// ends (the caller closes the socket).
func (c *compareClient) runWebSocket(ctx context.Context) {
	d := ws.Dialer{NetDial: c.st.wire.dial, Timeout: 30 * time.Second}
	c.st.requests.Add(1)
	nc, br, _, err := d.Dial(ctx, "ws"+c.base[len("http"):]+"/v2/realtime/stream?access_token="+c.token)
	if err != nil {
		c.st.errors.Add(1)
		return
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	if br == nil {
		br = bufio.NewReader(nc)
	}
	if err := wsutil.WriteClientText(nc, []byte(`{"services":["`+c.service+`"],"version":1}`)); err != nil {
		c.st.errors.Add(1)
		return
	}
	var evs []evRef
	var p []byte
	acked := false
	for {
		h, err := ws.ReadHeader(br)
		if err != nil {
			return
		}
		if int64(cap(p)) < h.Length {
			p = make([]byte, h.Length)
		}
		p = p[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		switch {
		case h.OpCode == ws.OpPing:
			_ = wsutil.WriteClientMessage(nc, ws.OpPong, p)
		case h.OpCode == ws.OpClose:
			c.st.errors.Add(1)
			return
		case isEvent(p):
			evs = parseEvents(p, evs[:0])
			c.st.received(evs)
		case !acked && bytes.HasPrefix(p, []byte(`{"type":"ack"`)):
			acked = true
			c.st.connected.Add(1)
		}
	}
}
