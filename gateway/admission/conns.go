package admission

import "sync"

// Conns counts this node's connections per user and per org. The
// limits are per node: a cluster-wide count would cost a Redis round trip
// per handshake and leak counts when a node dies. With N nodes a user can
// hold at most N × the limit.
type Conns struct {
	perUser, perOrg int // 0: unlimited

	mu    sync.Mutex
	users map[string]int // "org\x00user" → connections; caller holds mu
	orgs  map[string]int // caller holds mu
}

// NewConns caps connections per user (of an org) and per org; 0 is
// unlimited.
func NewConns(perUser, perOrg int) *Conns {
	return &Conns{perUser: perUser, perOrg: perOrg, users: make(map[string]int), orgs: make(map[string]int)}
}

// Acquire takes a slot for (org, user); false means a limit is reached.
func (l *Conns) Acquire(org, user string) bool {
	key := org + "\x00" + user
	l.mu.Lock()
	defer l.mu.Unlock()
	if (l.perUser > 0 && l.users[key] >= l.perUser) || (l.perOrg > 0 && l.orgs[org] >= l.perOrg) {
		return false
	}
	l.users[key]++
	l.orgs[org]++
	return true
}

// Release gives back a slot taken by Acquire.
func (l *Conns) Release(org, user string) {
	key := org + "\x00" + user
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.users[key]--; l.users[key] <= 0 {
		delete(l.users, key)
	}
	if l.orgs[org]--; l.orgs[org] <= 0 {
		delete(l.orgs, org)
	}
}
