package gateway

import "sync"

const registryShards = 64

// registry holds every connection of the node, sharded by id so that
// registering and unregistering do not contend on one lock. The sweep and
// shutdown walk it; fan-out never does (it walks the org tails' sets).
type registry struct {
	shards [registryShards]struct {
		mu    sync.Mutex
		conns map[*conn]struct{} // caller holds mu
	}
}

func newRegistry() *registry {
	r := &registry{}
	for i := range r.shards {
		r.shards[i].conns = make(map[*conn]struct{})
	}
	return r
}

func (r *registry) add(c *conn) {
	sh := &r.shards[c.id%registryShards]
	sh.mu.Lock()
	sh.conns[c] = struct{}{}
	sh.mu.Unlock()
}

func (r *registry) remove(c *conn) {
	sh := &r.shards[c.id%registryShards]
	sh.mu.Lock()
	delete(sh.conns, c)
	sh.mu.Unlock()
}

// snapshot appends shard i's connections to dst. Callers act on the copy
// without the shard lock, so closing a connection (which unregisters it)
// cannot deadlock the walk.
func (r *registry) snapshot(i int, dst []*conn) []*conn {
	sh := &r.shards[i]
	sh.mu.Lock()
	for c := range sh.conns {
		dst = append(dst, c)
	}
	sh.mu.Unlock()
	return dst
}

func (r *registry) len() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += len(sh.conns)
		sh.mu.Unlock()
	}
	return n
}
