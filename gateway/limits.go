package gateway

import "sync"

// connLimits counts this node's connections per user and per org. The
// limits are per node: a cluster-wide count would cost a Redis round trip
// per handshake and leak counts when a node dies. With N nodes a user can
// hold at most N × the limit.
type connLimits struct {
	perUser, perOrg int // 0: unlimited

	mu    sync.Mutex
	users map[string]int // "org\x00user" → connections; caller holds mu
	orgs  map[string]int // caller holds mu
}

func newConnLimits(perUser, perOrg int) *connLimits {
	return &connLimits{perUser: perUser, perOrg: perOrg, users: make(map[string]int), orgs: make(map[string]int)}
}

// acquire takes a slot for (org, user); false means a limit is reached.
func (l *connLimits) acquire(org, user string) bool {
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

func (l *connLimits) release(org, user string) {
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
