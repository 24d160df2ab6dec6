package charts

import (
	"testing"
)

// checkAllEnabled checks what ci/all-enabled-values.yaml switches on.
func checkAllEnabled(t *testing.T, m manifest) {
	pod := m.deployment.Spec.Template.Spec
	c := m.gateway(t)
	if g := *pod.TerminationGracePeriodSeconds; g != 55 {
		t.Errorf("grace %d, want 55 (preStop 5 + drain 30 + margin 20)", g)
	}
	if l := c.Lifecycle; l == nil || l.PreStop == nil || l.PreStop.Sleep == nil || l.PreStop.Sleep.Seconds != 5 {
		t.Errorf("want a 5 s preStop sleep action, got %+v", l)
	}
	if _, ok := env(c)["REDIS_URL"]; ok {
		t.Error("REDIS_URL set in sentinel mode")
	}
	for name, want := range map[string]string{
		"REDIS_SENTINEL_ADDRS":          "redis-sentinel-0.redis-sentinel:26379,redis-sentinel-1.redis-sentinel:26379,redis-sentinel-2.redis-sentinel:26379",
		"REDIS_SENTINEL_MASTER":         "mymaster",
		"REALTIME_REDIS_PREFIX":         "rt-prod",
		"REALTIME_DRAIN_TIMEOUT":        "30s",
		"REALTIME_METRICS_ADDR":         ":9090",
		"REALTIME_STREAMING_V2":         "false",
		"REALTIME_ROLLOUT_PERCENT":      "10",
		"REALTIME_KILL_SPREAD":          "10s",
		"REALTIME_ALLOWED_ORIGINS":      "https://app.example.com,*.example.com",
		"REALTIME_HISTORY_MAXLEN":       "50000",
		"REALTIME_IDEMPOTENCY_WINDOW":   "6h",
		"REALTIME_OUTBOUND_QUEUE_BYTES": "2097152",
		"REALTIME_COMPRESS_THRESHOLD":   "-1",
		"REALTIME_REVOCATION_TTL":       "48h",
		"GOMEMLIMIT":                    "1800MiB",
		"REALTIME_DEMO":                 "false",
		"REALTIME_UPLOAD_DIR":           "/srv/uploads",
		"REALTIME_UPLOAD_MAX_BYTES":     "209715200",
		"REALTIME_UPLOAD_CONTENT_TYPES": "application/pdf,image/*,text/csv",
		"REALTIME_UPLOAD_MAX_PER_USER":  "8",
		"REALTIME_UPLOAD_MAX_ACTIVE":    "256",
		"REALTIME_UPLOAD_EXPIRY":        "2h",
		"REALTIME_UPLOAD_CHUNK_BYTES":   "1048576",
		"REALTIME_UPLOAD_BUFFER_BYTES":  "4194304",
	} {
		wantEnv(t, m, name, want)
	}
	if ref := env(c)["REALTIME_JWT_SECRET"].ValueFrom; ref == nil || ref.SecretKeyRef == nil ||
		ref.SecretKeyRef.Name != "realtime-gateway-credentials" || ref.SecretKeyRef.Key != "jwt" {
		t.Errorf("REALTIME_JWT_SECRET from %+v, want realtime-gateway-credentials/jwt", ref)
	}
	if _, ok := m.deployment.Spec.Template.Annotations["checksum/secret"]; ok {
		t.Error("checksum/secret of a Secret the chart does not render")
	}
	if c.Image != "registry.example.com/rtgw/realtime-gateway@sha256:"+zeros64 {
		t.Errorf("image %q: the digest must win over the tag", c.Image)
	}
	if q := c.Resources.Limits.Cpu().String(); q != "2" {
		t.Errorf("cpu limit %s, want 2", q)
	}
	if a := pod.Affinity; a == nil || a.PodAntiAffinity == nil ||
		len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Errorf("want one hard pod anti-affinity term, got %+v", a)
	}
	checkAllEnabledEdges(t, m)
}

const zeros64 = "0000000000000000000000000000000000000000000000000000000000000000"

// checkAllEnabledEdges checks the objects around the Deployment.
func checkAllEnabledEdges(t *testing.T, m manifest) {
	if p := m.service.Spec.Ports; len(p) != 2 || p[1].Name != "metrics" || p[1].Port != 9090 {
		t.Errorf("service ports %+v, want http and metrics 9090", p)
	}
	ann := m.ingress.Annotations
	for _, k := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		if v := ann["nginx.ingress.kubernetes.io/"+k]; v != "3600" {
			t.Errorf("ingress %s = %q, want 3600 (defaults kept when the user adds annotations)", k, v)
		}
	}
	if ann["nginx.ingress.kubernetes.io/proxy-buffering"] != "off" || ann["cert-manager.io/cluster-issuer"] == "" {
		t.Errorf("ingress annotations %v", ann)
	}
	if len(m.ingress.Spec.TLS) != 1 {
		t.Error("ingress TLS block missing")
	}
	if h := m.hpa.Spec; *h.MinReplicas != 4 || h.MaxReplicas != 20 || len(h.Metrics) != 2 || h.Behavior == nil {
		t.Errorf("hpa spec %+v", h)
	}
	if p := m.pdb.Spec; p.MaxUnavailable != nil || p.MinAvailable == nil || p.MinAvailable.StrVal != "50%" {
		t.Errorf("pdb spec %+v, want minAvailable 50%% only", p)
	}
	if ep := m.monitor.Spec.Endpoints; len(ep) != 1 || ep[0].Port != "metrics" || ep[0].Interval != "15s" {
		t.Errorf("servicemonitor endpoints %+v", ep)
	}
	if m.monitor.Labels["release"] != "kube-prometheus-stack" {
		t.Error("servicemonitor.labels not applied")
	}
	pvc := m.pvc
	if sc := pvc.Spec.StorageClassName; sc == nil || *sc != "efs-sc" {
		t.Errorf("uploads storageClassName %v, want efs-sc", sc)
	}
	if q := pvc.Spec.Resources.Requests.Storage().String(); q != "100Gi" {
		t.Errorf("uploads storage %s, want 100Gi", q)
	}
	if a := pvc.Annotations; a["example.com/backup"] != "nightly" || a["helm.sh/resource-policy"] != "keep" {
		t.Errorf("uploads claim annotations %v: want the user's merged with resource-policy keep", a)
	}
}
