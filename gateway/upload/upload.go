package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtgw/realtime/gateway/message"
	"github.com/rtgw/realtime/store"
	"github.com/rtgw/realtime/store/files"
)

// progressEvery spaces commits, and so upload.progress messages: each
// commit is an fsync and a Redis script, so a fast upload commits about
// four times a second, not once per chunk. A resume may resend up to this
// much of the upload.
const progressEvery = 250 * time.Millisecond

// upload is one upload being written by this node: fed by one WebSocket
// connection (chunks queued by its reader, written by an upload worker)
// or by one HTTP request (written by the request's goroutine).
//
// Durability: bytes are written in place into the storage's part, and a
// commit — fsync, then the offset recorded in Redis if this node still
// owns the upload — is what a resume continues from. Bytes past the last
// commit are simply sent again.
type upload struct {
	svc  *Service
	org  string
	rec  store.Upload // Owner is this writer's token; read-only once attached
	part files.Part   // closed by release; nil when a resume found every byte committed
	c    Conn         // the connection feeding it; nil for HTTP
	ref  string       // the client's id for upload.start, echoed back

	// stopped is set once the upload takes no more chunks (closing or
	// ended); the reader and the HTTP handler read it without u.mu.
	stopped atomic.Bool
	// touched is when the client last sent bytes (unix nanos); the upload
	// sweep releases uploads idle for longer than the expiry.
	touched atomic.Int64
	// dirty: bytes were written past the last commit. Set and cleared by
	// the writer, read by the flusher (flush.go).
	dirty atomic.Bool

	// Reader-owned (the connection's reader, one at a time).
	next   int64 // where the next chunk must start
	desync bool  // an upload_offset error was sent; drop chunks until one fits

	mu        sync.Mutex
	queue     []chunk // received chunks not yet written; caller holds mu
	spare     []chunk // the worker's emptied batch, reused; caller holds mu
	scheduled bool    // on the upload workers' queue or being run; caller holds mu
	closing   bool    // detached: write what is queued, commit, release; caller holds mu
	ended     bool    // released: accepts nothing more; caller holds mu
	finish    bool    // run completion on the worker (a resume found every byte stored); caller holds mu
	flush     bool    // commit what was written (the client went quiet); caller holds mu

	// takeover says how a same-node takeover is reported to u's
	// connection: takeoverNone (then a refused commit reveals a takeover
	// from another node), takeoverTell, or takeoverQuiet (the same
	// connection resumed it again: the new upload answers).
	takeover atomic.Int32

	// Owned by whoever writes: an upload worker, or the HTTP handler.
	written    int64 // bytes written to part (contiguous from 0)
	committed  int64
	lastCommit time.Time
}

const (
	takeoverNone = iota
	takeoverTell
	takeoverQuiet
)

// chunk is received bytes waiting for storage; buf comes from chunkPool.
type chunk struct {
	off int64
	buf *[]byte
}

// chunkPool recycles chunk buffers (all ChunkBytes long, so one size).
type chunkPool struct {
	size int
	pool sync.Pool
}

func (p *chunkPool) get(data []byte) *[]byte {
	b, _ := p.pool.Get().(*[]byte)
	if b == nil || cap(*b) < len(data) {
		nb := make([]byte, 0, max(p.size, len(data)))
		b = &nb
	}
	*b = append((*b)[:0], data...)
	return b
}

func (p *chunkPool) put(b *[]byte) {
	if cap(*b) == p.size {
		p.pool.Put(b)
	}
}

// enqueue hands a chunk (copied) to the upload workers; false when the
// upload ended meanwhile.
func (u *upload) enqueue(off int64, data []byte) bool {
	b := u.svc.chunks.get(data)
	u.mu.Lock()
	if u.ended || u.closing {
		u.mu.Unlock()
		u.svc.chunks.put(b)
		return false
	}
	u.queue = append(u.queue, chunk{off: off, buf: b})
	start := !u.scheduled
	u.scheduled = true
	u.mu.Unlock()
	u.touched.Store(time.Now().UnixNano())
	if u.c != nil {
		u.svc.hold(u.c, len(data))
	}
	if start {
		u.schedule()
	}
	return true
}

// detach stops the upload taking chunks (its connection closed, or a
// resume took it over); what is queued is still written and committed, so
// a resume loses nothing that arrived. An HTTP upload is never scheduled:
// its handler sees stopped between reads and ends it itself.
func (u *upload) detach() {
	u.mu.Lock()
	if u.ended || u.closing {
		u.mu.Unlock()
		return
	}
	u.closing = true
	u.stopped.Store(true)
	start := !u.scheduled && u.c != nil
	u.scheduled = u.scheduled || start
	u.mu.Unlock()
	if start {
		u.schedule()
	}
}

// schedule hands u to the upload workers. The queue has room for every
// upload the node holds (each is queued at most once at a time), so this
// does not wait, except when the node is stopping.
func (u *upload) schedule() {
	select {
	case u.svc.work <- u:
	case <-u.svc.stop:
	}
}

// run is an upload worker's turn on u: write what is queued, then return
// (no goroutine waits on an idle upload).
func (u *upload) run() {
	for {
		u.mu.Lock()
		q := u.queue
		u.queue, u.spare = u.spare[:0], nil
		if len(q) == 0 {
			if u.finish && !u.closing && !u.ended {
				// Still scheduled while completing, so a detach meanwhile
				// only marks it closing: the worker stays its one writer.
				u.finish = false
				u.mu.Unlock()
				if err := u.complete(); err != nil {
					u.stop(err)
				}
				continue
			}
			if u.flush && !u.closing && !u.ended {
				u.flush = false
				u.mu.Unlock()
				if u.written > u.committed {
					if err := u.commit(true); err != nil {
						u.stop(err)
						return
					}
				}
				continue
			}
			u.scheduled = false
			closing := u.closing && !u.ended
			u.mu.Unlock()
			if closing {
				u.close()
			}
			return
		}
		u.mu.Unlock()
		for i, ch := range q {
			if err := u.write(ch.off, *ch.buf); err != nil {
				u.dropChunks(q[i:])
				u.stop(err)
				return
			}
			u.doneWith(ch)
		}
		clear(q)
		u.mu.Lock()
		u.spare = q[:0]
		u.mu.Unlock()
	}
}

// close ends a detached upload: commit what arrived, tell the connection
// if another one took the upload over, release.
func (u *upload) close() {
	refused := u.commitQuietly() == errTakenOver // a takeover from another node
	if t := u.takeover.Load(); u.c != nil && t != takeoverQuiet && (t == takeoverTell || refused) {
		sendError(u.c, errTakenOver, u.rec.ID) // dropped if the connection closed
	}
	u.release()
}

// finishLater runs the completion on an upload worker, the upload's one
// writer (a resume found every byte already stored).
func (u *upload) finishLater() {
	u.runLater(func() bool { u.finish = true; return true })
}

// runLater applies set under u.mu and, unless it declines, has an upload
// worker take a turn on u (queueing it if it is not already).
func (u *upload) runLater(set func() bool) {
	u.mu.Lock()
	if !set() {
		u.mu.Unlock()
		return
	}
	start := !u.scheduled
	u.scheduled = true
	u.mu.Unlock()
	if start {
		u.schedule()
	}
}

func (u *upload) doneWith(ch chunk) {
	n := len(*ch.buf)
	u.svc.chunks.put(ch.buf)
	if u.c != nil {
		u.svc.release(u.c, n)
	}
}

func (u *upload) dropChunks(q []chunk) {
	for _, ch := range q {
		u.doneWith(ch)
	}
}

// write stores one chunk, commits when progressEvery has passed, and
// completes the upload with its last byte.
func (u *upload) write(off int64, data []byte) error {
	if _, err := u.part.WriteAt(data, off); err != nil {
		u.svc.log.Error().Err(err).Str("org", u.org).Str("upload", u.rec.ID).Msg("upload storage write failed")
		return upErr(503, "upload_failed", "storage write failed; retry with upload.resume")
	}
	u.svc.metrics.bytes.Add(len(data))
	u.written = off + int64(len(data))
	if u.written == u.rec.Size {
		return u.complete()
	}
	if time.Since(u.lastCommit) >= progressEvery {
		return u.commit(true)
	}
	u.dirty.Store(true)
	return nil
}

// commit makes the written bytes durable and records them in Redis, then
// (with report) tells the client the new offset.
func (u *upload) commit(report bool) error {
	// A nil part: resumed with every byte committed and the part gone;
	// nothing to sync, and the commit still claims the completion.
	if u.part != nil {
		if err := u.part.Sync(); err != nil {
			u.svc.log.Error().Err(err).Str("org", u.org).Str("upload", u.rec.ID).Msg("upload fsync failed")
			return upErr(503, "upload_failed", "storage sync failed; retry with upload.resume")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), u.svc.opts.RedisTimeout)
	defer cancel()
	if err := u.svc.cfg.State.CommitUpload(ctx, u.org, u.rec, u.written, u.svc.cfg.Expiry); err != nil {
		return u.stateError(err)
	}
	u.committed, u.lastCommit = u.written, time.Now()
	u.dirty.Store(false)
	if report && u.c != nil {
		u.c.SendText(message.UploadProgress(u.rec.ID, u.committed))
	}
	return nil
}

// commitQuietly commits what was written since the last commit, when the
// client went away; failures only cost the client a resend.
func (u *upload) commitQuietly() error {
	if u.written > u.committed {
		return u.commit(false)
	}
	return nil
}

func (u *upload) stateError(err error) *uploadError {
	switch {
	case errors.Is(err, store.ErrNotOwner):
		return errTakenOver
	case errors.Is(err, store.ErrUploadNotFound):
		return upErr(404, "upload_not_found", "upload expired or was aborted")
	}
	u.svc.redisError()
	return upErr(503, "upload_failed", "upload state unavailable; retry with upload.resume")
}

// errHashMismatch is the Finalize check's verdict on wrong bytes.
var errHashMismatch = errors.New("sha256 mismatch")

// complete runs after the last byte: commit (which makes the upload
// "completing": no abort from now on), copy the stored bytes into their
// final file while hashing them — the copy, not what arrived, is what will
// be served, and a stale writer still holding the part cannot touch it —
// move it into place only if the hash matches, then publish
// upload.completed and record the outcome. A resume after a crash in
// between finds offset == size and runs complete again; a final file
// already in place was checked before its rename.
func (u *upload) complete() error {
	if err := u.commit(false); err != nil {
		return err
	}
	st := u.svc.cfg.Storage
	ctx, cancel := context.WithTimeout(context.Background(), u.svc.opts.RedisTimeout)
	defer cancel()
	if f, err := st.Open(u.org, u.rec.ID); err == nil {
		f.Close() // moved into place before an interruption; checked then
	} else if err := u.finalize(ctx); err != nil {
		return err
	}
	_ = st.RemovePart(u.org, u.rec.ID)
	return u.publishCompleted(ctx)
}

// finalize copies the part into the final file, hashing it on the way,
// and keeps the copy only if the hash is the declared one. Wrong bytes,
// or no bytes at all (swept, deleted by hand), end the upload as failed,
// which frees its slot.
func (u *upload) finalize(ctx context.Context) error {
	fail := func(ue *uploadError) error {
		if err := u.svc.cfg.State.FinishUpload(ctx, u.org, u.rec, store.UploadFailed, 0, u.svc.cfg.KeepDone); err != nil {
			return u.stateError(err) // another owner decides; keep the bytes
		}
		_ = u.svc.cfg.Storage.RemovePart(u.org, u.rec.ID)
		return ue
	}
	if u.part == nil {
		return fail(upErr(404, "upload_not_found", "the upload's stored bytes are gone; start it again"))
	}
	h := sha256.New()
	src := io.TeeReader(io.NewSectionReader(u.part, 0, u.rec.Size), h)
	err := u.svc.cfg.Storage.Finalize(u.org, u.rec.ID, src, func() error {
		if hex.EncodeToString(h.Sum(nil)) != u.rec.SHA256 {
			return errHashMismatch
		}
		return nil
	})
	switch {
	case errors.Is(err, errHashMismatch):
		return fail(upErr(422, "upload_hash_mismatch", "the stored bytes' SHA-256 is "+hex.EncodeToString(h.Sum(nil))+", not the declared one; upload deleted"))
	case err != nil:
		u.svc.log.Error().Err(err).Str("org", u.org).Str("upload", u.rec.ID).Msg("upload finalize failed")
		return upErr(503, "upload_failed", "storage failed; retry with upload.resume")
	}
	return nil
}

// publishCompleted announces the file and records the outcome. A crash
// between the two leaves the upload completing; the next resume publishes
// again under the same idempotency key, so the event is appended once (as
// long as the resume comes within the idempotency window) and the resume
// gets its original seq.
func (u *upload) publishCompleted(ctx context.Context) error {
	data, _ := json.Marshal(completedEvent{UploadID: u.rec.ID, Name: u.rec.Name, Size: u.rec.Size,
		SHA256: u.rec.SHA256, ContentType: u.rec.ContentType, User: u.rec.User})
	p, err := u.svc.opts.Log.Append(ctx, u.org, store.Input{Service: "documents", Type: "upload.completed", Data: data,
		IdempotencyKey: "upload.completed:" + u.rec.ID})
	if err != nil {
		u.svc.redisError()
		return upErr(503, "upload_failed", "could not publish the completion; retry with upload.resume")
	}
	u.svc.duplicates(len(p.Duplicates))
	seq := p.Seqs[0]
	if err := u.svc.cfg.State.FinishUpload(ctx, u.org, u.rec, store.UploadDone, seq, u.svc.cfg.KeepDone); err != nil {
		return u.stateError(err)
	}
	u.svc.metrics.result("done")
	u.rec.Seq, u.rec.Status = seq, store.UploadDone
	if u.c != nil {
		u.c.SendText(donePayload(u.rec, u.ref))
	}
	u.release()
	return nil
}

// donePayload is upload.done for a finished upload; ref is the client's id.
func donePayload(rec store.Upload, ref string) []byte {
	return message.UploadDone{Type: "upload.done", UploadID: rec.ID, Size: rec.Size, SHA256: rec.SHA256, Seq: rec.Seq, ID: ref}.Bytes()
}

// stop ends the upload on this node after an error, telling the client.
func (u *upload) stop(err error) {
	ue := asUploadError(err)
	u.mu.Lock()
	ended := u.ended // aborted or taken over meanwhile: nothing to report
	u.mu.Unlock()
	if !ended {
		u.svc.metrics.result(ue.Code)
		if c := u.c; c != nil {
			sendError(c, ue, u.rec.ID)
		}
	}
	u.release()
}

// release ends the upload on this node: it takes nothing more, drops what
// is queued, closes the part and frees the node's slot. Idempotent.
func (u *upload) release() {
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		return
	}
	u.ended = true
	u.stopped.Store(true)
	q := u.queue
	u.queue = nil
	u.mu.Unlock()
	u.dropChunks(q)
	if c := u.c; c != nil {
		c.Uploads().forget(u)
	}
	if u.part != nil {
		_ = u.part.Close()
	}
	u.svc.active.remove(u)
}
