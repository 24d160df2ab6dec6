package main

import (
	"strconv"
	"time"

	"github.com/gobwas/ws"
)

// Benchmark events carry their publisher's clock: data is
// {"t":<unix nanos at publish>,"p":"xxx…"}, padded so that a frame holding
// the event alone is -size bytes. Clients run on the same machine, so the
// receive time minus t is the end-to-end latency at nanosecond resolution
// (the event's own "ts" is Redis TIME in whole milliseconds).

// sampleSeq is the seq width assumed when sizing: six digits.
const sampleSeq = 123456

// appendData appends one event's data.
func appendData(dst []byte, pubNanos int64, pad int) []byte {
	dst = append(dst, `{"t":`...)
	dst = strconv.AppendInt(dst, pubNanos, 10)
	dst = append(dst, `,"p":"`...)
	for range pad {
		dst = append(dst, 'x')
	}
	return append(dst, `"}`...)
}

// appendPayload appends a one-event frame payload laid out byte for byte as
// the gateway lays it out (gateway/protocol.go appendEvents), so the
// ceiling's frames cost the clients what the gateway's do.
func appendPayload(dst []byte, service string, seq int64, data []byte, tsMillis int64) []byte {
	dst = append(dst, `{"type":"event","service":"`...)
	dst = append(dst, service...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"events":[{"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"type":"bench","data":`...)
	dst = append(dst, data...)
	dst = append(dst, `,"ts":"`...)
	dst = time.UnixMilli(tsMillis).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	return append(dst, `"}]}`...)
}

// padFor returns the padding that makes a one-event payload size bytes
// (with a six-digit seq); 0 when size is below the fixed overhead.
func padFor(size int) int {
	base := appendPayload(nil, "s0", sampleSeq, appendData(nil, time.Now().UnixNano(), 0), time.Now().UnixMilli())
	return max(size-len(base), 0)
}

// appendServerFrame wraps payload in an unmasked final text frame.
func appendServerFrame(dst, payload []byte) []byte {
	h := ws.Header{Fin: true, OpCode: ws.OpText, Length: int64(len(payload))}
	w := appender{b: dst}
	_ = ws.WriteHeader(&w, h) // cannot fail on an appender
	return append(w.b, payload...)
}

type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) { a.b = append(a.b, p...); return len(p), nil }
