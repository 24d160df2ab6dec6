package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// compression: a connection offering permessage-deflate gets it, an event
// of -compress-bytes arrives deflated (RSV1), and the node's
// compressedMessages grew.
func (c *checker) compression(ctx context.Context) row {
	before, err := c.t.stats(ctx)
	if err != nil {
		return failed("compression", "%v", err)
	}
	conn, _, err := c.dial(ctx, c.cfg.Token, true, 0, "")
	if err != nil {
		return failed("compression", "%v", err)
	}
	defer conn.close()
	if !conn.deflate {
		return failed("compression", "permessage-deflate not negotiated (REALTIME_COMPRESS_THRESHOLD negative, or a proxy strips Sec-WebSocket-Extensions)")
	}
	if _, err := c.publish(ctx, 2000, strings.Repeat("rtcheck ", c.cfg.CompressBytes/8+1)); err != nil {
		return failed("compression", "%v", err)
	}
	m, err := c.awaitEvent(conn, 2000, time.Now().Add(c.cfg.Timeout))
	if err != nil {
		return failed("compression", "large event not received: %v", err)
	}
	if !m.Compressed {
		return failed("compression", "deflate negotiated but a %d-byte event arrived uncompressed (threshold above it?)", c.cfg.CompressBytes)
	}
	after, err := c.t.stats(ctx)
	if err != nil {
		return failed("compression", "%v", err)
	}
	r := row{Name: "compression", Status: pass,
		Figure: fmt.Sprintf("deflate negotiated, %d B event arrived compressed; compressedMessages %d→%d", c.cfg.CompressBytes, before.CompressedMessages, after.CompressedMessages),
		Values: map[string]any{"negotiated": true, "compressedBefore": before.CompressedMessages, "compressedAfter": after.CompressedMessages}}
	if after.CompressedMessages <= before.CompressedMessages {
		r.Status = fail
		r.Figure += " (did not grow; behind a multi-pod Service, run against one pod)"
	}
	return r
}
