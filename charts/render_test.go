package charts

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

const (
	chartDir    = "realtime-gateway"
	releaseName = "rt"
	namespace   = "realtime"
)

// testJWTSecret is 32 bytes, the least the binary and the chart accept.
const testJWTSecret = "0123456789abcdef0123456789abcdef"

// minimalValues are the least a user must give: a Redis and the secrets.
func minimalValues() map[string]any {
	return map[string]any{
		"redis": map[string]any{"url": "redis://redis-master.data:6379/0"},
		"auth":  map[string]any{"jwtSecret": testJWTSecret, "apiKey": "publish-key-for-tests"},
	}
}

// valuesFile reads a values file of the chart, as `helm install -f` would.
func valuesFile(t *testing.T, name string) map[string]any {
	t.Helper()
	v, err := chartutil.ReadValuesFile(chartDir + "/" + name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return v.AsMap()
}

// render renders the chart as `helm install rt realtime-gateway -n realtime`
// would, with Helm's engine in strict mode (a template reading a value that
// does not exist is an error, not an empty string). It returns the rendered
// files by template path and the values the templates saw.
func render(user map[string]any) (map[string]string, chartutil.Values, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, nil, fmt.Errorf("load chart: %w", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, user, opts, caps)
	if err != nil {
		return nil, nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Engine{Strict: true}.Render(ch, top)
	if err != nil {
		return nil, nil, err
	}
	vals, err := top.Table("Values")
	if err != nil {
		return nil, nil, err
	}
	return files, vals, nil
}

// docSeparator splits a rendered file into YAML documents.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// document is one non-empty YAML document of the rendered output.
type document struct {
	source string // template path, e.g. realtime-gateway/templates/service.yaml
	yaml   string
}

// splitDocuments returns the rendered documents in a stable order, and the
// NOTES.txt text separately (it is shown to the user, not applied).
func splitDocuments(files map[string]string) (docs []document, notes string) {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(name, "/NOTES.txt") {
			notes = files[name]
			continue
		}
		for _, part := range docSeparator.Split(files[name], -1) {
			if strings.TrimSpace(stripComments(part)) != "" {
				docs = append(docs, document{source: name, yaml: part})
			}
		}
	}
	return docs, notes
}

// stripComments drops whole-line YAML comments, so a document that holds
// only comments counts as empty.
func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}
