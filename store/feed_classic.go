package store

import "github.com/redis/go-redis/v9"

// classic is the router for PUBLISH/SUBSCRIBE: one link for every org.
type classic struct {
	l *link
}

func newClassic(f *Feed, client redis.UniversalClient) *classic {
	l := newLink(f, "", func() *redis.PubSub { return client.Subscribe(f.ctx) })
	f.spawn(l.run)
	return &classic{l: l}
}

func (c *classic) add(ch string)    { _ = c.l.subscribe(ch) }
func (c *classic) remove(ch string) { c.l.unsubscribe(ch) }
func (c *classic) close()           { c.l.close() }
