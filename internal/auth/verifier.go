package auth

import (
	"bytes"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks tokens against one key and one algorithm. It is safe for
// concurrent use: the jwt.Parser it holds is only read after New.
type Verifier struct {
	method   *jwt.SigningMethodHMAC
	secret   []byte
	maxBytes int
	now      func() time.Time
	parser   *jwt.Parser
}

// New returns a Verifier for cfg. It fails on a missing secret, an
// unsupported algorithm or a negative MaxTokenBytes.
func New(cfg Config) (*Verifier, error) {
	method, err := cfg.setDefaults()
	if err != nil {
		return nil, err
	}
	return &Verifier{
		method:   method,
		secret:   bytes.Clone(cfg.Secret),
		maxBytes: cfg.MaxTokenBytes,
		now:      cfg.Now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{method.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
			// Reject non-canonical base64 so one token has one spelling.
			jwt.WithStrictDecoding(),
		),
	}, nil
}

// errWrongMethod is returned by key; classify turns it into reasonMethod.
var errWrongMethod = errors.New("auth: unexpected signing method")

// key hands the parser our secret. WithValidMethods already pins the
// algorithm; checking again here means the HMAC secret can never be given
// to another method's Verify even if that option is lost in a refactor.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if t.Method != v.method {
		return nil, errWrongMethod
	}
	return v.secret, nil
}

// Verify checks token's size, algorithm, signature, exp and nbf, then its
// claims, and returns them. Every error wraps ErrInvalidToken; Reason gives
// the client-safe cause.
func (v *Verifier) Verify(token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, invalid(reasonMissing)
	case len(token) > v.maxBytes:
		return Claims{}, invalid(reasonTooLarge)
	}
	var w wireClaims
	tok, err := v.parser.ParseWithClaims(token, &w, v.key)
	if err != nil {
		return Claims{}, invalid(v.classify(tok, err))
	}
	// Only now, with the signature checked, do we look at sub/org/services:
	// a forger learns nothing about which claims we expect.
	return w.claims()
}
