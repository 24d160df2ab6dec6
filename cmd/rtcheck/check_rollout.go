package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/rollout"
	"github.com/rtgw/realtime/store"
)

// rollout: the token's user as the rollout sees it. The node's answer to
// the first handshake is its decision (ack: WebSocket; fallback: out, with
// the rule). With -redis the hash is read with the node's own code path
// (one HMGET, no write) and the two must agree; rtcheck never changes flags.
func (c *checker) rollout(ctx context.Context) row {
	bucket := rollout.Bucket(c.id.User)
	node, ok := nodeDecision(c.answer)
	r := row{Name: "rollout", Values: map[string]any{"user": c.id.User, "bucket": bucket, "node": node}}
	if !ok {
		return failed("rollout", "user %s bucket %d: node gave no decision (%s)", c.id.User, bucket, refusal(c.answer))
	}
	r.Status, r.Figure = pass, fmt.Sprintf("user %s bucket %d: node → %s", c.id.User, bucket, node)
	if c.cfg.Redis == "" {
		r.Figure += " (read-only; -redis compares with the hash)"
		return r
	}
	want, err := c.hashDecision(ctx)
	if err != nil {
		return failed("rollout", "%s; reading %s: %v", r.Figure, store.RolloutKey(c.cfg.RedisPrefix), err)
	}
	r.Values["hash"] = want
	r.Figure += "; hash → " + want
	if want != node {
		r.Status = fail
		r.Figure += ": the node does not follow the hash (another Redis or REALTIME_REDIS_PREFIX?)"
	}
	return r
}

// nodeDecision names the node's handshake answer as a rollout outcome.
func nodeDecision(m msg) (string, bool) {
	switch m.Type {
	case "ack":
		return "websocket", true
	case "fallback":
		return "fallback:" + m.Detail, true
	}
	return "", false
}

func (c *checker) hashDecision(ctx context.Context) (string, error) {
	opts, err := redis.ParseURL(c.cfg.Redis)
	if err != nil {
		return "", err
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	defer client.Close()
	var readErr error
	src, err := rollout.New(rollout.Config{
		Client: client, Key: store.RolloutKey(c.cfg.RedisPrefix), Timeout: c.cfg.Timeout,
		DefaultEnabled: c.cfg.DefaultOn, DefaultPercent: c.cfg.DefaultPercent, DefaultPercentSet: true,
		OnError: func(err error) { readErr = err },
	})
	if err != nil {
		return "", err
	}
	d := src.Decide(ctx, c.id.User, c.id.Org, false) // as a browser without the REALTIME_STREAMING_V2 flag
	if readErr != nil {
		return "", readErr
	}
	if d.In {
		return "websocket", nil
	}
	return "fallback:" + string(d.Reason), nil
}
