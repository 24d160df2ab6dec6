package gateway

import (
	"encoding/json"
	"time"

	"github.com/gobwas/ws"
)

// A connection's side of uploads: the upload messages, chunks, and the
// backpressure that stops reading the socket while storage lags.

// uploadMessage handles upload.start, upload.resume and upload.abort on
// the reader: it validates, then hands the Redis and storage work to the
// upload workers.
func (c *conn) uploadMessage(typ string, msg []byte) {
	// The ids first, so that every error below can be matched by the
	// client to the upload it concerns (a promise must settle).
	var ref uploadRef
	_ = json.Unmarshal(msg, &ref)
	if len(ref.ID) > 64 {
		ref.ID = ""
	}
	fail := func(ue *uploadError) {
		ue.ID = ref.ID
		c.sendUploadError(ue, ref.UploadID)
	}
	if c.s.cfg.Uploads.Storage == nil {
		fail(upErr(501, "upload_disabled", "uploads are not enabled on this gateway"))
		return
	}
	var run func()
	switch typ {
	case "upload.start":
		var m uploadStart
		if err := json.Unmarshal(msg, &m); err != nil {
			fail(upErr(400, "upload_invalid", "upload.start is not valid JSON: "+jsonProblem(err)))
			return
		}
		if ue := m.validate(&c.s.cfg.Uploads); ue != nil {
			c.s.metrics.uploads.result(ue.Code)
			fail(ue)
			return
		}
		run = func() { c.startUpload(m) }
	case "upload.resume", "upload.abort":
		if ref.UploadID == "" {
			fail(upErr(400, "upload_invalid", typ+" needs an uploadId"))
			return
		}
		if typ == "upload.resume" {
			run = func() { c.resumeUpload(ref) }
		} else {
			run = func() { c.abortUpload(ref) }
		}
	}
	select {
	case c.s.uploadCtl <- run:
	default:
		fail(upErr(503, "upload_failed", "node busy; retry"))
	}
}

func (c *conn) startUpload(m uploadStart) {
	u, ue := c.s.beginUpload(c.org, c.user, m, c)
	if ue != nil {
		ue.ID = m.ID
		c.sendUploadError(ue, "")
		return
	}
	if !c.attachUpload(u) {
		return
	}
	c.send(controlFrameText(readyPayload(u.rec.ID, 0, c.s.cfg.Uploads.ChunkBytes, m.ID)))
}

func (c *conn) resumeUpload(r uploadRef) {
	u, rec, ue := c.s.resumeUpload(c.org, c.user, r.UploadID, r.ID, c)
	switch {
	case ue != nil:
		ue.ID = r.ID
		c.sendUploadError(ue, r.UploadID)
		return
	case u == nil: // completed before
		c.send(controlFrameText(donePayload(rec, r.ID)))
		return
	}
	if !c.attachUpload(u) {
		c.sendUploadError(errTakenOver, r.UploadID)
		return
	}
	// rec.Offset, not u.written: once attached, a worker owns u.written.
	c.send(controlFrameText(readyPayload(rec.ID, rec.Offset, c.s.cfg.Uploads.ChunkBytes, r.ID)))
	if rec.Offset == rec.Size { // every byte was stored; completion was interrupted
		u.finishLater()
	}
}

func (c *conn) abortUpload(r uploadRef) {
	if ue := c.s.abortUpload(c.org, c.user, r.UploadID); ue != nil {
		ue.ID = r.ID
		c.sendUploadError(ue, r.UploadID)
		return
	}
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		UploadID string `json:"uploadId"`
		ID       string `json:"id,omitempty"`
	}{"upload.aborted", r.UploadID, r.ID})
	c.send(controlFrameText(b))
}

// attachUpload lets c's reader feed u (u.c is c); false (and u detached)
// when c closed meanwhile, or when another resume already took u over.
// An older entry for the same upload (resumed twice on this connection)
// is replaced.
func (c *conn) attachUpload(u *upload) bool {
	c.upMu.Lock()
	if c.upClosed || u.stopped.Load() {
		c.upMu.Unlock()
		u.detach()
		return false
	}
	for i, x := range c.uploads {
		if x.rec.ID == u.rec.ID {
			c.uploads = append(c.uploads[:i], c.uploads[i+1:]...)
			c.upActive.Add(-1)
			break
		}
	}
	c.uploads = append(c.uploads, u)
	c.upActive.Add(1)
	c.upEver.Store(true)
	c.upMu.Unlock()
	return true
}

// forgetUpload drops u from c (u released).
func (c *conn) forgetUpload(u *upload) {
	c.upMu.Lock()
	for i, x := range c.uploads {
		if x == u {
			c.uploads = append(c.uploads[:i], c.uploads[i+1:]...)
			c.upActive.Add(-1)
			break
		}
	}
	c.upMu.Unlock()
}

func (c *conn) findUpload(id []byte) *upload {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	for _, u := range c.uploads {
		if u.rec.ID == string(id) && !u.stopped.Load() { // no allocation for the comparison
			return u
		}
	}
	return nil
}

// detachUploads runs when c closes: its uploads store what arrived,
// commit, and wait for a resume.
func (c *conn) detachUploads() {
	c.upMu.Lock()
	c.upClosed = true
	us := c.uploads
	c.uploads = nil
	c.upActive.Store(0)
	c.upMu.Unlock()
	for _, u := range us {
		u.detach()
	}
}

// uploadChunk takes one binary chunk message on the reader: checks it
// against the upload and queues a copy for storage.
func (c *conn) uploadChunk(msg []byte) {
	id, off, data, err := parseChunk(msg)
	if err != nil || len(data) == 0 {
		c.s.metrics.uploads.result("upload_invalid")
		c.sendUploadError(upErr(400, "upload_invalid", "chunk header malformed or chunk empty"), "")
		return
	}
	u := c.findUpload(id)
	switch {
	case u == nil:
		c.s.metrics.uploads.result("upload_not_found")
		ref := ""
		if validUploadID(string(id)) { // echoed so the client can match it
			ref = string(id)
		}
		c.sendUploadError(upErr(404, "upload_not_found", "no upload "+quoteShort(string(id))+" in progress on this connection; send upload.resume"), ref)
	case off != u.next:
		if !u.desync { // one error; the chunks already in flight are dropped quietly
			u.desync = true
			c.s.metrics.uploads.result("upload_offset")
			c.sendUploadError(offsetError(u.rec.ID, u.next), "")
		}
	case len(data) > c.s.cfg.Uploads.ChunkBytes:
		c.sendUploadError(upErr(400, "upload_invalid", "chunk over chunkSize"), u.rec.ID)
	case off+int64(len(data)) > u.rec.Size:
		u.stop(upErr(413, "upload_too_large", "chunk goes past the declared size"))
	case !u.enqueue(off, data):
		c.sendUploadError(upErr(404, "upload_not_found", "upload no longer in progress on this connection"), u.rec.ID)
	default:
		u.desync = false
		u.next = off + int64(len(data))
	}
}

func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// sendUploadError sends an error frame about an upload.
func (c *conn) sendUploadError(ue *uploadError, uploadID string) {
	e := *ue
	e.Type = "error"
	if e.UploadID == "" {
		e.UploadID = uploadID
	}
	b, _ := json.Marshal(e)
	c.send(controlFrameText(b))
}

// unbuffer is called by the upload workers as chunks reach storage: once
// the connection's buffered bytes fall to half the cap, a reader parked by
// parkReads is rearmed.
func (c *conn) unbuffer(n int) {
	if c.upBuffered.Add(-int64(n)) > int64(c.s.cfg.Uploads.BufferBytes/2) {
		return
	}
	c.upMu.Lock()
	parked := c.parked
	if parked {
		// The pause was ours, not the peer's silence. Refreshed before
		// parked clears, so the sweep, which checks parked first, never
		// pairs "not parked" with a timestamp from before the pause.
		now := time.Now().UnixNano()
		c.lastRead.Store(now)
		if c.partialSince.Load() != 0 {
			c.partialSince.Store(now)
		}
		c.parked = false
	}
	c.upMu.Unlock()
	if !parked {
		return
	}
	if err := c.rdesc.Arm(); err != nil {
		c.destroy()
	}
}

// uploadsFull reports whether c buffers its cap of chunk bytes; the reader
// then stops taking bytes from the socket.
func (c *conn) uploadsFull() bool {
	b := c.upBuffered.Load()
	return b > 0 && b >= int64(c.s.cfg.Uploads.BufferBytes)
}

// parkReads is the reader's last step instead of rearming the socket:
// true when c is full, and unbuffer will rearm it. The check and the flag
// are under upMu, which unbuffer takes after its decrement, so a drain
// cannot slip between them and leave the socket unarmed forever.
func (c *conn) parkReads() bool {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	if !c.uploadsFull() {
		return false
	}
	c.parked = true
	c.s.metrics.uploads.paused.Inc()
	return true
}

// isParked is read by the sweep: a parked connection is not silent.
func (c *conn) isParked() bool {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	return c.parked
}

// messageLimit is the largest data message c may send now: chunk-sized
// binary messages once it has had an upload (sticky: chunks the client
// pipelined before an upload ended are answered with an error frame, not
// a 1009 close).
func (c *conn) messageLimit(op ws.OpCode) int {
	if op == ws.OpBinary && c.upEver.Load() {
		return max(c.s.cfg.MaxMessageBytes, c.s.cfg.Uploads.ChunkBytes+maxChunkHeader)
	}
	return c.s.cfg.MaxMessageBytes
}

// dataOp is the opcode of the message a data frame belongs to.
func (c *conn) dataOp(op ws.OpCode) ws.OpCode {
	if op == ws.OpContinuation && c.frag.active {
		return c.frag.op
	}
	return op
}
