package charts

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	dashboardFile = chartDir + "/files/grafana-dashboard.json"
	alertsFile    = chartDir + "/files/alerts.yaml"
)

func monitoringValues(dashboard, rule bool) map[string]any {
	v := minimalValues()
	v["metrics"] = kv{"grafanaDashboard": kv{"enabled": dashboard}, "prometheusRule": kv{"enabled": rule, "labels": kv{"release": "prom"}}}
	return v
}

// Off by default: neither the ConfigMap nor the PrometheusRule renders.
func TestMonitoringOffByDefault(t *testing.T) {
	m := renderManifest(t, minimalValues())
	if m.dashboard != nil || m.rule != nil {
		t.Fatalf("rendered %v by default", m.kinds)
	}
}

// The dashboard ConfigMap carries the grafana_dashboard label and exactly
// the importable file: one source of truth.
func TestDashboardConfigMap(t *testing.T) {
	m := renderManifest(t, monitoringValues(true, false))
	if m.dashboard == nil || m.rule != nil {
		t.Fatalf("kinds %v, want the ConfigMap only", m.kinds)
	}
	if got := m.dashboard.Labels["grafana_dashboard"]; got != "1" {
		t.Errorf("label grafana_dashboard=%q, want \"1\"", got)
	}
	if m.dashboard.Namespace != namespace {
		t.Errorf("namespace %q, want the release's", m.dashboard.Namespace)
	}
	file, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	got := m.dashboard.Data["realtime-gateway.json"]
	if got != strings.TrimRight(string(file), "\n") {
		t.Fatalf("ConfigMap JSON differs from %s", dashboardFile)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []any  `json:"panels"`
	}
	if err := json.Unmarshal([]byte(got), &d); err != nil || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("not a dashboard: %v %+v", err, d)
	}
}

// The PrometheusRule's groups are those of the plain rules file.
func TestPrometheusRule(t *testing.T) {
	m := renderManifest(t, monitoringValues(false, true))
	if m.rule == nil || m.dashboard != nil {
		t.Fatalf("kinds %v, want the PrometheusRule only", m.kinds)
	}
	if m.rule.Labels["release"] != "prom" {
		t.Errorf("labels %v lack release: prom", m.rule.Labels)
	}
	file, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Groups any `json:"groups"`
	}
	if err := yaml.Unmarshal(file, &want); err != nil {
		t.Fatal(err)
	}
	rendered, _ := json.Marshal(m.rule.Spec.Groups)
	var got any
	_ = json.Unmarshal(rendered, &got)
	if !reflect.DeepEqual(got, want.Groups) {
		t.Fatalf("PrometheusRule groups differ from %s:\n got %s", alertsFile, rendered)
	}
	if n := len(m.rule.Spec.Groups[0].Rules); n != 7 {
		t.Errorf("%d alerts, want 7", n)
	}
}

// rtcheck uses only /v2/realtime/... (stream, publish, metrics), all under
// the default ingress path, so it runs through the chart's Ingress as well
// as through its Service.
func TestIngressRoutesRtcheck(t *testing.T) {
	v := minimalValues()
	v["ingress"] = kv{"enabled": true}
	m := renderManifest(t, v)
	for _, p := range []string{"/v2/realtime/stream", "/v2/realtime/publish", "/v2/realtime/metrics"} {
		routed := false
		for _, r := range m.ingress.Spec.Rules {
			for _, ip := range r.HTTP.Paths {
				routed = routed || strings.HasPrefix(p, strings.TrimSuffix(ip.Path, "/")+"/")
			}
		}
		if !routed {
			t.Errorf("%s is not routed by the ingress", p)
		}
	}
}
