"""Records which environment variables a Python process reads, and where (for the MemOS start-up test).

Python imports `sitecustomize` at start-up from sys.path; the test puts this folder on PYTHONPATH
of the real `uvicorn memos.api.server_api:app` process and names an output file in
MEMOS_ENV_TRACE. Every read through os.environ / os.getenv / `in os.environ` appends one line
`NAME<TAB>file:line` (first time per pair) naming the code that asked. Whole-environment
copies (os.environ.copy(), items(), values()) are not reads of a setting and are not recorded.
Without MEMOS_ENV_TRACE this module does nothing.
"""
import os
import sys
import threading

_out = os.environ.get("MEMOS_ENV_TRACE")

if _out:
    _seen = set()
    _lock = threading.Lock()
    _getitem = os._Environ.__getitem__
    _skip_files = (os.sep + "os.py", os.sep + "_collections_abc.py", "<frozen os>", "<frozen _collections_abc>")
    _copies = {"copy", "__iter__", "items", "values", "__copy__", "__reduce__"}

    def _traced_getitem(self, key):
        try:
            return _getitem(self, key)
        finally:
            if self is os.environ:
                frame = sys._getframe(1)
                copying = False
                while frame is not None and frame.f_code.co_filename.endswith(_skip_files):
                    copying = copying or frame.f_code.co_name in _copies
                    frame = frame.f_back
                if not copying and frame is not None:
                    record = (key, f"{frame.f_code.co_filename}:{frame.f_lineno}")
                    with _lock:
                        if record not in _seen:
                            _seen.add(record)
                            with open(_out, "a", encoding="utf-8") as fh:
                                fh.write(f"{record[0]}\t{record[1]}\n")

    os._Environ.__getitem__ = _traced_getitem
