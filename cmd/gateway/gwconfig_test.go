package main

import (
	"slices"
	"testing"
)

// The four edge settings read from the environment reach the gateway
// config that run passes to gateway.New, and their defaults are the
// documented ones.
func TestEdgeSettingsReachTheGateway(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		origins []string
		perUser int
		perOrg  int
		rate    float64
	}{
		{name: "defaults", perUser: 20},
		{name: "from env", env: map[string]string{
			"REALTIME_ALLOWED_ORIGINS":    " https://app.example.com, *.example.org ,",
			"REALTIME_MAX_CONNS_PER_USER": "-1",
			"REALTIME_MAX_CONNS_PER_ORG":  "5000",
			"REALTIME_HANDSHAKE_RATE":     "30",
		}, origins: []string{"https://app.example.com", "*.example.org"}, perUser: -1, perOrg: 5000, rate: 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(nil, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			g := gatewayConfig(c, gatewayDeps{})
			if !slices.Equal(g.AllowedOrigins, tc.origins) || g.MaxConnsPerUser != tc.perUser ||
				g.MaxConnsPerOrg != tc.perOrg || g.HandshakeRate != tc.rate {
				t.Fatalf("gateway got origins %q, per user %d, per org %d, rate %v; want %q, %d, %d, %v",
					g.AllowedOrigins, g.MaxConnsPerUser, g.MaxConnsPerOrg, g.HandshakeRate,
					tc.origins, tc.perUser, tc.perOrg, tc.rate)
			}
		})
	}
}
