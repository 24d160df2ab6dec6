package charts

import (
	"fmt"
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// manifest is one rendering of the chart, decoded. The chart renders at
// most one object of each kind; a nil field means that kind was not rendered.
type manifest struct {
	values     chartutil.Values
	notes      string
	kinds      []string // "apiVersion kind" of every object, sorted
	deployment *appsv1.Deployment
	service    *corev1.Service
	secret     *corev1.Secret
	pvc        *corev1.PersistentVolumeClaim
	ingress    *networkingv1.Ingress
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	pdb        *policyv1.PodDisruptionBudget
	monitor    *serviceMonitor
	dashboard  *corev1.ConfigMap
	rule       *prometheusRule
}

// renderManifest renders the chart with user values and decodes every
// object strictly; any render or decode error fails the test.
func renderManifest(t *testing.T, user map[string]any) manifest {
	t.Helper()
	files, vals, err := render(user)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	docs, notes := splitDocuments(files)
	m := manifest{values: vals, notes: notes}
	for _, d := range docs {
		key, obj, err := decodeStrict(d.yaml)
		if err != nil {
			t.Fatalf("%s: %v\n%s", d.source, err, d.yaml)
		}
		if slices.Contains(m.kinds, key) {
			t.Fatalf("%s: a second %s", d.source, key)
		}
		m.kinds = append(m.kinds, key)
		if err := m.set(obj); err != nil {
			t.Fatalf("%s: %v", d.source, err)
		}
	}
	slices.Sort(m.kinds)
	if m.deployment == nil {
		t.Fatal("no Deployment rendered")
	}
	return m
}

func (m *manifest) set(obj any) error {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		m.deployment = o
	case *corev1.Service:
		m.service = o
	case *corev1.Secret:
		m.secret = o
	case *corev1.PersistentVolumeClaim:
		m.pvc = o
	case *networkingv1.Ingress:
		m.ingress = o
	case *autoscalingv2.HorizontalPodAutoscaler:
		m.hpa = o
	case *policyv1.PodDisruptionBudget:
		m.pdb = o
	case *serviceMonitor:
		m.monitor = o
	case *corev1.ConfigMap:
		m.dashboard = o
	case *prometheusRule:
		m.rule = o
	default:
		return fmt.Errorf("decoded %T but manifest has no field for it", obj)
	}
	return nil
}

// gateway returns the gateway container of the Deployment.
func (m manifest) gateway(t *testing.T) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "gateway" {
		t.Fatalf("want one container named gateway, got %d", len(cs))
	}
	return cs[0]
}

// env returns the container's env vars by name.
func env(c corev1.Container) map[string]corev1.EnvVar {
	out := make(map[string]corev1.EnvVar, len(c.Env))
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}
