package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// keyKind is the kind of key an algorithm verifies with.
type keyKind int

const (
	keyHMAC keyKind = iota
	keyRSA
	keyEC
)

// algorithm is one value Config.Algorithm may take.
type algorithm struct {
	method jwt.SigningMethod
	kind   keyKind
	curve  elliptic.Curve // keyEC only
}

// algorithms are the values New accepts. ES512 and PS384/PS512 are left out
// until an issuer needs them; adding one is a line here and a test case.
var algorithms = map[string]algorithm{
	"HS256": {method: jwt.SigningMethodHS256, kind: keyHMAC},
	"HS384": {method: jwt.SigningMethodHS384, kind: keyHMAC},
	"HS512": {method: jwt.SigningMethodHS512, kind: keyHMAC},
	"RS256": {method: jwt.SigningMethodRS256, kind: keyRSA},
	"RS384": {method: jwt.SigningMethodRS384, kind: keyRSA},
	"RS512": {method: jwt.SigningMethodRS512, kind: keyRSA},
	"PS256": {method: jwt.SigningMethodPS256, kind: keyRSA},
	"ES256": {method: jwt.SigningMethodES256, kind: keyEC, curve: elliptic.P256()},
	"ES384": {method: jwt.SigningMethodES384, kind: keyEC, curve: elliptic.P384()},
}

// supportedAlgorithms lists the keys of algorithms for error messages.
func supportedAlgorithms() string {
	return strings.Join(slices.Sorted(maps.Keys(algorithms)), ", ")
}

// minRSABits: NIST SP 800-131A retired smaller RSA keys in 2013. Refusing
// them at start-up beats every token failing as "signature invalid" later.
const minRSABits = 2048

// verifyKey checks that c carries exactly the key a needs and returns it.
// Secret and PublicKey are exclusive so that a config can never hold an
// HMAC secret beside a public key: which one applies must follow from
// Algorithm alone.
func (a algorithm) verifyKey(c *Config) (any, error) {
	alg := c.Algorithm
	if a.kind == keyHMAC {
		switch {
		case c.PublicKey != nil:
			return nil, fmt.Errorf("%w: %s verifies with Secret; PublicKey must be nil", errConfig, alg)
		case len(c.Secret) == 0:
			return nil, fmt.Errorf("%w: Secret is required for %s", errConfig, alg)
		}
		return bytes.Clone(c.Secret), nil
	}
	switch {
	case len(c.Secret) != 0:
		return nil, fmt.Errorf("%w: %s verifies with PublicKey; Secret must be empty", errConfig, alg)
	case c.PublicKey == nil:
		return nil, fmt.Errorf("%w: PublicKey is required for %s", errConfig, alg)
	}
	if err := a.checkPublicKey(c.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errConfig, alg, err)
	}
	return c.PublicKey, nil
}

// checkPublicKey checks that key has the type, size and curve a needs.
func (a algorithm) checkPublicKey(key any) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if a.kind != keyRSA {
			return fmt.Errorf("PublicKey is %T, want *ecdsa.PublicKey", key)
		}
		if k.N == nil || k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA PublicKey is smaller than %d bits", minRSABits)
		}
	case *ecdsa.PublicKey:
		if a.kind != keyEC {
			return fmt.Errorf("PublicKey is %T, want *rsa.PublicKey", key)
		}
		if k.Curve != a.curve {
			return fmt.Errorf("PublicKey curve is %s, want %s", curveName(k.Curve), a.curve.Params().Name)
		}
		// Bytes validates the point; nil coordinates would panic in it.
		if k.X == nil || k.Y == nil {
			return fmt.Errorf("ECDSA PublicKey has no point")
		}
		if _, err := k.Bytes(); err != nil {
			return fmt.Errorf("ECDSA PublicKey invalid: %w", err)
		}
	default:
		return fmt.Errorf("PublicKey type %T not supported (want *rsa.PublicKey or *ecdsa.PublicKey)", key)
	}
	return nil
}

func curveName(c elliptic.Curve) string {
	if c == nil {
		return "<nil>"
	}
	return c.Params().Name
}
