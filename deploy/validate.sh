#!/usr/bin/env bash
# Renders every kustomize overlay with `kubectl kustomize` and validates the result
# offline with `kubernetes-validate --strict` (unknown fields are errors), against the
# Kubernetes versions in FRAMEWISE_K8S_VERSIONS. No cluster is needed.
#
# deploy/cert-manager/ holds custom resources, which kubernetes-validate has no schema for:
# they are checked to be well-formed and to write every Secret the prod overlay mounts.
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

PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
for file in deploy/cert-manager/*.yaml; do
  if "$PYTHON" - "$file" "$rendered/overlays-prod.yaml" <<'PY'
import sys

import yaml

documents = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in documents:
    assert d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"), d
written = {d["spec"]["secretName"] for d in documents if d["kind"] == "Certificate"}
mounted = {volume["secret"]["secretName"]
           for d in yaml.safe_load_all(open(sys.argv[2])) if d and d["kind"] == "Deployment"
           for volume in d["spec"]["template"]["spec"].get("volumes", []) if "secret" in volume}
assert mounted <= written, f"prod mounts {sorted(mounted - written)}, not written here"
print(f"ok   {sys.argv[1]}: {len(documents)} resources, writes {sorted(written)}")
PY
  then :; else
    echo "FAIL $file: not well-formed, or not writing the Secrets prod mounts" >&2
    status=1
  fi
done
exit $status
