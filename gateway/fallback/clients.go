package fallback

import (
	"sync"

	"github.com/rtgw/realtime/internal/auth"
)

// client is one SSE stream or long-poll as revocation sees it: the
// revoker closes cut, and the handler, waiting on it next to the tail's
// change channel, ends the stream or answers 401.
type client struct {
	org, user string
	iat       int64
	cut       chan struct{}
}

// revoked reports whether a revocation cut the client.
func (fc *client) revoked() bool {
	select {
	case <-fc.cut:
		return true
	default:
		return false
	}
}

// Clients are this node's SSE streams and long-polls, by org, for the
// revoker. The zero value is ready. Its lock is a leaf.
type Clients struct {
	mu    sync.Mutex
	byOrg map[string]map[*client]struct{} // caller holds mu
}

// add registers a request before its revocation read, so a revocation
// either is in the record that read sees or finds the client here.
func (f *Clients) add(claims *auth.Claims) *client {
	fc := &client{org: claims.Org, user: claims.User, iat: unixOrZero(claims), cut: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byOrg == nil {
		f.byOrg = make(map[string]map[*client]struct{})
	}
	set := f.byOrg[fc.org]
	if set == nil {
		set = make(map[*client]struct{})
		f.byOrg[fc.org] = set
	}
	set[fc] = struct{}{}
	return fc
}

func (f *Clients) remove(fc *client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if set := f.byOrg[fc.org]; set != nil {
		delete(set, fc)
		if len(set) == 0 {
			delete(f.byOrg, fc.org)
		}
	}
}

// Revoke cuts every client of org that covers says a revocation ends
// (iat: the token's issue time in unix seconds, 0 for none), once each.
func (f *Clients) Revoke(org string, covers func(user string, iat int64) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := f.byOrg[org]
	for fc := range set {
		if covers(fc.user, fc.iat) {
			close(fc.cut)
			delete(set, fc)
		}
	}
	if len(set) == 0 {
		delete(f.byOrg, org)
	}
}

// Count is how many clients of org are registered (for tests).
func (f *Clients) Count(org string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.byOrg[org])
}

// unixOrZero is a token's iat in unix seconds, 0 when it has none.
func unixOrZero(c *auth.Claims) int64 {
	if c.IssuedAt.IsZero() {
		return 0
	}
	return c.IssuedAt.Unix()
}
