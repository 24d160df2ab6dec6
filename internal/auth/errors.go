package auth

import "errors"

// ErrInvalidToken is wrapped by every error Verify returns, so a caller can
// tell "the client sent a bad token" from its own failures with one
// errors.Is. Sign wraps it too when asked to sign claims Verify would reject.
var ErrInvalidToken = errors.New("auth: invalid token")

// ErrSignUnsupported is returned by Sign on a Verifier whose algorithm
// verifies with a public key: it holds no key to sign with, so callers such
// as a development-token printer should skip, not fail.
var ErrSignUnsupported = errors.New("auth: Sign needs an HMAC algorithm (HS256, HS384, HS512)")

// errConfig is wrapped by every error New and LoadPublicKey return.
var errConfig = errors.New("auth: invalid config")

// Reasons are fixed strings because they are sent to the client and logged:
// library error text is not safe for that (a JSON syntax error, for one,
// quotes the offending byte of the token).
const (
	reasonMissing    = "token missing"
	reasonTooLarge   = "token too large"
	reasonMalformed  = "token malformed"
	reasonMethod     = "unexpected signing method"
	reasonSignature  = "signature invalid"
	reasonExpired    = "token expired"
	reasonNotYet     = "token not valid yet"
	reasonExpMissing = "claim exp missing"
	reasonSubMissing = "claim sub missing"
	reasonOrg        = "claim org missing or invalid"
	reasonServices   = "claim services invalid"
	reasonPublish    = "claim publish invalid"
	reasonIssuer     = "claim iss invalid"
	reasonAudience   = "claim aud invalid"
	// reasonInvalid covers library failures we do not map one by one; it
	// should be unreachable with the current jwt version.
	reasonInvalid = "token invalid"
)

// tokenError is a verification failure with a client-safe reason.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return "auth: invalid token: " + e.reason }

// Unwrap makes errors.Is(err, ErrInvalidToken) hold.
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

func invalid(reason string) error { return &tokenError{reason: reason} }

// Reason returns the short reason carried by an error from Verify or Sign,
// such as "token expired": lowercase, stable, and free of token content, so
// the gateway can put it in its error frame and logs. It returns "" for nil
// and for errors that did not come from this package.
func Reason(err error) string {
	if te, ok := errors.AsType[*tokenError](err); ok {
		return te.reason
	}
	return ""
}
