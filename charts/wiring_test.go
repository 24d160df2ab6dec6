package charts

import (
	"net"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The checks below hold for every rendering: they compare the chart's
// objects with what cmd/gateway does.

// binaryShutdownMargin is how long past REALTIME_DRAIN_TIMEOUT the binary
// keeps waiting (cmd/gateway/main.go: context deadline drain + 5 s).
const binaryShutdownMargin = 5 * time.Second

// envPort returns the port of a listen address env var such as ":4000".
func envPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	e, ok := env(c)[name]
	if !ok {
		t.Fatalf("%s not set", name)
	}
	_, port, err := net.SplitHostPort(e.Value)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, e.Value, err)
	}
	n, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, e.Value, err)
	}
	return int32(n)
}

// containerPort returns the number of the named container port.
func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("no container port named %q", name)
	return 0
}

func checkPorts(t *testing.T, m manifest) {
	c := m.gateway(t)
	if got, want := containerPort(t, c, "http"), envPort(t, c, "REALTIME_ADDR"); got != want {
		t.Errorf("container port http = %d, REALTIME_ADDR listens on %d", got, want)
	}
	if _, ok := env(c)["REALTIME_METRICS_ADDR"]; ok {
		if got, want := containerPort(t, c, "metrics"), envPort(t, c, "REALTIME_METRICS_ADDR"); got != want {
			t.Errorf("container port metrics = %d, REALTIME_METRICS_ADDR listens on %d", got, want)
		}
	} else if len(c.Ports) != 1 {
		t.Errorf("ports %v: only http expected without REALTIME_METRICS_ADDR", c.Ports)
	}
}

func checkProbes(t *testing.T, m manifest) {
	c := m.gateway(t)
	want := envPort(t, c, "REALTIME_ADDR")
	probes := []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an HTTP GET", p.kind)
			continue
		}
		get := p.probe.HTTPGet
		port := get.Port.IntVal
		if get.Port.StrVal != "" {
			port = containerPort(t, c, get.Port.StrVal)
		}
		if get.Path != p.path || port != want {
			t.Errorf("%s probe: GET %s on %d, want %s on %d", p.kind, get.Path, port, p.path, want)
		}
	}
}

func checkGracePeriod(t *testing.T, m manifest) {
	c := m.gateway(t)
	drain, err := time.ParseDuration(env(c)["REALTIME_DRAIN_TIMEOUT"].Value)
	if err != nil {
		t.Fatalf("REALTIME_DRAIN_TIMEOUT: %v", err)
	}
	var sleep time.Duration
	if l := c.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
		sleep = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	gp := m.deployment.Spec.Template.Spec.TerminationGracePeriodSeconds
	if gp == nil {
		t.Fatal("terminationGracePeriodSeconds not set (Kubernetes default 30 s)")
	}
	grace := time.Duration(*gp) * time.Second
	if need := sleep + drain + binaryShutdownMargin; grace <= need {
		t.Errorf("grace %v <= preStop %v + drain %v + %v: SIGKILL cuts the drain", grace, sleep, drain, binaryShutdownMargin)
	}
}

func checkSecurity(t *testing.T, m manifest) {
	pod := m.deployment.Spec.Template.Spec
	sc := m.gateway(t).SecurityContext
	if sc == nil || pod.SecurityContext == nil {
		t.Fatal("pod and container securityContext must both be set")
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	switch {
	case !isTrue(sc.RunAsNonRoot) || !isTrue(pod.SecurityContext.RunAsNonRoot):
		t.Error("runAsNonRoot must be true")
	case sc.RunAsUser == nil || *sc.RunAsUser != 65532:
		t.Error("runAsUser must be 65532 (distroless nonroot)")
	case !isTrue(sc.ReadOnlyRootFilesystem):
		t.Error("readOnlyRootFilesystem must be true")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation must be false")
	case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0:
		t.Error("capabilities must drop ALL and add none")
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("seccompProfile must be RuntimeDefault")
	case pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken:
		t.Error("automountServiceAccountToken must be false")
	case pod.EnableServiceLinks == nil || *pod.EnableServiceLinks:
		t.Error("enableServiceLinks must be false")
	}
}

func checkEnvNames(t *testing.T, m manifest) {
	for _, p := range envProblems(m.gateway(t), binaryEnv(t), pendingEnv) {
		t.Error(p)
	}
}
