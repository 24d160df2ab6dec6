{{/*
Checks that fail rendering with a message naming the value to fix, so a
mistake shows at `helm install` rather than as a crash-looping pod. Every
message starts with "realtime-gateway:"; the chart tests match on them.
*/}}
{{- define "rtgw.validate" -}}
{{- include "rtgw.validateRedis" . -}}
{{- include "rtgw.validateAuth" . -}}
{{- include "rtgw.validateShutdown" . -}}
{{- include "rtgw.validateMisc" . -}}
{{- include "rtgw.validateUploads" . -}}
{{- end -}}

{{- define "rtgw.validateRedis" -}}
{{- $r := .Values.redis -}}
{{- $set := list -}}
{{- if $r.url }}{{ $set = append $set "redis.url" }}{{ end -}}
{{- if $r.urlSecret.name }}{{ $set = append $set "redis.urlSecret.name" }}{{ end -}}
{{- if $r.sentinel.addrs }}{{ $set = append $set "redis.sentinel.addrs" }}{{ end -}}
{{- if $r.cluster.addrs }}{{ $set = append $set "redis.cluster.addrs" }}{{ end -}}
{{- if ne (len $set) 1 -}}
{{- $got := "none is set" -}}
{{- if $set }}{{ $got = printf "got %s" (join " and " $set) }}{{ end -}}
{{- fail (printf "realtime-gateway: set exactly one Redis mode: redis.url (or redis.urlSecret.name), redis.sentinel.addrs or redis.cluster.addrs; %s" $got) -}}
{{- end -}}
{{- if and $r.sentinel.addrs (not $r.sentinel.master) -}}
{{- fail "realtime-gateway: redis.sentinel.master is required with redis.sentinel.addrs" -}}
{{- end -}}
{{- if and $r.urlSecret.name (not $r.urlSecret.key) -}}
{{- fail "realtime-gateway: redis.urlSecret.key is required with redis.urlSecret.name" -}}
{{- end -}}
{{- if and $r.url (not (regexMatch "^(redis|rediss|unix)://" $r.url)) -}}
{{- fail "realtime-gateway: redis.url must be a redis://, rediss:// or unix:// URL" -}}
{{- end -}}
{{- end -}}

{{- define "rtgw.validateAuth" -}}
{{- $a := .Values.auth -}}
{{- if $a.existingSecret -}}
{{- if or $a.jwtSecret $a.apiKey -}}
{{- fail "realtime-gateway: set auth.existingSecret or auth.jwtSecret + auth.apiKey, not both" -}}
{{- end -}}
{{- if not (and $a.secretKeys.jwtSecret $a.secretKeys.apiKey) -}}
{{- fail "realtime-gateway: auth.secretKeys.jwtSecret and auth.secretKeys.apiKey must name keys of auth.existingSecret" -}}
{{- end -}}
{{- else -}}
{{- if not (and $a.jwtSecret $a.apiKey) -}}
{{- fail (printf "realtime-gateway: secrets missing: set auth.jwtSecret and auth.apiKey, or auth.existingSecret naming a Secret with keys %q and %q" $a.secretKeys.jwtSecret $a.secretKeys.apiKey) -}}
{{- end -}}
{{- if lt (len $a.jwtSecret) 32 -}}
{{- fail "realtime-gateway: auth.jwtSecret must be at least 32 bytes (HS256 key size); try `openssl rand -hex 32`" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rtgw.validateShutdown" -}}
{{- $s := .Values.shutdown -}}
{{- $minimum := add (int $s.preStopSleepSeconds) (int $s.drainTimeoutSeconds) 5 -}}
{{- if lt (int $s.drainTimeoutSeconds) 1 -}}
{{- fail "realtime-gateway: shutdown.drainTimeoutSeconds must be at least 1" -}}
{{- end -}}
{{- if le (int (include "rtgw.gracePeriod" .)) $minimum -}}
{{- fail (printf "realtime-gateway: terminationGracePeriodSeconds (%s) must be more than preStopSleepSeconds + drainTimeoutSeconds + 5 = %d, or SIGKILL cuts the drain short; raise shutdown.graceMarginSeconds above 5 or shutdown.terminationGracePeriodSeconds" (include "rtgw.gracePeriod" .) $minimum) -}}
{{- end -}}
{{- end -}}

{{- define "rtgw.validateMisc" -}}
{{- range .Values.allowedOrigins -}}
{{- if not (regexMatch "^(\\*|\\*\\.[^/*]+|[a-zA-Z][a-zA-Z0-9+.-]*://[^/*]+/?)$" (toString .)) -}}
{{- fail (printf "realtime-gateway: allowedOrigins entry %q is not an origin (https://app.example.com), a host pattern (*.example.com) or *: an origin has no path" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- $p := int .Values.rollout.percent -}}
{{- if or (lt $p 0) (gt $p 100) -}}
{{- fail "realtime-gateway: rollout.percent must be between 0 and 100" -}}
{{- end -}}
{{- if and .Values.metrics.addr (not (regexMatch "^[^:]*:[0-9]+$" .Values.metrics.addr)) -}}
{{- fail "realtime-gateway: metrics.addr must look like \":9090\"" -}}
{{- end -}}
{{- if eq (include "rtgw.metricsPort" .) (toString .Values.containerPort) -}}
{{- fail "realtime-gateway: metrics.addr must use a port other than containerPort" -}}
{{- end -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- $max := include "rtgw.isSet" (get $pdb "maxUnavailable") -}}
{{- $min := include "rtgw.isSet" (get $pdb "minAvailable") -}}
{{- if and $pdb.enabled (not $max) (not $min) -}}
{{- fail "realtime-gateway: podDisruptionBudget needs maxUnavailable or minAvailable" -}}
{{- end -}}
{{- if and $pdb.enabled $max $min -}}
{{- fail "realtime-gateway: set podDisruptionBudget.maxUnavailable or podDisruptionBudget.minAvailable, not both" -}}
{{- end -}}
{{- if not (has .Values.podAntiAffinity (list "soft" "hard" "none")) -}}
{{- fail "realtime-gateway: podAntiAffinity must be soft, hard or none" -}}
{{- end -}}
{{- range $key, $_ := .Values.config -}}
{{- if not (hasKey (include "rtgw.configEnv" $ | fromYaml) $key) -}}
{{- fail (printf "realtime-gateway: config.%s is not a known setting (see values.yaml)" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Uploads. The gateway may continue an upload on any pod, so every pod must
mount the same volume read-write: a claim the chart renders for more than
one pod needs ReadWriteMany. An existingClaim is the user's and trusted.
The tuning checks mirror what cmd/gateway refuses at start, so the mistake
shows here rather than as a crash loop.
*/}}
{{- define "rtgw.validateUploads" -}}
{{- $u := .Values.uploads -}}
{{- $tuning := include "rtgw.uploadsEnv" . | fromYaml -}}
{{- range $key, $_ := $u -}}
{{- if not (or (hasKey $tuning $key) (has $key (list "enabled" "mountPath" "persistence"))) -}}
{{- fail (printf "realtime-gateway: uploads.%s is not a known setting (see values.yaml)" $key) -}}
{{- end -}}
{{- end -}}
{{- if $u.enabled -}}
{{- $p := $u.persistence -}}
{{- if not (regexMatch "^/[^/]+" (toString $u.mountPath)) -}}
{{- fail "realtime-gateway: uploads.mountPath must be an absolute path below / such as /var/lib/realtime/uploads" -}}
{{- end -}}
{{- if not $p.existingClaim -}}
{{- if not $p.accessModes -}}
{{- fail "realtime-gateway: uploads.persistence.accessModes must not be empty; use [ReadWriteMany]" -}}
{{- end -}}
{{- range $p.accessModes -}}
{{- if not (has . (list "ReadWriteMany" "ReadWriteOnce" "ReadWriteOncePod")) -}}
{{- fail (printf "realtime-gateway: uploads.persistence.accessModes: %q is not a writable access mode; use ReadWriteMany (ReadWriteOnce or ReadWriteOncePod for a single replica)" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if not $p.size -}}
{{- fail "realtime-gateway: uploads.persistence.size is required for the claim the chart renders (or set uploads.persistence.existingClaim)" -}}
{{- end -}}
{{- if and (include "rtgw.multiPod" .) (not (has "ReadWriteMany" $p.accessModes)) -}}
{{- $pods := printf "replicaCount %v" .Values.replicaCount -}}
{{- if .Values.autoscaling.enabled }}{{ $pods = printf "autoscaling up to maxReplicas %v" .Values.autoscaling.maxReplicas }}{{ end -}}
{{- fail (printf "realtime-gateway: uploads.persistence.accessModes %s lacks ReadWriteMany, but more than one gateway pod runs (%s): every pod must share the uploads volume read-write, since any pod may continue an upload another started. Add ReadWriteMany with a storage class that supports it (NFS, EFS, CephFS, Azure Files, Filestore), or set uploads.persistence.existingClaim to a shared claim" (toJson $p.accessModes) $pods) -}}
{{- end -}}
{{- end -}}
{{- range $key := list "maxBytes" "maxPerUser" "maxActive" "chunkBytes" "bufferBytes" -}}
{{- $v := get $u $key -}}
{{- if and (include "rtgw.isSet" $v) (not (regexMatch "^-?[0-9]+$" (include "rtgw.envString" $v))) -}}
{{- fail (printf "realtime-gateway: uploads.%s must be a whole number of %s, not %q" $key (ternary "uploads" "bytes" (eq $key "maxPerUser" "maxActive")) (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- if and (include "rtgw.isSet" $u.maxPerUser) (eq (include "rtgw.envString" $u.maxPerUser) "0") -}}
{{- fail "realtime-gateway: uploads.maxPerUser must be positive, or -1 for unlimited" -}}
{{- end -}}
{{- /* The binary's defaults: 262144 and 1048576 (cmd/gateway/config.go). */ -}}
{{- $chunk := ternary (int64 (include "rtgw.envString" $u.chunkBytes)) 262144 (not (empty (include "rtgw.isSet" $u.chunkBytes))) -}}
{{- $buffer := ternary (int64 (include "rtgw.envString" $u.bufferBytes)) 1048576 (not (empty (include "rtgw.isSet" $u.bufferBytes))) -}}
{{- if lt (int64 $buffer) (int64 $chunk) -}}
{{- fail (printf "realtime-gateway: uploads.bufferBytes (%d) must be at least uploads.chunkBytes (%d)" (int64 $buffer) (int64 $chunk)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
