package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gobwas/ws"

	"github.com/rtgw/realtime/store"
)

// onMessage handles one complete client message.
func (c *conn) onMessage(op ws.OpCode, msg []byte) error {
	st := c.currentState()
	switch {
	case st >= stateClosing:
		return nil // draining until the peer's close; ignore data
	case op != ws.OpText && st == stateHandshake:
		return disconnect(CloseBadHandshake, "the handshake must be a JSON text message")
	case op != ws.OpText:
		c.sendError("unsupported", "binary messages are not supported")
		return nil
	case st == stateHandshake:
		return c.handshake(msg)
	}
	var m clientMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		c.sendError("bad_message", "message is not valid JSON: "+jsonProblem(err))
		return nil
	}
	switch m.Type {
	case "pong":
	case "ping":
		c.send(controlFrameText(pingReply(time.Now())))
	default:
		c.sendError("unknown_type", "unknown message type")
	}
	return nil
}

func pingReply(now time.Time) []byte {
	return append(append([]byte(`{"type":"pong","timestamp":"`), appendTime(nil, now)...), `"}`...)
}

// sendError reports a problem without closing the connection.
func (c *conn) sendError(code, msg string) {
	c.send(controlFrameText(errorPayload(code, msg)))
}

// handshake runs the client's first message: authorise the services, find
// the org's position, acknowledge, replay what the client missed and attach
// it to the org's live tail with no gap and no duplicate at the seam.
func (c *conn) handshake(msg []byte) error {
	h, err := parseHandshake(msg, c.s.cfg.MaxServices)
	if err != nil {
		return err
	}
	claims := c.claims
	for _, svc := range h.Services {
		if !claims.Allows(svc) {
			return disconnect(CloseForbidden, "service "+svc+" is not allowed by the token")
		}
	}
	if err := c.s.checkRollout(c); err != nil {
		return err
	}
	c.setState(stateJoining)

	ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.RedisTimeout)
	defer cancel()
	head, err := c.s.cfg.Log.Head(ctx, c.org)
	if err != nil {
		c.s.metrics.redisErrors.Inc()
		return disconnect(CloseInternalError, "event log unavailable, retry")
	}
	pos, recovered, page, err := c.s.resumePoint(ctx, c.org, head, h)
	if err != nil {
		c.s.metrics.redisErrors.Inc()
		return disconnect(CloseInternalError, "event log unavailable, retry")
	}
	if recovered != nil && *recovered {
		c.s.metrics.replaySize.Update(float64(head.Seq - pos))
	}
	c.send(controlFrameText(ackPayload(pos, head.Epoch, recovered, time.Now())))
	services := dedupe(h.Services)
	if len(page) > 0 {
		c.replay(page, services)
		pos = page[len(page)-1].Seq
	}
	return c.attach(pos, services)
}

// resumePoint decides where the client starts. With no lastSeq it starts at
// the head. With lastSeq it resumes (recovered=true) only when the epoch
// matches and every event after lastSeq is still retained; the first replay
// page is read here, before the ack, so a log trimmed between the two reads
// is caught rather than papered over.
func (s *Server) resumePoint(ctx context.Context, org string, head store.Head, h handshake) (pos int64, recovered *bool, page []store.Event, err error) {
	if h.LastSeq == nil {
		return head.Seq, nil, nil, nil
	}
	last := *h.LastSeq
	ok := (h.Epoch == "" || h.Epoch == head.Epoch) && last >= head.First-1 && last <= head.Seq
	if ok && last < head.Seq {
		page, err = s.cfg.Log.Range(ctx, org, last, s.cfg.ReplayPageSize)
		if err != nil {
			return 0, nil, nil, err
		}
		ok = len(page) > 0 && page[0].Seq == last+1
	}
	if !ok {
		s.metrics.unrecovered.Inc()
		return head.Seq, &ok, nil, nil
	}
	return last, &ok, page, nil
}

// attach joins the org tail at pos. When the tail has moved past pos it
// streams the difference from the log, page by page, and tries again; the
// tail's lock makes the final step atomic with its fan-out.
func (c *conn) attach(pos int64, services []string) error {
	t := c.s.hub.acquire(c.org)
	c.mu.Lock()
	if c.state >= stateClosing {
		c.mu.Unlock()
		t.release()
		return nil
	}
	c.tail, c.services = t, services
	c.mu.Unlock()
	if !t.waitReady(c.s.cfg.RedisTimeout) {
		return disconnect(CloseInternalError, "event log unavailable, retry")
	}
	for {
		behind, err := t.join(c, pos, services)
		if err != nil || behind == 0 {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.RedisTimeout)
		page, err := c.s.cfg.Log.Range(ctx, c.org, pos, c.s.cfg.ReplayPageSize)
		cancel()
		if err != nil {
			c.s.metrics.redisErrors.Inc()
			return disconnect(CloseInternalError, "event log unavailable, retry")
		}
		if len(page) == 0 || page[0].Seq != pos+1 {
			// Trimmed while we read: the client's position is void now.
			// It reconnects with its lastSeq and is told recovered:false.
			return disconnect(CloseInternalError, "replay gap: events trimmed during replay")
		}
		if !c.replay(page, services) {
			return nil
		}
		pos = page[len(page)-1].Seq
	}
}

// replay queues a page of history for this connection, filtered by its
// services and batched into frames of consecutive same-service events. It
// waits for the backlog to drain first, so any history fits the bounded
// queue. It reports false when the connection is gone.
func (c *conn) replay(page []store.Event, services []string) bool {
	if !c.waitDrained(c.s.cfg.CloseTimeout) {
		c.closeWith(disconnect(CloseSlowConsumer, "client did not read its replay"))
		return false
	}
	var run []store.Event
	n := 0
	flush := func() {
		if len(run) > 0 {
			c.send(newFrame(appendEvents(nil, run), c.s.compressThreshold(c)))
			n += len(run)
			run = run[:0]
		}
	}
	for i := range page {
		ev := page[i]
		if !contains(services, ev.Service) {
			continue
		}
		sanitizeEvent(&ev)
		if len(run) > 0 && (run[0].Service != ev.Service || len(run) == maxEventsPerFrame) {
			flush()
		}
		run = append(run, ev)
	}
	flush()
	c.s.metrics.replayed.Add(n)
	c.s.metrics.delivered.Add(n)
	return true
}

func (s *Server) compressThreshold(c *conn) int {
	if !c.deflate {
		return -1
	}
	return s.cfg.CompressThreshold
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var (
	errTailStopped = errors.New("org tail stopped")
	errReplayGap   = errors.New("events trimmed during replay")
)
