package auth

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type verifyCase struct {
	name   string
	token  string
	reason string // "" means Verify must succeed with want
	want   Claims
}

// verifyCases is shared by TestVerify and FuzzVerify's seed corpus.
func verifyCases(tb testing.TB) []verifyCase {
	exp := t0.Add(time.Hour)
	ok := Claims{User: "user-1", Org: "acme", Expiry: exp}
	okWith := func(services ...string) Claims { c := ok; c.Services = services; return c }
	okPublish := func(services ...string) Claims { c := ok; c.Publish = services; return c }
	long := strings.Repeat("a", 65)
	noneHeader := map[string]any{"alg": "none", "typ": "JWT"}
	return []verifyCase{
		{name: "valid", token: hs256(tb, payload()), want: ok},
		{name: "org 64 chars", token: hs256(tb, payload(with("org", long[:64]))),
			want: Claims{User: "user-1", Org: long[:64], Expiry: exp}},
		{name: "org punctuation", token: hs256(tb, payload(with("org", "a_b.c-d"))),
			want: Claims{User: "user-1", Org: "a_b.c-d", Expiry: exp}},
		{name: "expired", token: hs256(tb, payload(with("exp", t0.Add(-time.Minute).Unix()))), reason: reasonExpired},
		{name: "expired within leeway", token: hs256(tb, payload(with("exp", t0.Add(-3*time.Second).Unix()))),
			want: Claims{User: "user-1", Org: "acme", Expiry: t0.Add(-3 * time.Second)}},
		{name: "nbf in future", token: hs256(tb, payload(with("nbf", t0.Add(time.Minute).Unix()))), reason: reasonNotYet},
		{name: "nbf within leeway", token: hs256(tb, payload(with("nbf", t0.Add(3*time.Second).Unix()))), want: ok},
		{name: "nbf in past", token: hs256(tb, payload(with("nbf", t0.Add(-time.Minute).Unix()))), want: ok},
		{name: "wrong secret", token: signWith(tb, jwt.SigningMethodHS256, []byte("other-secret"), payload()), reason: reasonSignature},
		{name: "tampered payload", token: tamper(tb, hs256(tb, payload()), payload(with("org", "evil"))), reason: reasonSignature},
		{name: "alg none", token: handmade(tb, noneHeader, mustJSON(tb, payload()), nil), reason: reasonMethod},
		{name: "alg none with signature", token: handmade(tb, noneHeader, mustJSON(tb, payload()), testSecret), reason: reasonMethod},
		{name: "alg missing", token: handmade(tb, map[string]any{"typ": "JWT"}, mustJSON(tb, payload()), testSecret), reason: reasonMethod},
		{name: "alg unknown", token: handmade(tb, map[string]any{"alg": "XS256"}, mustJSON(tb, payload()), testSecret), reason: reasonMethod},
		{name: "alg lowercase", token: handmade(tb, map[string]any{"alg": "hs256"}, mustJSON(tb, payload()), testSecret), reason: reasonMethod},
		{name: "HS384 when HS256 configured", token: signWith(tb, jwt.SigningMethodHS384, testSecret, payload()), reason: reasonMethod},
		{name: "HS512 when HS256 configured", token: signWith(tb, jwt.SigningMethodHS512, testSecret, payload()), reason: reasonMethod},
		{name: "RS256 signed", token: signWith(tb, jwt.SigningMethodRS256, rsaKey(), payload()), reason: reasonMethod},
		// Key confusion: RS256 header, HMAC signature made with our secret.
		{name: "RS256 header HMAC signature", token: handmade(tb, map[string]any{"alg": "RS256", "typ": "JWT"}, mustJSON(tb, payload()), testSecret), reason: reasonMethod},
		{name: "org missing", token: hs256(tb, payload(without("org"))), reason: reasonOrg},
		{name: "org empty", token: hs256(tb, payload(with("org", ""))), reason: reasonOrg},
		{name: "org null", token: hs256(tb, payload(with("org", nil))), reason: reasonOrg},
		{name: "org number", token: hs256(tb, payload(with("org", 42))), reason: reasonOrg},
		{name: "org slash", token: hs256(tb, payload(with("org", "acme/other"))), reason: reasonOrg},
		{name: "org colon", token: hs256(tb, payload(with("org", "acme:x"))), reason: reasonOrg},
		{name: "org space", token: hs256(tb, payload(with("org", "ac me"))), reason: reasonOrg},
		{name: "org unicode", token: hs256(tb, payload(with("org", "acmé"))), reason: reasonOrg},
		{name: "org newline", token: hs256(tb, payload(with("org", "acme\n"))), reason: reasonOrg},
		{name: "org 65 chars", token: hs256(tb, payload(with("org", long))), reason: reasonOrg},
		{name: "sub missing", token: hs256(tb, payload(without("sub"))), reason: reasonSubMissing},
		{name: "sub empty", token: hs256(tb, payload(with("sub", ""))), reason: reasonSubMissing},
		{name: "sub number", token: hs256(tb, payload(with("sub", 7))), reason: reasonSubMissing},
		{name: "exp missing", token: hs256(tb, payload(without("exp"))), reason: reasonExpMissing},
		{name: "exp null", token: hs256(tb, payload(with("exp", nil))), reason: reasonExpMissing},
		{name: "exp not a number", token: hs256(tb, payload(with("exp", "tomorrow"))), reason: reasonMalformed},
		{name: "services valid", token: hs256(tb, payload(with("services", []string{"chat", "orders:v2", "a.b_c-d"}))),
			want: okWith("chat", "orders:v2", "a.b_c-d")},
		{name: "services empty array", token: hs256(tb, payload(with("services", []string{}))), want: okWith([]string{}...)},
		{name: "services string", token: hs256(tb, payload(with("services", "chat"))), reason: reasonServices},
		{name: "services null", token: hs256(tb, payload(with("services", nil))), reason: reasonServices},
		{name: "services object", token: hs256(tb, payload(with("services", map[string]any{"chat": true}))), reason: reasonServices},
		{name: "services numbers", token: hs256(tb, payload(with("services", []int{1, 2}))), reason: reasonServices},
		{name: "services mixed", token: hs256(tb, payload(with("services", []any{"chat", 2}))), reason: reasonServices},
		{name: "services null element", token: hs256(tb, payload(with("services", []any{nil}))), reason: reasonServices},
		{name: "services empty name", token: hs256(tb, payload(with("services", []string{""}))), reason: reasonServices},
		{name: "services bad chars", token: hs256(tb, payload(with("services", []string{"chat room"}))), reason: reasonServices},
		{name: "services 65 chars", token: hs256(tb, payload(with("services", []string{long}))), reason: reasonServices},
		{name: "publish valid", token: hs256(tb, payload(with("publish", []string{"chat", "orders:v2"}))),
			want: okPublish("chat", "orders:v2")},
		{name: "publish empty array", token: hs256(tb, payload(with("publish", []string{}))), want: okPublish([]string{}...)},
		{name: "publish string", token: hs256(tb, payload(with("publish", "chat"))), reason: reasonPublish},
		{name: "publish null", token: hs256(tb, payload(with("publish", nil))), reason: reasonPublish},
		{name: "publish mixed", token: hs256(tb, payload(with("publish", []any{"chat", 2}))), reason: reasonPublish},
		{name: "publish bad chars", token: hs256(tb, payload(with("publish", []string{"chat room"}))), reason: reasonPublish},
		{name: "empty token", token: "", reason: reasonMissing},
		{name: "oversized garbage", token: strings.Repeat("a", 8193), reason: reasonTooLarge},
		{name: "oversized signed", token: hs256(tb, payload(with("pad", strings.Repeat("x", 8192)))), reason: reasonTooLarge},
		{name: "garbage word", token: "hello", reason: reasonMalformed},
		{name: "garbage dots", token: "...", reason: reasonMalformed},
		{name: "garbage two segments", token: "a.b", reason: reasonMalformed},
		{name: "garbage four segments", token: "a.b.c.d", reason: reasonMalformed},
		{name: "garbage segments", token: "a.b.c", reason: reasonMalformed},
		{name: "garbage bearer prefix", token: "Bearer " + hs256(tb, payload()), reason: reasonMalformed},
		{name: "garbage padded base64", token: "eyJhbGciOiJIUzI1NiJ9.e30=.", reason: reasonMalformed},
		{name: "payload not json", token: handmade(tb, map[string]any{"alg": "HS256"}, []byte("not json"), testSecret), reason: reasonMalformed},
		{name: "payload array", token: handmade(tb, map[string]any{"alg": "HS256"}, []byte("[1]"), testSecret), reason: reasonMalformed},
		{name: "payload null", token: handmade(tb, map[string]any{"alg": "HS256"}, []byte("null"), testSecret), reason: reasonExpMissing},
		{name: "empty header and payload", token: "e30.e30.", reason: reasonMethod},
	}
}

// tamper swaps a signed token's payload and keeps its signature.
func tamper(tb testing.TB, token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + b64json(tb, claims) + "." + parts[2]
}

func TestVerify(t *testing.T) {
	v := newTestVerifier(t, nil)
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, v) })
	}
}

// check verifies tc.token with v and asserts tc's outcome.
func (tc verifyCase) check(t *testing.T, v *Verifier) {
	t.Helper()
	got, err := v.Verify(tc.token)
	wantReason(t, err, tc.reason)
	if tc.reason == "" && !reflect.DeepEqual(normal(got), normal(tc.want)) {
		t.Fatalf("claims\n got %+v\nwant %+v", got, tc.want)
	}
}

// normal makes Expiry comparable with DeepEqual (no monotonic or location).
func normal(c Claims) Claims {
	c.Expiry = c.Expiry.UTC()
	return c
}
