package auth

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	exp := t0.Add(90 * time.Minute)
	cases := []struct {
		name     string
		alg      string
		issuer   string
		audience string
		in       Claims
	}{
		{name: "any service", in: Claims{User: "user-1", Org: "acme", Expiry: exp}},
		{name: "listed services", in: Claims{User: "u", Org: "a.b_c-d", Services: []string{"chat", "orders:v2"}, Expiry: exp}},
		{name: "publish", in: Claims{User: "u", Org: "acme", Publish: []string{"chat"}, Expiry: exp}},
		{name: "no services", in: Claims{User: "u", Org: "acme", Services: []string{}, Expiry: exp}},
		{name: "sub with unicode", in: Claims{User: "José <j@x>", Org: "acme", Expiry: exp}},
		{name: "HS512", alg: "HS512", in: Claims{User: "u", Org: "acme", Expiry: exp}},
		{name: "sub-second expiry truncated", in: Claims{User: "u", Org: "acme", Expiry: exp.Add(700 * time.Millisecond)}},
		{name: "issuer and audience", issuer: testIssuer, audience: testAudience, in: Claims{User: "u", Org: "acme", Expiry: exp}},
		{name: "audience only", audience: testAudience, in: Claims{User: "u", Org: "acme", Expiry: exp}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, func(c *Config) {
				c.Algorithm, c.Issuer, c.Audience = tc.alg, tc.issuer, tc.audience
			})
			tok, err := v.Sign(tc.in)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := tc.in
			want.Expiry = want.Expiry.Truncate(time.Second)
			want.IssuedAt = t0 // Sign stamps iat from the verifier's clock
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Fatalf("round trip\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	exp := t0.Add(time.Hour)
	cases := []struct {
		name   string
		in     Claims
		reason string
	}{
		{name: "no user", in: Claims{Org: "acme", Expiry: exp}, reason: reasonSubMissing},
		{name: "no org", in: Claims{User: "u", Expiry: exp}, reason: reasonOrg},
		{name: "bad org", in: Claims{User: "u", Org: "a/b", Expiry: exp}, reason: reasonOrg},
		{name: "no expiry", in: Claims{User: "u", Org: "acme"}, reason: reasonExpMissing},
		{name: "bad service", in: Claims{User: "u", Org: "acme", Services: []string{"a b"}, Expiry: exp}, reason: reasonServices},
		{name: "bad publish", in: Claims{User: "u", Org: "acme", Publish: []string{"bad name"}, Expiry: exp}, reason: reasonPublish},
		{name: "too large", in: Claims{User: strings.Repeat("u", 9000), Org: "acme", Expiry: exp}, reason: reasonTooLarge},
	}
	v := newTestVerifier(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := v.Sign(tc.in)
			if err == nil {
				t.Fatalf("Sign succeeded: %q", tok)
			}
			if !errors.Is(err, ErrInvalidToken) || Reason(err) != tc.reason {
				t.Fatalf("err %v (reason %q), want reason %q", err, Reason(err), tc.reason)
			}
		})
	}
}

// TestSignPublicKey: a public-key Verifier has nothing to sign with. The
// error is ErrSignUnsupported, not a token failure, so the gateway can skip
// its development token instead of reporting a bad one.
func TestSignPublicKey(t *testing.T) {
	for _, a := range asymAlgs() {
		t.Run(a.alg, func(t *testing.T) {
			v := newKeyVerifier(t, a.alg, a.key.Public(), nil)
			tok, err := v.Sign(Claims{User: "u", Org: "acme", Expiry: t0.Add(time.Hour)})
			if tok != "" || !errors.Is(err, ErrSignUnsupported) {
				t.Fatalf("Sign = %q, %v; want ErrSignUnsupported", tok, err)
			}
			if errors.Is(err, ErrInvalidToken) || Reason(err) != "" {
				t.Fatalf("Sign error %v looks like a token failure", err)
			}
			if !strings.Contains(err.Error(), a.alg) {
				t.Fatalf("Sign error %q does not name %s", err, a.alg)
			}
		})
	}
}

// TestSignExpired: Sign accepts a past expiry so tests can mint expired
// tokens, and Verify then says why.
func TestSignExpired(t *testing.T) {
	v := newTestVerifier(t, nil)
	tok, err := v.Sign(Claims{User: "u", Org: "acme", Expiry: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if _, err := v.Verify(tok); Reason(err) != reasonExpired {
		t.Fatalf("Verify: %v, want %q", err, reasonExpired)
	}
}

func TestReason(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: ""},
		{name: "foreign", err: errors.New("boom"), want: ""},
		{name: "sentinel alone", err: ErrInvalidToken, want: ""},
		{name: "direct", err: invalid(reasonExpired), want: reasonExpired},
		{name: "wrapped by caller", err: fmt.Errorf("handshake: %w", invalid(reasonOrg)), want: reasonOrg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Reason(tc.err); got != tc.want {
				t.Fatalf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestVerifyConcurrent runs one Verifier from many goroutines; with -race
// it proves the shared jwt.Parser is only read.
func TestVerifyConcurrent(t *testing.T) {
	v := newTestVerifier(t, nil)
	good, bad := hs256(t, payload()), hs256(t, payload(with("org", "")))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if _, err := v.Verify(good); err != nil {
					t.Errorf("good: %v", err)
					return
				}
				if _, err := v.Verify(bad); Reason(err) != reasonOrg {
					t.Errorf("bad: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
