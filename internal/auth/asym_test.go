package auth

import (
	"crypto"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// asymAlg is a public-key algorithm with its signing key and a second key
// of the same kind and size, for "wrong key" cases.
type asymAlg struct {
	alg        string
	method     jwt.SigningMethod
	key, other crypto.Signer
}

func asymAlgs() []asymAlg {
	return []asymAlg{
		{alg: "RS256", method: jwt.SigningMethodRS256, key: rsaKey(), other: rsaOtherKey()},
		{alg: "RS384", method: jwt.SigningMethodRS384, key: rsaKey(), other: rsaOtherKey()},
		{alg: "RS512", method: jwt.SigningMethodRS512, key: rsaKey(), other: rsaOtherKey()},
		{alg: "PS256", method: jwt.SigningMethodPS256, key: rsaKey(), other: rsaOtherKey()},
		{alg: "ES256", method: jwt.SigningMethodES256, key: ec256Key(), other: ec256OtherKey()},
		{alg: "ES384", method: jwt.SigningMethodES384, key: ec384Key(), other: ec384OtherKey()},
	}
}

// asymCase is a token checked by a Verifier configured with alg and key.
type asymCase struct {
	name   string
	alg    string
	key    crypto.PublicKey
	token  string
	reason string // "" means Verify must succeed with the claims of payload()
}

// asymCases is shared by TestVerifyAsymmetric and FuzzVerify's seed corpus.
func asymCases(tb testing.TB) []asymCase {
	var cases []asymCase
	noneHeader := map[string]any{"alg": "none", "typ": "JWT"}
	for _, a := range asymAlgs() {
		pub := a.key.Public()
		add := func(name, token, reason string) {
			cases = append(cases, asymCase{name: a.alg + " " + name, alg: a.alg, key: pub, token: token, reason: reason})
		}
		good := signWith(tb, a.method, a.key, payload())
		add("valid", good, "")
		add("wrong key", signWith(tb, a.method, a.other, payload()), reasonSignature)
		add("tampered payload", tamper(tb, good, payload(with("org", "evil"))), reasonSignature)
		add("expired", signWith(tb, a.method, a.key, payload(with("exp", t0.Add(-time.Minute).Unix()))), reasonExpired)
		add("org missing", signWith(tb, a.method, a.key, payload(without("org"))), reasonOrg)
		// The classic HS/RS confusion: the attacker has our public key file
		// and uses its bytes as an HMAC secret.
		add("HS256 with public key PEM as secret", signWith(tb, jwt.SigningMethodHS256, pemPKIX(tb, pub), payload()), reasonMethod)
		add("alg none", handmade(tb, noneHeader, mustJSON(tb, payload()), nil), reasonMethod)
	}
	rsaPub, ec256Pub, ec384Pub := rsaKey().Public(), ec256Key().Public(), ec384Key().Public()
	rsHeader := map[string]any{"alg": "RS256", "typ": "JWT"}
	return append(cases, []asymCase{
		{name: "RS256 HS256 with PKCS1 PEM as secret", alg: "RS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodHS256, pemPKCS1(&rsaKey().PublicKey), payload()), reason: reasonMethod},
		{name: "RS256 HS512 with public key PEM as secret", alg: "RS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodHS512, pemPKIX(tb, rsaPub), payload()), reason: reasonMethod},
		// Header says RS256, signature is an HMAC over the public key PEM:
		// the algorithm is right, so only RSA verification can refuse it.
		{name: "RS256 header over HMAC with public key PEM", alg: "RS256", key: rsaPub,
			token: handmade(tb, rsHeader, mustJSON(tb, payload()), pemPKIX(tb, rsaPub)), reason: reasonSignature},
		{name: "RS256 config HS256 token", alg: "RS256", key: rsaPub, token: hs256(tb, payload()), reason: reasonMethod},
		{name: "RS256 config ES256 token", alg: "RS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodES256, ec256Key(), payload()), reason: reasonMethod},
		{name: "ES256 config RS256 token", alg: "ES256", key: ec256Pub,
			token: signWith(tb, jwt.SigningMethodRS256, rsaKey(), payload()), reason: reasonMethod},
		{name: "RS256 config PS256 token", alg: "RS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodPS256, rsaKey(), payload()), reason: reasonMethod},
		{name: "PS256 config RS256 token", alg: "PS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodRS256, rsaKey(), payload()), reason: reasonMethod},
		{name: "RS256 config RS384 token", alg: "RS256", key: rsaPub,
			token: signWith(tb, jwt.SigningMethodRS384, rsaKey(), payload()), reason: reasonMethod},
		{name: "ES256 config ES384 token", alg: "ES256", key: ec256Pub,
			token: signWith(tb, jwt.SigningMethodES384, ec384Key(), payload()), reason: reasonMethod},
		{name: "ES384 config ES256 token", alg: "ES384", key: ec384Pub,
			token: signWith(tb, jwt.SigningMethodES256, ec256Key(), payload()), reason: reasonMethod},
		{name: "ES256 config garbage", alg: "ES256", key: ec256Pub, token: "a.b.c", reason: reasonMalformed},
	}...)
}

func TestVerifyAsymmetric(t *testing.T) {
	want := Claims{User: "user-1", Org: "acme", Expiry: t0.Add(time.Hour)}
	for _, tc := range asymCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			v := newKeyVerifier(t, tc.alg, tc.key, nil)
			got, err := v.Verify(tc.token)
			if tc.reason != "" {
				if err == nil {
					t.Fatalf("Verify succeeded with %+v, want reason %q", got, tc.reason)
				}
				checkFailure(t, err)
				if r := Reason(err); r != tc.reason {
					t.Fatalf("reason %q, want %q", r, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Fatalf("claims\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
