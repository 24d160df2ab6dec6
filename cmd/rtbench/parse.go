package main

import "bytes"

// The gateway writes "type" first in every message and lays event frames
// out as documented in docs/PROTOCOL.md:
//
//	{"type":"event","service":"s","seq":N,"events":[{"seq":n,"type":"t","data":D,"ts":"…"},…]}
//
// Decoding each frame with encoding/json would make the clients, which share
// the two cores with the gateway, the bottleneck. These scanners read only
// the seqs and the publisher's timestamp. They rely on the data being what
// rtbench publishes ({"t":unix-nanos,"p":"xxx…"}), which holds no `{"seq":`.
var (
	eventPrefix = []byte(`{"type":"event"`)
	keyEvents   = []byte(`"events":[`)
	keySeq      = []byte(`{"seq":`)
	keyPub      = []byte(`"data":{"t":`)
)

// evRef is one event of a frame: its seq and its publish time (unix nanos,
// 0 when the data carries none).
type evRef struct{ seq, pub int64 }

// isEvent reports whether payload is an event frame.
func isEvent(p []byte) bool { return bytes.HasPrefix(p, eventPrefix) }

// parseEvents appends the events of an event frame to dst.
func parseEvents(p []byte, dst []evRef) []evRef {
	i := bytes.Index(p, keyEvents)
	if i < 0 {
		return dst
	}
	p = p[i+len(keyEvents):]
	for {
		j := bytes.Index(p, keySeq)
		if j < 0 {
			return dst
		}
		var e evRef
		e.seq, p = leadingInt(p[j+len(keySeq):])
		k := bytes.Index(p, keyPub)
		if next := bytes.Index(p, keySeq); k >= 0 && (next < 0 || k < next) {
			e.pub, p = leadingInt(p[k+len(keyPub):])
		}
		dst = append(dst, e)
	}
}

// leadingInt parses the decimal integer at the start of p and returns the
// rest of p.
func leadingInt(p []byte) (int64, []byte) {
	neg := len(p) > 0 && p[0] == '-'
	if neg {
		p = p[1:]
	}
	var n int64
	i := 0
	for ; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
		n = n*10 + int64(p[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, p[i:]
}
