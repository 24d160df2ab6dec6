package gateway

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/rtgw/realtime/store"
)

// StoreLog adapts the Redis-backed store.Log to EventLog. onError (may be
// nil) hears the notification feed's connection problems.
func StoreLog(l *store.Log, client redis.UniversalClient, onError func(error)) EventLog {
	return storeLog{Log: l, client: client, onError: onError}
}

type storeLog struct {
	*store.Log
	client  redis.UniversalClient
	onError func(error)
}

func (s storeLog) Watch(onEvent func(org, epoch string, ev store.Event), onSubscribed func(org string), onEphemeral func(org string, e store.Ephemeral)) Feed {
	return s.NewFeed(store.FeedConfig{OnEvent: onEvent, OnSubscribed: onSubscribed, OnEphemeral: onEphemeral, OnError: s.onError})
}

func (s storeLog) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }
