package auth

import (
	"crypto"
	"errors"
	"testing"
	"time"
)

var (
	testSecret = []byte("test-secret-0123456789abcdef0123")
	// t0 is the fixed "now" of every test verifier.
	t0 = time.Unix(1_700_000_000, 0)
)

func fixedNow() time.Time { return t0 }

// newTestVerifier returns a Verifier with testSecret and the clock at t0;
// edit may change cfg first.
func newTestVerifier(tb testing.TB, edit func(*Config)) *Verifier {
	tb.Helper()
	cfg := Config{Secret: testSecret, Now: fixedNow}
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return v
}

// newKeyVerifier returns a Verifier for a public-key algorithm with the
// clock at t0; edit may change cfg first.
func newKeyVerifier(tb testing.TB, alg string, pub crypto.PublicKey, edit func(*Config)) *Verifier {
	tb.Helper()
	return newTestVerifier(tb, func(c *Config) {
		c.Secret, c.Algorithm, c.PublicKey = nil, alg, pub
		if edit != nil {
			edit(c)
		}
	})
}

// payload is a claim set valid at t0, changed by edits (with, without), so
// each test case states only what it breaks.
func payload(edits ...func(map[string]any)) map[string]any {
	p := map[string]any{
		"sub": "user-1",
		"org": "acme",
		"exp": t0.Add(time.Hour).Unix(),
	}
	for _, e := range edits {
		e(p)
	}
	return p
}

func with(k string, v any) func(map[string]any) {
	return func(p map[string]any) { p[k] = v }
}

func without(k string) func(map[string]any) {
	return func(p map[string]any) { delete(p, k) }
}

// allReasons is every reason Verify and Sign may report.
var allReasons = map[string]bool{
	reasonMissing: true, reasonTooLarge: true, reasonMalformed: true,
	reasonMethod: true, reasonSignature: true, reasonExpired: true,
	reasonNotYet: true, reasonExpMissing: true, reasonSubMissing: true,
	reasonOrg: true, reasonServices: true, reasonPublish: true,
	reasonInvalid: true, reasonIssuer: true, reasonAudience: true,
}

// wantReason asserts the outcome of Verify: reason "" means err is nil,
// anything else a well-formed failure (checkFailure) with that reason.
func wantReason(tb testing.TB, err error, reason string) {
	tb.Helper()
	switch {
	case reason == "" && err != nil:
		tb.Fatalf("Verify: %v", err)
	case reason == "":
	case err == nil:
		tb.Fatalf("Verify succeeded, want reason %q", reason)
	default:
		checkFailure(tb, err)
		if r := Reason(err); r != reason {
			tb.Fatalf("reason %q, want %q", r, reason)
		}
	}
}

// checkFailure asserts err is a well-formed verification failure with a
// known reason and no token content.
func checkFailure(tb testing.TB, err error) {
	tb.Helper()
	r := Reason(err)
	if !allReasons[r] {
		tb.Fatalf("reason %q not in the known set (err %v)", r, err)
	}
	if got := err.Error(); got != "auth: invalid token: "+r {
		tb.Fatalf("error text %q carries more than the reason", got)
	}
	if !errors.Is(err, ErrInvalidToken) {
		tb.Fatalf("%v does not wrap ErrInvalidToken", err)
	}
}
