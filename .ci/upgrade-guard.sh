#!/usr/bin/env bash
# The upgrade guard (docs/upgrades.md) against a git ref, by default the previous commit: a fresh
# synth is compared with dist/ at that ref, and a change that Kubernetes rejects or that deletes
# data fails unless MIGRATIONS.md acknowledges it. With nothing to compare with (a first commit, a
# previous commit without dist/) it says why and skips. A shallow clone fails instead: skipping
# there would switch the guard off unnoticed.
set -euo pipefail
cd "$(dirname "$0")/.."
ref="${1:-HEAD~1}"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "upgrade guard skipped: $(pwd) is not a git checkout, there is no previous dist/ to compare with"
  exit 0
fi
if ! git rev-parse --verify --quiet "${ref}^{commit}" >/dev/null; then
  if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    echo "upgrade guard: $ref is not in this shallow clone; clone with full history (or run 'git fetch --deepen=1')" >&2
    exit 1
  fi
  echo "upgrade guard skipped: $ref does not exist (no parent commit), there is no previous dist/ to compare with"
  exit 0
fi
if [ -z "$(git ls-tree --name-only "$ref" -- dist/)" ]; then
  echo "upgrade guard skipped: $ref has no dist/ to compare with"
  exit 0
fi
npm run --silent diff -- --ref "$ref"
