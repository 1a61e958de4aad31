#!/usr/bin/env bash
# The policy scanners people run on Kubernetes manifests, over every environment in dist/:
#   kube-score (built from the Go module proxy) and checkov's Kubernetes checks (PyPI).
# Any finding that is not an exception fails. Exceptions live in each tool's own configuration,
# one line and one reason each: .ci/scanners/kube-score.args and .ci/scanners/checkov.yaml for
# the run-wide ones, `kube-score/ignore` and `checkov.io/skip1` annotations for single objects.
# Polaris is not run: the Go module proxy refuses every version of github.com/fairwindsops/polaris
# (403), and it is on no other registry reachable here.
# Tools are installed once per machine into a cache folder (or when a pin changes).
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_SCORE_VERSION=v1.20.0
CHECKOV_VERSION=3.3.30
# The oldest Kubernetes the library supports (cce-platform.md: CCE 1.28 and later).
KUBERNETES_VERSION=v1.28
CACHE="${SCANNER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-memos-cce/scanners}"
mkdir -p "$CACHE/bin"

if ! go version -m "$CACHE/bin/kube-score" 2>/dev/null | grep -q "github.com/zegl/kube-score[[:space:]]*$KUBE_SCORE_VERSION"; then
  echo "scanners: building kube-score $KUBE_SCORE_VERSION"
  GOBIN="$CACHE/bin" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw \
    go install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
fi
if [ "$("$CACHE/checkov/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  echo "scanners: installing checkov $CHECKOV_VERSION"
  rm -rf "$CACHE/checkov"
  python3 -m venv "$CACHE/checkov"
  "$CACHE/checkov/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# checkov offline: no guideline download, no update check, no platform key.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE
unset BC_API_KEY
mapfile -t KUBE_SCORE_ARGS < <(grep -v -E '^[[:space:]]*(#|$)' .ci/scanners/kube-score.args)

failed=0
# The restore Jobs `npm run restore` writes, for every store each environment backs up, are
# scanned like the environments, beside their environment's NetworkPolicy that selects them (they
# carry their store's backup pods' labels, and are applied into the namespace holding it).
restores="$(mktemp -d)"
trap 'rm -rf "$restores"' EXIT
npx tsx -e '
  const fs = require("fs");
  const { ENVIRONMENTS } = require("./app/environments");
  const { MemosChart } = require("./charts/memos-chart");
  const { renderRestore } = require("./app/restore");
  const { App, Yaml } = require("cdk8s");
  for (const e of ENVIRONMENTS) {
    const chart = new MemosChart(new App(), e.name, e);
    const stack = chart.stack;
    for (const [store, backup] of Object.entries({ qdrant: stack.qdrantBackup, neo4j: stack.neo4jBackup, milvus: stack.milvusBackup, redis: stack.redisBackup })) {
      if (!backup) continue;
      const policy = Yaml.stringify(...chart.toJson().filter((o) => o.kind === "NetworkPolicy" && o.metadata.name === `${stack.instance}-${store}-backup`));
      fs.writeFileSync(`${process.argv[1]}/restore-${e.name}-${store}.yaml`, `${policy}---\n${renderRestore(ENVIRONMENTS, e.name, store, "20261127T020000Z").yaml}`);
    }
  }' "$restores"

# One file per run: kube-score merges objects of the same name across files.
for manifest in dist/*/memos.k8s.yaml "$restores"/*.yaml; do
  if ! out="$("$CACHE/bin/kube-score" score "$manifest" --kubernetes-version "$KUBERNETES_VERSION" --output-format ci \
      --exit-one-on-warning "${KUBE_SCORE_ARGS[@]}")"; then
    echo "$out" | grep -v -E '^\[(OK|SKIPPED)\]' >&2
    echo "scanners: kube-score found the problems above in $manifest" >&2
    failed=1
  fi
  if ! out="$("$CACHE/checkov/bin/checkov" --config-file .ci/scanners/checkov.yaml -f "$manifest" 2>&1)"; then
    echo "$out" >&2
    echo "scanners: checkov found the problems above in $manifest" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "scanners: fix the manifests, or add an exception with its reason (see the top of .ci/scanners.sh)" >&2
  exit 1
fi
echo "scanners: kube-score $KUBE_SCORE_VERSION and checkov $CHECKOV_VERSION find nothing in $(ls dist | wc -l) environments and $(ls "$restores" | wc -l) restore manifests"
