package wsframe

import (
	"sync/atomic"

	"github.com/gobwas/ws"
)

// Frame is one server message's wire bytes, built once and queued, by
// pointer, on every connection that receives it. It is immutable once it is
// queued (Track and ClearOnWrite are called before), so connections share
// it without locks or copies.
type Frame struct {
	plain    []byte // header + payload
	deflated []byte // header with RSV1 + raw-deflate payload; nil when not compressed

	// For event frames: the publish time of the last event (unix ms) and
	// who to tell once the frame is first on the wire.
	ts       int64
	observer Observer
	observed atomic.Bool

	// clearOnWrite, for a connection's own control frames, is reset once
	// the frame is written (the pong-queued flag).
	clearOnWrite *atomic.Bool
}

// Observer is told the publish time of a frame's last event once, when the
// first connection has written the whole frame: the delivery latency is
// recorded per frame, not per connection, so it costs fan-out nothing per
// subscriber. It runs on a writer goroutine and must not block.
type Observer interface {
	ObserveDelivery(tsMillis int64)
}

// Track sets the publish time of the frame's last event and its observer.
// Call it before the frame is queued anywhere.
func (f *Frame) Track(tsMillis int64, o Observer) {
	f.ts, f.observer = tsMillis, o
}

// ClearOnWrite has flag reset to false once the frame is written (a
// connection's "pong queued" flag). Call it before the frame is queued.
func (f *Frame) ClearOnWrite(flag *atomic.Bool) {
	f.clearOnWrite = flag
}

// Written is called for each frame a connection has fully written. The
// first call per frame tells the observer.
func (f *Frame) Written() {
	if f.clearOnWrite != nil {
		f.clearOnWrite.Store(false)
	}
	if f.observer != nil && !f.observed.Load() && f.observed.CompareAndSwap(false, true) {
		f.observer.ObserveDelivery(f.ts)
	}
}

// Wire returns the bytes to send to a connection that did (or did not)
// negotiate permessage-deflate.
func (f *Frame) Wire(deflate bool) []byte {
	if deflate && f.deflated != nil {
		return f.deflated
	}
	return f.plain
}

// Compressed reports whether the frame has a deflated variant.
func (f *Frame) Compressed() bool { return f.deflated != nil }

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

// New builds a text frame for payload. When threshold >= 0 and the
// payload is at least threshold bytes, it also builds the deflated variant.
//
// The server negotiates server_no_context_takeover, so each message is
// compressed on its own: one compressed frame is valid on every connection,
// which is what lets fan-out compress once per event instead of once per
// connection.
func New(payload []byte, threshold int) *Frame {
	f := &Frame{plain: appendFrame(make([]byte, 0, len(payload)+10), ws.OpText, 0, payload)}
	if threshold >= 0 && len(payload) >= threshold {
		if z, ok := Deflate(payload); ok {
			f.deflated = appendFrame(make([]byte, 0, len(z)+10), ws.OpText, ws.Rsv(true, false, false), z)
		}
	}
	return f
}

// Text is a one-off text frame for a single connection (acks, errors):
// never compressed, never shared.
func Text(payload []byte) *Frame {
	return &Frame{plain: appendFrame(nil, ws.OpText, 0, payload)}
}

// Control builds a control frame (close, ping, pong) for one connection.
func Control(op ws.OpCode, payload []byte) *Frame {
	return &Frame{plain: appendFrame(nil, op, 0, payload)}
}

// Close builds a close frame with code and reason, the reason cut to the
// 123 bytes a control frame leaves for it (RFC 6455 §5.5).
func Close(code uint16, reason string) *Frame {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return Control(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), reason))
}
