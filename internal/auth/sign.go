package auth

import (
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Sign issues a token for c with the Verifier's own key and algorithm: the
// development token printed at start-up, and tests. c.Expiry is truncated to
// the second (JWT NumericDate); a past Expiry is allowed, so tests can mint
// expired tokens. iat is c.IssuedAt, or the Verifier's clock when that is
// zero. The configured Issuer and Audience, if any, are set as
// iss and aud.
//
// Sign works only for HMAC algorithms; with a public-key algorithm it
// returns an error wrapping ErrSignUnsupported. It refuses claims that
// Verify would reject, with an error that wraps ErrInvalidToken and carries
// the same reason.
func (v *Verifier) Sign(c Claims) (string, error) {
	secret, ok := v.key.([]byte)
	if !ok {
		return "", fmt.Errorf("%w; this Verifier is %s and holds only a public key",
			ErrSignUnsupported, v.method.Alg())
	}
	if r := c.check(); r != "" {
		return "", invalid(r)
	}
	s, err := jwt.NewWithClaims(v.method, v.payload(c)).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	if len(s) > v.maxBytes {
		return "", invalid(reasonTooLarge)
	}
	return s, nil
}

// payload is the claim set Sign writes for c.
func (v *Verifier) payload(c Claims) jwt.MapClaims {
	p := jwt.MapClaims{
		"sub": c.User,
		"org": c.Org,
		"exp": jwt.NewNumericDate(c.Expiry),
		"iat": jwt.NewNumericDate(v.now()),
	}
	if !c.IssuedAt.IsZero() {
		p["iat"] = jwt.NewNumericDate(c.IssuedAt)
	}
	if c.Services != nil {
		p["services"] = c.Services
	}
	if c.Publish != nil {
		p["publish"] = c.Publish
	}
	if v.issuer != "" {
		p["iss"] = v.issuer
	}
	if v.audience != "" {
		p["aud"] = v.audience
	}
	return p
}
