{{/*
The gateway container's environment. Every name here must be one that
cmd/gateway reads; the chart tests parse cmd/gateway for the list, so a
renamed variable fails them.
*/}}

{{/* "true" when a value is given: not null and not "". 0 and false count as given. */}}
{{- define "rtgw.isSet" -}}
{{- if and (not (kindIs "invalid" .)) (ne (toString .) "") }}true{{ end -}}
{{- end -}}

{{/*
A value as an env string. Helm reads YAML numbers as float64, and "%v" of
a float64 prints 1048576 as 1.048576e+06, which the binary rejects.
*/}}
{{- define "rtgw.envString" -}}
{{- if kindIs "float64" . -}}
{{- int64 . | toString -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* Keys of .Values.config and the variable each one sets. */}}
{{- define "rtgw.configEnv" -}}
logLevel: REALTIME_LOG_LEVEL
logFormat: REALTIME_LOG_FORMAT
historyMaxLen: REALTIME_HISTORY_MAXLEN
idempotencyWindow: REALTIME_IDEMPOTENCY_WINDOW
pingInterval: REALTIME_PING_INTERVAL
handshakeTimeout: REALTIME_HANDSHAKE_TIMEOUT
compressThreshold: REALTIME_COMPRESS_THRESHOLD
maxMessageBytes: REALTIME_MAX_MESSAGE_BYTES
outboundQueueBytes: REALTIME_OUTBOUND_QUEUE_BYTES
revocationTTL: REALTIME_REVOCATION_TTL
demo: REALTIME_DEMO
{{- end -}}

{{/*
Tuning keys of .Values.uploads and the variable each one sets. The other
keys of uploads (enabled, mountPath, persistence) are the chart's own.
*/}}
{{- define "rtgw.uploadsEnv" -}}
maxBytes: REALTIME_UPLOAD_MAX_BYTES
contentTypes: REALTIME_UPLOAD_CONTENT_TYPES
maxPerUser: REALTIME_UPLOAD_MAX_PER_USER
maxActive: REALTIME_UPLOAD_MAX_ACTIVE
expiry: REALTIME_UPLOAD_EXPIRY
chunkBytes: REALTIME_UPLOAD_CHUNK_BYTES
bufferBytes: REALTIME_UPLOAD_BUFFER_BYTES
{{- end -}}

{{/*
REALTIME_UPLOAD_* when uploads are enabled; nothing otherwise, which leaves
uploads off in the binary. A list (contentTypes) is joined with commas.
*/}}
{{- define "rtgw.uploadsVars" -}}
{{- with .Values.uploads -}}
{{- if .enabled }}
- name: REALTIME_UPLOAD_DIR
  value: {{ .mountPath | quote }}
{{- $names := include "rtgw.uploadsEnv" $ | fromYaml }}
{{- range $key, $value := . }}
{{- if hasKey $names $key }}
{{- if kindIs "slice" $value }}{{ $value = join "," $value }}{{ end }}
{{- if include "rtgw.isSet" $value }}
- name: {{ index $names $key }}
  value: {{ include "rtgw.envString" $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* REDIS_* for whichever Redis mode is set (validated to be exactly one). */}}
{{- define "rtgw.redisEnv" -}}
{{- with .Values.redis -}}
{{- if .url }}
- name: REDIS_URL
  value: {{ .url | quote }}
{{- else if .urlSecret.name }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .urlSecret.name }}
      key: {{ .urlSecret.key }}
{{- else if .sentinel.addrs }}
- name: REDIS_SENTINEL_ADDRS
  value: {{ join "," .sentinel.addrs | quote }}
- name: REDIS_SENTINEL_MASTER
  value: {{ .sentinel.master | quote }}
{{- else if .cluster.addrs }}
- name: REDIS_CLUSTER_ADDRS
  value: {{ join "," .cluster.addrs | quote }}
{{- if and .cluster.pubsub (ne .cluster.pubsub "auto") }}
- name: REALTIME_REDIS_PUBSUB
  value: {{ .cluster.pubsub | quote }}
{{- end }}
{{- end }}
- name: REALTIME_REDIS_PREFIX
  value: {{ .prefix | quote }}
{{- end }}
{{- end -}}

{{- define "rtgw.env" -}}
- name: REALTIME_ADDR
  value: {{ printf ":%d" (int .Values.containerPort) | quote }}
- name: REALTIME_DRAIN_TIMEOUT
  value: {{ printf "%ds" (int .Values.shutdown.drainTimeoutSeconds) | quote }}
{{- include "rtgw.redisEnv" . }}
- name: REALTIME_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "rtgw.secretName" . }}
      key: {{ .Values.auth.secretKeys.jwtSecret }}
- name: REALTIME_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "rtgw.secretName" . }}
      key: {{ .Values.auth.secretKeys.apiKey }}
- name: REALTIME_STREAMING_V2
  value: {{ .Values.rollout.streamingV2 | toString | quote }}
- name: REALTIME_ROLLOUT_PERCENT
  value: {{ include "rtgw.envString" .Values.rollout.percent | quote }}
{{- if include "rtgw.isSet" .Values.rollout.killSpread }}
- name: REALTIME_KILL_SPREAD
  value: {{ .Values.rollout.killSpread | quote }}
{{- end }}
{{- with .Values.allowedOrigins }}
- name: REALTIME_ALLOWED_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
{{- if .Values.metrics.addr }}
- name: REALTIME_METRICS_ADDR
  value: {{ .Values.metrics.addr | quote }}
{{- end }}
{{- $names := include "rtgw.configEnv" . | fromYaml }}
{{- range $key, $value := .Values.config }}
{{- if include "rtgw.isSet" $value }}
- name: {{ index $names $key }}
  value: {{ include "rtgw.envString" $value | quote }}
{{- end }}
{{- end }}
{{- include "rtgw.uploadsVars" . }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
