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
