package auth

// Token crafting for tests: through the jwt library for well-formed tokens,
// by hand for the ones no honest library would produce.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// signWith signs claims with the jwt library, any method and key.
func signWith(tb testing.TB, m jwt.SigningMethod, key any, claims map[string]any) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(m, jwt.MapClaims(claims)).SignedString(key)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return s
}

// hs256 signs claims the way our issuer does.
func hs256(tb testing.TB, claims map[string]any) string {
	return signWith(tb, jwt.SigningMethodHS256, testSecret, claims)
}

// b64json is base64url(JSON(v)) with no padding, a JWT segment.
func b64json(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// handmade builds header.payload and signs it with HMAC-SHA256 over secret
// whatever the header says; nil secret leaves the signature empty.
func handmade(tb testing.TB, header map[string]any, payloadJSON []byte, secret []byte) string {
	tb.Helper()
	signing := b64json(tb, header) + "." + base64.RawURLEncoding.EncodeToString(payloadJSON)
	if secret == nil {
		return signing + "."
	}
	return hmacSign(signing, secret)
}

// hmacSign appends an HS256 signature over signing ("header.payload").
func hmacSign(signing string, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// mustJSON marshals v or fails the test.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return b
}
