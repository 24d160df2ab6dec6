package charts

import (
	"strings"
	"testing"
)

// allowedOrigins is the list of REALTIME_ALLOWED_ORIGINS, which
// cmd/gateway splits on commas: the chart joins the list. Unset, the
// variable is not rendered and the binary keeps same-origin only.
func TestAllowedOrigins(t *testing.T) {
	tests := []struct {
		name    string
		origins []any
		want    string // "" means: not rendered
	}{
		{name: "default: not set"},
		{name: "one origin", origins: []any{"https://app.example.com"}, want: "https://app.example.com"},
		{name: "origin, pattern and port", origins: []any{"https://app.example.com", "*.example.org", "http://localhost:5173"},
			want: "https://app.example.com,*.example.org,http://localhost:5173"},
		{name: "any", origins: []any{"*"}, want: "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := minimalValues()
			if tt.origins != nil {
				v["allowedOrigins"] = tt.origins
			}
			m := renderManifest(t, v)
			checkEnvNames(t, m)
			e, ok := env(m.gateway(t))["REALTIME_ALLOWED_ORIGINS"]
			if tt.want == "" {
				if ok {
					t.Fatalf("REALTIME_ALLOWED_ORIGINS = %q with no allowedOrigins; want it unset", e.Value)
				}
				return
			}
			wantEnv(t, m, "REALTIME_ALLOWED_ORIGINS", tt.want)
		})
	}
	for _, bad := range []string{"https://app.example.com/app", "app.example.com", "https://*.example.com"} {
		t.Run("refused "+bad, func(t *testing.T) {
			_, _, err := render(with(kv{"allowedOrigins": []any{bad}}))
			if err == nil || !strings.Contains(err.Error(), "realtime-gateway: allowedOrigins entry \""+bad+"\" is not an origin") {
				t.Fatalf("allowedOrigins %q: err %v; want the chart to refuse it", bad, err)
			}
		})
	}
}
