//go:build tools

// Package helm pins the Helm CLI the chart tests render charts/canopy with.
// It is a module of its own so Helm's dependency graph never moves the
// Kubernetes versions pinned for the control plane.
package helm

import _ "helm.sh/helm/v3/cmd/helm"
