package auth

import "testing"

// TestServiceChecks: Allows reads services, where no claim means any;
// MayPublish reads publish, where no claim means none.
func TestServiceChecks(t *testing.T) {
	allows, mayPublish := Claims.Allows, Claims.MayPublish
	cases := []struct {
		name    string
		check   func(Claims, string) bool
		claims  Claims
		service string
		want    bool
	}{
		{name: "no claim allows any", check: allows, service: "chat", want: true},
		{name: "no claim allows another", check: allows, service: "orders", want: true},
		{name: "listed", check: allows, claims: Claims{Services: []string{"chat", "orders"}}, service: "orders", want: true},
		{name: "not listed", check: allows, claims: Claims{Services: []string{"chat"}}, service: "orders", want: false},
		{name: "exact match only", check: allows, claims: Claims{Services: []string{"chat"}}, service: "Chat", want: false},
		{name: "no prefix match", check: allows, claims: Claims{Services: []string{"chat"}}, service: "chat:v2", want: false},
		{name: "empty list allows none", check: allows, claims: Claims{Services: []string{}}, service: "chat", want: false},
		{name: "publish: no claim allows none", check: mayPublish, service: "chat", want: false},
		{name: "publish: empty list allows none", check: mayPublish, claims: Claims{Publish: []string{}}, service: "chat", want: false},
		{name: "publish: listed", check: mayPublish, claims: Claims{Publish: []string{"chat", "orders"}}, service: "orders", want: true},
		{name: "publish: not listed", check: mayPublish, claims: Claims{Publish: []string{"chat"}}, service: "finance", want: false},
		{name: "publish: exact match only", check: mayPublish, claims: Claims{Publish: []string{"chat"}}, service: "Chat", want: false},
		{name: "publish: services do not grant it", check: mayPublish, claims: Claims{Services: []string{"chat"}}, service: "chat", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.check(tc.claims, tc.service); got != tc.want {
				t.Fatalf("%q with %+v = %v, want %v", tc.service, tc.claims, got, tc.want)
			}
		})
	}
}
