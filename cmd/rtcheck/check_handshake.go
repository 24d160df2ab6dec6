package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// handshake: the token's handshake gets an ack carrying seq and epoch.
func (c *checker) handshake(ctx context.Context) row {
	conn, ack, err := c.dial(ctx, c.cfg.Token, false, 0, "")
	c.answer = ack
	if err != nil {
		return failed("handshake", "%v", err)
	}
	c.conn, c.epoch, c.lastSeq = conn, ack.Epoch, ack.Seq
	if ack.Epoch == "" {
		return failed("handshake", "ack without an epoch")
	}
	return row{Name: "handshake", Status: pass,
		Figure: fmt.Sprintf("ack seq=%d epoch=%s", ack.Seq, ack.Epoch),
		Values: map[string]any{"seq": ack.Seq, "epoch": ack.Epoch}}
}

// ping: a server ping (JSON or frame) arrives within -ping-wait of the
// upgrade. Pings seen during the latency row count; otherwise it waits out
// the rest, still reading (events only move lastSeq).
func (c *checker) ping(ctx context.Context) row {
	if c.cfg.PingWait <= 0 {
		return row{Name: "ping", Status: skip, Figure: "skipped (-ping-wait 0)"}
	}
	if c.conn == nil {
		return failed("ping", "no connection (handshake failed)")
	}
	deadline := c.conn.opened.Add(c.cfg.PingWait)
	for c.conn.pingedAt.IsZero() && time.Now().Before(deadline) && ctx.Err() == nil {
		m, err := c.conn.readMsg(deadline, true)
		if err != nil && !isTimeout(err) {
			return failed("ping", "waiting for a ping: %v", err)
		}
		if m.Type == "close" {
			return failed("ping", "connection closed %d %s while waiting for a ping", m.CloseCode, m.Message)
		}
		for _, e := range m.Events {
			c.lastSeq = max(c.lastSeq, e.Seq)
		}
		if err != nil {
			break
		}
	}
	if c.conn.pingedAt.IsZero() {
		return failed("ping", "no ping within %v of connecting", c.cfg.PingWait)
	}
	after := c.conn.pingedAt.Sub(c.conn.opened)
	return row{Name: "ping", Status: pass, Figure: fmt.Sprintf("first ping %.1fs after connecting", after.Seconds()),
		Values: map[string]any{"afterSeconds": after.Seconds()}}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
