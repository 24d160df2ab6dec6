// Package presence is who is in which room, for the gateway: this node's
// count of connections per (org, room, user), the Redis work of a join or
// leave (the sorted set, then the presence.join/leave signal), the
// heartbeat that keeps this node's entries alive in Redis, and GET
// /v2/realtime/presence.
//
// A connection is present in the rooms of its handshake's room filter; one
// without a filter takes no part (presence is opt-in: an org-wide
// announcement of every connect would cost O(connections²) frames in a
// large org). The first connection of a user in a room announces
// {"type":"presence","room","join":user} to the org on every node, the last
// one's close announces "leave", and the heartbeat re-adds the node's
// entries every TTL/3 (store.PresenceBeat) so a killed node's users expire
// within one TTL.
//
// What it must never do: touch a connection, a socket or an org tail (the
// gateway hands it an org, a user's entries and a queue to send changes
// to, and delivers the signals itself), reach Redis except through Store,
// authenticate by itself (Config.Authenticate), or import package gateway:
// the gateway imports it, one way.
//
// Usage (what gateway.New does):
//
//	p := presence.New(presence.Config{Store: log, TTL: ttl, Timeout: 3 * time.Second, RedisErrors: c, Authenticate: authn})
//	go p.Beat(stop)
//	p.Change(org, entries, 1, enqueue) // a connection joined; enqueue runs a publisher's Apply
//	r.Get("/v2/realtime/presence", p.ServeHTTP)
package presence
