#!/usr/bin/env bash
# Builds the local control-plane binaries (kube-apiserver, kube-controller-manager,
# kubectl, etcd) from the Go modules pinned in go.mod, into a cache outside the
# repository keyed by the pinned versions, and prints the bin directory last.
# A second run with the same pins only prints the path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$here/go.mod")"

if ! command -v go >/dev/null 2>&1; then
  echo "canopy: Go is not installed; install Go >= 1.25 (https://go.dev/doc/install) to build the local control plane" >&2
  exit 3
fi

# The key covers everything that changes the binaries: pins, sources, toolchain.
key_input="$(cat "$here/go.mod" "$here/go.sum" "$here"/cmd/*/main.go "$here"/tools/*/go.mod "$here"/tools/*/go.sum "$here/build.sh"; go env GOVERSION GOOS GOARCH)"
key="$(printf '%s' "$key_input" | sha256sum | cut -c1-12)"
cache_root="${CANOPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/canopy}"
bin_dir="$cache_root/controlplane/k8s-${k8s_version}-etcd-${etcd_version}-${key}/bin"

binaries=(kube-apiserver kube-controller-manager kubectl etcd supervise helm)
missing=()
for b in "${binaries[@]}"; do [ -x "$bin_dir/$b" ] || missing+=("$b"); done
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

cd "$here"
i=0
for b in "${missing[@]}"; do
  i=$((i + 1))
  module_dir="$here"
  case "$b" in
    etcd|supervise) pkg="./cmd/$b" ;;
    # Helm lives in a module of its own (tools/helm) so its dependencies never move Kubernetes' pins.
    helm) pkg="helm.sh/helm/v3/cmd/helm"; module_dir="$here/tools/helm" ;;
    *) pkg="k8s.io/kubernetes/cmd/$b" ;;
  esac
  start=$(date +%s)
  echo "canopy: building $b ($i/${#missing[@]}, k8s $k8s_version, etcd $etcd_version; the first build takes several minutes)..." >&2
  if ! (cd "$module_dir" && CGO_ENABLED=0 go build -mod=mod -ldflags "-s -w$version_flags" -o "$tmp_dir/$b" "$pkg") >&2; then
    echo "canopy: building $b failed (see the Go errors above); check the Go toolchain (go version) and the module proxy (go env GOPROXY)" >&2
    exit 4
  fi
  mv "$tmp_dir/$b" "$bin_dir/$b"
  echo "canopy: built $b in $(( $(date +%s) - start ))s" >&2
done
echo "$bin_dir"
