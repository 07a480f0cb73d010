{{- define "canopy.labels" -}}
app.kubernetes.io/name: canopy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
{{- define "canopy.selectorLabels" -}}
app.kubernetes.io/name: canopy
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
