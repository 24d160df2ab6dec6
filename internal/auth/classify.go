package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// classify maps a jwt parse error to a reason.
//
// The algorithm is judged from the parsed header, not from error text: jwt
// reports both "alg not allowed" and "bad signature" as
// ErrTokenSignatureInvalid, and a client that sent HS384 or none should hear
// "unexpected signing method", not "signature invalid".
//
// Time checks come after the signature check in the parser, so "token
// expired" is only ever said about a token we actually issued.
func (v *Verifier) classify(tok *jwt.Token, err error) string {
	switch {
	case tok != nil && tok.Method != nil && tok.Method.Alg() != v.method.Alg():
		return reasonMethod
	case errors.Is(err, jwt.ErrTokenMalformed):
		return reasonMalformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg absent, not a string, or unknown to jwt.
		return reasonMethod
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return reasonSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return reasonExpMissing
	case errors.Is(err, jwt.ErrTokenExpired):
		return reasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return reasonNotYet
	}
	return reasonInvalid
}
