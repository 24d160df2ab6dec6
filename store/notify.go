package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A notification carries the whole event, so a gateway fans it out without
// reading the stream back. publish.lua writes it as
//
//	<seq>\n<ts>\n<epoch>\n<service>\n<type>\n<data>
//
// The epoch rides along so a gateway tail notices a reset log (FLUSHALL, a
// restart without persistence) at the first event of the new incarnation,
// instead of mistaking its seq 1 for a duplicate.
// Service and type cannot contain '\n' (ValidName), and data comes last, so
// data may contain anything, newlines included. This is cheaper to build in
// Lua than JSON (no escaping of data) and to split in Go.

// decodeNotify parses a notification payload into the log's epoch and the
// event. The returned Event owns its memory.
func decodeNotify(payload string) (epoch string, ev Event, err error) {
	parts := strings.SplitN(payload, "\n", 6)
	if len(parts) != 6 {
		return "", Event{}, fmt.Errorf("notification has %d fields, want 6: %w", len(parts), ErrMalformed)
	}
	seq, err1 := strconv.ParseInt(parts[0], 10, 64)
	ts, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || parts[2] == "" || parts[3] == "" || parts[4] == "" {
		return "", Event{}, fmt.Errorf("notification header %q: %w", strings.Join(parts[:5], `\n`), ErrMalformed)
	}
	return parts[2], Event{Seq: seq, TS: ts, Service: parts[3], Type: parts[4], Data: json.RawMessage(parts[5])}, nil
}
