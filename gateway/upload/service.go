package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/rtgw/realtime/store"
)

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

// uploadCtlQueue bounds upload starts, resumes and aborts waiting for the
// upload workers (they call Redis and storage); past it clients are told
// to retry.
const uploadCtlQueue = 256

// runUploadWorker is one upload worker: it runs control operations and
// writes queued chunks to storage, off the readers, so slow storage or
// Redis never holds a reader.
func (s *Server) runUploadWorker() {
	for {
		select {
		case <-s.stop:
			return
		case f := <-s.uploadCtl:
			f()
		case u := <-s.uploadWork:
			u.run()
		}
	}
}

// uploadCtx bounds one upload operation's Redis calls.
func (s *Server) uploadCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
}

// beginUpload records a new upload and opens its storage; the caller
// feeds it. Shared by upload.start and POST /v2/realtime/uploads.
// c is the connection that will feed it, nil for HTTP.
func (s *Server) beginUpload(org, user string, m uploadStart, c *conn) (*upload, *uploadError) {
	cfg := &s.cfg.Uploads
	if s.uploads.len() >= cfg.MaxActive {
		s.metrics.uploads.result("upload_too_many")
		return nil, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	rec := store.Upload{ID: newUploadID(), User: user, Name: m.Name, Size: m.Size,
		ContentType: m.ContentType, SHA256: m.SHA256, Owner: rand.Text(), Status: store.UploadActive}
	ctx, cancel := s.uploadCtx()
	defer cancel()
	if err := cfg.State.StartUpload(ctx, org, rec, cfg.Expiry, cfg.MaxPerUser); err != nil {
		if errors.Is(err, store.ErrUploadLimit) {
			s.metrics.uploads.result("upload_too_many")
			return nil, upErr(429, "upload_too_many", "too many unfinished uploads; finish or abort one first")
		}
		s.metrics.redisErrors.Inc()
		return nil, upErr(503, "upload_failed", "upload state unavailable; retry")
	}
	part, err := cfg.Storage.OpenPart(org, rec.ID, true)
	if err != nil {
		s.log.Error().Err(err).Str("org", org).Msg("upload storage unavailable")
		_ = cfg.State.AbortUpload(ctx, org, user, rec.ID)
		return nil, upErr(503, "upload_failed", "storage unavailable; retry")
	}
	u := &upload{s: s, org: org, rec: rec, part: part, c: c, lastCommit: time.Now(), ref: m.ID}
	u.touched.Store(time.Now().UnixNano())
	if !s.uploads.add(u) {
		_ = part.Close()
		_ = cfg.State.AbortUpload(ctx, org, user, rec.ID)
		return nil, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	s.metrics.uploads.started.Inc()
	return u, nil
}

// resumeUpload takes an upload over (from a connection or node that lost
// its client) at its committed offset. A finished upload comes back with
// its record and no writer.
// ref is the client's id for the resume, echoed in upload.done.
func (s *Server) resumeUpload(org, user, id, ref string, c *conn) (*upload, store.Upload, *uploadError) {
	cfg := &s.cfg.Uploads
	notFound := upErr(404, "upload_not_found", "no such upload (unknown, expired, aborted or not yours)")
	if !validUploadID(id) {
		return nil, store.Upload{}, notFound
	}
	ctx, cancel := s.uploadCtx()
	defer cancel()
	rec, err := cfg.State.ClaimUpload(ctx, org, user, id, rand.Text(), cfg.Expiry)
	switch {
	case errors.Is(err, store.ErrUploadNotFound):
		return nil, store.Upload{}, notFound
	case err != nil:
		s.metrics.redisErrors.Inc()
		return nil, store.Upload{}, upErr(503, "upload_failed", "upload state unavailable; retry")
	case rec.Status == store.UploadDone:
		return nil, rec, nil
	case rec.Status != store.UploadActive && rec.Status != store.UploadCompleting:
		return nil, store.Upload{}, upErr(422, "upload_hash_mismatch", "this upload failed its SHA-256 check; start it again")
	}
	// Never create the part on a resume past 0: continuing into an empty
	// file would end in a hash mismatch after the whole upload. With every
	// byte committed the part may be gone (completion got as far as the
	// final file), and is not needed.
	part, err := cfg.Storage.OpenPart(org, id, rec.Offset == 0)
	switch {
	case errors.Is(err, fs.ErrNotExist) && rec.Offset == rec.Size:
		part = nil
	case errors.Is(err, fs.ErrNotExist):
		_ = cfg.State.AbortUpload(ctx, org, user, id)
		return nil, store.Upload{}, upErr(404, "upload_not_found", "the upload's stored bytes are gone (expired); start it again")
	case err != nil:
		return nil, store.Upload{}, upErr(503, "upload_failed", "storage unavailable; retry")
	}
	u := &upload{s: s, org: org, rec: rec, part: part, c: c, ref: ref, written: rec.Offset, committed: rec.Offset,
		next: rec.Offset, lastCommit: time.Now()}
	u.touched.Store(time.Now().UnixNano())
	if !s.uploads.add(u) {
		if part != nil {
			_ = part.Close()
		}
		return nil, store.Upload{}, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	s.metrics.uploads.resumed.Inc()
	return u, rec, nil
}

// abortUpload deletes a user's unfinished upload wherever it is written.
func (s *Server) abortUpload(org, user, id string) *uploadError {
	if !validUploadID(id) {
		return upErr(404, "upload_not_found", "no such upload")
	}
	ctx, cancel := s.uploadCtx()
	defer cancel()
	if err := s.cfg.Uploads.State.AbortUpload(ctx, org, user, id); err != nil {
		if errors.Is(err, store.ErrUploadNotFound) {
			return upErr(404, "upload_not_found", "no such unfinished upload")
		}
		s.metrics.redisErrors.Inc()
		return upErr(503, "upload_failed", "upload state unavailable; retry")
	}
	if u := s.uploads.get(org, id); u != nil {
		u.release()
	}
	_ = s.cfg.Uploads.Storage.RemovePart(org, id)
	s.metrics.uploads.result("aborted")
	return nil
}

// sweepUploads deletes the bytes of expired uploads. Their Redis state
// expires by itself; a part untouched for Expiry (plus a margin for the
// commit that follows a write, which is what extends the expiry) belongs
// to no live upload. It also releases uploads whose connection is open
// but sent nothing for Expiry, so idle uploads cannot hold the node's
// slots (MaxActive) and files open forever.
func (s *Server) sweepUploads() {
	cfg := &s.cfg.Uploads
	tick := time.NewTicker(min(cfg.Expiry/2, 10*time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			n, err := cfg.Storage.RemoveStale(now.Add(-cfg.Expiry - min(cfg.Expiry, 10*time.Second)))
			if err != nil {
				s.log.Warn().Err(err).Msg("upload cleanup failed")
			}
			s.metrics.uploads.expired.Add(n)
			s.releaseIdleUploads(now)
		}
	}
}

func (s *Server) releaseIdleUploads(now time.Time) {
	for _, u := range s.uploads.snapshot() {
		if u.c == nil || now.UnixNano()-u.touched.Load() < int64(s.cfg.Uploads.Expiry) {
			continue // HTTP uploads are bounded by their request's read deadline
		}
		u.c.sendUploadError(upErr(404, "upload_not_found", "upload expired: nothing sent for too long"), u.rec.ID)
		u.detach()
	}
}

// uploadMetrics are the upload series.
type uploadMetrics struct {
	started *metrics.Counter
	resumed *metrics.Counter
	bytes   *metrics.Counter
	paused  *metrics.Counter
	expired *metrics.Counter
	results map[string]*metrics.Counter // read-only after init
}

var uploadResults = []string{"done", "aborted", "upload_hash_mismatch", "upload_too_large", "upload_type_not_allowed",
	"upload_too_many", "upload_taken_over", "upload_not_found", "upload_failed", "upload_invalid", "upload_offset"}

func newUploadMetrics(s *metrics.Set) *uploadMetrics {
	m := &uploadMetrics{
		started: s.NewCounter(metricsPrefix + "uploads_started_total"),
		resumed: s.NewCounter(metricsPrefix + "uploads_resumed_total"),
		bytes:   s.NewCounter(metricsPrefix + "upload_bytes_stored_total"),
		paused:  s.NewCounter(metricsPrefix + "upload_reads_paused_total"),
		expired: s.NewCounter(metricsPrefix + "upload_parts_expired_total"),
		results: make(map[string]*metrics.Counter),
	}
	for _, r := range uploadResults {
		m.results[r] = s.NewCounter(metricsPrefix + `upload_results_total{result="` + r + `"}`)
	}
	return m
}

func (m *uploadMetrics) result(r string) {
	if c := m.results[r]; c != nil {
		c.Inc()
	}
}
