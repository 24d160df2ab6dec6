package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// shards is the router for sharded pub/sub on a Redis Cluster: at most one
// link per master, holding the channels of the orgs whose slots that master
// owns. One goroutine, the placer, decides where channels go; links only
// report what they see (a broken or silent connection, a channel Redis
// dropped because its slot moved, a MOVED reply).
//
// Where a channel lives comes from go-redis's slot map, which the placer
// refreshes (CLUSTER SLOTS) whenever a link reports trouble and every
// SlotRefreshInterval, so a topology change nobody announced (a master
// replaced while the node was idle) is found too.
type shards struct {
	f    *Feed
	cc   *redis.ClusterClient
	kick chan struct{} // cap 1: wakes the placer

	mu     sync.Mutex         // guards the fields below; never held across a network call
	want   map[string]*wanted // channel → where it is; entries replaced on re-add
	links  map[string]*link   // master host:port → its link
	reload bool               // refresh the slot map before the next placement

	lastReload time.Time // placer-owned
}

// minReloadGap spaces slot map reloads, so a MOVED that keeps coming back
// while the cluster's nodes agree on a move costs a few reloads, not a
// busy loop.
const minReloadGap = 100 * time.Millisecond

// wanted is one Subscribe of a channel. A new one replaces it when the
// channel is removed and added again, so the placer can tell that the
// channel it just placed is no longer the one wanted.
type wanted struct {
	on *link // nil while unplaced
}

func newShards(f *Feed, cc *redis.ClusterClient) *shards {
	s := &shards{f: f, cc: cc, kick: make(chan struct{}, 1),
		want: make(map[string]*wanted), links: make(map[string]*link)}
	f.spawn(s.placer)
	return s
}

func (s *shards) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// add places ch afresh even when it is already subscribed (the caller
// retries a Subscribe whose confirmation it did not see): the new entry is
// subscribed again so that OnSubscribed fires again.
func (s *shards) add(ch string) {
	s.mu.Lock()
	old := s.want[ch]
	s.want[ch] = &wanted{}
	s.mu.Unlock()
	if old != nil && old.on != nil {
		old.on.unsubscribe(ch)
	}
	s.poke()
}

func (s *shards) remove(ch string) {
	s.mu.Lock()
	w := s.want[ch]
	delete(s.want, ch)
	s.mu.Unlock()
	if w != nil && w.on != nil {
		w.on.unsubscribe(ch)
	}
	s.poke() // a link left empty is closed
}

func (s *shards) close() {
	s.mu.Lock()
	links := make([]*link, 0, len(s.links))
	for _, l := range s.links {
		links = append(links, l)
	}
	s.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

// linkDown: l's connection broke or went silent. Its channels are placed
// again, after a slot map refresh (the master may have been replaced).
func (s *shards) linkDown(l *link, _ error) {
	s.mu.Lock()
	if s.links[l.addr] == l {
		delete(s.links, l.addr)
	}
	for _, w := range s.want {
		if w.on == l {
			w.on = nil
		}
	}
	s.reload = true
	s.mu.Unlock()
	l.close()
	s.poke()
}

// evicted: Redis dropped ch from l (sunsubscribe push): its slot moved.
func (s *shards) evicted(l *link, ch string) {
	l.forget(ch)
	s.unplace(l, ch)
}

// refused: l got a MOVED (or ASK) reply to an SSUBSCRIBE sent with a stale
// slot map. It names the slot; the channels of that slot on l were never
// subscribed there. Whatever it names, the slot map is re-read.
func (s *shards) refused(l *link, err error) {
	slot, _ := movedSlot(err.Error())
	for _, ch := range l.inSlot(slot) {
		s.unplace(l, ch)
	}
	s.mu.Lock()
	s.reload = true
	s.mu.Unlock()
	s.poke()
}

func (s *shards) unplace(l *link, ch string) {
	s.mu.Lock()
	if w := s.want[ch]; w != nil && w.on == l {
		w.on = nil
	}
	s.reload = true
	s.mu.Unlock()
	s.poke()
}

// movedSlot parses "MOVED <slot> <addr>" (and ASK, which names the slot of
// a migration in progress).
func movedSlot(msg string) (int, bool) {
	f := strings.Fields(msg)
	if len(f) < 3 || (f[0] != "MOVED" && f[0] != "ASK") {
		return 0, false
	}
	n, err := strconv.Atoi(f[1])
	return n, err == nil
}

// placer is the router's goroutine: it places channels whenever something
// changed, and re-checks every placement against a fresh slot map every
// SlotRefreshInterval. A pass that could not place everything (a master
// down, a failover not finished yet) is retried with backoff.
func (s *shards) placer() {
	tick := time.NewTicker(s.f.cfg.SlotRefreshInterval)
	defer tick.Stop()
	var bo backoff
	for {
		select {
		case <-s.f.ctx.Done():
			return
		case <-s.kick:
		case <-tick.C:
			s.mu.Lock()
			s.reload = true
			s.mu.Unlock()
		}
		if s.place() {
			bo.reset()
			continue
		}
		if !sleepCtx(s.f.ctx, bo.step()) {
			return
		}
		s.poke()
	}
}

// place runs one pass; false means some channel is still unplaced.
func (s *shards) place() bool {
	s.mu.Lock()
	reload := s.reload
	s.reload = false
	todo := make(map[string]*wanted)
	for ch, w := range s.want {
		if w.on == nil || reload {
			todo[ch] = w
		}
	}
	s.mu.Unlock()
	if reload {
		// A node that has not heard of a move yet answers with the old
		// map, and the next SSUBSCRIBE is refused again: space reloads.
		if wait := minReloadGap - time.Since(s.lastReload); wait > 0 && !sleepCtx(s.f.ctx, wait) {
			return true
		}
		s.lastReload = time.Now()
		if err := s.reloadSlots(); err != nil {
			s.f.cfg.OnError(err)
			s.mu.Lock()
			s.reload = true
			s.mu.Unlock()
			return false
		}
	}
	ok := true
	for addr, g := range s.group(todo, &ok) {
		if !s.placeOn(addr, g) {
			ok = false
		}
	}
	s.closeEmpty()
	return ok
}

// reloadSlots refreshes go-redis's slot map now. ReloadState only schedules
// a reload; ForEachMaster reloads before it returns.
func (s *shards) reloadSlots() error {
	ctx, cancel := context.WithTimeout(s.f.ctx, 2*time.Second)
	defer cancel()
	if err := s.cc.ForEachMaster(ctx, func(context.Context, *redis.Client) error { return nil }); err != nil {
		return fmt.Errorf("feed: refresh slot map: %w", err)
	}
	return nil
}

// placement is the channels of one master, with the client to reach it.
type placement struct {
	client *redis.Client
	chans  map[string]*wanted
}

// group sorts channels by the master that owns them now, per the slot map.
func (s *shards) group(todo map[string]*wanted, ok *bool) map[string]*placement {
	out := make(map[string]*placement)
	for ch, w := range todo {
		c, err := s.cc.MasterForKey(s.f.ctx, ch)
		if err != nil {
			s.f.cfg.OnError(fmt.Errorf("feed: owner of %q: %w", ch, err))
			*ok = false
			continue
		}
		addr := c.Options().Addr
		if out[addr] == nil {
			out[addr] = &placement{client: c, chans: make(map[string]*wanted)}
		}
		out[addr].chans[ch] = w
	}
	return out
}

// placeOn subscribes g's channels on addr's link, moving them off the link
// they were on, if any. It reports false when the link failed.
func (s *shards) placeOn(addr string, g *placement) bool {
	l := s.linkFor(addr, g.client)
	var subs []string
	for ch, w := range g.chans {
		s.mu.Lock()
		cur := w.on
		s.mu.Unlock()
		if cur == l {
			continue
		}
		if cur != nil {
			cur.unsubscribe(ch)
		}
		subs = append(subs, ch)
	}
	if len(subs) == 0 {
		return true
	}
	if err := l.subscribe(subs...); err != nil {
		s.f.cfg.OnError(err)
		s.linkDown(l, err)
		return false
	}
	s.mu.Lock()
	var stale []string
	down := l.isClosed() // failed after the write: place again
	placed := !down
	for _, ch := range subs {
		if w := g.chans[ch]; s.want[ch] == w {
			// Not on l any more: a MOVED came back before we got here.
			if !down && l.has(ch) {
				w.on = l
			} else {
				placed = false
			}
		} else {
			// Removed (and maybe added again, unplaced) while we
			// subscribed: drop it here; a new entry gets its own pass.
			stale = append(stale, ch)
		}
	}
	s.mu.Unlock()
	for _, ch := range stale {
		l.unsubscribe(ch)
	}
	return placed
}

// linkFor returns addr's link, starting one if there is none.
func (s *shards) linkFor(addr string, c *redis.Client) *link {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.links[addr]; l != nil {
		return l
	}
	l := newLink(s.f, addr, func() *redis.PubSub { return c.SSubscribe(s.f.ctx) })
	l.down, l.evicted, l.refused = s.linkDown, s.evicted, s.refused
	s.links[addr] = l
	s.f.spawn(l.run)
	return l
}

// closeEmpty closes links that hold no channel: a node keeps connections
// only to masters that own one of its orgs.
func (s *shards) closeEmpty() {
	s.mu.Lock()
	var empty []*link
	for addr, l := range s.links {
		if l.size() == 0 {
			delete(s.links, addr)
			empty = append(empty, l)
		}
	}
	s.mu.Unlock()
	for _, l := range empty {
		l.close()
	}
}
