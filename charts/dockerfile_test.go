package charts

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// imageBinary is where the Dockerfile puts the gateway binary.
const imageBinary = "/usr/local/bin/gateway"

// TestDockerfileMatchesChart checks the image facts the chart relies on:
// the user it runs as, the port it exposes, and the binary's path (NOTES.txt
// runs `gateway token` through kubectl exec, which has no shell to search PATH).
func TestDockerfileMatchesChart(t *testing.T) {
	src, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := renderManifest(t, minimalValues())
	c := m.gateway(t)
	tests := []struct {
		name string
		re   string // one submatch: the Dockerfile's value
		want string // the chart's value
	}{
		{name: "user", re: `(?m)^USER (\d+)(?::\d+)?$`, want: strconv.FormatInt(*c.SecurityContext.RunAsUser, 10)},
		{name: "exposed port", re: `(?m)^EXPOSE (\d+)$`, want: strconv.Itoa(int(containerPort(t, c, "http")))},
		{name: "entrypoint", re: `(?m)^ENTRYPOINT \["([^"]+)"\]$`, want: imageBinary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := regexp.MustCompile(tt.re).FindSubmatch(src)
			if got == nil {
				t.Fatalf("no line matching %s in ../Dockerfile", tt.re)
			}
			if string(got[1]) != tt.want {
				t.Errorf("Dockerfile has %s, chart expects %s", got[1], tt.want)
			}
		})
	}
}
