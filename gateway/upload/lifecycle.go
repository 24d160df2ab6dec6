package upload

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"time"

	"github.com/rtgw/realtime/store"
)

// begin records a new upload and opens its storage; the caller feeds it.
// Shared by upload.start and POST /v2/realtime/uploads. c is the
// connection that will feed it, nil for HTTP.
func (s *Service) begin(org, user string, m uploadStart, c Conn) (*upload, *uploadError) {
	cfg := &s.cfg
	if s.active.len() >= cfg.MaxActive {
		s.metrics.result("upload_too_many")
		return nil, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	rec := store.Upload{ID: newUploadID(), User: user, Name: m.Name, Size: m.Size,
		ContentType: m.ContentType, SHA256: m.SHA256, Owner: rand.Text(), Status: store.UploadActive}
	ctx, cancel := s.redisCtx()
	defer cancel()
	if err := cfg.State.StartUpload(ctx, org, rec, cfg.Expiry, cfg.MaxPerUser); err != nil {
		if errors.Is(err, store.ErrUploadLimit) {
			s.metrics.result("upload_too_many")
			return nil, upErr(429, "upload_too_many", "too many unfinished uploads; finish or abort one first")
		}
		s.redisError()
		return nil, upErr(503, "upload_failed", "upload state unavailable; retry")
	}
	part, err := cfg.Storage.OpenPart(org, rec.ID, true)
	if err != nil {
		s.log.Error().Err(err).Str("org", org).Msg("upload storage unavailable")
		_ = cfg.State.AbortUpload(ctx, org, user, rec.ID)
		return nil, upErr(503, "upload_failed", "storage unavailable; retry")
	}
	u := &upload{svc: s, org: org, rec: rec, part: part, c: c, lastCommit: time.Now(), ref: m.ID}
	u.touched.Store(time.Now().UnixNano())
	if !s.active.add(u) {
		_ = part.Close()
		_ = cfg.State.AbortUpload(ctx, org, user, rec.ID)
		return nil, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	s.metrics.started.Inc()
	return u, nil
}

// resume takes an upload over (from a connection or node that lost
// its client) at its committed offset. A finished upload comes back with
// its record and no writer.
// ref is the client's id for the resume, echoed in upload.done.
func (s *Service) resume(org, user, id, ref string, c Conn) (*upload, store.Upload, *uploadError) {
	cfg := &s.cfg
	notFound := upErr(404, "upload_not_found", "no such upload (unknown, expired, aborted or not yours)")
	if !validUploadID(id) {
		return nil, store.Upload{}, notFound
	}
	ctx, cancel := s.redisCtx()
	defer cancel()
	rec, err := cfg.State.ClaimUpload(ctx, org, user, id, rand.Text(), cfg.Expiry)
	switch {
	case errors.Is(err, store.ErrUploadNotFound):
		return nil, store.Upload{}, notFound
	case err != nil:
		s.redisError()
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
	u := &upload{svc: s, org: org, rec: rec, part: part, c: c, ref: ref, written: rec.Offset, committed: rec.Offset,
		next: rec.Offset, lastCommit: time.Now()}
	u.touched.Store(time.Now().UnixNano())
	if !s.active.add(u) {
		if part != nil {
			_ = part.Close()
		}
		return nil, store.Upload{}, upErr(429, "upload_too_many", "this node is writing its maximum of uploads; retry later")
	}
	s.metrics.resumed.Inc()
	return u, rec, nil
}

// abort deletes a user's unfinished upload wherever it is written.
func (s *Service) abort(org, user, id string) *uploadError {
	if !validUploadID(id) {
		return upErr(404, "upload_not_found", "no such upload")
	}
	ctx, cancel := s.redisCtx()
	defer cancel()
	if err := s.cfg.State.AbortUpload(ctx, org, user, id); err != nil {
		if errors.Is(err, store.ErrUploadNotFound) {
			return upErr(404, "upload_not_found", "no such unfinished upload")
		}
		s.redisError()
		return upErr(503, "upload_failed", "upload state unavailable; retry")
	}
	if u := s.active.get(org, id); u != nil {
		u.release()
	}
	_ = s.cfg.Storage.RemovePart(org, id)
	s.metrics.result("aborted")
	return nil
}
