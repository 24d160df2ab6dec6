package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// quiet is how long the resume row keeps reading after the last missed
// event arrived, to catch duplicates or strays.
const quiet = 300 * time.Millisecond

// resume: drop the first connection, publish -missed events while away,
// reconnect with lastSeq and epoch. The ack must say recovered:true and the
// replay must be exactly the missed seqs, in order, each once.
func (c *checker) resume(ctx context.Context) row {
	if c.conn == nil {
		return failed("resume", "no connection (handshake failed)")
	}
	c.conn.close()
	c.conn = nil
	var want []int64
	for i := range c.cfg.Missed {
		seq, err := c.publish(ctx, 1000+i, "")
		if err != nil {
			return failed("resume", "publishing while away: %v", err)
		}
		want = append(want, seq)
	}
	conn, ack, err := c.dial(ctx, c.cfg.Token, false, c.lastSeq, c.epoch)
	if err != nil {
		return failed("resume", "reconnect: %v", err)
	}
	defer conn.close()
	if ack.Recovered == nil || !*ack.Recovered {
		return failed("resume", "ack after lastSeq=%d has recovered:%v, want true", c.lastSeq, fmtBool(ack.Recovered))
	}
	got, err := collect(conn, len(want), time.Now().Add(c.cfg.Timeout))
	if err != nil {
		return failed("resume", "replay: %v (got seqs %v, want %v)", err, got, want)
	}
	if !slices.Equal(got, want) {
		return failed("resume", "replayed seqs %v, want exactly %v", got, want)
	}
	return row{Name: "resume", Status: pass,
		Figure: fmt.Sprintf("%d missed → %d replayed (seq %d–%d), recovered:true", len(want), len(got), want[0], want[len(want)-1]),
		Values: map[string]any{"missed": len(want), "replayed": len(got), "recovered": true}}
}

// collect reads event seqs until n arrived and then for a quiet period
// more, so extra or repeated events show.
func collect(conn *wsConn, n int, deadline time.Time) ([]int64, error) {
	var got []int64
	for {
		if q := time.Now().Add(quiet); len(got) >= n && q.Before(deadline) {
			deadline = q
		}
		m, err := conn.read(deadline)
		if err != nil {
			if len(got) >= n && isTimeout(err) {
				return got, nil
			}
			return got, err
		}
		if m.Type == "close" {
			return got, fmt.Errorf("closed %d %s", m.CloseCode, m.Message)
		}
		for _, e := range m.Events {
			got = append(got, e.Seq)
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "absent"
	}
	return fmt.Sprint(*b)
}
