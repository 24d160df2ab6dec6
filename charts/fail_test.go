package charts

import (
	"strings"
	"testing"
)

// with returns minimalValues changed by set, which sets top-level keys.
func with(set map[string]any) map[string]any {
	v := minimalValues()
	for k, x := range set {
		v[k] = x
	}
	return v
}

// kv shortens nested values literals.
type kv = map[string]any

func TestRenderFails(t *testing.T) {
	const (
		redisMsg   = "realtime-gateway: set exactly one Redis mode: redis.url (or redis.urlSecret.name), redis.sentinel.addrs or redis.cluster.addrs"
		secretsMsg = "realtime-gateway: secrets missing: set auth.jwtSecret and auth.apiKey, or auth.existingSecret"
	)
	sentinel := kv{"addrs": []any{"s-0:26379"}, "master": "mymaster"}
	rwo := kv{"accessModes": []any{"ReadWriteOnce"}}
	withAutoscaling := func(v map[string]any) map[string]any {
		v["autoscaling"] = kv{"enabled": true}
		return v
	}
	tests := []struct {
		name    string
		values  map[string]any
		wantErr string
	}{
		{name: "no redis", values: kv{"auth": minimalValues()["auth"]}, wantErr: redisMsg + "; none is set"},
		{name: "url and sentinel", values: with(kv{"redis": kv{"url": "redis://r:6379", "sentinel": sentinel}}), wantErr: redisMsg + "; got redis.url and redis.sentinel.addrs"},
		{name: "sentinel and cluster", values: with(kv{"redis": kv{"sentinel": sentinel, "cluster": kv{"addrs": []any{"c:6379"}}}}), wantErr: "got redis.sentinel.addrs and redis.cluster.addrs"},
		{name: "url and url secret", values: with(kv{"redis": kv{"url": "redis://r:6379", "urlSecret": kv{"name": "redis"}}}), wantErr: "got redis.url and redis.urlSecret.name"},
		{name: "sentinel without master", values: with(kv{"redis": kv{"sentinel": kv{"addrs": []any{"s-0:26379"}}}}), wantErr: "redis.sentinel.master is required"},
		{name: "url with a wrong scheme", values: with(kv{"redis": kv{"url": "http://r:6379"}}), wantErr: "redis.url must be a redis://, rediss:// or unix:// URL"},
		{name: "no secrets", values: kv{"redis": minimalValues()["redis"]}, wantErr: secretsMsg},
		{name: "api key without jwt secret", values: with(kv{"auth": kv{"apiKey": "k"}}), wantErr: secretsMsg},
		{name: "short jwt secret", values: with(kv{"auth": kv{"jwtSecret": "short", "apiKey": "k"}}), wantErr: "auth.jwtSecret must be at least 32 bytes"},
		{name: "existing secret and values", values: with(kv{"auth": kv{"existingSecret": "creds", "apiKey": "k", "jwtSecret": testJWTSecret}}), wantErr: "not both"},
		{name: "grace below the drain", values: with(kv{"shutdown": kv{"terminationGracePeriodSeconds": 20}}), wantErr: "terminationGracePeriodSeconds (20) must be more than"},
		{name: "margin no longer than the binary's", values: with(kv{"shutdown": kv{"graceMarginSeconds": 5}}), wantErr: "raise shutdown.graceMarginSeconds above 5"},
		{name: "percent above 100", values: with(kv{"rollout": kv{"percent": 150}}), wantErr: "rollout.percent must be between 0 and 100"},
		{name: "unknown config key", values: with(kv{"config": kv{"pingIntervall": "10s"}}), wantErr: "config.pingIntervall is not a known setting"},
		{name: "metrics addr without a port", values: with(kv{"metrics": kv{"addr": "9090"}}), wantErr: `metrics.addr must look like ":9090"`},
		{name: "metrics on the http port", values: with(kv{"metrics": kv{"addr": ":4000"}}), wantErr: "metrics.addr must use a port other than containerPort"},
		{name: "pdb with both bounds", values: with(kv{"podDisruptionBudget": kv{"minAvailable": 2}}), wantErr: "not both"},
		{name: "hpa with no metric", values: with(kv{"autoscaling": kv{"enabled": true, "targetCPUUtilizationPercentage": ""}}), wantErr: "autoscaling needs targetCPUUtilizationPercentage or extraMetrics"},
		{name: "unknown anti-affinity", values: with(kv{"podAntiAffinity": "always"}), wantErr: "podAntiAffinity must be soft, hard or none"},
		{name: "uploads on ReadWriteOnce with 3 replicas", values: uploadsValues(kv{"persistence": rwo}), wantErr: `realtime-gateway: uploads.persistence.accessModes ["ReadWriteOnce"] lacks ReadWriteMany, but more than one gateway pod runs (replicaCount 3): every pod must share the uploads volume read-write, since any pod may continue an upload another started`},
		{name: "uploads on ReadWriteOnce with autoscaling", values: withAutoscaling(uploadsValues(kv{"persistence": rwo})), wantErr: "more than one gateway pod runs (autoscaling up to maxReplicas 12): every pod must share the uploads volume"},
		{name: "uploads on a read-only access mode", values: uploadsValues(kv{"persistence": kv{"accessModes": []any{"ReadOnlyMany"}}}), wantErr: `uploads.persistence.accessModes: "ReadOnlyMany" is not a writable access mode`},
		{name: "uploads without access modes", values: uploadsValues(kv{"persistence": kv{"accessModes": []any{}}}), wantErr: "uploads.persistence.accessModes must not be empty"},
		{name: "uploads without a size", values: uploadsValues(kv{"persistence": kv{"size": ""}}), wantErr: "uploads.persistence.size is required"},
		{name: "uploads on a relative path", values: uploadsValues(kv{"mountPath": "uploads"}), wantErr: "uploads.mountPath must be an absolute path"},
		{name: "uploads on the root", values: uploadsValues(kv{"mountPath": "/"}), wantErr: "uploads.mountPath must be an absolute path"},
		{name: "unknown uploads key", values: with(kv{"uploads": kv{"maxByte": 10}}), wantErr: "uploads.maxByte is not a known setting"},
		{name: "uploads size with a unit", values: uploadsValues(kv{"maxBytes": "100Mi"}), wantErr: `uploads.maxBytes must be a whole number of bytes, not "100Mi"`},
		{name: "uploads max per user zero", values: uploadsValues(kv{"maxPerUser": 0}), wantErr: "uploads.maxPerUser must be positive, or -1 for unlimited"},
		{name: "uploads chunk above the default buffer", values: uploadsValues(kv{"chunkBytes": 2097152}), wantErr: "uploads.bufferBytes (1048576) must be at least uploads.chunkBytes (2097152)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := render(tt.values)
			if err == nil {
				t.Fatalf("rendered; want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q\nwant it to contain %q", err, tt.wantErr)
			}
		})
	}
}
