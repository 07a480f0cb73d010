{{/* The chart name, or nameOverride. */}}
{{- define "canopy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: fullnameOverride, else the release name when
it contains the chart name (release `canopy` gives the names of chart 0.1.0:
canopy-operator, canopy-webhook, ...), else `<release>-<chart name>`. Suffixes
are at most 20 characters, so names stay within 63.
*/}}
{{- define "canopy.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 43 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 43 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 43 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "canopy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "canopy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "canopy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "canopy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Names of the objects the chart renders or the operator writes. */}}
{{- define "canopy.operatorName" -}}{{ include "canopy.fullname" . }}-operator{{- end }}
{{- define "canopy.webhookService" -}}{{ include "canopy.fullname" . }}-webhook{{- end }}
{{- define "canopy.metricsService" -}}{{ include "canopy.fullname" . }}-metrics{{- end }}
{{- define "canopy.leaseName" -}}{{ .Values.leaderElection.leaseName | default (printf "%s-leader" (include "canopy.fullname" .)) }}{{- end }}
{{- define "canopy.validatingName" -}}{{ .Values.webhook.validatingConfigurationName | default (printf "%s-validating" (include "canopy.fullname" .)) }}{{- end }}
{{- define "canopy.mutatingName" -}}{{ .Values.webhook.mutatingConfigurationName | default (printf "%s-mutating" (include "canopy.fullname" .)) }}{{- end }}
{{- define "canopy.generatedCertSecret" -}}{{ .Values.webhook.generatedCertificate.secretName | default (printf "%s-webhook-tls" (include "canopy.fullname" .)) }}{{- end }}
{{- define "canopy.certManagerSecret" -}}{{ include "canopy.fullname" . }}-webhook-cert{{- end }}

{{- define "canopy.gatewayService" -}}{{ include "canopy.fullname" . }}-gateway{{- end }}
{{- define "canopy.gatewayGeneratedCertSecret" -}}{{ .Values.gateway.generatedCertificate.secretName | default (printf "%s-gateway-tls" (include "canopy.fullname" .)) }}{{- end }}
{{- define "canopy.gatewayCertManagerSecret" -}}{{ include "canopy.fullname" . }}-gateway-cert{{- end }}

{{/* The Secret the gateway mounts as its serving certificate, or "" when the operator generates one. */}}
{{- define "canopy.gatewayProvidedCertSecret" -}}
{{- if .Values.gateway.certManager.enabled }}{{ include "canopy.gatewayCertManagerSecret" . }}{{- else }}{{ .Values.gateway.existingSecret }}{{- end }}
{{- end }}

{{/* The names of the gateway Service, which every gateway certificate is valid for. */}}
{{- define "canopy.gatewayServiceDnsNames" -}}
{{- $service := include "canopy.gatewayService" . -}}
{{ $service }},{{ $service }}.{{ .Release.Namespace }},{{ $service }}.{{ .Release.Namespace }}.svc,{{ $service }}.{{ .Release.Namespace }}.svc.cluster.local
{{- end }}

{{/* Where tenant kubeconfigs point: `direct` whenever the gateway is off. */}}
{{- define "canopy.tenantKubeconfig" -}}
{{- if .Values.gateway.enabled }}{{ .Values.tenantKubeconfig }}{{- else }}direct{{- end }}
{{- end }}

{{/* The Secret the operator mounts as its serving certificate, or "" when it generates one. */}}
{{- define "canopy.providedCertSecret" -}}
{{- if .Values.webhook.certManager.enabled }}{{ include "canopy.certManagerSecret" . }}{{- else }}{{ .Values.webhook.existingSecret }}{{- end }}
{{- end }}

{{- define "canopy.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
