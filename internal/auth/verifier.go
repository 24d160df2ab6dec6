package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks tokens against one key and one algorithm. It is safe for
// concurrent use: the jwt.Parser it holds is only read after New.
type Verifier struct {
	method jwt.SigningMethod
	// key is what method.Verify takes: the HMAC secret as []byte (Sign
	// uses it too), or an *rsa.PublicKey or *ecdsa.PublicKey.
	key      any
	issuer   string
	audience string
	maxBytes int
	leeway   time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// New returns a Verifier for cfg. It fails on an unsupported algorithm, a
// missing key or one that does not fit the algorithm (see Config.Secret and
// Config.PublicKey), or a negative MaxTokenBytes.
func New(cfg Config) (*Verifier, error) {
	method, key, err := cfg.setDefaults()
	if err != nil {
		return nil, err
	}
	return &Verifier{
		method:   method,
		key:      key,
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		maxBytes: cfg.MaxTokenBytes,
		leeway:   cfg.Leeway,
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

// errWrongMethod is returned by keyFor; classify turns it into reasonMethod.
var errWrongMethod = errors.New("auth: unexpected signing method")

// keyFor hands the parser our key. WithValidMethods already pins the
// algorithm; checking again here means our key can never reach another
// method's Verify even if that option is lost in a refactor. That is what
// stops RS/HS confusion: an HS256 token "signed" with our RSA public key's
// PEM as the HMAC secret would verify if the public key reached HMAC.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if t.Method != v.method {
		return nil, errWrongMethod
	}
	return v.key, nil
}

// Verify checks token's size, algorithm, signature, exp and nbf, then iss
// and aud if configured, then its claims, and returns them. Every error
// wraps ErrInvalidToken; Reason gives the client-safe cause.
func (v *Verifier) Verify(token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, invalid(reasonMissing)
	case len(token) > v.maxBytes:
		return Claims{}, invalid(reasonTooLarge)
	}
	var w wireClaims
	tok, err := v.parser.ParseWithClaims(token, &w, v.keyFor)
	if err != nil {
		return Claims{}, invalid(v.classify(tok, err))
	}
	// Only now, with the signature checked, do we look at the claims: a
	// forger learns nothing about which ones we expect. iss and aud come
	// first: a token meant for someone else is wrong as a whole, whatever
	// its org says.
	if r := w.scope(v.issuer, v.audience); r != "" {
		return Claims{}, invalid(r)
	}
	return w.claims()
}

// Leeway is the clock-skew tolerance applied to exp and nbf. The gateway
// closes a connection at its token's exp plus this same leeway, so a token
// that would still verify never has its connection cut.
func (v *Verifier) Leeway() time.Duration { return v.leeway }
