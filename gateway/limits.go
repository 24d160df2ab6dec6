package gateway

import (
	"net"
	"sync"
	"time"
)

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

// ipRate is a token bucket per key: per remote IP for upgrade attempts, so
// one address cannot flood the node with handshakes (each costs a JWT check
// and, once accepted, Redis reads), and per user for client publishes. Memory is bounded: buckets idle for a
// minute are dropped by the sweep, and past maxIPs distinct addresses new
// ones are refused until the sweep frees room.
type ipRate struct {
	rate  float64 // tokens per second; 0 disables
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket // caller holds mu
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxIPs = 100_000

func newIPRate(perSecond float64, burst int) *ipRate {
	return &ipRate{rate: perSecond, burst: float64(max(burst, 1)), buckets: make(map[string]*bucket)}
}

// allow takes a token for the address in remoteAddr ("ip:port").
func (r *ipRate) allow(remoteAddr string, now time.Time) bool {
	ip, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		ip = remoteAddr
	}
	return r.allowKey(ip, now)
}

// allowKey takes a token for key (an IP, or an org and user).
func (r *ipRate) allowKey(key string, now time.Time) bool {
	if r.rate <= 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[key]
	if b == nil {
		if len(r.buckets) >= maxIPs {
			return false
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[key] = b
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// prune drops buckets that have been full (idle) for a minute.
func (r *ipRate) prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ip, b := range r.buckets {
		if now.Sub(b.last) > time.Minute {
			delete(r.buckets, ip)
		}
	}
}
