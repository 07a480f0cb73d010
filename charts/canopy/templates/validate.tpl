{{/*
Checks the schema cannot express. The Kubernetes version is checked only
against a live cluster (lookup finds kube-system): `helm template` renders
offline without --kube-version, where Helm assumes an old default version.
*/}}
{{- define "canopy.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "leaderElection.enabled=false needs replicaCount=1: replicas without leader election would all reconcile" }}
{{- end }}
{{- if and .Values.webhook.certManager.enabled .Values.webhook.existingSecret }}
{{- fail "webhook.certManager.enabled and webhook.existingSecret are exclusive: choose one source of the webhook certificate" }}
{{- end }}
{{- if and .Values.gateway.certManager.enabled .Values.gateway.existingSecret }}
{{- fail "gateway.certManager.enabled and gateway.existingSecret are exclusive: choose one source of the gateway certificate" }}
{{- end }}
{{- if and .Values.gateway.enabled .Values.webhook.enabled (eq (int .Values.gateway.port) (int .Values.webhook.port)) }}
{{- fail "gateway.port and webhook.port must differ: both servers listen in the same pod" }}
{{- end }}
{{- if lookup "v1" "Namespace" "" "kube-system" }}
{{- if semverCompare "<1.30.0-0" .Capabilities.KubeVersion.Version }}
{{- fail (printf "Canopy needs Kubernetes 1.30 or later; this cluster runs %s" .Capabilities.KubeVersion.Version) }}
{{- end }}
{{- end }}
{{- end }}
