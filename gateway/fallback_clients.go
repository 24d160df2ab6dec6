package gateway

import (
	"sync"

	"github.com/rtgw/realtime/internal/auth"
)

// fallbackClient is one SSE stream or long-poll as revocation sees it: the
// revoker closes cut, and the handler, waiting on it next to the tail's
// change channel, ends the stream or answers 401.
type fallbackClient struct {
	org, user string
	iat       int64
	cut       chan struct{}
}

// revoked reports whether a revocation cut the client.
func (fc *fallbackClient) revoked() bool {
	select {
	case <-fc.cut:
		return true
	default:
		return false
	}
}

// fallbackClients are this node's SSE streams and long-polls, by org. Its
// lock is a leaf.
type fallbackClients struct {
	mu    sync.Mutex
	byOrg map[string]map[*fallbackClient]struct{} // caller holds mu
}

// add registers a request before its revocation read, so a revocation
// either is in the record that read sees or finds the client here.
func (f *fallbackClients) add(claims *auth.Claims) *fallbackClient {
	fc := &fallbackClient{org: claims.Org, user: claims.User, iat: unixOrZero(claims.IssuedAt), cut: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byOrg == nil {
		f.byOrg = make(map[string]map[*fallbackClient]struct{})
	}
	set := f.byOrg[fc.org]
	if set == nil {
		set = make(map[*fallbackClient]struct{})
		f.byOrg[fc.org] = set
	}
	set[fc] = struct{}{}
	return fc
}

func (f *fallbackClients) remove(fc *fallbackClient) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if set := f.byOrg[fc.org]; set != nil {
		delete(set, fc)
		if len(set) == 0 {
			delete(f.byOrg, fc.org)
		}
	}
}

// revoke cuts every client the revocation covers, once each.
func (f *fallbackClients) revoke(r revocation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := f.byOrg[r.org]
	for fc := range set {
		if r.covers(fc.org, fc.user, fc.iat) {
			close(fc.cut)
			delete(set, fc)
		}
	}
	if len(set) == 0 {
		delete(f.byOrg, r.org)
	}
}
