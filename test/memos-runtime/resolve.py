"""What MemOS's own code resolves from a memos-api pod's environment (run with the MemOS virtualenv).

Input (stdin, JSON): {"env": {NAME: value}, "workdir": "/app", "home": "/home/memos",
                      "probes": [NAME, ...]}
Output (stdout, JSON): {"memosVersion", "dotenvFile", "resolved": {...},
                        "probes": {NAME: {"mutatedTo", "mutationChanges": [...], "removalChanges": [...]}},
                        "noise": [...]}

`resolved` is computed by MemOS 2.0.x's own builders, the ones `init_server()` calls
(memos/api/handlers/component_init.py, config_builders.py, memos/api/config.py APIConfig), plus
the Redis connections the scheduler's queue and status tracker open
(memos/mem_scheduler/task_schedule_modules/redis_queue.py SchedulerRedisQueue,
memos/mem_scheduler/webservice_modules/redis_service.py auto_initialize_redis,
memos/mem_scheduler/orm_modules/api_redis_model.py load_redis_engine_from_env), with
`redis.Redis` replaced by a recorder so nothing connects, plus huggingface_hub's settings and
memos.settings.MEMOS_DIR.

Each resolution runs in a forked child with exactly the given environment (nothing inherited:
no CI, which makes MemOS skip Redis), with memos imported fresh in the child, because several
MemOS modules read the environment at import time. For every name in `probes` the child runs
twice more: once with the value changed (`mutationChanges`: the resolved fields that moved) and
once with the name removed (`removalChanges`: empty = the value is MemOS's own default).
"""
import importlib
import json
import os
import pathlib
import sys
import traceback

# MemOS logs INFO to its log file under MEMOS_BASE_PATH; keep the children's writes in a temp dir.
PRELOAD = [
    "numpy", "scipy", "sklearn", "sklearn.feature_extraction.text", "pandas", "sqlalchemy",
    "sqlalchemy.orm", "fastapi", "pydantic", "openai", "redis", "neo4j", "qdrant_client", "rich",
    "rich.progress", "starlette", "requests", "ollama", "transformers", "huggingface_hub",
    "chonkie", "tokenizers", "jieba", "dotenv",
]


class RecordingRedis:
    """Stands in for redis.Redis: records the connection settings, answers like a Redis 7."""

    made = []

    def __init__(self, *args, **kwargs):
        RecordingRedis.made.append({k: v for k, v in kwargs.items()})

    def ping(self):
        return True

    def info(self, *_args, **_kwargs):
        return {"redis_version": "7.0.0"}

    def __getattr__(self, _name):
        return lambda *a, **k: None


def dump(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [dump(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def resolve(workdir: str) -> dict:
    """Runs in the child: imports MemOS under the current os.environ and collects what it resolves."""
    # The image's WORKDIR: MEMOS_BASE_PATH falls back to the current directory (memos/settings.py).
    pathlib.Path.cwd = classmethod(lambda cls: cls(workdir))
    import huggingface_hub.constants as hf

    importlib.reload(hf)
    import redis

    redis.Redis = RecordingRedis
    out = {}

    def attempt(key, fn):
        try:
            out[key] = dump(fn())
        except Exception as err:  # what fails to resolve is part of the result
            out[key] = {"error": f"{type(err).__name__}: {err}"}

    from memos import settings
    from memos.api.config import APIConfig
    from memos.api.handlers import config_builders as b

    attempt("graphDb", b.build_graph_db_config)
    attempt("llm", b.build_llm_config)
    attempt("feedbackLlm", b.build_feedback_llm_config)
    attempt("chatLlms", b.build_chat_llm_config)
    attempt("memReader", b.build_mem_reader_config)
    attempt("embedder", b.build_embedder_config)
    attempt("reranker", b.build_reranker_config)
    attempt("feedbackReranker", b.build_feedback_reranker_config)
    attempt("internetRetriever", b.build_internet_retriever_config)
    attempt("nli", b.build_nli_client_config)
    attempt("defaultCube", APIConfig.get_default_cube_config)
    attempt("scheduler", APIConfig.get_scheduler_config)
    out["memosDir"] = str(settings.MEMOS_DIR)
    out["hf"] = {"HF_HOME": hf.HF_HOME, "HF_HUB_CACHE": hf.HF_HUB_CACHE,
                 "HF_HUB_OFFLINE": hf.HF_HUB_OFFLINE, "ENDPOINT": hf.ENDPOINT}

    def redis_queue():
        from memos.mem_scheduler.task_schedule_modules.redis_queue import SchedulerRedisQueue

        RecordingRedis.made.clear()
        queue = SchedulerRedisQueue()
        return {"connections": list(RecordingRedis.made), "connected": queue._is_connected,
                "streamKeyPrefix": queue.stream_key_prefix, "consumerGroup": queue.consumer_group}

    def status_tracker_redis():
        from memos.mem_scheduler.orm_modules.api_redis_model import APIRedisDBManager

        RecordingRedis.made.clear()
        client = APIRedisDBManager.load_redis_engine_from_env()
        return {"connections": list(RecordingRedis.made), "connected": client is not None}

    def embedding_request():
        # What one embedding call sends: UniversalAPIEmbedder.embed reads MOS_EMBEDDER_TIMEOUT per
        # request (memos/embedders/universal_api.py L115-125); the HTTP call itself is recorded, not made.
        from memos.embedders.factory import EmbedderFactory

        embedder = EmbedderFactory.from_config(b.build_embedder_config())
        sent = []

        def record(client, model, texts, timeout):
            sent.append({"model": model, "timeout": timeout, "baseUrl": str(client.base_url)})
            return [[0.0] for _ in texts]

        embedder._call_embeddings_api = record
        embedder.embed(["probe"])
        return sent

    attempt("embeddingRequest", embedding_request)
    attempt("redisQueue", redis_queue)
    attempt("statusTrackerRedis", status_tracker_redis)
    return out


def in_child(env: dict, workdir: str, home: str):
    """Forks; the child resolves under exactly `env` and sends JSON back through a pipe."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            os.environ.clear()
            os.environ.update({"PATH": "/usr/bin:/bin", "HOME": home, **env})
            # Under a temp dir: MemOS opens its log file in $MEMOS_BASE_PATH/.memos/logs at import.
            os.chdir(os.environ.get("MEMOS_RESOLVE_SCRATCH", "/tmp"))
            # MemOS logs to the console (stdout) too: nothing but the pipe carries the result.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            payload = json.dumps(resolve(workdir)).encode()
        except BaseException:
            payload = json.dumps({"error": traceback.format_exc()}).encode()
            code = 1
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(payload)
        os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def collect(jobs):
    """Waits for forked children; at most two run at once (the machine has two cores)."""
    results, running, queue = {}, {}, list(jobs)
    while queue or running:
        while queue and len(running) < 2:
            key, env, workdir, home = queue.pop(0)
            running[key] = in_child(env, workdir, home)
        key = next(iter(running))
        pid, fd = running.pop(key)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        results[key] = json.loads(data)
    return results


def mutate(value: str) -> str:
    low = value.lower()
    if low in ("true", "false"):
        return "false" if low == "true" else "true"
    try:
        return str(int(value) + 1)
    except ValueError:
        pass
    try:
        return str(float(value) * 2 + 1)
    except ValueError:
        pass
    if "://" in value:
        scheme, rest = value.split("://", 1)
        host, sep, tail = rest.partition("/")
        name, colon, port = host.partition(":")
        return f"{scheme}://{name}-probe{colon}{port}{sep}{tail}"
    if value.startswith("/"):
        return value.rstrip("/") + "-probe"
    return (value + "-probe") if value else "probe"


def leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, tree


def changes(base, other, noise):
    a, b = dict(leaves(base)), dict(leaves(other))
    return sorted(k for k in set(a) | set(b) if k not in noise and a.get(k, "<absent>") != b.get(k, "<absent>"))


def main():
    spec = json.load(sys.stdin)
    # Only the result goes to stdout; whatever a library prints goes to stderr.
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    env, workdir, home = spec["env"], spec.get("workdir", "/app"), spec.get("home", "/home/memos")
    for name in PRELOAD:  # heavy, environment-independent imports, shared by every forked child
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    jobs = [("base", env, workdir, home), ("base-again", env, workdir, home)]
    mutated = {}
    for name in spec.get("probes", []):
        if name not in env:
            continue
        mutated[name] = mutate(env[name])
        jobs.append((f"mutate:{name}", {**env, name: mutated[name]}, workdir, home))
        jobs.append((f"remove:{name}", {k: v for k, v in env.items() if k != name}, workdir, home))
    results = collect(jobs)
    base = results["base"]
    if "error" in base:
        raise SystemExit(base["error"])
    # Fields that differ between two identical runs (random ids) say nothing about the env.
    noise = set(changes(base, results["base-again"], set()))
    probes = {}
    for name, value in mutated.items():
        probes[name] = {
            "mutatedTo": value,
            "mutationChanges": changes(base, results[f"mutate:{name}"], noise),
            "removalChanges": changes(base, results[f"remove:{name}"], noise),
        }
    from importlib.metadata import version

    import dotenv

    # memos/api/config.py calls load_dotenv(override=True): a .env found from there would win over the pod env.
    memos_api_dir = os.path.join(os.path.dirname(importlib.util.find_spec("memos").origin), "api")
    dotenv_file = ""
    for d in [memos_api_dir, *map(str, pathlib.Path(memos_api_dir).parents)]:
        if os.path.isfile(os.path.join(d, ".env")):
            dotenv_file = os.path.join(d, ".env")
            break
    assert dotenv  # imported for its presence: MemOS needs python-dotenv
    json.dump({"memosVersion": version("MemoryOS"), "dotenvFile": dotenv_file, "resolved": base,
               "probes": probes, "noise": sorted(noise)}, result_out)
    result_out.close()


if __name__ == "__main__":
    main()
