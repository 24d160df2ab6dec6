package multinode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtgw/realtime/internal/gatewaytest"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
)

// A 50 MB upload whose node is SIGKILLed at about half is resumed on
// another node from the committed offset and completes with the declared
// SHA-256; the org sees one upload.completed event.
func TestUpload50MBResumedAfterNodeKill(t *testing.T) {
	redis := redistest.Start(t)
	dir := t.TempDir()
	env := map[string]string{"REALTIME_UPLOAD_DIR": dir}
	a := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: env})
	b := gatewaytest.Start(t, gatewaytest.Options{RedisAddr: redis.Addr, Env: env})
	const org = "team"
	hs := map[string]any{"services": []string{"documents"}}
	watcher := wstest.Dial(t, b.StreamURL(gatewaytest.Token(t, org, "bob", "documents")), wstest.Options{})
	watcher.Send(hs)
	watcher.Expect("ack")

	data := make([]byte, 50<<20)
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i+8 <= len(data); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	sum := sha256.Sum256(data)
	hexsum := hex.EncodeToString(sum[:])
	tok := gatewaytest.Token(t, org, "alice", "documents")
	up := wstest.Dial(t, a.StreamURL(tok), wstest.Options{})
	up.Send(hs)
	up.Expect("ack")
	up.Send(map[string]any{"type": "upload.start", "name": "big.bin", "size": len(data), "contentType": "application/octet-stream", "sha256": hexsum})
	ready := up.Expect("upload.ready")
	start := time.Now()
	half := len(data) / 2
	for off := 0; off < half; off += ready.ChunkSize {
		up.SendBinary(wstest.Chunk(ready.UploadID, int64(off), data[off:min(off+ready.ChunkSize, half)]))
	}
	// Read what node A acknowledged until it has seen most of the half.
	var acked int64
	for acked < int64(half)/2 {
		m := up.Next(20 * time.Second)
		if m.Type == "upload.progress" {
			acked = m.Offset
		}
	}
	a.Kill()

	up2 := wstest.Dial(t, b.StreamURL(tok), wstest.Options{})
	up2.Send(hs)
	up2.Expect("ack")
	up2.Send(map[string]any{"type": "upload.resume", "uploadId": ready.UploadID})
	resumed := up2.Expect("upload.ready")
	if resumed.Offset < acked || resumed.Offset > int64(half) {
		t.Fatalf("resumed at %d; node A had acknowledged %d of the %d sent", resumed.Offset, acked, half)
	}
	for off := int(resumed.Offset); off < len(data); off += resumed.ChunkSize {
		up2.SendBinary(wstest.Chunk(ready.UploadID, int64(off), data[off:min(off+resumed.ChunkSize, len(data))]))
	}
	var done wstest.Msg
	for done.Type != "upload.done" {
		if done = up2.Next(60 * time.Second); done.Type == "error" {
			t.Fatalf("upload failed: %s", done.Raw)
		}
	}
	elapsed := time.Since(start)
	if done.SHA256 != hexsum || done.Size != int64(len(data)) {
		t.Fatalf("done: %s", done.Raw)
	}
	f, err := os.ReadFile(filepath.Join(dir, org, ready.UploadID))
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(f); got != sum {
		t.Fatal("stored file does not match the upload")
	}
	ev := watcher.Events(1)[0]
	var d struct {
		UploadID string `json:"uploadId"`
		SHA256   string `json:"sha256"`
		User     string `json:"user"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &d)
	if ev.Type != "upload.completed" || d.UploadID != ready.UploadID || d.SHA256 != hexsum || d.User != "alice" || ev.Seq != done.Seq {
		t.Fatalf("completion event %+v", ev)
	}
	t.Logf("50 MB: node A acknowledged %d before SIGKILL, resumed at %d (%.1f%%) on node B; %.1f MB/s overall including the resume",
		acked, resumed.Offset, 100*float64(resumed.Offset)/float64(len(data)), float64(len(data))/1e6/elapsed.Seconds())
}
