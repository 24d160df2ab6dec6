// Package auth verifies the JWTs that browsers present to the real-time
// gateway and turns them into Claims: who the user is, which org's events
// they may read, and (optionally) which services they may subscribe to.
//
// It owns token parsing, signature checking and claim validation. It must
// never do I/O, never know about WebSockets or Redis, and never put any part
// of a token into an error message: errors reach clients and logs, and a
// token in a log is a credential in a log.
//
// A Verifier accepts exactly one algorithm, Config.Algorithm: HMAC
// (HS256/HS384/HS512) with Config.Secret, or RSA (RS256/RS384/RS512,
// PS256) and ECDSA (ES256 on P-256, ES384 on P-384) with Config.PublicKey,
// which LoadPublicKey reads from a PEM public key or certificate. New
// refuses a key that does not fit the algorithm. Pinning the algorithm is
// what stops "alg": "none" and RS/HS key confusion, where an attacker signs
// with HMAC using our public key file as the secret: any other "alg" is
// "unexpected signing method".
//
// Config.Issuer and Config.Audience, when set, require iss to equal the
// issuer and aud (a string or an array) to contain the audience. They are
// checked after the signature and times, before the gateway's own claims.
//
// Every failure wraps ErrInvalidToken and carries a short, fixed reason
// ("token expired", "signature invalid", "claim aud invalid", ...) that
// Reason extracts; it is safe to send to the client.
//
// Sign mints tokens only with an HMAC Verifier; a public-key one returns
// ErrSignUnsupported, because the private key lives with the issuer.
//
// Usage:
//
//	v, err := auth.New(auth.Config{Secret: secret}) // HS256, 5s leeway
//	if err != nil {
//		return err // misconfiguration: fail at start-up
//	}
//
// or, with tokens from an identity provider:
//
//	key, err := auth.LoadPublicKey(pemBytes) // PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE
//	if err != nil {
//		return err
//	}
//	v, err := auth.New(auth.Config{
//		Algorithm: "RS256",
//		PublicKey: key,
//		Issuer:    "https://idp.example.com/",
//		Audience:  "realtime",
//	})
//
// then, per connection:
//
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
