package auth

import (
	"encoding/json"

	"github.com/golang-jwt/jwt/v5"
)

// wireClaims is the token payload as decoded by the jwt parser. sub, org,
// services, publish, iss and aud stay raw so that a wrong JSON type becomes a precise
// reason ("claim org missing or invalid") after the signature is checked,
// rather than a generic decode error before it. exp and nbf are typed
// because the parser validates them itself.
type wireClaims struct {
	Sub      json.RawMessage  `json:"sub"`
	Org      json.RawMessage  `json:"org"`
	Services json.RawMessage  `json:"services"`
	Publish  json.RawMessage  `json:"publish"`
	Iss      json.RawMessage  `json:"iss"`
	Aud      json.RawMessage  `json:"aud"`
	Exp      *jwt.NumericDate `json:"exp"`
	Nbf      *jwt.NumericDate `json:"nbf"`
	Iat      *jwt.NumericDate `json:"iat"`
}

// The jwt.Claims interface. The parser reads only exp and nbf; iss and aud
// are checked by scope. iat is not validated by the parser (a future iat is
// not an error): the gateway reads it only to compare it with revocations.
func (w *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return w.Exp, nil }
func (w *wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return w.Nbf, nil }
func (w *wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (w *wireClaims) GetIssuer() (string, error)                   { return "", nil }
func (w *wireClaims) GetSubject() (string, error)                  { return "", nil }
func (w *wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// claims converts a payload whose signature and times were already verified.
func (w *wireClaims) claims() (Claims, error) {
	if w.Exp == nil { // the parser requires exp; do not bet a panic on it
		return Claims{}, invalid(reasonExpMissing)
	}
	c := Claims{Expiry: w.Exp.Time}
	if w.Iat != nil {
		c.IssuedAt = w.Iat.Time
	}
	var ok bool
	if c.User, ok = rawString(w.Sub); !ok {
		return Claims{}, invalid(reasonSubMissing)
	}
	if c.Org, ok = rawString(w.Org); !ok {
		return Claims{}, invalid(reasonOrg)
	}
	if c.Services, ok = rawStrings(w.Services); !ok {
		return Claims{}, invalid(reasonServices)
	}
	if c.Publish, ok = rawStrings(w.Publish); !ok {
		return Claims{}, invalid(reasonPublish)
	}
	if r := c.check(); r != "" {
		return Claims{}, invalid(r)
	}
	return c, nil
}

// rawString decodes a JSON string; absent, null or another type is !ok.
func rawString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// rawStrings decodes an optional array of strings: absent is (nil, true).
// null is rejected because json.Unmarshal would turn it into nil, which
// means "any service", the opposite of what an issuer writing null likely
// meant.
func rawStrings(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 {
		return nil, true
	}
	if raw[0] != '[' {
		return nil, false
	}
	s := []string{} // so that [] stays non-nil: "no services"
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return s, true
}
