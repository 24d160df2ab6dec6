package monitoring

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rtgw/realtime/internal/testutil"
)

// promtool accepts the rules file and its unit tests pass: each alert
// fires on the synthetic series meant to trip it and stays quiet on the
// others.
func TestAlertRulesWithPromtool(t *testing.T) {
	promtool := need(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", alertsFile},
		{"test", "rules", filepath.Join("testdata", "alerts_test.yaml")},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// Every alert has a unit test and a runbook entry, and its runbook_url
// points at that entry.
func TestEveryAlertHasTestAndRunbook(t *testing.T) {
	rules := testutil.ReadFile(t, alertsFile)
	tests := testutil.ReadFile(t, filepath.Join("testdata", "alerts_test.yaml"))
	runbooks := testutil.ReadFile(t, filepath.Join(root(), "docs", "KUBERNETES.md"))
	alerts := regexp.MustCompile(`(?m)^\s+- alert: (\w+)$`).FindAllStringSubmatch(rules, -1)
	if len(alerts) < 7 {
		t.Fatalf("%d alerts, want the 7 the issue lists", len(alerts))
	}
	for _, a := range alerts {
		name := a[1]
		if !strings.Contains(tests, "alertname: "+name+"\n") {
			t.Errorf("%s: no promtool test", name)
		}
		if !strings.Contains(runbooks, "\n#### "+name+"\n") {
			t.Errorf("%s: no '#### %s' runbook in docs/KUBERNETES.md", name, name)
		}
		if !strings.Contains(rules, "KUBERNETES.md#"+strings.ToLower(name)+"\n") {
			t.Errorf("%s: runbook_url does not point at #%s", name, strings.ToLower(name))
		}
	}
}
