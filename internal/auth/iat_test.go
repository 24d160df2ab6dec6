package auth

import (
	"testing"
	"time"
)

// iat is what revocation compares against, so Verify must hand it over
// exactly, report its absence as zero, and refuse a malformed one rather
// than treat it as absent (which would make a token look never-issued).
func TestIssuedAt(t *testing.T) {
	v := newTestVerifier(t, nil)
	cases := []struct {
		name   string
		edit   func(map[string]any)
		want   time.Time
		reason string
	}{
		{"present", with("iat", t0.Add(-time.Minute).Unix()), t0.Add(-time.Minute), ""},
		{"absent", without("iat"), time.Time{}, ""},
		{"in the future is not an error", with("iat", t0.Add(time.Minute).Unix()), t0.Add(time.Minute), ""},
		{"not a number", with("iat", "yesterday"), time.Time{}, reasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(hs256(t, payload(tc.edit)))
			wantReason(t, err, tc.reason)
			if err == nil && !c.IssuedAt.Equal(tc.want) {
				t.Fatalf("IssuedAt = %v, want %v", c.IssuedAt, tc.want)
			}
		})
	}
}

// Sign writes the given iat, or the clock's when none is given, and Verify
// reads back the same second.
func TestSignIssuedAt(t *testing.T) {
	v := newTestVerifier(t, nil)
	for _, iat := range []time.Time{{}, t0.Add(-90 * time.Second)} {
		tok, err := v.Sign(Claims{User: "u", Org: "acme", Expiry: t0.Add(time.Hour), IssuedAt: iat})
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		want := iat
		if want.IsZero() {
			want = t0
		}
		if !c.IssuedAt.Equal(want) {
			t.Fatalf("IssuedAt = %v, want %v", c.IssuedAt, want)
		}
	}
}

func TestLeewayAccessor(t *testing.T) {
	for _, tc := range []struct {
		set, want time.Duration
	}{{0, 5 * time.Second}, {2 * time.Second, 2 * time.Second}, {-1, 0}} {
		if got := newTestVerifier(t, func(c *Config) { c.Leeway = tc.set }).Leeway(); got != tc.want {
			t.Fatalf("Leeway(%v) = %v, want %v", tc.set, got, tc.want)
		}
	}
}
