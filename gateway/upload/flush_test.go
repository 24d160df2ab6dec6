package upload_test

import (
	"testing"
	"time"
)

// A client that sends part of a file and then waits (for progress, or
// because its network stalled) hears that every byte it sent is stored:
// the node commits an upload that went quiet instead of waiting for its
// next chunk. Before, the bytes after the last 250 ms commit stayed
// uncommitted until the client sent more, and a node killed meanwhile made
// the client send them again.
func TestUploadQuietTailCommitted(t *testing.T) {
	h := uploadHarness(t, nil, t.TempDir(), nil)
	up, _ := h.connect("org-quiet", "alice", map[string]any{"services": []string{"chat"}})
	data := randomBytes(1<<20, 9)
	up.Send(startMsg("a.bin", data, "application/pdf"))
	ready := nextUpload(t, up, false)
	const sent = 300 << 10 // not a multiple of the chunk size
	sendChunks(up, ready.UploadID, data, 0, sent, ready.ChunkSize)
	deadline := time.Now().Add(10 * time.Second)
	var last int64
	for last < sent {
		m, err := up.Read(time.Until(deadline))
		if err != nil {
			t.Fatalf("progress stopped at %d of the %d bytes sent: %v", last, sent, err)
		}
		if m.Type == "upload.progress" {
			last = m.Offset
		} else if m.Type != "ping" {
			t.Fatalf("unexpected %s", m.Raw)
		}
	}
	if last != sent {
		t.Fatalf("progress reports %d, more than the %d bytes sent", last, sent)
	}
}
