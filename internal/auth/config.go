package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Config configures a Verifier. Zero values mean the documented default.
type Config struct {
	// Secret is the HMAC key. Required (New fails without it). New copies
	// it, so the caller may reuse the slice.
	Secret []byte
	// Algorithm is the only accepted "alg"; default "HS256". Only HS256,
	// HS384 and HS512 for now (RS/ES come later via a public key file); New
	// rejects anything else. Names are case-sensitive, as in RFC 7518.
	Algorithm string
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

// hmacMethods are the algorithms New accepts. Asymmetric ones need a public
// key, which Config cannot carry yet.
var hmacMethods = map[string]*jwt.SigningMethodHMAC{
	"HS256": jwt.SigningMethodHS256,
	"HS384": jwt.SigningMethodHS384,
	"HS512": jwt.SigningMethodHS512,
}

// setDefaults fills in defaults, checks the config and returns the signing
// method it names.
func (c *Config) setDefaults() (*jwt.SigningMethodHMAC, error) {
	if len(c.Secret) == 0 {
		return nil, fmt.Errorf("%w: Secret is required", errConfig)
	}
	if c.Algorithm == "" {
		c.Algorithm = defaultAlgorithm
	}
	method, ok := hmacMethods[c.Algorithm]
	if !ok {
		return nil, fmt.Errorf("%w: Algorithm %q not supported (want HS256, HS384 or HS512)",
			errConfig, c.Algorithm)
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
		return nil, fmt.Errorf("%w: MaxTokenBytes %d is negative", errConfig, c.MaxTokenBytes)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return method, nil
}
