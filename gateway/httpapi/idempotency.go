package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/rtgw/realtime/store"
)

// Idempotency keys make a publish safe to retry: the publish script
// remembers each key in the org beside the seq it got, so a repeat is
// answered with that seq and appends nothing (store.Input.IdempotencyKey).
// This package checks the public form of a key and the gateway counts the duplicates.

// maxIdempotencyKey is the longest key the HTTP and WebSocket APIs take:
// ^[A-Za-z0-9_.:-]{1,128}$. store takes a little more, which leaves room for
// the scope ScopedKey puts in front.
const maxIdempotencyKey = 128

// idempotencyHeader is the HTTP header form of a single publish's key.
const idempotencyHeader = "Idempotency-Key"

// ErrIdempotencyKey is the answer to a malformed key, over HTTP and in a
// client publish's error.
var ErrIdempotencyKey = errors.New(`"idempotencyKey" must be 1-128 of A-Z a-z 0-9 _ . : -`)

var (
	errIdempotencyConflict = errors.New(`the Idempotency-Key header and the body's "idempotencyKey" differ`)
	errIdempotencyBatch    = errors.New(`a batch takes an "idempotencyKey" per event, not an Idempotency-Key header or a top-level one`)
	errIdempotencyHeaders  = errors.New(`more than one Idempotency-Key header`)
)

// ValidIdempotencyKey reports whether k is a key the public APIs accept.
func ValidIdempotencyKey(k string) bool {
	return len(k) <= maxIdempotencyKey && store.ValidIdempotencyKey(k)
}

// checkedKey returns the key a pointer field carries ("" when absent), or
// ErrIdempotencyKey when it is present but malformed (an empty string too).
func checkedKey(k *string) (string, error) {
	if k == nil {
		return "", nil
	}
	if !ValidIdempotencyKey(*k) {
		return "", ErrIdempotencyKey
	}
	return *k, nil
}

// singleKey merges the header and body forms of a single publish's key:
// either may be given, both only if they are equal.
func singleKey(h http.Header, body *string) (string, error) {
	k, err := checkedKey(body)
	if err != nil {
		return "", err
	}
	vals := h.Values(idempotencyHeader)
	switch {
	case len(vals) == 0:
		return k, nil
	case len(vals) > 1:
		return "", errIdempotencyHeaders
	case !ValidIdempotencyKey(vals[0]):
		return "", ErrIdempotencyKey
	case k != "" && k != vals[0]:
		return "", errIdempotencyConflict
	}
	return vals[0], nil
}

// ScopedKey is the key a client publish is stored under: its user's
// scope, then the key. Keys are per org, but a browser must not be able to
// claim a key another user or a backend will publish with (its event would
// be swallowed as a "duplicate" of the browser's), so each user gets its
// own space. The user id is hashed because it may hold any character; 12 hex
// digits keep the stored key within store.MaxIdempotencyKey.
func ScopedKey(user, key string) string {
	sum := sha256.Sum256([]byte(user))
	return "ws:" + hex.EncodeToString(sum[:6]) + ":" + key
}
