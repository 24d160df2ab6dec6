package charts

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// objectMetas returns the metadata of the Deployment, its pod template and
// every other rendered object except the dashboard ConfigMap and the
// PrometheusRule.
func objectMetas(m manifest) []metav1.Object {
	out := []metav1.Object{m.deployment, &m.deployment.Spec.Template.ObjectMeta}
	for _, o := range []metav1.Object{m.service, m.secret, m.pvc, m.ingress, m.hpa, m.pdb, m.monitor} {
		if !reflect.ValueOf(o).IsNil() { // a kind that was not rendered is a typed nil
			out = append(out, o)
		}
	}
	return out
}

// checkNames applies the API server's rules for names, labels and port
// names, which the typed decode alone does not.
func checkNames(t *testing.T, m manifest) {
	for _, meta := range objectMetas(m) {
		if name := meta.GetName(); name != "" { // the pod template has none
			for _, msg := range validation.IsDNS1123Subdomain(name) {
				t.Errorf("name %q: %s", name, msg)
			}
			if ns := meta.GetNamespace(); ns != namespace {
				t.Errorf("%s: namespace %q, want %q", name, ns, namespace)
			}
		}
		for k, v := range meta.GetLabels() {
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
