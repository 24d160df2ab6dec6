package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// identity is what rtcheck needs from the token: whose events it sees and
// which services it may follow. The gateway verifies the token; rtcheck
// only reads its payload to know the org to publish to.
type identity struct {
	User     string
	Org      string
	Services []string // nil: any
}

func readToken(tok string) (identity, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return identity{}, errors.New("token: not a JWT (want header.payload.signature)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return identity{}, fmt.Errorf("token payload: %w", err)
	}
	var c struct {
		Sub      string   `json:"sub"`
		Org      string   `json:"org"`
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return identity{}, fmt.Errorf("token payload: %w", err)
	}
	if c.Sub == "" || c.Org == "" {
		return identity{}, errors.New("token: payload has no sub or org")
	}
	return identity{User: c.Sub, Org: c.Org, Services: c.Services}, nil
}

// minter hands out the tokens of the connections row: the one token, or,
// given the JWT secret, a token per connection for users
// "<user>-rtcheck-<i>" of the same org, so per-user caps do not apply.
type minter struct {
	id     identity
	token  string
	signer *auth.Verifier // nil: always token
}

func newMinter(id identity, token, secret string) (*minter, error) {
	m := &minter{id: id, token: token}
	if secret == "" {
		return m, nil
	}
	v, err := auth.New(auth.Config{Secret: []byte(secret)})
	if err != nil {
		return nil, fmt.Errorf("-jwt-secret: %w", err)
	}
	m.signer = v
	return m, nil
}

func (m *minter) forConn(i int) (string, error) {
	if m.signer == nil {
		return m.token, nil
	}
	return m.signer.Sign(auth.Claims{
		User: m.id.User + "-rtcheck-" + strconv.Itoa(i), Org: m.id.Org,
		Services: m.id.Services, Expiry: time.Now().Add(10 * time.Minute),
	})
}
