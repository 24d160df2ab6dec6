// Package auth verifies the JWTs that browsers present to the real-time
// gateway and turns them into Claims: who the user is, which org's events
// they may read, and (optionally) which services they may subscribe to.
//
// It owns token parsing, signature checking and claim validation. It must
// never do I/O, never know about WebSockets or Redis, and never put any part
// of a token into an error message: errors reach clients and logs, and a
// token in a log is a credential in a log.
//
// Only HMAC (HS256/HS384/HS512) is supported for now, and a Verifier accepts
// exactly one algorithm. Pinning the algorithm is what stops "alg": "none"
// and RS/HS key confusion, where an attacker signs with HMAC using a public
// key as the secret.
//
// Every failure wraps ErrInvalidToken and carries a short, fixed reason
// ("token expired", "signature invalid", ...) that Reason extracts; it is safe
// to send to the client.
//
// Usage:
//
//	v, err := auth.New(auth.Config{Secret: secret}) // HS256, 5s leeway
//	if err != nil {
//		return err // misconfiguration: fail at start-up
//	}
//	claims, err := v.Verify(tokenFromClient)
//	if err != nil {
//		reject(auth.Reason(err)) // e.g. "token expired"
//		return
//	}
//	if !claims.Allows(service) {
//		forbid(service)
//	}
//
// A Verifier is safe for concurrent use.
package auth
