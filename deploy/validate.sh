#!/usr/bin/env bash
# Renders every kustomize overlay with `kubectl kustomize` and validates the result
# offline with `kubernetes-validate --strict` (unknown fields are errors), against the
# Kubernetes versions in FRAMEWISE_K8S_VERSIONS. No cluster is needed.
#
# Without kubectl this says so and passes, unless FRAMEWISE_REQUIRE_KUBECTL=1 (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

KUSTOMIZE_ROOT=deploy/kustomize
# 1.30: the oldest version the manifests target (preStop `sleep`); 1.32: kubectl's.
VERSIONS=${FRAMEWISE_K8S_VERSIONS:-"1.30.0 1.32.0"}

if ! command -v kubectl >/dev/null 2>&1; then
  if [ "${FRAMEWISE_REQUIRE_KUBECTL:-0}" = "1" ]; then
    echo "deploy/validate.sh: kubectl not found and FRAMEWISE_REQUIRE_KUBECTL=1: failing" >&2
    exit 1
  fi
  echo "deploy/validate.sh: kubectl not found: Kubernetes manifests NOT validated" \
       "(install kubectl, or set FRAMEWISE_REQUIRE_KUBECTL=1 to make this an error)" >&2
  exit 0
fi

VALIDATE=${KUBERNETES_VALIDATE:-.venv/bin/kubernetes-validate}
if ! [ -x "$VALIDATE" ]; then
  VALIDATE=$(command -v kubernetes-validate || true)
fi
if [ -z "$VALIDATE" ]; then
  echo "deploy/validate.sh: kubernetes-validate not found (pip install -e '.[dev]')" >&2
  exit 1
fi

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT

status=0
for dir in "$KUSTOMIZE_ROOT"/base "$KUSTOMIZE_ROOT"/overlays/*/; do
  dir=${dir%/}
  name=$(echo "${dir#"$KUSTOMIZE_ROOT"/}" | tr / -)
  out="$rendered/$name.yaml"
  if ! kubectl kustomize "$dir" >"$out"; then
    echo "FAIL $dir: kubectl kustomize could not render it" >&2
    status=1
    continue
  fi
  count=$(grep -c '^kind:' "$out" || true)
  for version in $VERSIONS; do
    if "$VALIDATE" --strict --quiet --kubernetes-version "$version" "$out"; then
      echo "ok   $dir: $count resources valid (strict, Kubernetes $version)"
    else
      echo "FAIL $dir: not valid (strict, Kubernetes $version)" >&2
      status=1
    fi
  done
done
exit $status
