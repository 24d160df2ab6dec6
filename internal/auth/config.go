package auth

import (
	"crypto"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Config configures a Verifier. Zero values mean the documented default.
type Config struct {
	// Algorithm is the only accepted "alg"; default "HS256". One of HS256,
	// HS384, HS512 (verify with Secret) or RS256, RS384, RS512, PS256,
	// ES256, ES384 (verify with PublicKey); New rejects anything else.
	// Names are case-sensitive, as in RFC 7518.
	Algorithm string
	// Secret is the HMAC key. Required for HS* algorithms and must be empty
	// for the others. New copies it, so the caller may reuse the slice.
	Secret []byte
	// PublicKey verifies RS*, PS* and ES* tokens: an *rsa.PublicKey of at
	// least 2048 bits for RS/PS, an *ecdsa.PublicKey on P-256 for ES256 or
	// on P-384 for ES384. Required for those algorithms and must be nil for
	// HS*. LoadPublicKey reads one from PEM. New keeps the pointer; do not
	// modify the key afterwards.
	PublicKey crypto.PublicKey
	// Issuer, when set, must equal the token's "iss" claim exactly. Empty
	// (the default) means iss is not checked.
	Issuer string
	// Audience, when set, must be the token's "aud" claim or one element
	// of it (aud may be a string or an array of strings). Empty (the
	// default) means aud is not checked, whatever the token carries.
	Audience string
	// Leeway tolerated on exp and nbf for clock skew between the issuer and
	// us. Default 5s; negative means none.
	Leeway time.Duration
	// MaxTokenBytes caps the token length; longer tokens are rejected before
	// any decoding, so a hostile client cannot make us base64- and
	// JSON-decode megabytes. Default 8192; negative is an error.
	MaxTokenBytes int
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

const (
	defaultAlgorithm     = "HS256"
	defaultLeeway        = 5 * time.Second
	defaultMaxTokenBytes = 8192
)

// setDefaults fills in defaults, checks the config and returns the signing
// method it names with the key that verifies it: a copy of Secret for HMAC,
// PublicKey otherwise.
func (c *Config) setDefaults() (jwt.SigningMethod, any, error) {
	if c.Algorithm == "" {
		c.Algorithm = defaultAlgorithm
	}
	alg, ok := algorithms[c.Algorithm]
	if !ok {
		return nil, nil, fmt.Errorf("%w: Algorithm %q not supported (want one of %s)",
			errConfig, c.Algorithm, supportedAlgorithms())
	}
	key, err := alg.verifyKey(c)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case c.Leeway == 0:
		c.Leeway = defaultLeeway
	case c.Leeway < 0:
		c.Leeway = 0
	}
	switch {
	case c.MaxTokenBytes == 0:
		c.MaxTokenBytes = defaultMaxTokenBytes
	case c.MaxTokenBytes < 0:
		return nil, nil, fmt.Errorf("%w: MaxTokenBytes %d is negative", errConfig, c.MaxTokenBytes)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return alg.method, key, nil
}
