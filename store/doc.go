// Package store is the per-org event log in Redis: publish, read, tail.
//
// Each org has one ordered log, a Redis Stream whose entry IDs are the
// event's seq ("<seq>-0"), next to a seq counter, an epoch id and a pub/sub
// channel. store owns every one of those keys: their names are built in
// keys.go and nowhere else, and every write goes through the Lua scripts in
// lua/ so that a batch gets contiguous seqs and its notifications atomically.
// The same scripts run under `redis-cli --eval` for operators and on
// miniredis for development.
//
// store must never know about WebSockets, connections or fan-out: it hands
// out Events and callbacks, and the gateway decides what to do with them.
// Conversely the gateway must never build a key.
//
// A reader follows one org like this:
//
//	lg, _ := store.New(store.Config{Client: rdb})
//	feed := lg.NewFeed(store.FeedConfig{
//		OnSubscribed: func(org string) { /* Head, then Range from the last seq seen */ },
//		OnEvent:      func(org, epoch string, ev store.Event) { /* deliver if ev.Seq == last+1, else Range */ },
//	})
//	defer feed.Close()
//	_ = feed.Subscribe("acme")
//
//	first, last, err := lg.Publish(ctx, "acme", store.Input{Service: "finance", Type: "revenue.created", Data: data})
//
// Notifications are fire-and-forget: any sent while the feed's connection
// is down are lost, which is why OnSubscribed fires again after every
// reconnect and the reader fills the gap with Range. A changed Head.Epoch
// means the log was lost and restarted at seq 1.
//
// On a Redis Cluster notifications use sharded pub/sub (SPUBLISH and one
// SSUBSCRIBE connection per master, see feed_shards.go); elsewhere classic
// PUBLISH/SUBSCRIBE on one connection (PubSubMode). The Feed's locks
// (Feed.mu, shards.mu, link.mu) are never held across a receive or a
// callback; see LOCKS.md.
package store
