package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// status is a row's verdict.
type status string

const (
	pass status = "pass"
	fail status = "fail"
	skip status = "skip"
)

// row is one check's outcome: the figure it measured and the verdict.
type row struct {
	Name   string         `json:"name"`
	Status status         `json:"status"`
	Figure string         `json:"figure"`
	Values map[string]any `json:"values,omitempty"`
}

// report is the whole run; OK is false when any row failed.
type report struct {
	URL    string `json:"url"`
	Org    string `json:"org"`
	User   string `json:"user"`
	OK     bool   `json:"ok"`
	Checks []row  `json:"checks"`
}

// checker carries what one check hands the next: the first connection,
// its epoch and the last seq it received.
type checker struct {
	cfg     *config
	t       *target
	id      identity
	runID   string // marks this run's events
	conn    *wsConn
	answer  msg // the first handshake's answer (ack, fallback, error)
	epoch   string
	lastSeq int64
}

// run performs every check in order; a check whose prerequisite failed
// reports ✗ saying so rather than being left out.
func run(ctx context.Context, cfg *config) (report, error) {
	t, err := newTarget(cfg)
	if err != nil {
		return report{}, err
	}
	id, err := readToken(cfg.Token)
	if err != nil {
		return report{}, err
	}
	c := &checker{cfg: cfg, t: t, id: id, runID: newRunID()}
	defer func() {
		if c.conn != nil {
			c.conn.close()
		}
	}()
	rep := report{URL: cfg.URL, Org: id.Org, User: id.User, OK: true}
	for _, check := range []func(context.Context) row{
		c.handshake, c.latency, c.ping, c.resume, c.compression, c.connections, c.rollout,
	} {
		r := check(ctx)
		rep.OK = rep.OK && r.Status != fail
		rep.Checks = append(rep.Checks, r)
	}
	return rep, nil
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func failed(name, format string, args ...any) row {
	return row{Name: name, Status: fail, Figure: fmt.Sprintf(format, args...)}
}

// payload is the data of every event rtcheck publishes: the run id and the
// event's index, by which it recognises its own events.
type payload struct {
	Run string `json:"rtcheck"`
	I   int    `json:"i"`
	Pad string `json:"pad,omitempty"`
}

// publish sends event i of this run to the checked service.
func (c *checker) publish(ctx context.Context, i int, pad string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	return c.t.publish(ctx, c.id.Org, c.cfg.Service, "rtcheck.probe", payload{Run: c.runID, I: i, Pad: pad})
}

// awaitEvent reads from conn until this run's event i arrives and returns
// the frame that carried it; other events only move lastSeq.
func (c *checker) awaitEvent(conn *wsConn, i int, deadline time.Time) (msg, error) {
	for {
		m, err := conn.read(deadline)
		if err != nil {
			return msg{}, err
		}
		if m.Type == "close" {
			return msg{}, fmt.Errorf("connection closed %d %s", m.CloseCode, m.Message)
		}
		if m.Type != "event" {
			continue
		}
		for _, e := range m.Events {
			if conn == c.conn {
				c.lastSeq = max(c.lastSeq, e.Seq)
			}
			var p payload
			if json.Unmarshal(e.Data, &p) == nil && p.Run == c.runID && p.I == i {
				return m, nil
			}
		}
	}
}

// dial opens a connection with the given token and handshakes; a non-ack
// answer is returned as an error naming it.
func (c *checker) dial(ctx context.Context, token string, deflate bool, lastSeq int64, epoch string) (*wsConn, msg, error) {
	conn, err := dialWS(ctx, c.t, token, deflate, c.cfg.Timeout)
	if err != nil {
		return nil, msg{}, err
	}
	ack, err := conn.handshake(c.cfg.Service, lastSeq, epoch, c.cfg.Timeout)
	if err == nil && ack.Type != "ack" {
		err = fmt.Errorf("handshake: %s", refusal(ack))
	}
	if err != nil {
		_ = conn.nc.Close()
		return nil, ack, err
	}
	return conn, ack, nil
}
