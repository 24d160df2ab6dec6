package upload

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/internal/auth"
	"github.com/rtgw/realtime/store"
)

// The HTTP side of uploads, for clients that prefer it to the WebSocket:
// POST to start, PUT with Content-Range to send bytes (or ask the
// committed offset), GET a completed file, DELETE to abort. Same state,
// same storage, same limits: an upload started on a WebSocket can be
// finished with PUT and the other way round.

// Authenticate returns the claims of the request's client token, or
// answers the request itself (401) and returns false. The gateway provides
// it, so that every route verifies tokens the same way.
type Authenticate func(w http.ResponseWriter, r *http.Request) (auth.Claims, bool)

// Routes adds the upload endpoints to r.
func (s *Service) Routes(r chi.Router, authn Authenticate) {
	r.Post("/v2/realtime/uploads", s.guard(authn, s.handleStart))
	r.Put("/v2/realtime/uploads/{id}", s.guard(authn, s.handlePut))
	r.Get("/v2/realtime/uploads/{id}", s.guard(authn, s.handleGet))
	r.Delete("/v2/realtime/uploads/{id}", s.guard(authn, s.handleDelete))
}

// guard verifies the client token and that uploads are enabled.
func (s *Service) guard(authn Authenticate, h func(http.ResponseWriter, *http.Request, auth.Claims)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		claims, ok := authn(w, r)
		if !ok {
			return
		}
		if !s.Enabled() {
			writeUploadError(w, upErr(http.StatusNotImplemented, "upload_disabled", "uploads are not enabled on this gateway"))
			return
		}
		h(w, r, claims)
	}
}

func writeUploadError(w http.ResponseWriter, ue *uploadError) {
	writeJSON(w, ue.status, ue.Problem.Bytes())
}

// writeJSON answers with body, a JSON document, and a newline.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func (s *Service) handleStart(w http.ResponseWriter, r *http.Request, cl auth.Claims) {
	var m uploadStart
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&m); err != nil {
		writeUploadError(w, upErr(400, "upload_invalid", "body is not a JSON upload description: "+message.JSONProblem(err)))
		return
	}
	if ue := m.validate(&s.cfg); ue != nil {
		s.metrics.result(ue.Code)
		writeUploadError(w, ue)
		return
	}
	u, ue := s.begin(cl.Org, cl.User, m, nil)
	if ue != nil {
		writeUploadError(w, ue)
		return
	}
	u.release() // the PUTs claim it again
	writeJSON(w, http.StatusCreated, message.UploadCreated(u.rec.ID, s.cfg.ChunkBytes))
}

// contentRange is a parsed "bytes F-L/SIZE" or "bytes */SIZE".
type contentRange struct {
	first, last, size int64
	query             bool // "*": no bytes, asks for the offset
}

func parseContentRange(h string) (contentRange, bool) {
	spec, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return contentRange{}, false
	}
	rng, size, ok := strings.Cut(spec, "/")
	n, err := strconv.ParseInt(size, 10, 64)
	if !ok || err != nil || n <= 0 {
		return contentRange{}, false
	}
	if rng == "*" {
		return contentRange{size: n, query: true}, true
	}
	f, l, ok := strings.Cut(rng, "-")
	first, err1 := strconv.ParseInt(f, 10, 64)
	last, err2 := strconv.ParseInt(l, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first || last >= n {
		return contentRange{}, false
	}
	return contentRange{first: first, last: last, size: n}, true
}

func (s *Service) handlePut(w http.ResponseWriter, r *http.Request, cl auth.Claims) {
	id := chi.URLParam(r, "id")
	cr, ok := parseContentRange(r.Header.Get("Content-Range"))
	if !ok {
		writeUploadError(w, upErr(400, "upload_invalid", "Content-Range must be \"bytes FIRST-LAST/SIZE\" or \"bytes */SIZE\""))
		return
	}
	rec, ue := s.state(cl, id)
	switch {
	case ue != nil:
		writeUploadError(w, ue)
		return
	case cr.size != rec.Size:
		writeUploadError(w, upErr(400, "upload_invalid", "Content-Range size is not the upload's size "+strconv.FormatInt(rec.Size, 10)))
		return
	case rec.Status == store.UploadDone:
		writeJSON(w, http.StatusOK, putAnswer(rec))
		return
	case rec.Offset == rec.Size:
		// Every byte is stored but completion was interrupted (a crash,
		// a failed publish): any PUT, even an offset query, finishes it.
		s.finishOverHTTP(w, cl, id)
		return
	case cr.query:
		writeJSON(w, http.StatusOK, putAnswer(rec))
		return
	case cr.first != rec.Offset:
		writeUploadError(w, offsetError(id, rec.Offset))
		return
	}
	u := s.claimForHTTP(w, cl, id)
	if u == nil {
		return
	}
	defer u.release()
	if ue := s.putBody(u, w, r.Body, cr); ue != nil {
		writeUploadError(w, ue)
		return
	}
	rec = u.rec
	rec.Offset = u.committed
	writeJSON(w, http.StatusOK, putAnswer(rec))
}

// uploadReadTimeout bounds how long a PUT may go without sending a byte
// of its body: a stalled request must not hold one of the node's upload
// slots forever.
const uploadReadTimeout = time.Minute

// putBody streams the request body into storage at cr.first; the handler
// goroutine is the writer, so a slow disk slows the request, not memory.
// It stops when a resume elsewhere takes the upload over.
func (s *Service) putBody(u *upload, w http.ResponseWriter, body io.Reader, cr contentRange) *uploadError {
	rc := http.NewResponseController(w)
	if cr.first != u.written {
		return offsetError(u.rec.ID, u.written)
	}
	buf := s.chunks.get(nil)
	defer s.chunks.put(buf)
	b := (*buf)[:cap(*buf)]
	want := cr.last - cr.first + 1
	for want > 0 {
		if u.stopped.Load() {
			u.commitQuietly()
			return errTakenOver
		}
		_ = rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
		n, err := io.ReadFull(body, b[:min(int64(len(b)), want)])
		if u.stopped.Load() { // taken over while this read waited: write nothing more
			u.commitQuietly()
			return errTakenOver
		}
		if n > 0 {
			if werr := u.write(u.written, b[:n]); werr != nil {
				ue := asUploadError(werr)
				s.metrics.result(ue.Code)
				return ue
			}
			want -= int64(n)
		}
		if err != nil {
			u.commitQuietly()
			return upErr(400, "upload_invalid", "body shorter than its Content-Range; committed what arrived")
		}
	}
	if u.rec.Status != store.UploadDone {
		if err := u.commit(false); err != nil {
			return asUploadError(err)
		}
	}
	return nil
}

// claimForHTTP takes the upload over for a PUT; nil when it answered
// already (an error, or the upload was done).
func (s *Service) claimForHTTP(w http.ResponseWriter, cl auth.Claims, id string) *upload {
	u, done, ue := s.resume(cl.Org, cl.User, id, "", nil)
	switch {
	case ue != nil:
		writeUploadError(w, ue)
	case u == nil:
		writeJSON(w, http.StatusOK, putAnswer(done))
	}
	return u
}

// finishOverHTTP runs an interrupted completion for a PUT.
func (s *Service) finishOverHTTP(w http.ResponseWriter, cl auth.Claims, id string) {
	u := s.claimForHTTP(w, cl, id)
	if u == nil {
		return
	}
	defer u.release()
	if err := u.complete(); err != nil {
		ue := asUploadError(err)
		s.metrics.result(ue.Code)
		writeUploadError(w, ue)
		return
	}
	writeJSON(w, http.StatusOK, putAnswer(u.rec))
}

// putAnswer is a PUT's answer: the committed offset, and the outcome
// once done.
func putAnswer(rec store.Upload) []byte {
	if rec.Status == store.UploadDone {
		return message.UploadDone{UploadID: rec.ID, Offset: rec.Size, Done: true, Size: rec.Size, SHA256: rec.SHA256, Seq: rec.Seq}.Bytes()
	}
	return message.UploadOffset(rec.ID, rec.Offset)
}

// state reads an upload's state for its user.
func (s *Service) state(cl auth.Claims, id string) (store.Upload, *uploadError) {
	notFound := upErr(404, "upload_not_found", "no such upload (unknown, expired, aborted or not yours)")
	if !validUploadID(id) {
		return store.Upload{}, notFound
	}
	ctx, cancel := s.redisCtx()
	defer cancel()
	rec, err := s.cfg.State.UploadInfo(ctx, cl.Org, id)
	switch {
	case errors.Is(err, store.ErrUploadNotFound):
		return store.Upload{}, notFound
	case err != nil:
		return store.Upload{}, upErr(503, "upload_failed", "upload state unavailable; retry")
	case rec.User != cl.User:
		return store.Upload{}, notFound
	case rec.Status == store.UploadFailed:
		return store.Upload{}, upErr(422, "upload_hash_mismatch", "this upload failed its SHA-256 check; start it again")
	}
	return rec, nil
}

// handleUploadGet serves a completed upload to any user of its org. The
// file is served as an attachment, sandboxed and unsniffed: it is user
// content on the gateway's origin.
func (s *Service) handleGet(w http.ResponseWriter, r *http.Request, cl auth.Claims) {
	id := chi.URLParam(r, "id")
	notFound := upErr(404, "upload_not_found", "no such upload")
	if !validUploadID(id) {
		writeUploadError(w, notFound)
		return
	}
	f, err := s.cfg.Storage.Open(cl.Org, id)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			writeUploadError(w, upErr(503, "upload_failed", "storage unavailable"))
			return
		}
		ctx, cancel := s.redisCtx()
		defer cancel()
		if rec, err := s.cfg.State.UploadInfo(ctx, cl.Org, id); err == nil && (rec.Status == store.UploadActive || rec.Status == store.UploadCompleting) {
			writeUploadError(w, upErr(409, "upload_incomplete", "the upload is not complete"))
			return
		}
		writeUploadError(w, notFound)
		return
	}
	defer f.Close()
	ctype, name := "application/octet-stream", id
	ctx, cancel := s.redisCtx()
	defer cancel()
	if rec, err := s.cfg.State.UploadInfo(ctx, cl.Org, id); err == nil {
		ctype, name = rec.ContentType, rec.Name
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=0")
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request, cl auth.Claims) {
	if ue := s.abort(cl.Org, cl.User, chi.URLParam(r, "id")); ue != nil {
		writeUploadError(w, ue)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
