package auth

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// FuzzVerify feeds Verify arbitrary tokens, and arbitrary payloads signed
// with the right key. Random tokens almost never get past the signature, so
// the second input is what reaches the claim checks, the code we own.
//
// The token also goes to an RS256 Verifier, and the corpus holds the
// public-key cases, so mutations of real RSA and ECDSA tokens and of HS/RS
// confusion attempts reach the public-key path. The signed payload also goes
// to a Verifier that checks iss and aud, so their decoding is fuzzed too.
//
// Invariants: no panic; an error is a known reason with no token content;
// success means a usable user and org.
func FuzzVerify(f *testing.F) {
	for _, tc := range verifyCases(f) {
		f.Add(tc.token, seedPayload(tc.token))
	}
	for _, tc := range asymCases(f) {
		f.Add(tc.token, seedPayload(tc.token))
	}
	v := newTestVerifier(f, nil)
	scoped := newTestVerifier(f, func(c *Config) { c.Issuer, c.Audience = testIssuer, testAudience })
	rs := newKeyVerifier(f, "RS256", rsaKey().Public(), nil)
	header := b64json(f, map[string]any{"alg": "HS256", "typ": "JWT"})
	f.Fuzz(func(t *testing.T, token string, payloadJSON []byte) {
		checkResult(t, v, token)
		checkResult(t, rs, token)
		signed := resign(header, payloadJSON)
		checkResult(t, v, signed)
		checkResult(t, scoped, signed)
	})
}

func checkResult(t *testing.T, v *Verifier, token string) {
	c, err := v.Verify(token)
	if err != nil {
		checkFailure(t, err)
		return
	}
	if c.User == "" || !orgPattern.MatchString(c.Org) || c.Expiry.IsZero() {
		t.Fatalf("accepted token with invalid claims %+v", c)
	}
	for _, s := range slices.Concat(c.Services, c.Publish) {
		if !servicePattern.MatchString(s) {
			t.Fatalf("accepted service %q", s)
		}
	}
}

// resign signs payloadJSON under header with testSecret.
func resign(header string, payloadJSON []byte) string {
	return hmacSign(header+"."+base64.RawURLEncoding.EncodeToString(payloadJSON), testSecret)
}

// seedPayload is the decoded middle segment of token, or nil.
func seedPayload(token string) []byte {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	return b
}
