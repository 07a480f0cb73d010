//go:build tools

// Package kwok pins kwok, which gives every local member cluster fake Nodes
// and a fake kubelet so pods are scheduled, run and become Ready. It is a
// module of its own so kwok's dependency graph never moves the Kubernetes
// versions pinned for the control plane.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
