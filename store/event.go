package store

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Event is one published event as stored.
type Event struct {
	// Seq is the event's position in its org's log: 1, 2, 3, ... with no
	// gaps within one epoch.
	Seq int64
	// Service is the publishing service, per ValidName.
	Service string
	// Type is the event type, per ValidName.
	Type string
	// Data is the payload as published, byte for byte: valid JSON (object,
	// array or scalar). It is owned by the Event and never reused by store.
	Data json.RawMessage
	// TS is the publish time in unix milliseconds, from Redis TIME inside
	// the script, so all nodes agree on it. Events of one Publish share it.
	TS int64
}

// Input is one event to publish.
type Input struct {
	// Service is the publishing service, per ValidName.
	Service string
	// Type is the event type, per ValidName.
	Type string
	// Data must be valid JSON; it is stored byte for byte.
	Data json.RawMessage
	// IdempotencyKey, when not empty, makes the publish safe to retry: the
	// org remembers it for Config.IdempotencyWindow, and a later event with
	// the same key (in this or another call) is not appended again but
	// answered with the seq it got first. Per ValidIdempotencyKey.
	IdempotencyKey string
}

// Head describes an org's log at one instant.
type Head struct {
	// Epoch is a random id of this incarnation of the org's log. It changes
	// when the log is lost (FLUSHALL, failover without replication) and seqs
	// restart at 1, so a reader holding an old epoch must start over.
	Epoch string
	// Seq is the last assigned seq, 0 if none yet.
	Seq int64
	// First is the oldest seq still retained; Seq+1 when the log holds nothing.
	First int64
}

// eventFromEntry converts a stream entry to an Event; the field names are part of
// the key contract in keys.go.
func eventFromEntry(id string, values map[string]any) (Event, error) {
	str := func(k string) string { s, _ := values[k].(string); return s }
	ev := Event{Service: str("service"), Type: str("type"), Data: json.RawMessage(str("data"))}
	var err error
	if ev.Seq, err = seqOfID(id); err != nil {
		return Event{}, err
	}
	if ev.TS, err = strconv.ParseInt(str("ts"), 10, 64); err != nil {
		return Event{}, fmt.Errorf("entry %s: ts %q: %w", id, str("ts"), ErrMalformed)
	}
	if ev.Service == "" || ev.Type == "" {
		return Event{}, fmt.Errorf("entry %s: missing service or type: %w", id, ErrMalformed)
	}
	return ev, nil
}

// seqOfID parses a stream entry ID "<seq>-0".
func seqOfID(id string) (int64, error) {
	n := len(id) - 2
	if n < 1 || id[n:] != "-0" {
		return 0, fmt.Errorf("entry id %q: %w", id, ErrMalformed)
	}
	seq, err := strconv.ParseInt(id[:n], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("entry id %q: %w", id, ErrMalformed)
	}
	return seq, nil
}
