package main

import (
	"context"
	"fmt"
	"sync"
)

// dialConcurrency bounds the connections row's handshakes in flight.
const dialConcurrency = 16

// connections: -conns more connections of the token's org must not grow
// connectionPoolStats.totalSubscriptions by more than one (the org's tail on
// a node that had none): subscriptions are per org and node, never per
// connection. That holds on any pod, so the row is sound behind a Service.
func (c *checker) connections(ctx context.Context) row {
	m, err := newMinter(c.id, c.cfg.Token, c.cfg.JWTSecret)
	if err != nil {
		return failed("connections", "%v", err)
	}
	before, err := c.t.stats(ctx)
	if err != nil {
		return failed("connections", "%v", err)
	}
	conns, capped, firstErr := c.openMany(ctx, m)
	defer func() {
		for _, conn := range conns {
			conn.close()
		}
	}()
	after, err := c.t.stats(ctx)
	if err != nil {
		return failed("connections", "%v", err)
	}
	return judgeConns(c.cfg.Conns, len(conns), capped, firstErr, before.Pool.TotalSubscriptions, after.Pool.TotalSubscriptions)
}

// openMany opens up to -conns connections; capped counts refusals by the
// node's per-user cap (4029) when every connection shares one token.
func (c *checker) openMany(ctx context.Context, m *minter) (conns []*wsConn, capped int, firstErr error) {
	var mu sync.Mutex
	sem := make(chan struct{}, dialConcurrency)
	var wg sync.WaitGroup
	for i := range c.cfg.Conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			tok, err := m.forConn(i)
			var conn *wsConn
			var ans msg
			if err == nil {
				conn, ans, err = c.dial(ctx, tok, false, 0, "")
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				conns = append(conns, conn)
			case ans.Code == "too_many_connections" && m.signer == nil:
				capped++
			case firstErr == nil:
				firstErr = err
			}
		})
	}
	wg.Wait()
	return conns, capped, firstErr
}

// judgeConns is the row's verdict from the counts; a pure function so the
// cases a healthy gateway never produces are tested too.
func judgeConns(want, opened, capped int, firstErr error, subsBefore, subsAfter int) row {
	r := row{Name: "connections", Values: map[string]any{
		"wanted": want, "opened": opened, "perUserCapped": capped,
		"subscriptionsBefore": subsBefore, "subscriptionsAfter": subsAfter}}
	switch {
	case firstErr != nil:
		return failed("connections", "opened %d of %d: %v", opened, want, firstErr)
	case opened < 2:
		return failed("connections", "opened %d of %d (per-user cap; give -jwt-secret to open each as its own user)", opened, want)
	}
	r.Figure = fmt.Sprintf("%d open; totalSubscriptions %d→%d", opened, subsBefore, subsAfter)
	if capped > 0 {
		r.Figure += fmt.Sprintf(" (%d refused by the per-user cap, 4029; -jwt-secret opens all %d)", capped, want)
	}
	r.Status = pass
	if subsAfter-subsBefore > 1 {
		r.Status = fail
		r.Figure += ": grew with the connections"
	}
	return r
}
