package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtgw/realtime/internal/redistest"
)

// uploadJS is loaded after harness.js, before the client connects. It
// makes files in the page, runs rt.upload recording what it reports, and
// watches the upload traffic through the WebSocket: the upload.* messages
// sent (h.sent), the upload.* and error frames received (h.frames) and the
// binary chunks that went out (h.chunks).
//
// It also plays the network: binary messages wait in h.queue, in order,
// and go out at once while h.pace is 0, one every h.pace ms while it is
// positive (the server commits, and reports progress, at most every
// 250 ms, so a fast upload on loopback reports none), and not at all while
// it is negative, as if the network had stalled; the client believes it
// sent them either way. h.stallOnProgress stalls it at the first progress
// report short of the end. h.corruptHash makes the next SHA-256 the client
// computes wrong by one bit.
const uploadJS = `
Object.assign(h, { up: {}, sent: [], frames: [], chunks: 0, queue: [], pace: 0, stallOnProgress: false, corruptHash: false });

const send = WebSocket.prototype.send;
const flush = (n) => {
  for (; n > 0 && h.queue.length; n--) {
    const [ws, d] = h.queue.shift();
    h.chunks++;
    send.call(ws, d);
  }
};
WebSocket.prototype.send = function (d) {
  if (typeof d === 'string') {
    if (d.includes('"upload.')) h.sent.push(JSON.parse(d));
    return send.call(this, d);
  }
  h.queue.push([this, d]);
  if (!h.pace) flush(Infinity);
};
(function tick() {
  if (h.pace >= 0) flush(h.pace ? 1 : Infinity);
  setTimeout(tick, h.pace > 0 ? h.pace : 20);
})();

const WS = window.WebSocket;
window.WebSocket = class extends WS {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (m) => {
      if (typeof m.data !== 'string') return;
      const f = JSON.parse(m.data);
      if (f.type.startsWith('upload.') || f.type === 'error') h.frames.push(f);
    });
  }
};

const digest = crypto.subtle.digest.bind(crypto.subtle);
crypto.subtle.digest = async (alg, data) => {
  const d = new Uint8Array(await digest(alg, data));
  if (h.corruptHash) { h.corruptHash = false; d[0] ^= 1; }
  return d.buffer;
};

// n pseudo-random bytes, xorshift32 from seed, one byte per step: the same
// as pseudoRandom in upload_test.go.
window.makeFile = (n, seed, name, type) => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; }
  return new File([b], name, { type });
};

window.startUpload = (key, file) => {
  const r = h.up[key] = { progress: [], sizes: [] };
  const p = h.rt.upload(file, {
    onProgress: (n, size) => {
      r.progress.push(n);
      r.sizes.push(size);
      if (h.stallOnProgress && n > 0 && n < size) [h.pace, h.stallOnProgress] = [-1, false];
    },
  });
  h.up[key + '.promise'] = p;
  p.then((v) => { r.result = v; }, (e) => { r.error = { code: e.code || '', message: String(e.message) }; });
};

window.uploadSnapshot = (key) => JSON.stringify({
  ...h.up[key], sent: h.sent, frames: h.frames, chunks: h.chunks, queued: h.queue.length,
});
`

// uploadSnap is what uploadSnapshot returns for one upload.
type uploadSnap struct {
	Progress []int64 `json:"progress"`
	Sizes    []int64 `json:"sizes"`
	Result   *struct {
		UploadID string `json:"uploadId"`
		Size     int64  `json:"size"`
		SHA256   string `json:"sha256"`
		Seq      int64  `json:"seq"`
	} `json:"result"`
	Error  *errorInfo    `json:"error"`
	Sent   []uploadFrame `json:"sent"`
	Frames []uploadFrame `json:"frames"`
	Chunks int           `json:"chunks"`
	Queued int           `json:"queued"`
}

// uploadFrame is an upload message sent or received, or an error frame.
type uploadFrame struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	ID          string `json:"id"`
	UploadID    string `json:"uploadId"`
	Offset      int64  `json:"offset"`
	ChunkSize   int64  `json:"chunkSize"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
}

func (s uploadSnap) summary() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// openUploadPage opens the harness with uploadJS and connects with tok to
// the documents service.
func openUploadPage(t *testing.T, g *gatewayProc, tok string) *page {
	t.Helper()
	p := openPage(t, g)
	p.eval(uploadJS)
	p.start(map[string]any{"token": tok, "services": []string{"documents"}})
	p.waitState("open")
	return p
}

func (p *page) upload(key string) uploadSnap {
	p.t.Helper()
	raw := evalIn(p, chromedp.Evaluate[string](fmt.Sprintf("uploadSnapshot(%q)", key)))
	var s uploadSnap
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		p.t.Fatalf("uploadSnapshot: %v", err)
	}
	return s
}

// waitUpload waits until the upload under key settled.
func (p *page) waitUpload(key string) uploadSnap {
	p.t.Helper()
	var s uploadSnap
	waitFor(p.t, 60*time.Second, "upload "+key+" to settle", func() (bool, string) {
		s = p.upload(key)
		return s.Result != nil || s.Error != nil, s.summary()
	})
	return s
}

// waitRejected waits for upload key to fail with code.
func (p *page) waitRejected(key, code string) uploadSnap {
	p.t.Helper()
	s := p.waitUpload(key)
	if s.Error == nil || s.Error.Code != code {
		p.t.Fatalf("upload %s: got %s; want the error %s", key, s.summary(), code)
	}
	return s
}

// pseudoRandom is makeFile's content: xorshift32 from seed.
func pseudoRandom(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// download fetches a stored upload with the token as access_token.
func download(t *testing.T, g *gatewayProc, id, tok string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(g.url("/v2/realtime/uploads/" + url.PathEscape(id) + "?access_token=" + url.QueryEscape(tok)))
	if err != nil {
		t.Fatalf("GET upload %s: %v", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET upload %s: %v", id, err)
	}
	return resp, body
}

// checkDownload requires the stored file to be downloadable and to hash
// to want.
func checkDownload(t *testing.T, g *gatewayProc, id, tok, want string, size int) {
	t.Helper()
	resp, body := download(t, g, id, tok)
	if resp.StatusCode != http.StatusOK || len(body) != size || sha256Hex(body) != want {
		t.Fatalf("GET upload %s: HTTP %d, %d bytes, sha256 %s; want 200, %d bytes, %s",
			id, resp.StatusCode, len(body), sha256Hex(body), size, want)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition %q; want an attachment", cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q; want nosniff", resp.Header.Get("X-Content-Type-Options"))
	}
}

// completion is the data of a documents/upload.completed event.
type completion struct {
	UploadID    string `json:"uploadId"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	User        string `json:"user"`
}

// waitCompleted waits for the page to receive the upload.completed event
// of uploadID and returns it; it must arrive once.
func (p *page) waitCompleted(uploadID string) (event, completion) {
	p.t.Helper()
	find := func(s snapshot) (n int, e event, c completion) {
		for _, ev := range s.Events {
			var d completion
			if ev.Service == "documents" && ev.Type == "upload.completed" && json.Unmarshal(ev.Data, &d) == nil && d.UploadID == uploadID {
				n, e, c = n+1, ev, d
			}
		}
		return n, e, c
	}
	s := p.waitUntil("upload.completed for "+uploadID, func(s snapshot) bool { n, _, _ := find(s); return n > 0 })
	n, e, c := find(s)
	if n != 1 {
		p.t.Fatalf("%d upload.completed events for %s; want 1 (%s)", n, uploadID, s.summary())
	}
	return e, c
}

// checkProgress requires onProgress values that never decrease, report
// size as the total, include at least one report short of the end, and end
// at size.
func checkProgress(t *testing.T, s uploadSnap, size int64) {
	t.Helper()
	between := false
	for i, n := range s.Progress {
		if n < 0 || n > size || (i > 0 && n < s.Progress[i-1]) || s.Sizes[i] != size {
			t.Fatalf("onProgress values %v (sizes %v); want non-decreasing values up to %d", s.Progress, s.Sizes, size)
		}
		between = between || (n > 0 && n < size)
	}
	if !between || s.Progress[len(s.Progress)-1] != size {
		t.Fatalf("onProgress values %v; want a report on the way and %d at the end", s.Progress, size)
	}
}

// ready returns the upload.ready frames received, in order.
func (s uploadSnap) ready() []uploadFrame {
	var out []uploadFrame
	for _, f := range s.Frames {
		if f.Type == "upload.ready" {
			out = append(out, f)
		}
	}
	return out
}

// readyFor returns the uploadId that upload.ready gave the upload.start
// of the file name, or "".
func (s uploadSnap) readyFor(name string) string {
	for _, st := range s.sentOf("upload.start") {
		for _, r := range s.ready() {
			if st.Name == name && r.ID == st.ID {
				return r.UploadID
			}
		}
	}
	return ""
}

func (s uploadSnap) sentOf(typ string) []uploadFrame {
	var out []uploadFrame
	for _, f := range s.Sent {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}

// A 3 MB document uploaded from the page: the promise resolves with the
// hash computed in Go from the same bytes, progress is reported up to the
// size, the page (subscribed to documents) receives upload.completed with
// the upload's facts and the token's user, and the stored file downloads
// with the same hash.
func TestBrowserUpload(t *testing.T) {
	g := startGateway(t, redistest.Start(t), "REALTIME_UPLOAD_DIR="+t.TempDir())
	tok := token(t, newOrg(t), time.Now().Add(time.Hour))
	p := openUploadPage(t, g, tok)

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
	g := startGateway(t, redistest.Start(t), "REALTIME_UPLOAD_DIR="+t.TempDir())
	tok := token(t, newOrg(t), time.Now().Add(time.Hour))
	p := openUploadPage(t, g, tok)

	const size, seed = 3<<20 + 777, 12345
	want := sha256Hex(pseudoRandom(size, seed))
	p.eval("h.pace = 100; h.stallOnProgress = true")
	p.eval(fmt.Sprintf("startUpload('doc', makeFile(%d, %d, 'scan.png', 'image/png'))", size, seed))
	var s uploadSnap
	waitFor(t, 30*time.Second, "a progress report, then the stall", func() (bool, string) {
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

// Uploads the server refuses reject their promise with the server's code
// and leave the connection open: a content type not allowed, a file over
// REALTIME_UPLOAD_MAX_BYTES, a declared hash that does not match the
// bytes. abort() rejects with upload_aborted and deletes the upload. The
// errors reach the promises, not onError, and an upload afterwards on the
// same connection succeeds. A closed client refuses uploads with
// upload_unavailable.
func TestBrowserUploadRejected(t *testing.T) {
	const maxBytes = 1 << 20
	g := startGateway(t, redistest.Start(t), "REALTIME_UPLOAD_DIR="+t.TempDir(), fmt.Sprintf("REALTIME_UPLOAD_MAX_BYTES=%d", maxBytes))
	tok := token(t, newOrg(t), time.Now().Add(time.Hour))
	p := openUploadPage(t, g, tok)

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
	var uploadID string
	waitFor(t, 30*time.Second, "upload.ready of the upload to abort", func() (bool, string) {
		s = p.upload("abort")
		uploadID = s.readyFor("report.csv")
		return uploadID != "", s.summary()
	})
	p.eval("h.up['abort.promise'].abort(); h.queue = []; h.pace = 0")
	p.waitRejected("abort", "upload_aborted")
	waitFor(t, 30*time.Second, "upload.aborted", func() (bool, string) {
		s = p.upload("abort")
		for _, f := range s.Frames {
			if f.Type == "upload.aborted" && f.UploadID == uploadID {
				return true, ""
			}
		}
		return false, s.summary()
	})
	if resp, body := download(t, g, uploadID, tok); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET an aborted upload: HTTP %d %s; want 404", resp.StatusCode, body)
	}

	p.eval("startUpload('ok', makeFile(5000, 5, 'fine.txt', ''))")
	s = p.waitUpload("ok")
	if s.Error != nil || s.Result.SHA256 != sha256Hex(pseudoRandom(5000, 5)) {
		t.Fatalf("upload after the refusals: %s", s.summary())
	}
	for _, f := range s.Sent {
		if f.Name == "fine.txt" && f.ContentType != "application/octet-stream" {
			t.Fatalf("a file without a type was declared as %q; want application/octet-stream", f.ContentType)
		}
	}
	snap := p.snap()
	if len(snap.Errors) != 0 || snap.State != "open" || len(snap.States) != 1 {
		t.Fatalf("page %s; want one connection that stayed open and no onError", snap.summary())
	}

	p.eval("h.rt.close(); startUpload('closed', makeFile(10, 6, 'late.txt', 'text/plain'))")
	p.waitRejected("closed", "upload_unavailable")
}

// openDemo opens the demo page (REALTIME_DEMO=true) and waits for it to
// connect. The returned func waits for the text of sel to contain want.
func openDemo(t *testing.T, extra ...string) (*page, func(sel, want string)) {
	t.Helper()
	g := startGateway(t, redistest.Start(t), append([]string{"REALTIME_DEMO=true"}, extra...)...)
	p := &page{t: t, ctx: newBrowser(t)}
	p.do(chromedp.Navigate(g.url("/")))
	waitText := func(sel, want string) {
		t.Helper()
		waitFor(t, 30*time.Second, sel+" showing "+want, func() (bool, string) {
			got := evalIn(p, chromedp.TextContent(chromedp.CSS(sel)))
			return strings.Contains(got, want), got
		})
	}
	waitText("#state", "open")
	return p, waitText
}

// The demo page: a file chosen in its file input is uploaded with a
// progress bar that ends full, the documents list shows the
// upload.completed event, and the page's download link serves the file.
func TestDemoPageUpload(t *testing.T) {
	p, waitText := openDemo(t, "REALTIME_UPLOAD_DIR="+t.TempDir())

	const size = 1<<20 + 4321
	data := pseudoRandom(size, 99)
	path := filepath.Join(t.TempDir(), "minutes.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}))
	waitText("#upload-result", "uploaded minutes.pdf: "+fmt.Sprint(size)+" bytes, sha256 "+sha256Hex(data))
	waitText("#events-documents", "upload.completed")
	waitText("#events-documents", sha256Hex(data))
	bar := evalIn(p, chromedp.Evaluate[[]float64]("[document.getElementById('upload-progress').value, document.getElementById('upload-progress').max]"))
	if len(bar) != 2 || bar[0] != size || bar[1] != size {
		t.Fatalf("progress bar value/max %v; want %d/%d", bar, size, size)
	}
	href := evalIn(p, chromedp.Evaluate[string]("document.querySelector('#upload-result a').href"))
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || sha256Hex(body) != sha256Hex(data) {
		t.Fatalf("the page's download link: HTTP %d, %d bytes; want the file", resp.StatusCode, len(body))
	}
}

// The demo page's chat panel sends a message to room frontdesk with
// rt.publish and shows it with the sender from the demo token.
func TestDemoPageChat(t *testing.T) {
	p, waitText := openDemo(t)
	p.do(chromedp.SendKeys(chromedp.CSS("#chat-text"), "towels for room 12"), chromedp.Click(chromedp.CSS("#chat-send")))
	waitText("#chat-result", "sent seq")
	waitText("#chat-messages", "dev-user: towels for room 12")
}
