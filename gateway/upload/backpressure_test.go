package upload_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"

	"github.com/rtgw/realtime/gateway"
	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/testutil"
	"github.com/rtgw/realtime/internal/wstest"
	"github.com/rtgw/realtime/store/files"
)

// gatedStorage is real file storage whose writes wait for a gate: slow
// storage on demand.
type gatedStorage struct {
	*files.Dir
	gate chan struct{}
}

type gatedPart struct {
	files.Part
	gate chan struct{}
}

func (g gatedStorage) OpenPart(org, id string, create bool) (files.Part, error) {
	p, err := g.Dir.OpenPart(org, id, create)
	return gatedPart{p, g.gate}, err
}

func (p gatedPart) WriteAt(b []byte, off int64) (int, error) {
	<-p.gate
	return p.Part.WriteAt(b, off)
}

// While storage is stalled, a fast uploader is paced by TCP: the node
// stops reading its socket once BufferBytes are waiting, holds no more
// than that plus one chunk, does not mistake the pause for a dead peer,
// and completes the upload once storage moves again.
func TestUploadBackpressure(t *testing.T) {
	d, _ := files.New(t.TempDir())
	gate := make(chan struct{})
	const buffer, chunkSize = 256 << 10, 64 << 10
	h := newHarness(t, nil, func(c *gateway.Config) {
		c.PingInterval = 200 * time.Millisecond // a 1 s stall is 5 intervals
		c.Uploads = upload.Config{Storage: gatedStorage{d, gate}, ChunkBytes: chunkSize, BufferBytes: buffer}
	})
	org := "org-bp"
	data := randomBytes(32<<20, 11) // before connecting: pings are due every 200 ms
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c.Send(startMsg("big.bin", data, "application/octet-stream"))
	ready := nextUpload(t, c, false)
	var sent atomic.Int64
	sendErr := make(chan error, 1)
	go func() {
		for off := 0; off < len(data); off += chunkSize {
			if err := wsutil.WriteClientBinary(c.NC, wstest.Chunk(ready.UploadID, int64(off), data[off:off+chunkSize])); err != nil {
				sendErr <- err
				return
			}
			sent.Add(chunkSize)
		}
		sendErr <- nil
	}()
	testutil.Eventually(t, 10*time.Second, "reads paused", func() bool { return h.metric("realtime_upload_reads_paused_total") > 0 })
	// Wait for the client to stall: TCP buffers full, nothing more taken.
	var last int64 = -1
	testutil.Eventually(t, 10*time.Second, "the client to stall", func() bool {
		time.Sleep(100 * time.Millisecond)
		now := sent.Load()
		stalled := now == last
		last = now
		return stalled
	})
	held := int64(h.metric("realtime_upload_buffered_bytes"))
	t.Logf("stalled storage: client sent %d of %d bytes; node holds %d (cap %d + one chunk)", last, len(data), held, buffer)
	if held > buffer+chunkSize {
		t.Fatalf("node holds %d bytes of chunks, over %d", held, buffer+chunkSize)
	}
	if last >= int64(len(data)) {
		t.Fatal("the client sent everything while storage was stalled: nothing pushed back")
	}
	time.Sleep(time.Second) // hold the stall past several ping intervals
	close(gate)
	if err := <-sendErr; err != nil {
		t.Fatalf("connection dropped during the stall: %v", err)
	}
	done := nextUpload(t, c, true)
	if done.Type != "upload.done" {
		t.Fatalf("after the stall: %s", done.Raw)
	}
	got, _ := os.ReadFile(filepath.Join(d.Root(), org, ready.UploadID))
	if sha(got) != sha(data) {
		t.Fatal("stored file differs")
	}
}

// An abandoned upload expires: its state leaves Redis, the sweep deletes
// its bytes, and a resume finds nothing.
func TestUploadExpiry(t *testing.T) {
	dir := t.TempDir()
	h := uploadHarness(t, nil, dir, func(u *upload.Config) { u.Expiry = 300 * time.Millisecond })
	org := "org-exp"
	c, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	data := randomBytes(1000, 12)
	c.Send(startMsg("a.pdf", data, "application/pdf"))
	r := nextUpload(t, c, true)
	c.SendBinary(wstest.Chunk(r.UploadID, 0, data[:500]))
	c.NC.Close()
	part := filepath.Join(dir, org, ".partial", r.UploadID)
	testutil.Eventually(t, 10*time.Second, "the part deleted", func() bool {
		_, err := os.Stat(part)
		return os.IsNotExist(err)
	})
	if n := h.rdb.Exists(context.Background(), "realtime:{"+org+"}:upload:"+r.UploadID).Val(); n != 0 {
		t.Fatal("expired upload still in Redis")
	}
	c2, _ := h.connect(org, "alice", map[string]any{"services": []string{"documents"}})
	c2.Send(map[string]any{"type": "upload.resume", "uploadId": r.UploadID})
	if m := nextUpload(t, c2, true); m.Code != "upload_not_found" {
		t.Fatalf("resume after expiry: %s", m.Raw)
	}
}
