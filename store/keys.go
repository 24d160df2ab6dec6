package store

import "strings"

// Every Redis key and channel the log uses is built here and nowhere else:
// these names are an operator-facing contract (dashboards, redis-cli runbooks,
// the README one-liner), so a change must show up in one reviewable diff.
//
// The {org} hash tag puts all of an org's keys in one Redis Cluster slot,
// which is what lets publish.lua touch the log, counter and epoch atomically.

// keys builds the names for one prefix.
type keys struct {
	prefix string
}

// base is "<prefix>:{<org>}", the part shared by all of an org's keys.
func (k keys) base(org string) string { return k.prefix + ":{" + org + "}" }

// log is the org's Stream; entry IDs are "<seq>-0".
func (k keys) log(org string) string { return k.base(org) + ":log" }

// epoch holds the id of the current incarnation of the org's log.
func (k keys) epoch(org string) string { return k.base(org) + ":epoch" }

// seq is the counter of the last assigned seq.
func (k keys) seq(org string) string { return k.base(org) + ":seq" }

// notify is the pub/sub channel announcing each published event.
func (k keys) notify(org string) string { return k.base(org) + ":notify" }

// idem is the prefix of the org's remembered idempotency keys: publish.lua
// appends the key itself, "<prefix>:{<org>}:idem:<key>", a string holding
// "<seq>:<epoch>" that expires after the idempotency window.
func (k keys) idem(org string) string { return k.base(org) + ":idem:" }

// upload is one upload's state hash (store/uploads.go).
func (k keys) upload(org, id string) string { return k.base(org) + ":upload:" + id }

// userUploads is the sorted set of a user's unfinished uploads, scored
// with their expiry; its size is the user's concurrent uploads.
func (k keys) userUploads(org, user string) string { return k.base(org) + ":uploads:" + user }

// presence is the sorted set of the org's present users, one member per
// room, node and user, scored with its expiry (store/presence.go).
func (k keys) presence(org string) string { return k.base(org) + ":presence" }

// revokedOrg holds the time (unix seconds) of the org's latest revocation
// of every token; revokedUser the same for one user's tokens. They are
// strings with a TTL (Config.RevocationTTL), in the org's slot, so a
// handshake reads both with one MGET (store/revoke.go).
func (k keys) revokedOrg(org string) string { return k.base(org) + ":revoked" }

func (k keys) revokedUser(org, user string) string { return k.base(org) + ":revoked:" + user }

// RolloutKey is the rollout hash ("<prefix>:rollout") that package rollout
// reads; it sits outside every org's slot.
func RolloutKey(prefix string) string { return prefix + ":rollout" }

// script returns the KEYS of publish.lua, in its order; head.lua takes the
// first three.
func (k keys) script(org string) []string {
	return []string{k.log(org), k.epoch(org), k.seq(org), k.notify(org), k.idem(org)}
}

// orgOfNotify inverts notify; ok is false for a channel that is not one of
// ours or names an invalid org.
func (k keys) orgOfNotify(channel string) (org string, ok bool) {
	rest, ok := strings.CutPrefix(channel, k.prefix+":{")
	if !ok {
		return "", false
	}
	org, ok = strings.CutSuffix(rest, "}:notify")
	return org, ok && ValidOrg(org)
}
