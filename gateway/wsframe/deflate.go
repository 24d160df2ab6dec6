package wsframe

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// deflateTail is the empty stored block that ends a flush; RFC 7692 §7.2.1
// has senders drop it and receivers put it back.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

type deflater struct {
	buf bytes.Buffer
	w   *flate.Writer
}

// deflaters are pooled: a flate.Writer costs about 1 MB to create. The
// writer is github.com/klauspost/compress/flate rather than the standard
// library's: at BestSpeed on our event frames it is 2.1–2.5× faster for the
// same ratio (cmd/rtbench BenchmarkDeflate, docs/BENCHMARKS.md), and
// compression runs on the org's tail goroutine, once per frame.
var deflaters = sync.Pool{New: func() any {
	d := &deflater{}
	d.w, _ = flate.NewWriter(&d.buf, flate.BestSpeed)
	return d
}}

// Deflate compresses p as one permessage-deflate message. It reports false
// when compression would not make the message smaller.
func Deflate(p []byte) ([]byte, bool) {
	d := deflaters.Get().(*deflater)
	defer deflaters.Put(d)
	d.buf.Reset()
	d.w.Reset(&d.buf)
	if _, err := d.w.Write(p); err != nil {
		return nil, false
	}
	if err := d.w.Flush(); err != nil {
		return nil, false
	}
	out := bytes.TrimSuffix(d.buf.Bytes(), deflateTail)
	if len(out) >= len(p) {
		return nil, false
	}
	return bytes.Clone(out), true
}

// ErrInflateTooBig is Inflate's answer to a message that inflates past its
// limit.
var ErrInflateTooBig = errors.New("inflated message over the limit")

// inflaters recycles decompressors: each holds tens of KiB of tables, and
// browsers deflate every message once permessage-deflate is on — upload
// chunks included — so a fresh one per message was a large allocation
// per chunk.
var inflaters sync.Pool

// Inflate decompresses one client message, reading at most limit bytes of
// output so a small compressed message cannot expand without bound.
func Inflate(p []byte, limit int) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(p), bytes.NewReader(deflateTail))
	r, _ := inflaters.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		r = flate.NewReader(src)
	}
	defer inflaters.Put(r)
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if len(out) > limit {
		return nil, ErrInflateTooBig
	}
	return out, nil
}
