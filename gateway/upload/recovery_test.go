package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
	"github.com/rtgw/realtime/store"
	"github.com/rtgw/realtime/store/files"
)

// interruptedCompletion leaves an upload as a crash after the final rename
// and before the announcement would: every byte committed (status
// "completing"), the final file in place, no part, no event.
func interruptedCompletion(t *testing.T, h *harness, dir, org, user string, data []byte) string {
	t.Helper()
	d, err := files.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec := store.Upload{ID: upload.NewID(), User: user, Name: "r.pdf", Size: int64(len(data)), ContentType: "application/pdf", SHA256: sha(data), Owner: "crashed-node"}
	if err := h.log.StartUpload(ctx, org, rec, time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.log.CommitUpload(ctx, org, rec, rec.Size, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := d.Finalize(org, rec.ID, bytes.NewReader(data), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// A resume of an upload whose completion was interrupted after the file
// moved into place finishes it — announces it once, answers done — and
// neither recreates an empty part nor reports a hash mismatch.
func TestUploadInterruptedCompletionFinishedByResume(t *testing.T) {
	dir := t.TempDir()
	h := uploadHarness(t, nil, dir, nil)
	org := "org-crash"
	data := randomBytes(70000, 21)
	id := interruptedCompletion(t, h, dir, org, "alice", data)
	if err := h.log.AbortUpload(context.Background(), org, "alice", id); err == nil {
		t.Fatal("an upload with every byte committed was aborted")
	}
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c.Send(map[string]any{"type": "upload.resume", "uploadId": id})
	if r := nextUpload(t, c, true); r.Type != "upload.ready" || r.Offset != int64(len(data)) {
		t.Fatalf("resume: %s", r.Raw)
	}
	// The event (published first) and the done answer, in either order.
	var done, event wstest.Msg
	for done.Type == "" || event.Type == "" {
		switch m := c.Next(10 * time.Second); m.Type {
		case "upload.done":
			done = m
		case "event":
			event = m
		default:
			t.Fatalf("unexpected %s", m.Raw)
		}
	}
	if done.SHA256 != sha(data) || len(event.Events) != 1 || event.Events[0].Type != "upload.completed" || event.Seq != done.Seq {
		t.Fatalf("done %s, event %s", done.Raw, event.Raw)
	}
	got, _ := os.ReadFile(filepath.Join(dir, org, id))
	if !bytes.Equal(got, data) {
		t.Fatal("final file changed")
	}
	// The same state finished over HTTP: an offset query completes it.
	id2 := interruptedCompletion(t, h, dir, org, "alice", data)
	a := doUpload(t, "PUT", h.http.URL+"/v2/realtime/uploads/"+id2, h.token(org, "alice"), fmt.Sprintf("bytes */%d", len(data)), nil)
	if a.status != 200 || a.body["done"] != true || a.body["sha256"] != sha(data) {
		t.Fatalf("PUT on an interrupted completion: %d %s", a.status, a.raw)
	}
}

// Chunks the client pipelined before its upload ended (aborted here) get an
// error frame, not a 1009 close, though they exceed the 64 KiB message
// limit.
func TestUploadChunksAfterEndDoNotClose(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), func(u *upload.Config) { u.ChunkBytes = 128 << 10 })
	org := "org-late"
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	data := randomBytes(1<<20, 22)
	c.Send(startMsg("a.bin", data, "application/octet-stream"))
	r := nextUpload(t, c, false)
	c.Send(map[string]any{"type": "upload.abort", "uploadId": r.UploadID})
	if m := nextUpload(t, c, true); m.Type != "upload.aborted" {
		t.Fatalf("abort: %s", m.Raw)
	}
	c.SendBinary(wstest.Chunk(r.UploadID, 0, data[:100<<10]))
	if m := nextUpload(t, c, true); m.Type != "error" || m.Code != "upload_not_found" || m.UploadID != r.UploadID {
		t.Fatalf("late chunk: %s", m.Raw)
	}
	c.Send(map[string]any{"type": "ping"})
	c.Expect("pong")
}

// A resume takes an upload over from a PUT still streaming on the same
// node: the PUT ends with 409 upload_taken_over, the resumed connection
// finishes the upload, and nothing races (run under -race).
func TestUploadTakeoverOfHTTPWriter(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), nil)
	org := "org-takeover"
	tok := h.token(org, "alice")
	data := randomBytes(2<<20, 23)
	start, _ := json.Marshal(map[string]any{"name": "t.bin", "size": len(data), "contentType": "application/octet-stream", "sha256": sha(data)})
	a := doUpload(t, "POST", h.http.URL+"/v2/realtime/uploads", tok, "", start)
	id := a.body["uploadId"].(string)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", h.http.URL+"/v2/realtime/uploads/"+id, pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data)))
	answer := make(chan httpAnswer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answer <- httpAnswer{status: -1, raw: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		answer <- httpAnswer{status: resp.StatusCode, body: body, raw: raw}
	}()
	if _, err := pw.Write(data[:512<<10]); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "the PUT to be writing", func() bool { return h.metric("realtime_uploads_active") == 1 })
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c.Send(map[string]any{"type": "upload.resume", "uploadId": id})
	r := nextUpload(t, c, true)
	if r.Type != "upload.ready" {
		t.Fatalf("resume: %s", r.Raw)
	}
	go func() { // the PUT's client keeps sending until the server stops reading
		_, _ = pw.Write(data[512<<10:])
		pw.Close()
	}()
	if got := <-answer; got.status != 409 || got.body["code"] != "upload_taken_over" {
		t.Fatalf("PUT after the takeover: %d %s", got.status, got.raw)
	}
	sendChunks(c, id, data, int(r.Offset), len(data), r.ChunkSize)
	if m := nextUpload(t, c, true); m.Type != "upload.done" || m.SHA256 != sha(data) {
		t.Fatalf("after takeover: %s", m.Raw)
	}
}

// An upload whose connection stays open but sends nothing for the expiry
// is released on the node: the client is told, the slot and file are
// freed.
func TestUploadIdleOnLiveConnectionReleased(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), func(u *upload.Config) { u.Expiry = 300 * time.Millisecond })
	org := "org-idle"
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	data := randomBytes(1000, 24)
	c.Send(startMsg("a.pdf", data, "application/pdf"))
	r := nextUpload(t, c, true)
	m := nextUpload(t, c, true)
	if m.Type != "error" || m.Code != "upload_not_found" || m.UploadID != r.UploadID || !strings.Contains(m.Message, "expired") {
		t.Fatalf("idle upload: %s", m.Raw)
	}
	testutil.Eventually(t, 5*time.Second, "the node's slot freed", func() bool { return h.metric("realtime_uploads_active") == 0 })
}

// A takeover by another connection on the same node is reported to the
// old connection at once; resuming one's own upload again is not.
func TestUploadSameNodeTakeoverReported(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), nil)
	org := "org-same"
	a, _ := h.connect(org, "alice", map[string]any{"services": []string{"chat"}})
	data := randomBytes(1000, 25)
	a.Send(startMsg("a.pdf", data, "application/pdf"))
	r := nextUpload(t, a, true)
	// Resumed again on its own connection: one ready, no error.
	a.Send(map[string]any{"type": "upload.resume", "uploadId": r.UploadID})
	if m := nextUpload(t, a, true); m.Type != "upload.ready" {
		t.Fatalf("own resume: %s", m.Raw)
	}
	a.Send(map[string]any{"type": "ping"})
	for m := a.Next(5 * time.Second); m.Type != "pong"; m = a.Next(5 * time.Second) {
		t.Fatalf("after its own resume the connection got %s", m.Raw)
	}
	b, _ := h.connect(org, "alice", map[string]any{"services": []string{"chat"}})
	b.Send(map[string]any{"type": "upload.resume", "uploadId": r.UploadID})
	if m := nextUpload(t, b, true); m.Type != "upload.ready" {
		t.Fatalf("resume elsewhere: %s", m.Raw)
	}
	if m := nextUpload(t, a, true); m.Type != "error" || m.Code != "upload_taken_over" || m.UploadID != r.UploadID {
		t.Fatalf("old connection: %s", m.Raw)
	}
	sendChunks(b, r.UploadID, data, 0, len(data), 1000)
	if m := nextUpload(t, b, true); m.Type != "upload.done" {
		t.Fatalf("finish after takeover: %s", m.Raw)
	}
}

// Every byte committed but the bytes gone (no part, no final file): a
// resume ends the upload for good and frees its slot instead of leaving it
// "completing" forever; GET of a completing upload is 409, not 404.
func TestUploadCompletingWithoutBytesEnds(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), func(u *upload.Config) { u.MaxPerUser = 1 })
	org := "org-gone"
	ctx := context.Background()
	rec := store.Upload{ID: upload.NewID(), User: "alice", Name: "g.pdf", Size: 10, ContentType: "application/pdf", SHA256: sha([]byte("0123456789")), Owner: "x"}
	if err := h.log.StartUpload(ctx, org, rec, time.Hour, 1); err != nil {
		t.Fatal(err)
	}
	if err := h.log.CommitUpload(ctx, org, rec, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	if a := doUpload(t, "GET", h.http.URL+"/v2/realtime/uploads/"+rec.ID, h.token(org, "bob"), "", nil); a.status != 409 || a.body["code"] != "upload_incomplete" {
		t.Fatalf("GET while completing: %d %s", a.status, a.raw)
	}
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c.Send(map[string]any{"type": "upload.resume", "uploadId": rec.ID})
	if m := nextUpload(t, c, true); m.Type != "upload.ready" {
		t.Fatalf("resume: %s", m.Raw)
	}
	if m := nextUpload(t, c, true); m.Type != "error" || m.Code != "upload_not_found" {
		t.Fatalf("completion without bytes: %s", m.Raw)
	}
	c.Send(startMsg("next.pdf", []byte("x"), "application/pdf"))
	if m := nextUpload(t, c, true); m.Type != "upload.ready" {
		t.Fatalf("the slot was not freed: %s", m.Raw)
	}
}
