package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://idp.example.com/"
	testAudience = "realtime"
)

// TestVerifyScope checks iss and aud. Unless edit says otherwise the
// Verifier expects testIssuer and testAudience.
func TestVerifyScope(t *testing.T) {
	scoped := func(edits ...func(map[string]any)) map[string]any {
		return payload(append([]func(map[string]any){with("iss", testIssuer), with("aud", testAudience)}, edits...)...)
	}
	issuerOnly := func(c *Config) { c.Audience = "" }
	audienceOnly := func(c *Config) { c.Issuer = "" }
	neither := func(c *Config) { c.Issuer, c.Audience = "", "" }
	cases := []struct {
		name   string
		edit   func(*Config)
		token  func(testing.TB) string
		reason string
	}{
		{name: "iss and aud match", token: hsToken(scoped())},
		{name: "aud array containing ours", token: hsToken(scoped(with("aud", []string{"billing", testAudience})))},
		{name: "aud array of one", token: hsToken(scoped(with("aud", []string{testAudience})))},
		{name: "aud array with a duplicate", token: hsToken(scoped(with("aud", []string{testAudience, testAudience})))},
		{name: "iss missing", token: hsToken(scoped(without("iss"))), reason: reasonIssuer},
		{name: "iss wrong", token: hsToken(scoped(with("iss", "https://evil.example.com/"))), reason: reasonIssuer},
		{name: "iss without trailing slash", token: hsToken(scoped(with("iss", "https://idp.example.com"))), reason: reasonIssuer},
		{name: "iss case differs", token: hsToken(scoped(with("iss", "https://IDP.example.com/"))), reason: reasonIssuer},
		{name: "iss empty", token: hsToken(scoped(with("iss", ""))), reason: reasonIssuer},
		{name: "iss null", token: hsToken(scoped(with("iss", nil))), reason: reasonIssuer},
		{name: "iss number", token: hsToken(scoped(with("iss", 7))), reason: reasonIssuer},
		{name: "iss array", token: hsToken(scoped(with("iss", []string{testIssuer}))), reason: reasonIssuer},
		{name: "aud missing", token: hsToken(scoped(without("aud"))), reason: reasonAudience},
		{name: "aud wrong", token: hsToken(scoped(with("aud", "billing"))), reason: reasonAudience},
		{name: "aud case differs", token: hsToken(scoped(with("aud", "Realtime"))), reason: reasonAudience},
		{name: "aud prefix", token: hsToken(scoped(with("aud", "realtime-staging"))), reason: reasonAudience},
		{name: "aud empty", token: hsToken(scoped(with("aud", ""))), reason: reasonAudience},
		{name: "aud null", token: hsToken(scoped(with("aud", nil))), reason: reasonAudience},
		{name: "aud number", token: hsToken(scoped(with("aud", 1))), reason: reasonAudience},
		{name: "aud object", token: hsToken(scoped(with("aud", map[string]any{testAudience: true}))), reason: reasonAudience},
		{name: "aud array without ours", token: hsToken(scoped(with("aud", []string{"billing", "admin"}))), reason: reasonAudience},
		{name: "aud empty array", token: hsToken(scoped(with("aud", []string{}))), reason: reasonAudience},
		{name: "aud array with a non-string", token: hsToken(scoped(with("aud", []any{testAudience, 1}))), reason: reasonAudience},
		{name: "aud array with null", token: hsToken(scoped(with("aud", []any{nil}))), reason: reasonAudience},
		{name: "aud nested array", token: hsToken(scoped(with("aud", []any{[]string{testAudience}}))), reason: reasonAudience},
		// Order: signature and times first, then iss and aud, then the rest.
		{name: "wrong iss and bad signature", token: signedBy([]byte("other-secret"), scoped(with("iss", "x"))), reason: reasonSignature},
		{name: "wrong iss and expired", token: hsToken(scoped(with("iss", "x"), with("exp", t0.Add(-time.Hour).Unix()))), reason: reasonExpired},
		{name: "wrong iss and org missing", token: hsToken(scoped(with("iss", "x"), without("org"))), reason: reasonIssuer},
		{name: "wrong aud and org missing", token: hsToken(scoped(with("aud", "x"), without("org"))), reason: reasonAudience},
		{name: "both wrong says iss", token: hsToken(scoped(with("iss", "x"), with("aud", "x"))), reason: reasonIssuer},
		{name: "issuer only ignores aud", edit: issuerOnly, token: hsToken(scoped(with("aud", 1)))},
		{name: "issuer only checks iss", edit: issuerOnly, token: hsToken(scoped(without("iss"))), reason: reasonIssuer},
		{name: "audience only ignores iss", edit: audienceOnly, token: hsToken(scoped(with("iss", 1)))},
		{name: "audience only checks aud", edit: audienceOnly, token: hsToken(scoped(without("aud"))), reason: reasonAudience},
		{name: "unconfigured ignores both", edit: neither, token: hsToken(scoped(with("iss", 1), with("aud", "billing")))},
		{name: "unconfigured absent", edit: neither, token: hsToken(payload())},
		{name: "RS256 with iss and aud", edit: rs256Config, token: rsToken(scoped())},
		{name: "RS256 aud wrong", edit: rs256Config, token: rsToken(scoped(with("aud", "x"))), reason: reasonAudience},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, func(c *Config) {
				c.Issuer, c.Audience = testIssuer, testAudience
				if tc.edit != nil {
					tc.edit(c)
				}
			})
			_, err := v.Verify(tc.token(t))
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkFailure(t, err)
			if r := Reason(err); r != tc.reason {
				t.Fatalf("reason %q, want %q", r, tc.reason)
			}
		})
	}
}

func hsToken(claims map[string]any) func(testing.TB) string {
	return signedBy(testSecret, claims)
}

func signedBy(secret []byte, claims map[string]any) func(testing.TB) string {
	return func(tb testing.TB) string { return signWith(tb, jwt.SigningMethodHS256, secret, claims) }
}

func rsToken(claims map[string]any) func(testing.TB) string {
	return func(tb testing.TB) string { return signWith(tb, jwt.SigningMethodRS256, rsaKey(), claims) }
}

func rs256Config(c *Config) {
	c.Secret, c.Algorithm, c.PublicKey = nil, "RS256", rsaKey().Public()
}
