package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/rtgw/realtime/gateway/fallback"
	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/gateway/wsframe"
	"github.com/rtgw/realtime/store"
)

// attach joins the org tail at pos of the log incarnation epoch. When the
// tail has moved past pos it streams the difference from the log, page by
// page, and tries again; the tail's lock makes the final step atomic with
// its fan-out. When the tail knows another epoch than the one the client
// was acked with, one of them is stale: the tail is told to re-check, and
// the client either joins once they agree or is closed to resync.
func (c *conn) attach(pos int64, epoch string, services []string) error {
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
	epochRetries := 0
	for {
		behind, changed, err := t.subscribe(c, pos, epoch, services)
		if errors.Is(err, errEpochMismatch) && epochRetries < 2 {
			epochRetries++
			t.poke()
			fallback.Wait(changed, c.s.cfg.RedisTimeout, nil, nil, c.s.drain)
			continue
		}
		if errors.Is(err, errEpochMismatch) {
			return errLogReset
		}
		if err != nil || behind == 0 {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.RedisTimeout)
		p, err := c.s.cfg.Log.ReadAfter(ctx, c.org, pos, c.s.cfg.ReplayPageSize)
		cancel()
		if err != nil {
			c.s.metrics.redisErrors.Inc()
			return disconnect(CloseInternalError, "event log unavailable, retry")
		}
		page := p.Events
		if p.Epoch != epoch {
			t.poke()
			return errLogReset
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
	var run []store.Event
	var fr frameRun
	n := 0
	ok := true
	flush := func() {
		if len(run) > 0 && ok {
			f := wsframe.New(message.AppendEvents(nil, run), c.s.compressThreshold(c))
			if ok = c.sendPaced(f); ok {
				n += len(run)
			}
		}
		run, fr = run[:0], frameRun{}
	}
	maxBytes := maxFrameBytes(&c.s.cfg)
	for i := range page {
		ev := page[i]
		if !contains(services, ev.Service) {
			continue
		}
		room := roomOf(ev.Data) // parses the data: after the cheap check
		if !c.rooms.wants(ev.Service, room) {
			continue
		}
		sanitizeEvent(&ev)
		if fr.n > 0 && !fr.fits(ev, room, maxBytes) {
			flush()
		}
		run = append(run, ev)
		fr.add(ev, room)
	}
	flush()
	c.s.metrics.replayed.Add(n)
	c.s.metrics.delivered.Add(n)
	return ok
}

// sendPaced queues a replay frame, first waiting for the backlog to drain
// to half the cap if the frame would not fit, so any history streams
// through the bounded queue. A client that does not read within
// CloseTimeout is closed as a slow consumer.
func (c *conn) sendPaced(f *wsframe.Frame) bool {
	c.mu.Lock()
	fits := c.out.Bytes()+len(f.Wire(c.deflate))+wsframe.Overhead <= c.s.cfg.OutboundQueueBytes
	c.mu.Unlock()
	if !fits && !c.waitDrained(c.s.cfg.CloseTimeout) {
		if c.currentState() < stateClosing {
			c.s.metrics.slowConsumers.Inc()
			c.closeWith(disconnect(CloseSlowConsumer, "client did not read its replay"))
		}
		return false
	}
	if c.expiredAt(time.Now().UnixNano()) {
		return false
	}
	c.send(f)
	return c.currentState() < stateClosing
}

func (s *Server) compressThreshold(c *conn) int {
	if !c.deflate {
		return -1
	}
	return s.cfg.CompressThreshold
}
