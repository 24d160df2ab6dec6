package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
)

// handshake takes the client's first message on the reader: it validates
// and authorises it, then hands the connection to a joiner, since joining
// waits on Redis and on the client reading its replay.
func (c *conn) handshake(msg []byte) error {
	h, err := parseHandshake(msg, c.s.cfg.MaxServices)
	if err != nil {
		return err
	}
	for _, svc := range h.Services {
		if !c.token().Allows(svc) {
			return disconnect(CloseForbidden, "service "+svc+" is not allowed by the token")
		}
	}
	c.hs = &h
	c.rooms = newRoomSet(h.Rooms)
	c.setState(stateJoining)
	c.s.joiners.push(c)
	return nil
}

// runJoin is a joiner's work for one connection.
func (c *conn) runJoin() {
	if c.currentState() >= stateClosing {
		return
	}
	if err := c.join(*c.hs); err != nil {
		c.fail(err)
		return
	}
	// Present from now on; under c.mu so that destroy, which takes it back,
	// cannot run in between.
	c.mu.Lock()
	if c.state < stateClosing {
		c.present = true
		c.s.presenceChange(c, 1)
	}
	c.mu.Unlock()
}

// join checks revocations and decides the rollout (one round trip), finds the org's position, acknowledges, replays
// what the client missed and attaches it to the org tail with no gap and no
// duplicate at the seam.
func (c *conn) join(h handshake) error {
	if err := c.s.admit(c, h.OptIn); err != nil {
		return err
	}
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
	c.SendText(message.Ack(pos, head.Epoch, recovered, c.token().Expiry.Unix(), time.Now()))
	services := dedupe(h.Services)
	if len(page) > 0 {
		c.replay(page, services)
		pos = page[len(page)-1].Seq
	}
	return c.attach(pos, head.Epoch, services)
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
		p, err := s.cfg.Log.ReadAfter(ctx, org, last, s.cfg.ReplayPageSize)
		if err != nil {
			return 0, nil, nil, err
		}
		page = p.Events
		ok = p.Epoch == head.Epoch && len(page) > 0 && page[0].Seq == last+1
	}
	if !ok {
		s.metrics.unrecovered.Inc()
		return head.Seq, &ok, nil, nil
	}
	return last, &ok, page, nil
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

	errReplayGap = errors.New("events trimmed during replay")

	errEpochMismatch = errors.New("tail and client know different epochs")

	// errLogReset closes a client whose log incarnation is gone; it

	// reconnects and is told recovered:false.

	errLogReset = disconnect(CloseInternalError, "event log was reset; reconnect to resync")
)
