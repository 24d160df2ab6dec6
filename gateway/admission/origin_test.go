package admission

import (
	"net/http"
	"testing"
)

// The origin policy: exact origins, host patterns, "*", and the same-origin
// default.
func TestOriginPolicy(t *testing.T) {
	cases := []struct {
		name    string
		allowed []string
		origin  string
		host    string
		want    bool
	}{
		{name: "no origin (not a browser)", origin: "", host: "gw:4000", want: true},
		{name: "default: same origin", origin: "http://gw:4000", host: "gw:4000", want: true},
		{name: "default: cross-site refused", origin: "https://evil.example", host: "gw:4000", want: false},
		{name: "exact match", allowed: []string{"https://app.example.com"}, origin: "https://app.example.com", want: true},
		{name: "exact: scheme matters", allowed: []string{"https://app.example.com"}, origin: "http://app.example.com", want: false},
		{name: "exact: port matters", allowed: []string{"https://app.example.com"}, origin: "https://app.example.com:8443", want: false},
		{name: "pattern: subdomain", allowed: []string{"*.example.com"}, origin: "https://a.b.example.com", want: true},
		{name: "pattern: not the apex", allowed: []string{"*.example.com"}, origin: "https://example.com", want: false},
		{name: "pattern: not a lookalike", allowed: []string{"*.example.com"}, origin: "https://badexample.com", want: false},
		{name: "pattern: not a suffix trick", allowed: []string{"*.example.com"}, origin: "https://example.com.evil.io", want: false},
		{name: "star", allowed: []string{"*"}, origin: "https://anything.io", want: true},
		{name: "listed: same origin no longer implied", allowed: []string{"https://app.example.com"}, origin: "http://gw:4000", host: "gw:4000", want: false},
		{name: "garbage origin", allowed: []string{"*.example.com"}, origin: "::::", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://"+tc.host+"/", nil)
			r.Host = tc.host
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if got := NewOrigins(tc.allowed).Allows(r); got != tc.want {
				t.Fatalf("allows = %v, want %v", got, tc.want)
			}
		})
	}
}
