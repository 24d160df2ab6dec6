package admission

import (
	"net"
	"sync"
	"time"
)

// Rate limits how often one key may act: a token bucket per key. The
// gateway keeps two: upgrade attempts per remote IP (handshakeRate), so one
// address cannot flood the node with handshakes (each costs a JWT check
// and, once accepted, Redis reads), and client publishes per org and user
// (publishRate). Memory is bounded: buckets idle for a minute are dropped
// by the sweep, and past maxRateKeys distinct keys new ones are refused
// until the sweep frees room.
type Rate struct {
	rate  float64 // tokens per second; 0 disables
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket // caller holds mu
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxRateKeys bounds the buckets one Rate holds.
const maxRateKeys = 100_000

// NewRate allows perSecond actions per key, in bursts of up to burst;
// perSecond 0 allows everything.
func NewRate(perSecond float64, burst int) *Rate {
	return &Rate{rate: perSecond, burst: float64(max(burst, 1)), buckets: make(map[string]*bucket)}
}

// AllowAddr takes a token for the IP address in remoteAddr ("ip:port").
func (r *Rate) AllowAddr(remoteAddr string, now time.Time) bool {
	ip, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		ip = remoteAddr
	}
	return r.Allow(ip, now)
}

// Allow takes a token for key (an IP, or an org and user).
func (r *Rate) Allow(key string, now time.Time) bool {
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

// Prune drops buckets that have been full (idle) for a minute; the
// gateway's sweep calls it.
func (r *Rate) Prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ip, b := range r.buckets {
		if now.Sub(b.last) > time.Minute {
			delete(r.buckets, ip)
		}
	}
}
