package upload_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/internal/redistest"
	"github.com/rtgw/realtime/internal/wstest"
)

const benchUploadBytes = 16 << 20

// BenchmarkUpload is one 16 MB upload per op over a real WebSocket to a
// real directory and Redis: chunks, commits (fsync + script) every 250 ms,
// the hash of the stored file, the rename and the completion event. MB/s
// is the end-to-end rate; compare it with BenchmarkUploadDiskBaseline in
// the same run.
func BenchmarkUpload(b *testing.B) {
	h := uploadHarness(b, redistest.Start(b), b.TempDir(), func(u *upload.Config) {
		u.ChunkBytes, u.MaxPerUser = 256<<10, -1
	})
	data := randomBytes(benchUploadBytes, 99)
	c, _ := h.connect("bench", "u", map[string]any{"services": []string{"chat"}}) // not documents: no completion events
	start := startMsg("b.bin", data, "application/octet-stream")
	b.SetBytes(benchUploadBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Send(start)
		r := c.Expect("upload.ready")
		for off := 0; off < len(data); off += r.ChunkSize {
			c.SendBinary(wstest.Chunk(r.UploadID, int64(off), data[off:min(off+r.ChunkSize, len(data))]))
		}
		for m := c.Next(time.Minute); m.Type != "upload.done"; m = c.Next(time.Minute) {
			if m.Type == "error" {
				b.Fatalf("upload failed: %s", m.Raw)
			}
		}
	}
}

// BenchmarkUploadDiskBaseline is what the same bytes cost the disk alone:
// write in 256 KiB pieces, fsync every 4 MB (about what 250 ms commits
// give at this rate), hash, rename.
func BenchmarkUploadDiskBaseline(b *testing.B) {
	dir := b.TempDir()
	data := randomBytes(benchUploadBytes, 99)
	b.SetBytes(benchUploadBytes)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p := filepath.Join(dir, "part"+strconv.Itoa(i))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += 256 << 10 {
			if _, err := f.WriteAt(data[off:off+256<<10], int64(off)); err != nil {
				b.Fatal(err)
			}
			if (off+256<<10)%(4<<20) == 0 {
				_ = f.Sync()
			}
		}
		h := sha256.New()
		buf := make([]byte, 256<<10)
		for off := int64(0); off < benchUploadBytes; off += int64(len(buf)) {
			n, _ := f.ReadAt(buf, off)
			h.Write(buf[:n])
		}
		f.Close()
		if err := os.Rename(p, p+".done"); err != nil {
			b.Fatal(err)
		}
	}
}
