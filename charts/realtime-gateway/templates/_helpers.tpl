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
