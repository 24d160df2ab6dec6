package upload

import "sync"

// uploadRegistry is the uploads this node is writing, by org and id. Its
// size is the node's cap on concurrent uploads (UploadConfig.MaxActive).
type uploadRegistry struct {
	mu  sync.Mutex
	m   map[string]*upload // caller holds mu
	max int
}

func uploadKey(org, id string) string { return org + "/" + id }

// add registers u unless the node is full. An upload of the same id that
// this node was already writing (a resume on the same node) is detached:
// it writes what it has queued and stops, its commits refused from now on,
// and its connection is told — unless it is u's own connection, which
// gets u's answer instead.
func (r *uploadRegistry) add(u *upload) bool {
	k := uploadKey(u.org, u.rec.ID)
	r.mu.Lock()
	old := r.m[k]
	if old == nil && len(r.m) >= r.max {
		r.mu.Unlock()
		return false
	}
	r.m[k] = u
	r.mu.Unlock()
	if old != nil {
		if old.c != nil && old.c == u.c {
			old.takeover.Store(takeoverQuiet)
		} else {
			old.takeover.Store(takeoverTell)
		}
		old.detach()
	}
	return true
}

func (r *uploadRegistry) get(org, id string) *upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[uploadKey(org, id)]
}

func (r *uploadRegistry) remove(u *upload) {
	k := uploadKey(u.org, u.rec.ID)
	r.mu.Lock()
	if r.m[k] == u {
		delete(r.m, k)
	}
	r.mu.Unlock()
}

func (r *uploadRegistry) snapshot() []*upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*upload, 0, len(r.m))
	for _, u := range r.m {
		out = append(out, u)
	}
	return out
}

func (r *uploadRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
