package charts

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// objectMetas returns the metadata of every rendered object.
func objectMetas(m manifest) []metav1.ObjectMeta {
	out := []metav1.ObjectMeta{m.deployment.ObjectMeta, m.deployment.Spec.Template.ObjectMeta}
	if m.service != nil {
		out = append(out, m.service.ObjectMeta)
	}
	if m.secret != nil {
		out = append(out, m.secret.ObjectMeta)
	}
	if m.pvc != nil {
		out = append(out, m.pvc.ObjectMeta)
	}
	if m.ingress != nil {
		out = append(out, m.ingress.ObjectMeta)
	}
	if m.hpa != nil {
		out = append(out, m.hpa.ObjectMeta)
	}
	if m.pdb != nil {
		out = append(out, m.pdb.ObjectMeta)
	}
	if m.monitor != nil {
		out = append(out, m.monitor.ObjectMeta)
	}
	return out
}

// checkNames applies the API server's rules for names, labels and port
// names, which the typed decode alone does not.
func checkNames(t *testing.T, m manifest) {
	for _, meta := range objectMetas(m) {
		if meta.Name != "" { // the pod template has none
			for _, msg := range validation.IsDNS1123Subdomain(meta.Name) {
				t.Errorf("name %q: %s", meta.Name, msg)
			}
			if meta.Namespace != namespace {
				t.Errorf("%s: namespace %q, want %q", meta.Name, meta.Namespace, namespace)
			}
		}
		for k, v := range meta.Labels {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("label %s=%s: %s", k, v, msg)
			}
		}
	}
	if m.service != nil {
		for _, msg := range validation.IsDNS1035Label(m.service.Name) {
			t.Errorf("Service name %q: %s", m.service.Name, msg)
		}
	}
	for _, p := range m.gateway(t).Ports {
		for _, msg := range validation.IsValidPortName(p.Name) {
			t.Errorf("port name %q: %s", p.Name, msg)
		}
	}
}

func checkNotes(t *testing.T, m manifest) {
	key := lookup(m, "redis.prefix") + ":rollout"
	for _, want := range []string{
		"port-forward svc/" + m.service.Name,
		"exec deploy/" + m.deployment.Name + " -c gateway -- " + imageBinary + " token -user ops -org acme",
		"wscat -c \"ws://localhost:4000/v2/realtime/stream?access_token=$TOKEN\"",
		"HSET " + key + " percent 10",
		"HSET " + key + " enabled 0",
		"HSET " + key + " allow:",
		"HSET " + key + " deny:",
	} {
		if !strings.Contains(m.notes, want) {
			t.Errorf("NOTES.txt lacks %q", want)
		}
	}
}
