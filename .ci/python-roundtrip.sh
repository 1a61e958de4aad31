#!/usr/bin/env bash
# Makes the library usable from Python for test/python.integration.test.ts:
#   1. a virtualenv in a cache folder that survives between CI runs on this machine,
#   2. the Python cdk8s, cdk8s-plus-28 and constructs from PyPI, at the npm versions of package-lock.json,
#   3. the library's wheel, built by jsii-pacmak from the current .jsii and lib/ (run `npm run build` first),
#   4. that wheel installed into the virtualenv.
# Steps 1-2 run once per machine (or when a pin or the Python changes); 3-4 run every time.
# The test finds the virtualenv by the same rule: $MEMOS_PYTHON_VENV, else the cache folder below.
set -euo pipefail
cd "$(dirname "$0")/.."

# Same versions as the npm packages in package-lock.json; jsii is the Python runtime the
# generated bindings need (the jsii-pacmak version).
PINS=(cdk8s==2.70.106 cdk8s-plus-28==2.5.6 constructs==10.8.1 jsii==1.140.0)
PYTHON="${PYTHON:-python3}"
VENV="${MEMOS_PYTHON_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-memos-cce/py311-venv}"

LOG_PREFIX=python-roundtrip
. .ci/venv.sh

# What the virtualenv must hold; recorded in it once installed, so a second run skips pip.
wanted="$("$PYTHON" -c 'import sys; print(sys.version)') | ${PINS[*]}"
stamp="$VENV/.memos-pins"

step "virtualenv $VENV"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && "$VENV/bin/python" -c 'import cdk8s, cdk8s_plus_28, constructs' 2>/dev/null; then
  echo "python-roundtrip:   up to date (${PINS[*]})"
else
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --no-input --disable-pip-version-check "${PINS[@]}"
  echo "$wanted" > "$stamp"
  "$VENV/bin/python" -m pip freeze --all | sed 's/^/python-roundtrip:   /'
fi
done_step

# The wheel and sdist, into jsii-dist/python/ (emptied first so exactly one wheel is there).
step "npm run package:python"
if [ ! -f .jsii ] || [ ! -d lib ]; then
  echo "python-roundtrip: no .jsii or lib/: run 'npm run build' first" >&2
  exit 1
fi
rm -rf jsii-dist/python
npm run --silent package:python
done_step

step "install the wheel"
wheels=(jsii-dist/python/*.whl)
"$VENV/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --no-deps --force-reinstall "${wheels[@]}"
done_step

echo "python-roundtrip: ready: $VENV/bin/python with $(basename "${wheels[0]}")"
