package auth

import "testing"

func TestAllows(t *testing.T) {
	cases := []struct {
		name     string
		services []string
		service  string
		want     bool
	}{
		{name: "no claim allows any", services: nil, service: "chat", want: true},
		{name: "no claim allows another", services: nil, service: "orders", want: true},
		{name: "listed", services: []string{"chat", "orders"}, service: "orders", want: true},
		{name: "not listed", services: []string{"chat"}, service: "orders", want: false},
		{name: "exact match only", services: []string{"chat"}, service: "Chat", want: false},
		{name: "no prefix match", services: []string{"chat"}, service: "chat:v2", want: false},
		{name: "empty list allows none", services: []string{}, service: "chat", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Claims{User: "u", Org: "o", Services: tc.services}
			if got := c.Allows(tc.service); got != tc.want {
				t.Fatalf("Allows(%q) with %v = %v, want %v", tc.service, tc.services, got, tc.want)
			}
		})
	}
}
