package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNew(t *testing.T) {
	rsaPub, ec256Pub, ec384Pub := rsaKey().Public(), ec256Key().Public(), ec384Key().Public()
	edPub := edKey().Public()
	cases := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means New succeeds
	}{
		{name: "defaults", cfg: Config{Secret: testSecret}},
		{name: "HS384", cfg: Config{Secret: testSecret, Algorithm: "HS384"}},
		{name: "HS512", cfg: Config{Secret: testSecret, Algorithm: "HS512"}},
		{name: "no secret", cfg: Config{}, wantErr: "Secret is required"},
		{name: "empty secret", cfg: Config{Secret: []byte{}}, wantErr: "Secret is required"},
		{name: "HS256 with PublicKey", cfg: Config{Secret: testSecret, PublicKey: rsaPub}, wantErr: "HS256 verifies with Secret; PublicKey must be nil"},
		{name: "HS256 PublicKey only", cfg: Config{PublicKey: rsaPub}, wantErr: "PublicKey must be nil"},
		{name: "RS256", cfg: Config{Algorithm: "RS256", PublicKey: rsaPub}},
		{name: "RS384", cfg: Config{Algorithm: "RS384", PublicKey: rsaPub}},
		{name: "RS512", cfg: Config{Algorithm: "RS512", PublicKey: rsaPub}},
		{name: "PS256", cfg: Config{Algorithm: "PS256", PublicKey: rsaPub}},
		{name: "ES256", cfg: Config{Algorithm: "ES256", PublicKey: ec256Pub}},
		{name: "ES384", cfg: Config{Algorithm: "ES384", PublicKey: ec384Pub}},
		{name: "RS256 no key", cfg: Config{Algorithm: "RS256"}, wantErr: "PublicKey is required for RS256"},
		{name: "RS256 secret only", cfg: Config{Algorithm: "RS256", Secret: testSecret}, wantErr: "RS256 verifies with PublicKey; Secret must be empty"},
		{name: "RS256 secret and key", cfg: Config{Algorithm: "RS256", Secret: testSecret, PublicKey: rsaPub}, wantErr: "Secret must be empty"},
		{name: "RS256 EC key", cfg: Config{Algorithm: "RS256", PublicKey: ec256Pub}, wantErr: "RS256: PublicKey is *ecdsa.PublicKey, want *rsa.PublicKey"},
		{name: "PS256 EC key", cfg: Config{Algorithm: "PS256", PublicKey: ec256Pub}, wantErr: "want *rsa.PublicKey"},
		{name: "RS256 private key", cfg: Config{Algorithm: "RS256", PublicKey: rsaKey()}, wantErr: "*rsa.PrivateKey not supported"},
		{name: "RS256 key by value", cfg: Config{Algorithm: "RS256", PublicKey: rsaKey().PublicKey}, wantErr: "rsa.PublicKey not supported"},
		{name: "RS256 1024-bit key", cfg: Config{Algorithm: "RS256", PublicKey: &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 1023), E: 65537}},
			wantErr: "smaller than 2048 bits"},
		{name: "RS256 empty key", cfg: Config{Algorithm: "RS256", PublicKey: &rsa.PublicKey{}}, wantErr: "smaller than 2048 bits"},
		{name: "ES256 RSA key", cfg: Config{Algorithm: "ES256", PublicKey: rsaPub}, wantErr: "ES256: PublicKey is *rsa.PublicKey, want *ecdsa.PublicKey"},
		{name: "ES256 P-384 key", cfg: Config{Algorithm: "ES256", PublicKey: ec384Pub}, wantErr: "ES256: PublicKey curve is P-384, want P-256"},
		{name: "ES384 P-256 key", cfg: Config{Algorithm: "ES384", PublicKey: ec256Pub}, wantErr: "curve is P-256, want P-384"},
		{name: "ES256 P-521 key", cfg: Config{Algorithm: "ES256", PublicKey: p521Key().Public()}, wantErr: "curve is P-521, want P-256"},
		{name: "ES256 no point", cfg: Config{Algorithm: "ES256", PublicKey: &ecdsa.PublicKey{Curve: elliptic.P256()}}, wantErr: "has no point"},
		{name: "ES256 point off curve", cfg: Config{Algorithm: "ES256", PublicKey: &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}},
			wantErr: "ECDSA PublicKey invalid"},
		{name: "Ed25519 key", cfg: Config{Algorithm: "ES256", PublicKey: edPub}, wantErr: "ed25519.PublicKey not supported"},
		{name: "ES512", cfg: Config{Algorithm: "ES512", PublicKey: ec256Pub}, wantErr: `"ES512" not supported`},
		{name: "EdDSA", cfg: Config{Algorithm: "EdDSA", PublicKey: edPub}, wantErr: "not supported"},
		{name: "none", cfg: Config{Secret: testSecret, Algorithm: "none"}, wantErr: "not supported"},
		{name: "lowercase", cfg: Config{Secret: testSecret, Algorithm: "hs256"}, wantErr: "not supported"},
		{name: "lowercase rs256", cfg: Config{Algorithm: "rs256", PublicKey: rsaPub}, wantErr: "not supported"},
		{name: "negative max", cfg: Config{Secret: testSecret, MaxTokenBytes: -1}, wantErr: "MaxTokenBytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errConfig) {
				t.Fatalf("New error %v, want errConfig containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestConfigBehaviour checks that each config field changes what Verify
// accepts, with a fresh verifier per case.
func TestConfigBehaviour(t *testing.T) {
	expiredBy := func(d time.Duration) string { return hs256(t, payload(with("exp", t0.Add(-d).Unix()))) }
	signed := func(m jwt.SigningMethod) string { return signWith(t, m, testSecret, payload()) }
	runConfigCases(t, nil, []configCase{
		{name: "default leeway forgives 4s", token: expiredBy(4 * time.Second)},
		{name: "default leeway ends at 5s", token: expiredBy(5 * time.Second), reason: reasonExpired},
		{name: "negative leeway forgives nothing", edit: func(c *Config) { c.Leeway = -1 },
			token: expiredBy(time.Second), reason: reasonExpired},
		{name: "longer leeway", edit: func(c *Config) { c.Leeway = time.Minute },
			token: expiredBy(30 * time.Second)},
		{name: "HS384 configured accepts HS384", edit: func(c *Config) { c.Algorithm = "HS384" },
			token: signed(jwt.SigningMethodHS384)},
		{name: "HS384 configured rejects HS256", edit: func(c *Config) { c.Algorithm = "HS384" },
			token: signed(jwt.SigningMethodHS256), reason: reasonMethod},
		// Garbage of 8192 bytes gets past the size gate and fails as malformed.
		{name: "default max lets 8192 bytes reach the parser", token: strings.Repeat("a", 8192), reason: reasonMalformed},
		{name: "default max rejects 8193", token: strings.Repeat("a", 8193), reason: reasonTooLarge},
		{name: "small max", edit: func(c *Config) { c.MaxTokenBytes = 64 },
			token: signed(jwt.SigningMethodHS256), reason: reasonTooLarge},
	})
}

// configCase is a token checked by its own Verifier: newTestVerifier with
// the test's base edit, then the case's edit.
type configCase struct {
	name   string
	edit   func(*Config)
	token  string
	reason string // "" means Verify must succeed
}

func runConfigCases(t *testing.T, base func(*Config), cases []configCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, func(c *Config) {
				for _, edit := range []func(*Config){base, tc.edit} {
					if edit != nil {
						edit(c)
					}
				}
			})
			_, err := v.Verify(tc.token)
			wantReason(t, err, tc.reason)
		})
	}
}

// TestNewCopiesSecret: a caller that zeroes or reuses its slice after New
// must not change the key.
func TestNewCopiesSecret(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	v := newTestVerifier(t, func(c *Config) { c.Secret = secret })
	clear(secret)
	if _, err := v.Verify(hs256(t, payload())); err != nil {
		t.Fatalf("Verify after caller cleared its secret: %v", err)
	}
}
