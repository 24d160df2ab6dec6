package auth

import (
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Sign issues a token for c with the Verifier's own key and algorithm: the
// development token printed at start-up, and tests. c.Expiry is truncated to
// the second (JWT NumericDate); a past Expiry is allowed, so tests can mint
// expired tokens.
//
// Sign refuses claims that Verify would reject, with an error that wraps
// ErrInvalidToken and carries the same reason.
func (v *Verifier) Sign(c Claims) (string, error) {
	if r := c.check(); r != "" {
		return "", invalid(r)
	}
	payload := jwt.MapClaims{
		"sub": c.User,
		"org": c.Org,
		"exp": jwt.NewNumericDate(c.Expiry),
		"iat": jwt.NewNumericDate(v.now()),
	}
	if c.Services != nil {
		payload["services"] = c.Services
	}
	s, err := jwt.NewWithClaims(v.method, payload).SignedString(v.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	if len(s) > v.maxBytes {
		return "", invalid(reasonTooLarge)
	}
	return s, nil
}
