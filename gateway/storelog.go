package gateway

import (
	"github.com/rtgw/realtime/store"
)

// StoreLog adapts the Redis-backed store.Log to EventLog: store.Log is the
// log, the presence and the signal sender as it is, and this adds the one
// method whose result type is the gateway's own (Watch, which starts a
// store.Feed). onError (may be nil) hears the feed's connection problems.
func StoreLog(l *store.Log, onError func(error)) EventLog {
	return storeLog{Log: l, onError: onError}
}

type storeLog struct {
	*store.Log
	onError func(error)
}

func (s storeLog) Watch(onEvent func(org, epoch string, ev store.Event), onSubscribed func(org string), onEphemeral func(org string, e store.Ephemeral)) Feed {
	return s.NewFeed(store.FeedConfig{OnEvent: onEvent, OnSubscribed: onSubscribed, OnEphemeral: onEphemeral, OnError: s.onError})
}
