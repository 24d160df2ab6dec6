package charts

import (
	"slices"
	"testing"
)

// wiringChecks run on every rendering in TestRender.
var wiringChecks = []struct {
	name string
	fn   func(*testing.T, manifest)
}{
	{"env names are read by the binary", checkEnvNames},
	{"container ports match the listen addresses", checkPorts},
	{"probes hit readyz and healthz on the http port", checkProbes},
	{"grace period outlasts the drain", checkGracePeriod},
	{"non-root with a read-only root filesystem", checkSecurity},
	{"secret refs name existing keys", checkSecretRefs},
	{"selectors and ports line up", checkSelectors},
	{"names and labels are valid", checkNames},
	{"notes tell how to connect and roll out", checkNotes},
	{"uploads directory is a shared writable volume", checkUploadsVolume},
}

func TestRender(t *testing.T) {
	tests := []struct {
		name   string
		values func(*testing.T) map[string]any
		kinds  []string
		check  func(*testing.T, manifest)
	}{
		{
			name:   "defaults with a redis url and secrets",
			values: func(*testing.T) map[string]any { return minimalValues() },
			kinds:  []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Secret", "v1 Service"},
			check:  checkDefaults,
		},
		{
			name:   "ci/all-enabled-values.yaml",
			values: func(t *testing.T) map[string]any { return valuesFile(t, "ci/all-enabled-values.yaml") },
			kinds: []string{"apps/v1 Deployment", "autoscaling/v2 HorizontalPodAutoscaler",
				"monitoring.coreos.com/v1 ServiceMonitor", "networking.k8s.io/v1 Ingress",
				"policy/v1 PodDisruptionBudget", "v1 PersistentVolumeClaim", "v1 Service"},
			check: checkAllEnabled,
		},
		{
			name: "redis url from a secret",
			values: func(*testing.T) map[string]any {
				return with(kv{"redis": kv{"urlSecret": kv{"name": "redis-creds", "key": "url"}}})
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Secret", "v1 Service"},
			check: func(t *testing.T, m manifest) {
				ref := env(m.gateway(t))["REDIS_URL"].ValueFrom
				if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "redis-creds" || ref.SecretKeyRef.Key != "url" {
					t.Errorf("REDIS_URL from %+v, want Secret redis-creds key url", ref)
				}
			},
		},
		{
			name: "cluster mode",
			values: func(*testing.T) map[string]any {
				return with(kv{"redis": kv{"cluster": kv{"addrs": []any{"redis-0:6379", "redis-1:6379"}}}})
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Secret", "v1 Service"},
			check: func(t *testing.T, m manifest) {
				wantEnv(t, m, "REDIS_CLUSTER_ADDRS", "redis-0:6379,redis-1:6379")
				if _, set := env(m.gateway(t))["REALTIME_REDIS_PUBSUB"]; set {
					t.Error("pubsub auto (the default) should leave REALTIME_REDIS_PUBSUB unset")
				}
			},
		},
		{
			name: "cluster mode, classic pub/sub",
			values: func(*testing.T) map[string]any {
				return with(kv{"redis": kv{"cluster": kv{"addrs": []any{"redis-0:6379"}, "pubsub": "classic"}}})
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Secret", "v1 Service"},
			check: func(t *testing.T, m manifest) {
				wantEnv(t, m, "REALTIME_REDIS_PUBSUB", "classic")
			},
		},
		{
			name: "uploads on the chart's claim",
			values: func(*testing.T) map[string]any {
				return uploadsValues(kv{
					"maxBytes": 52428800, "contentTypes": []any{"application/pdf", "image/*"}, "maxPerUser": -1,
					"maxActive": 64, "expiry": "30m", "chunkBytes": 524288, "bufferBytes": 2097152,
				})
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 PersistentVolumeClaim", "v1 Secret", "v1 Service"},
			check: checkUploadsDefault,
		},
		{
			name: "uploads on an existing ReadWriteOnce claim with 3 replicas",
			values: func(*testing.T) map[string]any {
				v := uploadsValues(kv{"mountPath": "/data/uploads", "persistence": kv{
					"existingClaim": "shared-documents", "accessModes": []any{"ReadWriteOnce"},
				}})
				v["podSecurityContext"] = kv{"fsGroup": 1000}
				return v
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 Secret", "v1 Service"},
			check: checkUploadsExistingClaim,
		},
		{
			name: "uploads on ReadWriteOnce with one replica",
			values: func(*testing.T) map[string]any {
				v := uploadsValues(kv{"persistence": kv{
					"storageClass": "-", "size": "5Gi", "accessModes": []any{"ReadWriteOnce"},
					"keep": false, "annotations": kv{"example.com/backup": "daily"},
				}})
				v["replicaCount"] = 1
				v["strategy"] = kv{"type": "Recreate", "rollingUpdate": nil}
				return v
			},
			kinds: []string{"apps/v1 Deployment", "policy/v1 PodDisruptionBudget", "v1 PersistentVolumeClaim", "v1 Secret", "v1 Service"},
			check: checkUploadsSingleReplica,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := renderManifest(t, tt.values(t))
			if !slices.Equal(m.kinds, tt.kinds) {
				t.Fatalf("rendered kinds\n got %q\nwant %q", m.kinds, tt.kinds)
			}
			for _, c := range wiringChecks {
				t.Run(c.name, func(t *testing.T) { c.fn(t, m) })
			}
			tt.check(t, m)
		})
	}
}

// wantEnv checks one plain env value of the gateway container.
func wantEnv(t *testing.T, m manifest, name, want string) {
	t.Helper()
	e, ok := env(m.gateway(t))[name]
	if !ok || e.Value != want {
		t.Errorf("%s = %q (set: %v), want %q", name, e.Value, ok, want)
	}
}

func checkDefaults(t *testing.T, m manifest) {
	spec := m.deployment.Spec
	if spec.Replicas == nil || *spec.Replicas != 3 {
		t.Errorf("replicas %v, want 3", spec.Replicas)
	}
	if g := *spec.Template.Spec.TerminationGracePeriodSeconds; g != 35 {
		t.Errorf("grace %d, want 35 (drain 20 + margin 15)", g)
	}
	for name, want := range map[string]string{
		"REALTIME_ADDR": ":4000", "REALTIME_DRAIN_TIMEOUT": "20s", "REDIS_URL": "redis://redis-master.data:6379/0",
		"REALTIME_REDIS_PREFIX": "realtime", "REALTIME_STREAMING_V2": "true", "REALTIME_ROLLOUT_PERCENT": "100",
		"REALTIME_DEMO": "false",
	} {
		wantEnv(t, m, name, want)
	}
	if p := m.service.Spec.Ports; len(p) != 1 || p[0].Port != 80 || p[0].TargetPort.StrVal != "http" {
		t.Errorf("service ports %+v, want 80 -> http", p)
	}
	if a := m.deployment.Spec.Template.Spec.Affinity; a == nil || a.PodAntiAffinity == nil ||
		len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Errorf("want one soft pod anti-affinity term, got %+v", a)
	}
	if l := m.gateway(t).Lifecycle; l != nil {
		t.Errorf("lifecycle %+v: no preStop by default", l)
	}
	if _, ok := env(m.gateway(t))["REALTIME_UPLOAD_DIR"]; ok || m.pvc != nil || len(spec.Template.Spec.Volumes) != 0 {
		t.Error("uploads are off by default: no REALTIME_UPLOAD_DIR, claim or volume")
	}
	if g := spec.Template.Spec.SecurityContext.FSGroup; g != nil {
		t.Errorf("fsGroup %d without uploads", *g)
	}
	if len(m.deployment.Spec.Template.Annotations["checksum/secret"]) != 64 {
		t.Error("pod template lacks the checksum/secret annotation that rolls pods on a secret change")
	}
}
