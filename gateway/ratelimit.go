package gateway

import (
	"net"
	"sync"
	"time"
)

// keyRate limits how often one key may act: a token bucket per key. The
// server keeps two: upgrade attempts per remote IP (handshakeRate), so one
// address cannot flood the node with handshakes (each costs a JWT check
// and, once accepted, Redis reads), and client publishes per org and user
// (publishRate). Memory is bounded: buckets idle for a minute are dropped
// by the sweep, and past maxRateKeys distinct keys new ones are refused
// until the sweep frees room.
type keyRate struct {
	rate  float64 // tokens per second; 0 disables
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket // caller holds mu
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxRateKeys bounds the buckets one keyRate holds.
const maxRateKeys = 100_000

func newKeyRate(perSecond float64, burst int) *keyRate {
	return &keyRate{rate: perSecond, burst: float64(max(burst, 1)), buckets: make(map[string]*bucket)}
}

// allowAddr takes a token for the IP address in remoteAddr ("ip:port").
func (r *keyRate) allowAddr(remoteAddr string, now time.Time) bool {
	ip, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		ip = remoteAddr
	}
	return r.allow(ip, now)
}

// allow takes a token for key (an IP, or an org and user).
func (r *keyRate) allow(key string, now time.Time) bool {
	if r.rate <= 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[key]
	if b == nil {
		if len(r.buckets) >= maxRateKeys {
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
func (r *keyRate) prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ip, b := range r.buckets {
		if now.Sub(b.last) > time.Minute {
			delete(r.buckets, ip)
		}
	}
}
