package upload

import (
	"encoding/json"

	"github.com/rtgw/realtime/gateway/message"
)

// The reader side of uploads: the control messages and the binary chunks
// a connection sends. Each runs on the connection's reader and never waits:
// Redis and storage work goes to the upload workers.

// Message handles upload.start, upload.resume and upload.abort on c's
// reader: it validates, then hands the Redis and storage work to the
// upload workers.
func (s *Service) Message(c Conn, typ string, msg []byte) {
	// The ids first, so that every error below can be matched by the
	// client to the upload it concerns (a promise must settle).
	var ref uploadRef
	_ = json.Unmarshal(msg, &ref)
	if len(ref.ID) > 64 {
		ref.ID = ""
	}
	fail := func(ue *uploadError) {
		ue.ID = ref.ID
		sendError(c, ue, ref.UploadID)
	}
	if !s.Enabled() {
		fail(upErr(501, "upload_disabled", "uploads are not enabled on this gateway"))
		return
	}
	var run func()
	switch typ {
	case "upload.start":
		var m uploadStart
		if err := json.Unmarshal(msg, &m); err != nil {
			fail(upErr(400, "upload_invalid", "upload.start is not valid JSON: "+message.JSONProblem(err)))
			return
		}
		if ue := m.validate(&s.cfg); ue != nil {
			s.metrics.result(ue.Code)
			fail(ue)
			return
		}
		run = func() { s.startWS(c, m) }
	case "upload.resume", "upload.abort":
		if ref.UploadID == "" {
			fail(upErr(400, "upload_invalid", typ+" needs an uploadId"))
			return
		}
		if typ == "upload.resume" {
			run = func() { s.resumeWS(c, ref) }
		} else {
			run = func() { s.abortWS(c, ref) }
		}
	}
	select {
	case s.ctl <- run:
	default:
		fail(upErr(503, "upload_failed", "node busy; retry"))
	}
}

func (s *Service) startWS(c Conn, m uploadStart) {
	u, ue := s.begin(c.Org(), c.User(), m, c)
	if ue != nil {
		ue.ID = m.ID
		sendError(c, ue, "")
		return
	}
	if !s.attach(c, u) {
		return
	}
	c.SendText(message.UploadReady(u.rec.ID, 0, s.cfg.ChunkBytes, m.ID))
}

func (s *Service) resumeWS(c Conn, r uploadRef) {
	u, rec, ue := s.resume(c.Org(), c.User(), r.UploadID, r.ID, c)
	switch {
	case ue != nil:
		ue.ID = r.ID
		sendError(c, ue, r.UploadID)
		return
	case u == nil: // completed before
		c.SendText(donePayload(rec, r.ID))
		return
	}
	if !s.attach(c, u) {
		sendError(c, errTakenOver, r.UploadID)
		return
	}
	// rec.Offset, not u.written: once attached, a worker owns u.written.
	c.SendText(message.UploadReady(rec.ID, rec.Offset, s.cfg.ChunkBytes, r.ID))
	if rec.Offset == rec.Size { // every byte was stored; completion was interrupted
		u.finishLater()
	}
}

func (s *Service) abortWS(c Conn, r uploadRef) {
	if ue := s.abort(c.Org(), c.User(), r.UploadID); ue != nil {
		ue.ID = r.ID
		sendError(c, ue, r.UploadID)
		return
	}
	c.SendText(message.UploadAborted(r.UploadID, r.ID))
}

// Chunk takes one binary chunk message on c's reader: checks it against
// the upload and queues a copy for storage.
func (s *Service) Chunk(c Conn, msg []byte) {
	id, off, data, err := parseChunk(msg)
	if err != nil || len(data) == 0 {
		s.metrics.result("upload_invalid")
		sendError(c, upErr(400, "upload_invalid", "chunk header malformed or chunk empty"), "")
		return
	}
	u := c.Uploads().find(id)
	switch {
	case u == nil:
		s.metrics.result("upload_not_found")
		ref := ""
		if validUploadID(string(id)) { // echoed so the client can match it
			ref = string(id)
		}
		sendError(c, upErr(404, "upload_not_found", "no upload "+quoteShort(string(id))+" in progress on this connection; send upload.resume"), ref)
	case off != u.next:
		if !u.desync { // one error; the chunks already in flight are dropped quietly
			u.desync = true
			s.metrics.result("upload_offset")
			sendError(c, offsetError(u.rec.ID, u.next), "")
		}
	case len(data) > s.cfg.ChunkBytes:
		sendError(c, upErr(400, "upload_invalid", "chunk over chunkSize"), u.rec.ID)
	case off+int64(len(data)) > u.rec.Size:
		u.stop(upErr(413, "upload_too_large", "chunk goes past the declared size"))
	case !u.enqueue(off, data):
		sendError(c, upErr(404, "upload_not_found", "upload no longer in progress on this connection"), u.rec.ID)
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
