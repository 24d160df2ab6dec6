package charts

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// binaryDir holds the code that reads the gateway's flags and environment.
const binaryDir = "../cmd/gateway"

// envLiteral matches the env var names cmd/gateway spells out as string
// literals. Renaming a variable there without changing the chart fails
// TestRender.
var envLiteral = regexp.MustCompile(`"(REALTIME_[A-Z_0-9]+|REDIS_[A-Z_]+)"`)

// pendingEnv are variables the chart already sets for features the binary
// does not read yet, each with the value that sets it. Delete each entry
// once cmd/gateway reads the variable, so that this test checks its name
// from then on; TestPendingEnvNotRead fails until you do.
var pendingEnv = map[string]string{}

// runtimeEnv are read by the Go runtime, not by cmd/gateway; extraEnv may
// set them (GOMEMLIMIT below the memory limit avoids OOM kills).
var runtimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}

// binaryEnv returns every env var name in cmd/gateway's non-test sources.
func binaryEnv(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(binaryDir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s (err %v): the test reads the binary's env var names there", binaryDir, err)
	}
	known := make(map[string]bool)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envLiteral.FindAllStringSubmatch(string(src), -1) {
			known[m[1]] = true
		}
	}
	// The chart always sets these; if the regexp finds none of them, the
	// names moved somewhere this test does not look.
	for _, name := range []string{"REALTIME_ADDR", "REDIS_URL", "REALTIME_DRAIN_TIMEOUT"} {
		if !known[name] {
			t.Fatalf("%s not found in %s/*.go; found %d names", name, binaryDir, len(known))
		}
	}
	return known
}

// envProblems lists env vars of c that the binary does not read (and that
// are not pending), and names set twice (Kubernetes keeps the last, hiding
// the first).
func envProblems(c corev1.Container, known map[string]bool, pending map[string]string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, e := range c.Env {
		if seen[e.Name] {
			out = append(out, fmt.Sprintf("%s is set twice", e.Name))
		}
		seen[e.Name] = true
		if known[e.Name] || runtimeEnv[e.Name] {
			continue
		}
		if _, ok := pending[e.Name]; ok {
			continue
		}
		out = append(out, fmt.Sprintf("%s is not read by %s", e.Name, binaryDir))
	}
	return out
}

func TestEnvProblems(t *testing.T) {
	known := map[string]bool{"REALTIME_ADDR": true}
	pending := map[string]string{"REALTIME_NOT_YET": "some.value"}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{name: "known, pending and runtime names pass", env: []string{"REALTIME_ADDR", "REALTIME_NOT_YET", "GOMEMLIMIT"}},
		{name: "a renamed variable is reported", env: []string{"REALTIME_LISTEN_ADDR"}, want: []string{"REALTIME_LISTEN_ADDR is not read by ../cmd/gateway"}},
		{name: "a duplicate is reported", env: []string{"REALTIME_ADDR", "REALTIME_ADDR"}, want: []string{"REALTIME_ADDR is set twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c corev1.Container
			for _, n := range tt.env {
				c.Env = append(c.Env, corev1.EnvVar{Name: n})
			}
			got := envProblems(c, known, pending)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPendingEnvNotRead fails once cmd/gateway reads a variable still
// listed in pendingEnv, so that the entry is deleted and the name checked.
func TestPendingEnvNotRead(t *testing.T) {
	known := binaryEnv(t)
	for name, value := range pendingEnv {
		if known[name] {
			t.Errorf("%s (%s) is read by %s now: delete it from pendingEnv and fix the values.yaml comment", name, value, binaryDir)
		}
	}
}
