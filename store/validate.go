package store

import (
	"encoding/json"
	"fmt"
)

// MaxBatch is the most events one Publish call accepts. The script runs
// atomically, so a batch blocks the Redis node for its whole length: 1000
// small events take about 3.5ms on a 2-core box (BenchmarkPublish).
const MaxBatch = 1000

// maxIDLen bounds org, service and type. publish.lua checks the same rules
// for names, so keep both in step.
const maxIDLen = 64

// ValidOrg reports whether s is a usable org id: 1-64 bytes of
// [A-Za-z0-9_.-]. Braces, colons and spaces are excluded because the org is
// spliced into key names and a hash tag.
func ValidOrg(s string) bool { return validID(s, false) }

// ValidName reports whether s is a usable service or event type: 1-64 bytes
// of [A-Za-z0-9_.:-]. Newlines are excluded, which the notification payload
// relies on.
func ValidName(s string) bool { return validID(s, true) }

// MaxIdempotencyKey is the longest idempotency key store takes. The
// gateway's APIs take keys of up to 128 bytes and may put a scope of their
// own in front (see gateway's chat.go); publish.lua checks the same bound.
const MaxIdempotencyKey = 160

// ValidIdempotencyKey reports whether s is a usable Input.IdempotencyKey:
// 1-160 bytes of [A-Za-z0-9_.:-], so it can be spliced into a key name.
func ValidIdempotencyKey(s string) bool { return len(s) <= MaxIdempotencyKey && validChars(s, true) }

// validID is a hand-rolled matcher: these run for every published event, and
// a regexp costs several times more.
func validID(s string, colon bool) bool { return len(s) <= maxIDLen && validChars(s, colon) }

// validChars reports whether s is not empty and every byte is a letter, a
// digit, '_', '.', '-', or (when colon) ':'.
func validChars(s string, colon bool) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == '-':
		case c == ':' && colon:
		default:
			return false
		}
	}
	return true
}

// validateBatch checks everything Publish can check without Redis, so a bad
// batch never reaches the script.
func validateBatch(org string, evs []Input, maxBytes int) error {
	if !ValidOrg(org) {
		return fmt.Errorf("publish to %q: %w", org, ErrInvalidOrg)
	}
	if len(evs) == 0 {
		return fmt.Errorf("publish to %q: no events: %w", org, ErrInvalidEvent)
	}
	if len(evs) > MaxBatch {
		return fmt.Errorf("publish to %q: %d events, max %d: %w", org, len(evs), MaxBatch, ErrTooManyEvents)
	}
	for i, ev := range evs {
		if len(ev.Data) > maxBytes {
			return fmt.Errorf("publish to %q: event %d: data is %d bytes, max %d: %w", org, i, len(ev.Data), maxBytes, ErrInvalidEvent)
		}
		if err := validateInput(ev); err != nil {
			return fmt.Errorf("publish to %q: event %d: %w", org, i, err)
		}
	}
	return nil
}

func validateInput(ev Input) error {
	switch {
	case !ValidName(ev.Service):
		return fmt.Errorf("service %q: %w", ev.Service, ErrInvalidEvent)
	case !ValidName(ev.Type):
		return fmt.Errorf("type %q: %w", ev.Type, ErrInvalidEvent)
	case !json.Valid(ev.Data):
		return fmt.Errorf("data is not valid JSON: %w", ErrInvalidEvent)
	case ev.IdempotencyKey != "" && !ValidIdempotencyKey(ev.IdempotencyKey):
		return fmt.Errorf("idempotency key %q: %w", ev.IdempotencyKey, ErrInvalidEvent)
	}
	return nil
}
