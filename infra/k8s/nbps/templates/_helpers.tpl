{{/* Names and labels shared by every object of the release. */}}
{{- define "nbps.name" -}}
{{- printf "%s-%s" .root.Release.Name .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "nbps.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "nbps.labels" -}}
{{ include "nbps.selector" . }}
app.kubernetes.io/name: nbps
app.kubernetes.io/part-of: nbps
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* An env var from the app Secret. */}}
{{- define "nbps.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.app }}
      key: {{ .key }}
{{- end -}}
