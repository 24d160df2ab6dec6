package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNew(t *testing.T) {
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
		{name: "RS256", cfg: Config{Secret: testSecret, Algorithm: "RS256"}, wantErr: `"RS256" not supported`},
		{name: "ES256", cfg: Config{Secret: testSecret, Algorithm: "ES256"}, wantErr: "not supported"},
		{name: "none", cfg: Config{Secret: testSecret, Algorithm: "none"}, wantErr: "not supported"},
		{name: "lowercase", cfg: Config{Secret: testSecret, Algorithm: "hs256"}, wantErr: "not supported"},
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
	cases := []struct {
		name   string
		edit   func(*Config)
		token  func(testing.TB) string
		reason string
	}{
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
		{name: "default max lets 8192 bytes reach the parser", token: sized(8192), reason: reasonMalformed},
		{name: "default max rejects 8193", token: sized(8193), reason: reasonTooLarge},
		{name: "small max", edit: func(c *Config) { c.MaxTokenBytes = 64 },
			token: signed(jwt.SigningMethodHS256), reason: reasonTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, tc.edit)
			_, err := v.Verify(tc.token(t))
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if Reason(err) != tc.reason {
				t.Fatalf("err %v, want reason %q", err, tc.reason)
			}
		})
	}
}

func expiredBy(d time.Duration) func(testing.TB) string {
	return func(tb testing.TB) string { return hs256(tb, payload(with("exp", t0.Add(-d).Unix()))) }
}

func signed(m jwt.SigningMethod) func(testing.TB) string {
	return func(tb testing.TB) string { return signWith(tb, m, testSecret, payload()) }
}

// sized is garbage of n bytes: past the size gate it fails as malformed.
func sized(n int) func(testing.TB) string {
	return func(testing.TB) string { return strings.Repeat("a", n) }
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
