#!/usr/bin/env bash
# What the backup tests (test/backup-*.test.ts) run the backup and restore scripts with:
#   - rclone 1.68.2, the version of the Jobs' image (docker.io/rclone/rclone:1.68.2), built from
#     the Go module proxy (Debian's 1.60 is older than the image and ignores path-style endpoints);
#   - moto's S3 server (PyPI moto[server]), the local S3-compatible server the scripts upload to.
# Both go into a cache folder that survives between CI runs on this machine; a second run only
# checks the versions. The tests find them by the same rule ($BACKUP_TOOLS, else the cache folder)
# and download nothing themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

RCLONE_VERSION=v1.68.2
MOTO_VERSION=5.2.5
TOOLS="${BACKUP_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-memos-cce/backup-tools}"
mkdir -p "$TOOLS/bin"

if ! go version -m "$TOOLS/bin/rclone" 2>/dev/null | grep -q "github.com/rclone/rclone[[:space:]]*$RCLONE_VERSION"; then
  echo "backup-tools: building rclone $RCLONE_VERSION"
  GOBIN="$TOOLS/bin" GOMODCACHE="$TOOLS/go/mod" GOCACHE="$TOOLS/go/build" GOFLAGS=-modcacherw \
    go install "github.com/rclone/rclone@$RCLONE_VERSION"
fi
if [ "$("$TOOLS/moto/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" != "$MOTO_VERSION" ]; then
  echo "backup-tools: installing moto[server] $MOTO_VERSION"
  rm -rf "$TOOLS/moto"
  python3 -m venv "$TOOLS/moto"
  "$TOOLS/moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
echo "backup-tools: $("$TOOLS/bin/rclone" version | head -1), moto $MOTO_VERSION in $TOOLS"
