package auth

import (
	"crypto"
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
	verifyCase
	alg string
	key crypto.PublicKey
}

// asymCases is shared by TestVerifyAsymmetric and FuzzVerify's seed corpus.
func asymCases(tb testing.TB) []asymCase {
	var cases []asymCase
	ok := Claims{User: "user-1", Org: "acme", Expiry: t0.Add(time.Hour)}
	noneHeader := map[string]any{"alg": "none", "typ": "JWT"}
	algs := asymAlgs()
	for _, a := range algs {
		pub := a.key.Public()
		add := func(name, token, reason string) {
			cases = append(cases, asymCase{verifyCase{name: a.alg + " " + name, token: token, reason: reason, want: ok}, a.alg, pub})
		}
		good := signWith(tb, a.method, a.key, payload())
		add("valid", good, "")
		add("wrong key", signWith(tb, a.method, a.other, payload()), reasonSignature)
		add("tampered payload", tamper(tb, good, payload(with("org", "evil"))), reasonSignature)
		add("expired", signWith(tb, a.method, a.key, payload(with("exp", t0.Add(-time.Minute).Unix()))), reasonExpired)
		add("org missing", signWith(tb, a.method, a.key, payload(without("org"))), reasonOrg)
		add("garbage", "a.b.c", reasonMalformed)
		add("alg none", handmade(tb, noneHeader, mustJSON(tb, payload()), nil), reasonMethod)
		add("HS256 token", hs256(tb, payload()), reasonMethod)
		// The classic HS/RS confusion: the attacker has our public key file
		// and uses its bytes as an HMAC secret.
		add("HS256 with public key PEM as secret", signWith(tb, jwt.SigningMethodHS256, pemPKIX(tb, pub), payload()), reasonMethod)
		add("HS512 with public key PEM as secret", signWith(tb, jwt.SigningMethodHS512, pemPKIX(tb, pub), payload()), reasonMethod)
		// Every other public-key algorithm is refused, even RS384 or PS256
		// signed with the very key an RS256 Verifier holds.
		for _, b := range algs {
			if b.alg != a.alg {
				add(b.alg+" token", signWith(tb, b.method, b.key, payload()), reasonMethod)
			}
		}
	}
	rsaPub := rsaKey().Public()
	rs256 := func(name, token, reason string) asymCase {
		return asymCase{verifyCase{name: "RS256 " + name, token: token, reason: reason}, "RS256", rsaPub}
	}
	return append(cases,
		rs256("HS256 with PKCS1 PEM as secret",
			signWith(tb, jwt.SigningMethodHS256, pemPKCS1(&rsaKey().PublicKey), payload()), reasonMethod),
		// Header says RS256, signature is an HMAC over the public key PEM:
		// the algorithm is right, so only RSA verification can refuse it.
		rs256("header over HMAC with public key PEM",
			handmade(tb, map[string]any{"alg": "RS256", "typ": "JWT"}, mustJSON(tb, payload()), pemPKIX(tb, rsaPub)), reasonSignature),
	)
}

func TestVerifyAsymmetric(t *testing.T) {
	for _, tc := range asymCases(t) {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, newKeyVerifier(t, tc.alg, tc.key, nil)) })
	}
}
