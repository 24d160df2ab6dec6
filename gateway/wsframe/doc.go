// Package wsframe is the gateway's WebSocket frame codec: the server
// frames it sends and the headers of the frames it reads.
//
// What it owns: Frame, one server message's wire bytes built once per
// event (plain, and deflated when the payload is large enough) and shared
// by pointer on every connection's queue; the one-off text, control and
// close frames of a single connection; the pooled permessage-deflate
// compressors (Deflate, and Inflate with an output limit); ParseHeader,
// which decodes a client frame's header (RFC 6455 §5.2).
//
// What it must never do: import gateway or know about connections, close
// codes or metrics (a frame's delivery latency goes to an Observer; a close
// code is a plain uint16), do I/O, hold a lock, or allocate per connection
// for a shared frame.
//
// Usage:
//
//	f := wsframe.New(payload, 1024) // once per event
//	f.Track(publishedMillis, metrics)
//	for _, c := range subscribers {
//		c.queue(f) // c writes f.Wire(c.deflate), then calls f.Written()
//	}
package wsframe
