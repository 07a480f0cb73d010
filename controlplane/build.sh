#!/usr/bin/env bash
# Builds the local control-plane binaries from the Go modules pinned in go.mod
# (and tools/*/go.mod), into a cache outside the repository keyed by the pinned
# versions, and prints the bin directory last. A second run with the same pins
# only prints the path.
#
#   build.sh            what the local environment runs: kube-apiserver,
#                       kube-controller-manager, kube-scheduler, kubectl, etcd,
#                       supervise, kwok
#   build.sh helm opa   on-demand tools, built only when something asks for them
#   build.sh all        both
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$here/go.mod")"

environment_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd supervise kwok)
on_demand_binaries=(helm opa)

requested=()
if [ $# -eq 0 ]; then
  requested=("${environment_binaries[@]}")
else
  for arg in "$@"; do
    case "$arg" in
      all) requested+=("${environment_binaries[@]}" "${on_demand_binaries[@]}") ;;
      kube-apiserver|kube-controller-manager|kube-scheduler|kubectl|etcd|supervise|kwok|helm|opa) requested+=("$arg") ;;
      *) echo "canopy: unknown control-plane binary '$arg'; expected one of: ${environment_binaries[*]} ${on_demand_binaries[*]} all" >&2; exit 2 ;;
    esac
  done
fi

if ! command -v go >/dev/null 2>&1; then
  echo "canopy: Go is not installed; install Go >= 1.25 (https://go.dev/doc/install) to build the local control plane" >&2
  exit 3
fi

# The key covers everything that changes the binaries: pins, sources, toolchain.
key_input="$(cat "$here/go.mod" "$here/go.sum" "$here"/cmd/*/main.go "$here"/tools/*/go.mod "$here"/tools/*/go.sum "$here/build.sh"; go env GOVERSION GOOS GOARCH)"
key="$(printf '%s' "$key_input" | sha256sum | cut -c1-12)"
cache_root="${CANOPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/canopy}"
bin_dir="$cache_root/controlplane/k8s-${k8s_version}-etcd-${etcd_version}-${key}/bin"

missing=()
for b in "${requested[@]}"; do
  [ -x "$bin_dir/$b" ] && continue
  case " ${missing[*]-} " in *" $b "*) continue ;; esac
  missing+=("$b")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$bin_dir"
tmp_dir="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT

minor="${k8s_version#v1.}"; minor="${minor%%.*}"
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# Cold-build estimates, measured on a 2-core machine with an empty Go build
# cache; a warm cache (after a pin or build.sh change) only relinks, in seconds.
estimate() {
  case "$1" in
    kube-apiserver) echo "~4 min" ;;
    kwok|helm) echo "~3 min" ;;
    kube-controller-manager|kube-scheduler|opa) echo "~1-2 min" ;;
    kubectl) echo "~30 s" ;;
    *) echo "~10 s" ;;
  esac
}

cd "$here"
i=0
for b in "${missing[@]}"; do
  i=$((i + 1))
  module_dir="$here"
  flags="-s -w$version_flags"
  case "$b" in
    etcd|supervise) pkg="./cmd/$b" ;;
    # Tools live in modules of their own (tools/<name>) so their dependencies never move Kubernetes' pins.
    helm) pkg="helm.sh/helm/v3/cmd/helm"; module_dir="$here/tools/helm" ;;
    kwok) pkg="sigs.k8s.io/kwok/cmd/kwok"; module_dir="$here/tools/kwok"; flags="-s -w" ;;
    opa) pkg="github.com/open-policy-agent/opa"; module_dir="$here/tools/opa"; flags="-s -w" ;;
    *) pkg="k8s.io/kubernetes/cmd/$b" ;;
  esac
  start=$(date +%s)
  echo "canopy: building $b ($i/${#missing[@]}, $(estimate "$b") on a cold Go cache)..." >&2
  if ! (cd "$module_dir" && CGO_ENABLED=0 go build -mod=mod -ldflags "$flags" -o "$tmp_dir/$b" "$pkg") >&2; then
    echo "canopy: building $b failed (see the Go errors above); check the Go toolchain (go version) and the module proxy (go env GOPROXY)" >&2
    exit 4
  fi
  mv "$tmp_dir/$b" "$bin_dir/$b"
  echo "canopy: built $b in $(( $(date +%s) - start ))s" >&2
done
echo "$bin_dir"
