//go:build tools

// Package controlplane pins the Kubernetes and etcd binaries that make up the
// local control plane used by `npm start` and the e2e suites.
package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
