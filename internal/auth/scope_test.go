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
	scope := func(c *Config) { c.Issuer, c.Audience = testIssuer, testAudience }
	rsToken := func(claims map[string]any) string { return signWith(t, jwt.SigningMethodRS256, rsaKey(), claims) }
	runConfigCases(t, scope, []configCase{
		{name: "iss and aud match", token: hs256(t, scoped())},
		{name: "aud array containing ours", token: hs256(t, scoped(with("aud", []string{"billing", testAudience})))},
		{name: "aud array of one", token: hs256(t, scoped(with("aud", []string{testAudience})))},
		{name: "aud array with a duplicate", token: hs256(t, scoped(with("aud", []string{testAudience, testAudience})))},
		{name: "iss missing", token: hs256(t, scoped(without("iss"))), reason: reasonIssuer},
		{name: "iss wrong", token: hs256(t, scoped(with("iss", "https://evil.example.com/"))), reason: reasonIssuer},
		{name: "iss without trailing slash", token: hs256(t, scoped(with("iss", "https://idp.example.com"))), reason: reasonIssuer},
		{name: "iss case differs", token: hs256(t, scoped(with("iss", "https://IDP.example.com/"))), reason: reasonIssuer},
		{name: "iss empty", token: hs256(t, scoped(with("iss", ""))), reason: reasonIssuer},
		{name: "iss null", token: hs256(t, scoped(with("iss", nil))), reason: reasonIssuer},
		{name: "iss number", token: hs256(t, scoped(with("iss", 7))), reason: reasonIssuer},
		{name: "iss array", token: hs256(t, scoped(with("iss", []string{testIssuer}))), reason: reasonIssuer},
		{name: "aud missing", token: hs256(t, scoped(without("aud"))), reason: reasonAudience},
		{name: "aud wrong", token: hs256(t, scoped(with("aud", "billing"))), reason: reasonAudience},
		{name: "aud case differs", token: hs256(t, scoped(with("aud", "Realtime"))), reason: reasonAudience},
		{name: "aud prefix", token: hs256(t, scoped(with("aud", "realtime-staging"))), reason: reasonAudience},
		{name: "aud empty", token: hs256(t, scoped(with("aud", ""))), reason: reasonAudience},
		{name: "aud null", token: hs256(t, scoped(with("aud", nil))), reason: reasonAudience},
		{name: "aud number", token: hs256(t, scoped(with("aud", 1))), reason: reasonAudience},
		{name: "aud object", token: hs256(t, scoped(with("aud", map[string]any{testAudience: true}))), reason: reasonAudience},
		{name: "aud array without ours", token: hs256(t, scoped(with("aud", []string{"billing", "admin"}))), reason: reasonAudience},
		{name: "aud empty array", token: hs256(t, scoped(with("aud", []string{}))), reason: reasonAudience},
		{name: "aud array with a non-string", token: hs256(t, scoped(with("aud", []any{testAudience, 1}))), reason: reasonAudience},
		{name: "aud array with null", token: hs256(t, scoped(with("aud", []any{nil}))), reason: reasonAudience},
		{name: "aud nested array", token: hs256(t, scoped(with("aud", []any{[]string{testAudience}}))), reason: reasonAudience},
		// Order: signature and times first, then iss and aud, then the rest.
		{name: "wrong iss and bad signature", token: signWith(t, jwt.SigningMethodHS256, []byte("other-secret"), scoped(with("iss", "x"))), reason: reasonSignature},
		{name: "wrong iss and expired", token: hs256(t, scoped(with("iss", "x"), with("exp", t0.Add(-time.Hour).Unix()))), reason: reasonExpired},
		{name: "wrong iss and org missing", token: hs256(t, scoped(with("iss", "x"), without("org"))), reason: reasonIssuer},
		{name: "wrong aud and org missing", token: hs256(t, scoped(with("aud", "x"), without("org"))), reason: reasonAudience},
		{name: "both wrong says iss", token: hs256(t, scoped(with("iss", "x"), with("aud", "x"))), reason: reasonIssuer},
		{name: "issuer only ignores aud", edit: issuerOnly, token: hs256(t, scoped(with("aud", 1)))},
		{name: "issuer only checks iss", edit: issuerOnly, token: hs256(t, scoped(without("iss"))), reason: reasonIssuer},
		{name: "audience only ignores iss", edit: audienceOnly, token: hs256(t, scoped(with("iss", 1)))},
		{name: "audience only checks aud", edit: audienceOnly, token: hs256(t, scoped(without("aud"))), reason: reasonAudience},
		{name: "unconfigured ignores both", edit: neither, token: hs256(t, scoped(with("iss", 1), with("aud", "billing")))},
		{name: "unconfigured absent", edit: neither, token: hs256(t, payload())},
		{name: "RS256 with iss and aud", edit: rs256Config, token: rsToken(scoped())},
		{name: "RS256 aud wrong", edit: rs256Config, token: rsToken(scoped(with("aud", "x"))), reason: reasonAudience},
	})
}

func rs256Config(c *Config) {
	c.Secret, c.Algorithm, c.PublicKey = nil, "RS256", rsaKey().Public()
}
