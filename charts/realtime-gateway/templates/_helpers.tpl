{{/*
Names and labels. Object names are cut to 63 characters, the limit of a
DNS label (Service names must be one).
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "rtgw.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Object name: fullnameOverride, else "<release>-<name>", else just the
release when the release name already starts with the chart name (so
`helm install realtime-gateway ...` does not give "realtime-gateway-realtime-gateway").
*/}}
{{- define "rtgw.fullname" -}}
{{- $name := include "rtgw.name" . -}}
{{- $full := printf "%s-%s" .Release.Name $name -}}
{{- if .Values.fullnameOverride -}}
{{- $full = .Values.fullnameOverride -}}
{{- else if hasPrefix $name .Release.Name -}}
{{- $full = .Release.Name -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods; never change them on a live release. */}}
{{- define "rtgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rtgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "rtgw.labels" -}}
{{ include "rtgw.selectorLabels" . }}
app.kubernetes.io/component: gateway
app.kubernetes.io/version: {{ .Chart.AppVersion | replace "+" "_" | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Image reference: a digest wins over a tag; the tag defaults to appVersion. */}}
{{- define "rtgw.image" -}}
{{- with .Values.image -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository (.tag | default $.Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding the JWT secret and API key. */}}
{{- define "rtgw.secretName" -}}
{{- .Values.auth.existingSecret | default (include "rtgw.fullname" .) -}}
{{- end -}}

{{/* Port number from metrics.addr (":9090" or "0.0.0.0:9090"); empty when unset. */}}
{{- define "rtgw.metricsPort" -}}
{{- with .Values.metrics.addr -}}
{{- regexFind "[0-9]+$" . -}}
{{- end -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the explicit value, else preStop sleep +
drain + margin. The binary stops waiting at drain + 5 s, so the kubelet's
SIGKILL must come later than that.
*/}}
{{- define "rtgw.gracePeriod" -}}
{{- with .Values.shutdown -}}
{{- if ne (toString .terminationGracePeriodSeconds) "" -}}
{{- int .terminationGracePeriodSeconds -}}
{{- else -}}
{{- add (int .preStopSleepSeconds) (int .drainTimeoutSeconds) (int .graceMarginSeconds) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Scheduling fields of the pod spec. Without an explicit affinity, pods avoid
sharing a node: losing one node then drops only its share of the clients.
*/}}
{{- define "rtgw.scheduling" -}}
{{- if .Values.affinity }}
affinity:
  {{- toYaml .Values.affinity | nindent 2 }}
{{- else if eq .Values.podAntiAffinity "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "rtgw.selectorLabels" . | nindent 14 }}
{{- else if eq .Values.podAntiAffinity "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "rtgw.selectorLabels" . | nindent 12 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* PersistentVolumeClaim of the uploads volume: the user's, else the chart's. */}}
{{- define "rtgw.uploadsClaim" -}}
{{- .Values.uploads.persistence.existingClaim | default (printf "%s-uploads" (include "rtgw.fullname" . | trunc 55 | trimSuffix "-")) -}}
{{- end -}}

{{/*
"true" when more than one gateway pod may run at once: replicaCount above
1, or an HPA that may scale above 1. (A rolling update with a surge also
runs two pods for a while; see uploads.persistence.accessModes.)
*/}}
{{- define "rtgw.multiPod" -}}
{{- if .Values.autoscaling.enabled -}}
{{- if gt (int .Values.autoscaling.maxReplicas) 1 }}true{{ end -}}
{{- else if gt (int .Values.replicaCount) 1 }}true{{ end -}}
{{- end -}}

{{/*
The pod's securityContext: podSecurityContext, plus, with uploads, the
fsGroup that makes a fresh volume writable by the nonroot user. The kubelet
chowns the volume to that group at mount; OnRootMismatch makes it skip the
recursive walk when the root already matches, which on a volume full of
documents would otherwise slow every pod start. Values the user sets win.
*/}}
{{- define "rtgw.podSecurityContext" -}}
{{- $psc := deepCopy (.Values.podSecurityContext | default dict) -}}
{{- if .Values.uploads.enabled -}}
{{- if not (include "rtgw.isSet" (get $psc "fsGroup")) }}{{ $_ := set $psc "fsGroup" 65532 }}{{ end -}}
{{- if not (include "rtgw.isSet" (get $psc "fsGroupChangePolicy")) }}{{ $_ := set $psc "fsGroupChangePolicy" "OnRootMismatch" }}{{ end -}}
{{- end -}}
{{- toYaml $psc -}}
{{- end -}}
