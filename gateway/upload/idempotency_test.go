package upload_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rtgw/realtime/store"
)

// A node that crashed after announcing an upload and before recording it
// done left the event in the log; the resume that finishes the upload
// publishes under the same idempotency key, so it answers done with the
// original seq and the event is not appended a second time.
func TestUploadCompletionAnnouncedOnce(t *testing.T) {
	dir := t.TempDir()
	h := uploadHarness(t, nil, dir, nil)
	ctx := context.Background()
	org := "org-once"
	data := randomBytes(5000, 7)
	id := interruptedCompletion(t, h, dir, org, "alice", data)
	first, _, err := h.log.Publish(ctx, org, store.Input{Service: "documents", Type: "upload.completed",
		Data: json.RawMessage(`{"uploadId":"` + id + `"}`), IdempotencyKey: "upload.completed:" + id})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}, "lastSeq": first})
	c.Send(map[string]any{"type": "upload.resume", "uploadId": id})
	if r := nextUpload(t, c, true); r.Type != "upload.ready" {
		t.Fatalf("resume: %s", r.Raw)
	}
	if r := nextUpload(t, c, true); r.Type != "upload.done" || r.Seq != first {
		t.Fatalf("done %s, want seq %d (the announcement already made)", r.Raw, first)
	}
	if n := h.metric(`realtime_publish_duplicates_total{via="script"}`); n != 1 {
		t.Fatalf("script duplicates counted %v, want 1", n)
	}
	// Had the resume appended the event again, it would be seq first+1 and
	// reach this subscriber before the next event.
	if _, _, err := h.log.Publish(ctx, org, store.Input{Service: "documents", Type: "marker", Data: json.RawMessage(`1`)}); err != nil {
		t.Fatal(err)
	}
	if got := c.Events(1); got[0].Seq != first+1 || got[0].Type != "marker" {
		t.Fatalf("next event %+v, want the marker at seq %d", got[0], first+1)
	}
	if hd, err := h.log.Head(ctx, org); err != nil || hd.Seq != first+1 {
		t.Fatalf("head %+v %v", hd, err)
	}
}
