package monitoring

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// root is the repository root, found from this file's path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

var (
	dashboardFile = filepath.Join(root(), "charts", "realtime-gateway", "files", "grafana-dashboard.json")
	alertsFile    = filepath.Join(root(), "charts", "realtime-gateway", "files", "alerts.yaml")
)

// need returns the path of a binary from the prometheus package or fails.
func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s not found: install it with `apt-get install -y prometheus` (promtool ships in the same package)", bin)
	}
	return p
}

// query is one panel target of the dashboard.
type query struct {
	Panel, Expr string
}

// dashboardQueries reads every target of every panel.
func dashboardQueries(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []query
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, query{Panel: p.Title, Expr: tg.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatal("dashboard has no queries")
	}
	return out
}
