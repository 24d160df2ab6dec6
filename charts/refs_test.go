package charts

import (
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// allowedSecretRefs lists the Secret name/key pairs a rendering may read:
// the keys of the Secret it renders, else the user's existingSecret keys,
// plus redis.urlSecret.
func allowedSecretRefs(m manifest) map[string]bool {
	ok := make(map[string]bool)
	if m.secret != nil {
		for k := range m.secret.Data {
			ok[m.secret.Name+"/"+k] = true
		}
	} else if name := lookup(m, "auth.existingSecret"); name != "" {
		ok[name+"/"+lookup(m, "auth.secretKeys.jwtSecret")] = true
		ok[name+"/"+lookup(m, "auth.secretKeys.apiKey")] = true
	}
	if name := lookup(m, "redis.urlSecret.name"); name != "" {
		ok[name+"/"+lookup(m, "redis.urlSecret.key")] = true
	}
	return ok
}

// lookup returns a string value of the rendering's values, "" if absent.
func lookup(m manifest, path string) string {
	v, err := m.values.PathValue(path)
	if err != nil || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func checkSecretRefs(t *testing.T, m manifest) {
	allowed := allowedSecretRefs(m)
	for _, e := range m.gateway(t).Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			if e.Name == "REALTIME_JWT_SECRET" || e.Name == "REALTIME_API_KEY" {
				t.Errorf("%s must come from a Secret, not a plain value", e.Name)
			}
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if !allowed[ref.Name+"/"+ref.Key] {
			t.Errorf("%s reads Secret %s key %s; known: %v", e.Name, ref.Name, ref.Key, allowed)
		}
	}
	if m.secret != nil {
		if n := len(m.secret.Data[lookup(m, "auth.secretKeys.jwtSecret")]); n < 32 {
			t.Errorf("rendered JWT secret has %d bytes, the binary needs 32", n)
		}
	}
}

// selects reports whether sel matches the pod template's labels.
func selects(t *testing.T, m manifest, sel *metav1.LabelSelector) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return !s.Empty() && s.Matches(labels.Set(m.deployment.Spec.Template.Labels))
}

func checkSelectors(t *testing.T, m manifest) {
	d := m.deployment
	if !selects(t, m, d.Spec.Selector) {
		t.Error("Deployment selector does not match its pod template")
	}
	if m.service == nil || !selects(t, m, &metav1.LabelSelector{MatchLabels: m.service.Spec.Selector}) {
		t.Error("Service missing or its selector does not match the pods")
	}
	if m.pdb != nil && !selects(t, m, m.pdb.Spec.Selector) {
		t.Error("PodDisruptionBudget selector does not match the pods")
	}
	if m.hpa != nil {
		if ref := m.hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name {
			t.Errorf("HPA targets %s/%s, want Deployment/%s", ref.Kind, ref.Name, d.Name)
		}
		if d.Spec.Replicas != nil {
			t.Error("Deployment sets replicas while an HPA owns them: each upgrade would reset the scale")
		}
	}
	checkServicePorts(t, m)
}

// checkServicePorts follows the port names from the Ingress and the
// ServiceMonitor to the Service, and from the Service to the container.
func checkServicePorts(t *testing.T, m manifest) {
	var names []string
	for _, p := range m.service.Spec.Ports {
		names = append(names, p.Name)
		containerPort(t, m.gateway(t), p.TargetPort.StrVal)
	}
	if m.ingress != nil {
		for _, r := range m.ingress.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				b := p.Backend.Service
				if b == nil || b.Name != m.service.Name || !slices.Contains(names, b.Port.Name) {
					t.Errorf("Ingress path %s: backend %+v is not a port of Service %s", p.Path, b, m.service.Name)
				}
			}
		}
	}
	if sm := m.monitor; sm != nil {
		sel := sm.Spec.Selector.MatchLabels
		if len(sel) == 0 || !labels.SelectorFromSet(sel).Matches(labels.Set(m.service.Labels)) {
			t.Error("ServiceMonitor selector does not match the Service")
		}
		for _, ep := range sm.Spec.Endpoints {
			if !slices.Contains(names, ep.Port) || ep.Path != "/metrics" {
				t.Errorf("ServiceMonitor endpoint %s%s: want /metrics on a Service port %v", ep.Port, ep.Path, names)
			}
		}
	}
}
