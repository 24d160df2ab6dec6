package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rtgw/realtime/internal/testutil"
)

// Uploads the server refuses reject their promise with the server's code
// and leave the connection open: a content type not allowed, a file over
// REALTIME_UPLOAD_MAX_BYTES, a declared hash that does not match the
// bytes. abort() rejects with upload_aborted and deletes the upload, also
// when called before the server named it. The
// errors reach the promises, not onError, and an upload afterwards on the
// same connection succeeds. A closed client refuses uploads with
// upload_unavailable.
func TestBrowserUploadRejected(t *testing.T) {
	const maxBytes = 1 << 20
	g, p, tok := openUploadPage(t, fmt.Sprintf("REALTIME_UPLOAD_MAX_BYTES=%d", maxBytes))

	p.eval("startUpload('exe', makeFile(4096, 1, 'setup.exe', 'application/x-msdownload'))")
	p.waitRejected("exe", "upload_type_not_allowed")
	p.eval(fmt.Sprintf("startUpload('big', makeFile(%d, 2, 'big.pdf', 'application/pdf'))", maxBytes+1))
	p.waitRejected("big", "upload_too_large")
	p.eval("h.corruptHash = true; startUpload('hash', makeFile(300000, 3, 'notes.txt', 'text/plain'))")
	s := p.waitRejected("hash", "upload_hash_mismatch")
	if s.Chunks == 0 {
		t.Fatalf("hash mismatch before any chunk was sent: %s", s.summary())
	}

	// Abort an upload the server has named and is waiting on.
	p.eval("h.pace = -1; startUpload('abort', makeFile(700000, 4, 'report.csv', 'text/csv'))")
	testutil.EventuallyNote(t, 30*time.Second, "upload.ready of the upload to abort", func() (bool, string) {
		s = p.upload("abort")
		return s.readyFor("report.csv") != "", s.summary()
	})
	p.eval("h.up['abort.promise'].abort(); h.queue = []; h.pace = 0")
	p.waitRejected("abort", "upload_aborted")
	checkGone(t, g, p.waitAborted("abort", "report.csv"), tok)

	// Abort while upload.start is on its way: the client deletes the upload
	// once upload.ready names it, and sends it no chunk.
	chunks := p.upload("abort").Chunks
	p.eval(`h.onSend = (m) => { if (m.type === 'upload.start') { h.onSend = null; h.up['early.promise'].abort(); } };
		startUpload('early', makeFile(4000, 7, 'early.txt', 'text/plain'))`)
	p.waitRejected("early", "upload_aborted")
	checkGone(t, g, p.waitAborted("early", "early.txt"), tok)
	if s = p.upload("early"); s.Chunks != chunks {
		t.Fatalf("%d chunks sent for an upload aborted before upload.ready", s.Chunks-chunks)
	}

	p.eval("startUpload('ok', makeFile(5000, 5, 'fine.txt', ''))")
	s = p.waitUpload("ok")
	if s.Error != nil || s.Result.SHA256 != sha256Hex(pseudoRandom(5000, 5)) {
		t.Fatalf("upload after the refusals: %s", s.summary())
	}
	if st := s.sentOf("upload.start"); st[len(st)-1].Name != "fine.txt" || st[len(st)-1].ContentType != "application/octet-stream" {
		t.Fatalf("the last upload.start %+v; want fine.txt, without a type, declared as application/octet-stream", st[len(st)-1])
	}
	snap := p.snap()
	if len(snap.Errors) != 0 || snap.State != "open" || len(snap.States) != 1 {
		t.Fatalf("page %s; want one connection that stayed open and no onError", snap.summary())
	}

	p.eval("h.rt.close(); startUpload('closed', makeFile(10, 6, 'late.txt', 'text/plain'))")
	p.waitRejected("closed", "upload_unavailable")
}

// A chunk lost on the way (h.dropChunk): the server answers the next one
// with upload_offset, once, naming the offset it expects; the client sends
// again from there and the upload completes with the right bytes.
func TestBrowserUploadRestartsAtServerOffset(t *testing.T) {
	g, p, tok := openUploadPage(t)

	const size, seed = 2<<20 + 99, 77
	want := sha256Hex(pseudoRandom(size, seed))
	p.eval(fmt.Sprintf("h.dropChunk = 3; startUpload('doc', makeFile(%d, %d, 'lost.pdf', 'application/pdf'))", size, seed))
	s := p.waitUpload("doc")
	if s.Error != nil || s.Result.Size != size || s.Result.SHA256 != want {
		t.Fatalf("upload with a lost chunk: %s; want done with sha256 %s", s.summary(), want)
	}
	chunk := s.ready()[0].ChunkSize
	offs := ofType(s.Frames, "error:upload_offset")
	if len(offs) != 1 || offs[0].UploadID != s.Result.UploadID || offs[0].Offset != 2*chunk {
		t.Fatalf("upload_offset errors %+v; want one naming offset %d", offs, 2*chunk)
	}
	checkDownload(t, g, s.Result.UploadID, tok, want, size)
	if errs := p.snap().Errors; len(errs) != 0 {
		t.Fatalf("onError got %v; want nothing", errs)
	}
}

// abort() while the gateway is down rejects at once; after the reconnect's
// ack the client sends upload.abort (not upload.resume), so the upload is
// deleted now instead of holding one of the user's upload slots until it
// expires.
func TestBrowserUploadAbortWhileDisconnected(t *testing.T) {
	g, p, tok := openUploadPage(t)

	p.eval("h.pace = -1; startUpload('doc', makeFile(700000, 8, 'draft.pdf', 'application/pdf'))")
	testutil.EventuallyNote(t, 30*time.Second, "upload.ready", func() (bool, string) {
		s := p.upload("doc")
		return s.readyFor("draft.pdf") != "", s.summary()
	})
	g.kill()
	p.waitUntil("the page to notice the crash", func(s snapshot) bool { return s.State != "open" })
	p.eval("h.up['doc.promise'].abort(); h.queue = []; h.pace = 0")
	p.waitRejected("doc", "upload_aborted")
	g.start()
	checkGone(t, g, p.waitAborted("doc", "draft.pdf"), tok)
	if s := p.upload("doc"); len(s.sentOf("upload.resume")) != 0 {
		t.Fatalf("sent %+v; want upload.abort and no upload.resume", s.Sent)
	}
}

// A file saved again on disk after it was chosen and hashed can no longer
// be read (the browser checks the snapshot it took when the file was
// chosen): the upload rejects with the browser's NotReadableError and is
// aborted on the server, and the connection carries on. (Handing ws.send a
// Blob of the file slice instead fails the WebSocket itself, again after
// every reconnect's resume.)
func TestBrowserUploadFileChangedOnDisk(t *testing.T) {
	g, p, tok := openUploadPage(t)

	path := filepath.Join(t.TempDir(), "sheet.csv")
	if err := os.WriteFile(path, pseudoRandom(1<<20, 10), 0o644); err != nil {
		t.Fatal(err)
	}
	p.eval(`document.body.insertAdjacentHTML('beforeend', '<input id="file" type="file">')`)
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}))
	p.eval("h.holdHash = true; startUpload('doc', document.getElementById('file').files[0])")
	testutil.EventuallyNote(t, 30*time.Second, "the file hashed", func() (bool, string) {
		return evalIn(p, chromedp.Evaluate[bool]("!!h.releaseHash")), "hashing"
	})
	// Saved again while the client hashed: new bytes, a later mtime.
	if err := os.WriteFile(path, pseudoRandom(1<<20, 11), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	p.eval("h.holdHash = false; h.releaseHash()")
	s := p.waitUpload("doc")
	if s.Error == nil || s.Error.Name != "NotReadableError" {
		t.Fatalf("upload of a changed file: %s; want NotReadableError", s.summary())
	}
	checkGone(t, g, p.waitAborted("doc", "sheet.csv"), tok)
	if snap := p.snap(); len(snap.Errors) != 0 || snap.State != "open" || len(snap.States) != 1 {
		t.Fatalf("page %s; want one connection that stayed open and no onError", snap.summary())
	}
}
