"""Bound MemOS's log file by size: a build step of images/memos/Dockerfile.

MemOS configures its logging in `memos/log.py` (MemoryOS 2.0.30 on PyPI, the code of MemOS v2.0.31):
the root logger writes INFO and above to `$MEMOS_BASE_PATH/.memos/logs/memos.log` through
`concurrent_log_handler.ConcurrentTimedRotatingFileHandler` with `when: midnight`, `backupCount: 3`
and no size bound (log.py L272-281), and the request middleware logs two INFO lines, with all
request headers, for every request, Kubernetes probes included (api/middleware/request_context.py
L70-90). MemOS reads no setting that changes this (settings.py: `DEBUG = False` and
`LOG_FILTER_TREE_PREFIX = ""` are constants; MEMOS_BASE_PATH only moves the folder).

The handler itself supports size-based rotation: `maxBytes` rolls the file over when it reaches that
size, rotated files of one day get a counter suffix, and `backupCount` keeps only the newest
rotated files, counters included (concurrent-log-handler 0.9.28 `ConcurrentTimedRotatingFileHandler`
and `getFilesToDelete`). This script adds `maxBytes` to the `file` handler of MemOS's LOGGING_CONFIG,
so the log folder holds at most (backupCount + 1) x maxBytes, plus the handler's small lock file.

It edits one line and fails the build when log.py does not look as expected (another MemOS version):
review the patch then, do not silence it.

Usage: python bound_log_file.py MAX_BYTES
"""

import importlib.util
import pathlib
import sys

HANDLER_CLASS = '"class": "concurrent_log_handler.ConcurrentTimedRotatingFileHandler",'
EXPECTED = ('"when": "midnight"', '"backupCount": 3,', '"filename": _setup_logfile(),')


def main() -> None:
    max_bytes = int(sys.argv[1])
    if max_bytes < 1024 * 1024:
        sys.exit(f"MAX_BYTES {max_bytes}: use at least 1 MiB")
    # Locate log.py without importing memos (its import creates the log file).
    spec = importlib.util.find_spec("memos")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the memos package is not installed")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "log.py"
    source = path.read_text(encoding="utf-8")
    if source.count(HANDLER_CLASS) != 1 or any(source.count(text) != 1 for text in EXPECTED) or "maxBytes" in source:
        sys.exit(f"{path}: not the file handler this patch expects (MemOS v2.0.31 log.py); review the patch")
    lines = source.splitlines(keepends=True)
    (index,) = [i for i, line in enumerate(lines) if line.strip() == HANDLER_CLASS]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index + 1, f'{indent}"maxBytes": {max_bytes},  # images/memos/bound_log_file.py\n')
    path.write_text("".join(lines), encoding="utf-8")
    print(f"{path}: file handler bounded at {max_bytes} bytes per file")


if __name__ == "__main__":
    main()
