//go:build tools

// Package opa pins the Open Policy Agent server the policy-engine example and
// tests run. It is a module of its own so OPA's dependency graph never moves
// the Kubernetes versions pinned for the control plane.
package opa

import _ "github.com/open-policy-agent/opa"
