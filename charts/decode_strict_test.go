package charts

import (
	"strings"
	"testing"
)

// TestDecodeStrict shows that the decoder used on the rendered chart
// rejects the mistakes a template typo makes.
func TestDecodeStrict(t *testing.T) {
	const svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n"
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" means it must decode
	}{
		{name: "valid service", doc: svc + "  ports:\n    - port: 80\n"},
		{name: "unknown field", doc: svc + "  portz: []\n", wantErr: `unknown field "spec.portz"`},
		{name: "field in the wrong case", doc: svc + "  Ports: []\n", wantErr: `unknown field "spec.Ports"`},
		{name: "duplicate key", doc: svc + "  type: ClusterIP\n  type: NodePort\n", wantErr: `key "type" already set`},
		{name: "string where a number goes", doc: svc + "  ports:\n    - port: \"80\"\n", wantErr: "cannot unmarshal string"},
		{name: "unknown kind", doc: "apiVersion: v1\nkind: ReplicationController\n", wantErr: `no decoder for "v1 ReplicationController"`},
		{name: "old api version", doc: "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n", wantErr: "no decoder"},
		{name: "servicemonitor unknown field", doc: "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nspec:\n  jobLabel: x\n", wantErr: `unknown field "spec.jobLabel"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeStrict(tt.doc)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
