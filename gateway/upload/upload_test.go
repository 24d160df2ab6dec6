package upload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/klauspost/compress/flate"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func startMsg(name string, data []byte, ctype string) map[string]any {
	return map[string]any{"type": "upload.start", "name": name, "size": len(data), "contentType": ctype, "sha256": sha(data), "id": "c-1"}
}

// sendChunks sends data[from:to] as chunks of size.
func sendChunks(c *wstest.Client, id string, data []byte, from, to, size int) {
	for off := from; off < to; off += size {
		c.SendBinary(wstest.Chunk(id, int64(off), data[off:min(off+size, to)]))
	}
}

// nextUpload reads until an upload message or error, skipping progress
// when skipProgress.
func nextUpload(t *testing.T, c *wstest.Client, skipProgress bool) wstest.Msg {
	t.Helper()
	for {
		m := c.Next(20 * time.Second)
		if m.Type == "upload.progress" && skipProgress {
			continue
		}
		if strings.HasPrefix(m.Type, "upload.") || m.Type == "error" || m.Type == "close" {
			return m
		}
	}
}

// A document uploaded over the WebSocket is stored whole under its final
// name, announced to the org as upload.completed (live), answered with
// done (progress, if the upload is slow enough to get any, only grows) and
// served by GET.
func TestUploadOverWebSocket(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), nil)
	org := "org-up"
	watcher, _ := h.connect(org, "bob", map[string]any{"services": []string{"documents"}})
	up, _ := h.connect(org, "alice", map[string]any{"services": []string{"chat"}})
	data := randomBytes(3<<20+123, 1)
	up.Send(startMsg("report.pdf", data, "application/pdf"))
	ready := nextUpload(t, up, false)
	if ready.Type != "upload.ready" || ready.Offset != 0 || ready.ChunkSize != 64<<10 || ready.ID != "c-1" || !upload.ValidID(ready.UploadID) {
		t.Fatalf("ready: %s", ready.Raw)
	}
	sendChunks(up, ready.UploadID, data, 0, len(data), ready.ChunkSize)
	var progress []int64
	var done wstest.Msg
	for done.Type == "" {
		m := nextUpload(t, up, false)
		switch m.Type {
		case "upload.progress":
			progress = append(progress, m.Offset)
		case "upload.done":
			done = m
		default:
			t.Fatalf("unexpected %s", m.Raw)
		}
	}
	if done.UploadID != ready.UploadID || done.Size != int64(len(data)) || done.SHA256 != sha(data) || done.Seq < 1 {
		t.Fatalf("done: %s", done.Raw)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] <= progress[i-1] || progress[i] > int64(len(data)) {
			t.Fatalf("progress not increasing within the size: %v", progress)
		}
	}
	ev := watcher.Events(1)[0]
	var d upload.CompletedEvent
	if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
		t.Fatal(err)
	}
	want := upload.CompletedEvent{UploadID: ready.UploadID, Name: "report.pdf", Size: int64(len(data)), SHA256: sha(data), ContentType: "application/pdf", User: "alice"}
	if ev.Service != "documents" || ev.Type != "upload.completed" || ev.Seq != done.Seq || d != want {
		t.Fatalf("event %+v data %+v, want %+v", ev, d, want)
	}
	resp, body := get(t, h.http.URL+"/v2/realtime/uploads/"+ready.UploadID+"?access_token="+h.token(org, "bob"))
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
	if resp, _ := get(t, h.http.URL+"/v2/realtime/uploads/"+ready.UploadID+"?access_token="+h.token("other-org", "bob")); resp.StatusCode != 404 {
		t.Fatalf("another org downloaded the file: %d", resp.StatusCode)
	}
	if n := h.rdb.ZCard(context.Background(), "realtime:{"+org+"}:uploads:alice").Val(); n != 0 {
		t.Fatalf("slot not freed: %d", n)
	}
	// Resuming a finished upload answers done again.
	up.Send(map[string]any{"type": "upload.resume", "uploadId": ready.UploadID})
	if m := nextUpload(t, up, true); m.Type != "upload.done" || m.Seq != done.Seq {
		t.Fatalf("resume after done: %s", m.Raw)
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// An upload interrupted at about half continues on another node (same
// Redis, same storage) from the committed offset and completes with the
// right hash; the bytes the first node received are not lost.
func TestUploadResumesOnAnotherNode(t *testing.T) {
	redis := redistest.Start(t)
	dir := t.TempDir()
	a := uploadHarness(t, redis, dir, nil)
	b := uploadHarness(t, redis, dir, nil)
	org := "org-resume"
	data := randomBytes(8<<20, 2)
	c1, _ := a.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c1.Send(startMsg("big.bin", data, "application/octet-stream"))
	ready := nextUpload(t, c1, false)
	half := len(data) / 2
	sendChunks(c1, ready.UploadID, data, 0, half, ready.ChunkSize)
	// A ping answered means the node read every chunk before it.
	c1.Send(map[string]any{"type": "ping"})
	for m := c1.Next(20 * time.Second); m.Type != "pong"; m = c1.Next(20 * time.Second) {
		if m.Type != "upload.progress" {
			t.Fatalf("unexpected %s", m.Raw)
		}
	}
	c1.NC.Close()
	// What node A received is stored and committed after the disconnect.
	testutil.Eventually(t, 10*time.Second, "the received half committed", func() bool {
		rec, err := a.log.UploadInfo(context.Background(), org, ready.UploadID)
		return err == nil && rec.Offset == int64(half)
	})

	c2, _ := b.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c2.Send(map[string]any{"type": "upload.resume", "uploadId": ready.UploadID, "id": "r-1"})
	r := nextUpload(t, c2, false)
	if r.Type != "upload.ready" || r.Offset != int64(half) || r.ID != "r-1" {
		t.Fatalf("resume: %s (want offset %d)", r.Raw, half)
	}
	sendChunks(c2, ready.UploadID, data, int(r.Offset), len(data), r.ChunkSize)
	done := nextUpload(t, c2, true)
	if done.Type != "upload.done" || done.SHA256 != sha(data) {
		t.Fatalf("done: %s", done.Raw)
	}
	got, err := os.ReadFile(filepath.Join(dir, org, ready.UploadID))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored file differs (%d bytes, %v)", len(got), err)
	}
	// Someone else's resume finds nothing.
	c3, _ := b.connect(org, "mallory", map[string]any{"services": []string{"documents"}})
	c3.Send(map[string]any{"type": "upload.resume", "uploadId": ready.UploadID})
	if m := nextUpload(t, c3, true); m.Type != "error" || m.Code != "upload_not_found" {
		t.Fatalf("another user's resume: %s", m.Raw)
	}
}

// Bytes that do not hash to the declared SHA-256 are refused and deleted;
// nothing is published or served.
func TestUploadWrongHashRejected(t *testing.T) {
	dir := t.TempDir()
	h := uploadHarness(t, nil, dir, nil)
	org := "org-hash"
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	data := randomBytes(200<<10, 3)
	m := startMsg("x.pdf", data, "application/pdf")
	m["sha256"] = sha([]byte("something else"))
	c.Send(m)
	ready := nextUpload(t, c, false)
	sendChunks(c, ready.UploadID, data, 0, len(data), ready.ChunkSize)
	e := nextUpload(t, c, true)
	if e.Type != "error" || e.Code != "upload_hash_mismatch" || e.UploadID != ready.UploadID {
		t.Fatalf("got %s, want upload_hash_mismatch", e.Raw)
	}
	if _, err := os.Stat(filepath.Join(dir, org, ready.UploadID)); !os.IsNotExist(err) {
		t.Fatal("a file with the wrong hash was moved into place")
	}
	if _, err := os.Stat(filepath.Join(dir, org, ".partial", ready.UploadID)); !os.IsNotExist(err) {
		t.Fatal("the rejected bytes were kept")
	}
	if head, _ := h.log.Head(context.Background(), org); head.Seq != 0 {
		t.Fatalf("something was published: head %d", head.Seq)
	}
	if resp, _ := get(t, h.http.URL+"/v2/realtime/uploads/"+ready.UploadID+"?access_token="+h.token(org, "alice")); resp.StatusCode == 200 {
		t.Fatal("rejected upload served")
	}
	c.Send(map[string]any{"type": "ping"})
	c.Expect("pong")
}

// Every refused start or chunk gets a specific error frame, counted, and
// the connection stays open.
func TestUploadLimits(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), func(u *upload.Config) {
		u.MaxBytes = 1 << 20
		u.MaxPerUser = 2
		u.ContentTypes = []string{"application/pdf", "image/*"}
	})
	org := "org-limits"
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	small := randomBytes(1000, 4)
	cases := []struct {
		name string
		edit func(m map[string]any)
		code string
	}{
		{"size over the limit", func(m map[string]any) { m["size"] = 1<<20 + 1 }, "upload_too_large"},
		{"type not allowed", func(m map[string]any) { m["contentType"] = "application/x-msdownload" }, "upload_type_not_allowed"},
		{"type with parameters not allowed", func(m map[string]any) { m["contentType"] = "text/html; charset=utf-8" }, "upload_type_not_allowed"},
		{"bad sha256", func(m map[string]any) { m["sha256"] = "ABC" }, "upload_invalid"},
		{"name with a slash", func(m map[string]any) { m["name"] = "../etc/passwd" }, "upload_invalid"},
		{"zero size", func(m map[string]any) { m["size"] = 0 }, "upload_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := startMsg("a.pdf", small, "application/pdf")
			tc.edit(m)
			c.Send(m)
			if e := nextUpload(t, c, true); e.Type != "error" || e.Code != tc.code || e.ID != "c-1" {
				t.Fatalf("got %s, want %s", e.Raw, tc.code)
			}
		})
	}
	c.Send(startMsg("a.png", small, "image/png"))
	r1 := nextUpload(t, c, true)
	c.Send(startMsg("b.pdf", small, "application/pdf"))
	r2 := nextUpload(t, c, true)
	if r1.Type != "upload.ready" || r2.Type != "upload.ready" {
		t.Fatalf("starts: %s %s", r1.Raw, r2.Raw)
	}
	// The per-user limit holds across connections.
	other, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	other.Send(startMsg("c.pdf", small, "application/pdf"))
	if e := nextUpload(t, other, true); e.Code != "upload_too_many" {
		t.Fatalf("third concurrent upload: %s", e.Raw)
	}
	chunkCases := []struct {
		name string
		msg  []byte
		code string
	}{
		{"wrong offset", wstest.Chunk(r1.UploadID, 10, small[10:20]), "upload_offset"},
		{"unknown upload", wstest.Chunk("uAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, small), "upload_not_found"},
		{"malformed header", []byte{0x02, 1, 'u'}, "upload_invalid"},
		{"empty chunk", wstest.Chunk(r1.UploadID, 0, nil), "upload_invalid"},
		{"past the declared size", wstest.Chunk(r2.UploadID, 0, randomBytes(1001, 5)), "upload_too_large"},
	}
	for _, tc := range chunkCases {
		t.Run(tc.name, func(t *testing.T) {
			c.SendBinary(tc.msg)
			e := nextUpload(t, c, true)
			if e.Type != "error" || e.Code != tc.code {
				t.Fatalf("got %s, want %s", e.Raw, tc.code)
			}
			if tc.code == "upload_offset" && e.Offset != 0 {
				t.Fatalf("upload_offset says %d, want 0", e.Offset)
			}
		})
	}
	// After the offset error, the right chunk is taken and completes.
	sendChunks(c, r1.UploadID, small, 0, len(small), 400)
	if m := nextUpload(t, c, true); m.Type != "upload.done" || m.UploadID != r1.UploadID {
		t.Fatalf("after upload_offset: %s", m.Raw)
	}
	// Abort frees the slot: a new start succeeds on the other connection.
	c.Send(map[string]any{"type": "upload.abort", "uploadId": r2.UploadID})
	if m := nextUpload(t, c, true); m.Type != "upload.aborted" {
		t.Fatalf("abort: %s", m.Raw)
	}
	other.Send(startMsg("c.pdf", small, "application/pdf"))
	if m := nextUpload(t, other, true); m.Type != "upload.ready" {
		t.Fatalf("start after abort: %s", m.Raw)
	}
	// Binary messages past the 64 KiB limit are refused when no upload
	// is in progress on the connection.
	quiet, _ := h.connect(org, "carol", map[string]any{"services": []string{"documents"}})
	quiet.SendBinary(wstest.Chunk("uX", 0, make([]byte, 64<<10)))
	quiet.ExpectClose(1009)
	metrics := scrape(t, h)
	for _, series := range []string{`realtime_upload_results_total{result="upload_too_large"}`, `realtime_upload_results_total{result="upload_type_not_allowed"}`,
		`realtime_upload_results_total{result="upload_offset"}`, `realtime_upload_results_total{result="done"}`, `realtime_upload_results_total{result="aborted"}`} {
		if !strings.Contains(metrics, series+" ") || strings.Contains(metrics, series+" 0\n") {
			t.Errorf("%s did not move", series)
		}
	}
}

func scrape(t *testing.T, h *harness) string {
	t.Helper()
	_, b := get(t, h.http.URL+"/metrics")
	return string(b)
}

// deflateMessage compresses p as a permessage-deflate message body.
func deflateMessage(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// Browsers deflate every message once permessage-deflate is negotiated,
// upload chunks included: compressed starts and chunks work, with chunks
// larger than the 64 KiB message limit once inflated.
func TestUploadCompressedMessages(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), func(u *upload.Config) { u.ChunkBytes = 128 << 10 })
	org := "org-deflate"
	c := wstest.Dial(t, h.wsURL+"?access_token="+h.token(org, "alice"), wstest.Options{Deflate: true})
	if !c.Deflate {
		t.Fatal("permessage-deflate not negotiated")
	}
	c.Send(map[string]any{"services": []string{"documents"}})
	c.Expect("ack")
	data := bytes.Repeat([]byte("compressible document text "), 40000) // ~1 MB
	start, _ := json.Marshal(startMsg("a.txt", data, "text/plain"))
	wstest.SendFrame(t, c, true, ws.Rsv(true, false, false), ws.OpText, true, deflateMessage(t, start))
	r := nextUpload(t, c, false)
	if r.Type != "upload.ready" {
		t.Fatalf("compressed start: %s", r.Raw)
	}
	for off := 0; off < len(data); off += r.ChunkSize {
		msg := wstest.Chunk(r.UploadID, int64(off), data[off:min(off+r.ChunkSize, len(data))])
		wstest.SendFrame(t, c, true, ws.Rsv(true, false, false), ws.OpBinary, true, deflateMessage(t, msg))
	}
	if m := nextUpload(t, c, true); m.Type != "upload.done" || m.SHA256 != sha(data) {
		t.Fatalf("compressed chunks: %s", m.Raw)
	}
}
