package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rtgw/realtime/internal/testutil"
)

// A 3 MB document uploaded from the page: the promise resolves with the
// hash computed in Go from the same bytes, progress is reported up to the
// size, the page (subscribed to documents) receives upload.completed with
// the upload's facts and the token's user, and the stored file downloads
// with the same hash.
func TestBrowserUpload(t *testing.T) {
	g, p, tok := openUploadPage(t)

	const size, seed = 3<<20 + 12345, 2463534242 // not a whole number of chunks
	want := sha256Hex(pseudoRandom(size, seed))
	p.eval("h.pace = 40") // 13 chunks over about half a second: progress gets reported
	p.eval(fmt.Sprintf("startUpload('doc', makeFile(%d, %d, 'doc.pdf', 'application/pdf'))", size, seed))
	s := p.waitUpload("doc")
	if s.Error != nil {
		t.Fatalf("upload failed: %s", s.summary())
	}
	r := s.Result
	if r.UploadID == "" || r.Size != size || r.SHA256 != want || r.Seq < 1 {
		t.Fatalf("upload resolved with %+v; want size %d, sha256 %s and a seq", *r, size, want)
	}
	checkProgress(t, s, size)

	starts := s.sentOf("upload.start")
	if len(starts) != 1 || starts[0].Name != "doc.pdf" || starts[0].Size != size || starts[0].SHA256 != want ||
		starts[0].ContentType != "application/pdf" || starts[0].ID == "" {
		t.Fatalf("upload.start messages %+v; want one for doc.pdf with its size, hash and type", starts)
	}
	ready := s.ready()
	if len(ready) != 1 || ready[0].ChunkSize <= 0 || ready[0].Offset != 0 || ready[0].ID != starts[0].ID {
		t.Fatalf("upload.ready frames %+v; want one at offset 0 echoing id %q", ready, starts[0].ID)
	}
	chunk := ready[0].ChunkSize
	if n := int((size + chunk - 1) / chunk); s.Chunks != n || len(s.sentOf("upload.resume")) != 0 {
		t.Fatalf("%d chunks and %d resumes sent; want %d chunks of %d bytes and no resume", s.Chunks, len(s.sentOf("upload.resume")), n, chunk)
	}
	t.Logf("%d chunks of %d bytes; onProgress %v", s.Chunks, chunk, s.Progress)

	ev, c := p.waitCompleted(r.UploadID)
	wantC := completion{UploadID: r.UploadID, Name: "doc.pdf", Size: size, SHA256: want, ContentType: "application/pdf", User: "e2e-user"}
	if c != wantC || ev.Seq != r.Seq {
		t.Fatalf("upload.completed #%d %+v; want #%d %+v", ev.Seq, c, r.Seq, wantC)
	}
	checkDownload(t, g, r.UploadID, tok, want, size)
	if errs := p.snap().Errors; len(errs) != 0 {
		t.Fatalf("onError got %v; want nothing", errs)
	}
}

// The gateway is SIGKILLed in the middle of an upload (the page's network
// stalls at the first progress report, so the kill lands mid-file) and
// restarted on the same Redis and upload directory. The client reconnects, sends
// upload.resume, continues from the committed offset the new upload.ready
// names, and the upload completes with the right bytes: one
// upload.completed event, and a download with the file's hash.
func TestBrowserUploadResumesAfterGatewayKill(t *testing.T) {
	g, p, tok := openUploadPage(t)

	const size, seed = 3<<20 + 777, 12345
	want := sha256Hex(pseudoRandom(size, seed))
	p.eval("h.pace = 100; h.stallOnProgress = true")
	p.eval(fmt.Sprintf("startUpload('doc', makeFile(%d, %d, 'scan.png', 'image/png'))", size, seed))
	var s uploadSnap
	testutil.EventuallyNote(t, 30*time.Second, "a progress report, then the stall", func() (bool, string) {
		s = p.upload("doc")
		return len(s.Progress) > 0 || s.Result != nil || s.Error != nil, s.summary()
	})
	if s.Result != nil || s.Error != nil || s.Queued == 0 {
		t.Fatalf("the upload did not stall mid-file: %s", s.summary())
	}
	committed := s.Progress[0]
	ready := s.ready()
	if len(ready) != 1 {
		t.Fatalf("upload.ready frames %+v; want one", ready)
	}
	uploadID, chunk := ready[0].UploadID, ready[0].ChunkSize

	g.kill()
	p.waitUntil("the page to notice the crash", func(s snapshot) bool { return s.State != "open" })
	// The stalled chunks were for the dead connection; the network is back.
	sent := evalIn(p, chromedp.Evaluate[int]("h.queue = []; h.pace = 0; h.chunks"))
	g.start()
	s = p.waitUpload("doc")
	if s.Error != nil || s.Result.UploadID != uploadID || s.Result.Size != size || s.Result.SHA256 != want {
		t.Fatalf("after the restart: %s; want upload %s done with sha256 %s", s.summary(), uploadID, want)
	}
	resumes := s.sentOf("upload.resume")
	ready = s.ready()
	if len(resumes) != 1 || resumes[0].UploadID != uploadID || len(s.sentOf("upload.start")) != 1 {
		t.Fatalf("sent %+v; want one upload.start and one upload.resume of %s", s.Sent, uploadID)
	}
	if len(ready) != 2 || ready[1].UploadID != uploadID || ready[1].Offset < committed || ready[1].Offset > int64(sent)*chunk {
		t.Fatalf("upload.ready frames %+v; want a second one resuming between %d (reported) and %d (sent)", ready, committed, int64(sent)*chunk)
	}
	// The resumed chunks are exactly those from the resume offset on.
	if n := sent + int((size-ready[1].Offset+chunk-1)/chunk); s.Chunks != n {
		t.Fatalf("%d chunks sent; want %d before the kill and the rest from offset %d", s.Chunks, sent, ready[1].Offset)
	}
	t.Logf("progress %v; resumed at offset %d", s.Progress, ready[1].Offset)
	checkProgress(t, s, size)

	_, c := p.waitCompleted(uploadID)
	if c.SHA256 != want || c.Size != size || c.Name != "scan.png" || c.ContentType != "image/png" {
		t.Fatalf("upload.completed %+v", c)
	}
	checkDownload(t, g, uploadID, tok, want, size)
}
