package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Revocation ends the authority of tokens already handed out: an operator
// revokes one user of an org (removed from it) or the whole org, and every
// token of theirs issued at or before that moment is refused from then on.
// The record is one string per user and one per org, "<prefix>:{<org>}:revoked"
// and "<prefix>:{<org>}:revoked:<user>", holding the revocation time in
// unix seconds and expiring after Config.RevocationTTL. Revoke also
// announces the revocation on the org's notify channel, so the nodes that
// hold the user's connections cut them at once; a node that misses the
// announcement still refuses the token at its next read of the record.

// KindRevoke is the Ephemeral.Kind of a revocation announcement; clients
// cannot send it (the gateway sends only typing and presence kinds).
const KindRevoke = "revoke"

// revokeMark starts a revocation payload on the notify channel.
const revokeMark = "!"

// Revocation is what the record says about one user of one org: the time
// (unix seconds) of the latest revocation of the whole org and of the user;
// 0 means none is in force.
type Revocation struct {
	Org  int64
	User int64
}

// Refuses reports whether a token issued at iat (unix seconds, 0 when the
// token has no iat) is revoked: issued at or before a revocation in force,
// or of unknown age while one is.
func (r Revocation) Refuses(iat int64) bool {
	at := max(r.Org, r.User)
	return at > 0 && (iat == 0 || iat <= at)
}

// Revoke records a revocation of user's tokens in org (user "": every token
// of the org) at time at, and announces it to every node. It returns the
// revocation time in force, in unix seconds: at, or a later one already
// recorded.
func (l *Log) Revoke(ctx context.Context, org, user string, at time.Time) (int64, error) {
	if !ValidOrg(org) {
		return 0, fmt.Errorf("revoke in %q: %w", org, ErrInvalidOrg)
	}
	key := l.keys.revokedOrg(org)
	if user != "" {
		key = l.keys.revokedUser(org, user)
	}
	ttl := max(int64(l.revTTL/time.Second), 1)
	n, err := revokeScript.Run(ctx, l.client, []string{key, l.keys.notify(org)},
		at.Unix(), ttl, l.pubsub.publishCommand(), user).Int64()
	if err != nil {
		return 0, fmt.Errorf("revoke in %q: %w", org, err)
	}
	return n, nil
}

// Revoked reads the record for user in org with one MGET.
func (l *Log) Revoked(ctx context.Context, org, user string) (Revocation, error) {
	q := l.RevocationQuery(org, user)
	q.Queue(ctx, l.client)
	return q.Result()
}

// RevocationQuery is the read of Revoked, split so that it can ride on a
// pipeline that carries another read: the handshake sends it with the
// rollout HMGET (rollout.Source.DecideWith), so checking revocations costs
// no extra round trip.
type RevocationQuery struct {
	org, user string
	keys      []string
	cmd       *redis.SliceCmd
}

// RevocationQuery returns the query for user in org; call Queue, then (once
// the pipeline ran) Result.
func (l *Log) RevocationQuery(org, user string) *RevocationQuery {
	return &RevocationQuery{org: org, user: user,
		keys: []string{l.keys.revokedOrg(org), l.keys.revokedUser(org, user)}}
}

// Queue adds the MGET to c, a pipeline or a client (which then runs it at
// once). Both keys sit in the org's slot, so on a Cluster it is one command
// to one node.
func (q *RevocationQuery) Queue(ctx context.Context, c redis.Cmdable) {
	q.cmd = c.MGet(ctx, q.keys...)
}

// errNotQueued is Result's answer before Queue.
var errNotQueued = errors.New("revocation query was not queued")

// Result is the record read by the queued MGET. Any failure to read it is an
// error: a caller must not take an unreadable record for "not revoked".
func (q *RevocationQuery) Result() (Revocation, error) {
	if q.cmd == nil {
		return Revocation{}, fmt.Errorf("revocations of %q: %w", q.org, errNotQueued)
	}
	vals, err := q.cmd.Result()
	if err != nil {
		return Revocation{}, fmt.Errorf("revocations of %q: %w", q.org, err)
	}
	if len(vals) != 2 {
		return Revocation{}, fmt.Errorf("revocations of %q: %d values: %w", q.org, len(vals), ErrMalformed)
	}
	var r Revocation
	if r.Org, err = revocationTime(vals[0]); err == nil {
		r.User, err = revocationTime(vals[1])
	}
	if err != nil {
		return Revocation{}, fmt.Errorf("revocations of %q: %w", q.org, err)
	}
	return r, nil
}

// revocationTime parses one MGET value: nil (no record) is 0.
func revocationTime(v any) (int64, error) {
	if v == nil {
		return 0, nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("revocation record of type %T: %w", v, ErrMalformed)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("revocation record %q: %w", s, ErrMalformed)
	}
	return n, nil
}

// decodeRevocation parses a payload that starts with revokeMark into an
// Ephemeral of KindRevoke (User "" for the whole org).
func decodeRevocation(payload string) (Ephemeral, bool) {
	at, user, ok := strings.Cut(strings.TrimPrefix(payload, revokeMark), "\n")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || n < 0 {
		return Ephemeral{}, false
	}
	return Ephemeral{Kind: KindRevoke, User: user, At: n}, true
}
