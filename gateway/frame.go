package gateway

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/klauspost/compress/flate"
)

// frame is one server message's wire bytes, built once and queued, by
// pointer, on every connection that receives it. It is immutable after
// newFrame returns, so connections share it without locks or copies.
type frame struct {
	plain    []byte // header + payload
	deflated []byte // header with RSV1 + raw-deflate payload; nil when not compressed

	// For event frames: the publish time of the last event (unix ms) and the
	// metrics to tell once the frame is first on the wire.
	ts       int64
	metrics  *serverMetrics
	observed atomic.Bool

	// clearOnWrite, for a connection's own control frames, is reset once
	// the frame is written (the pong-queued flag).
	clearOnWrite *atomic.Bool
}

// written is called for each frame a connection has fully written. The
// first call per frame records the delivery latency.
func (f *frame) written() {
	if f.clearOnWrite != nil {
		f.clearOnWrite.Store(false)
	}
	if f.metrics != nil && !f.observed.Load() && f.observed.CompareAndSwap(false, true) {
		f.metrics.observeDelivery(f.ts)
	}
}

// wire returns the bytes to send to a connection that did (or did not)
// negotiate permessage-deflate.
func (f *frame) wire(deflate bool) []byte {
	if deflate && f.deflated != nil {
		return f.deflated
	}
	return f.plain
}

// appendWriter lets ws.WriteHeader append to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func appendFrame(dst []byte, op ws.OpCode, rsv byte, payload []byte) []byte {
	w := appendWriter{b: dst}
	// WriteHeader cannot fail on an appendWriter.
	_ = ws.WriteHeader(&w, ws.Header{Fin: true, Rsv: rsv, OpCode: op, Length: int64(len(payload))})
	return append(w.b, payload...)
}

// newFrame builds a text frame for payload. When threshold >= 0 and the
// payload is at least threshold bytes, it also builds the deflated variant.
//
// The server negotiates server_no_context_takeover, so each message is
// compressed on its own: one compressed frame is valid on every connection,
// which is what lets fan-out compress once per event instead of once per
// connection.
func newFrame(payload []byte, threshold int) *frame {
	f := &frame{plain: appendFrame(make([]byte, 0, len(payload)+10), ws.OpText, 0, payload)}
	if threshold >= 0 && len(payload) >= threshold {
		if z, ok := deflate(payload); ok {
			f.deflated = appendFrame(make([]byte, 0, len(z)+10), ws.OpText, ws.Rsv(true, false, false), z)
		}
	}
	return f
}

// controlFrame builds a control frame (close, ping, pong) for one connection.
func controlFrame(op ws.OpCode, payload []byte) *frame {
	return &frame{plain: appendFrame(nil, op, 0, payload)}
}

func closeFrame(code CloseCode, reason string) *frame {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return controlFrame(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), reason))
}

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

// deflate compresses p as one permessage-deflate message. It reports false
// when compression would not make the message smaller.
func deflate(p []byte) ([]byte, bool) {
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

var errInflateTooBig = errors.New("inflated message over the limit")

// inflate decompresses one client message, reading at most limit bytes of
// output so a small compressed message cannot expand without bound.
// inflaters recycles decompressors: each holds tens of KiB of tables, and
// browsers deflate every message once permessage-deflate is on — upload
// chunks included — so a fresh one per message was a large allocation
// per chunk.
var inflaters sync.Pool

func inflate(p []byte, limit int) ([]byte, error) {
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
		return nil, errInflateTooBig
	}
	return out, nil
}
