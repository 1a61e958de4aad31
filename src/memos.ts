/**
 * MemOS server facts, written down once.
 *
 * Source: MemOS commit be68e2fb (v2.0.31), summarized in shared/reference/memos-runtime.md:
 * the root Dockerfile, src/memos/api/config.py (APIConfig), server_api.py and the scheduler modules.
 */

/** Version of MemOS the defaults (image tag, env names) are written against. */
export const MEMOS_VERSION = '2.0.31';

/** The only process type: the FastAPI app under uvicorn (root Dockerfile CMD). */
export const MEMOS_APP_MODULE = 'memos.api.server_api:app';

/** uvicorn port of the root Dockerfile (`python -m memos.api.server_api` would use 8001). */
export const MEMOS_HTTP_PORT = 8000;

/** Static liveness route; a 200 means `init_server()` finished (server_api.py L53-60). */
export const MEMOS_HEALTH_PATH = '/health';

/** The Secret a MemOS stack reads its credentials from unless told otherwise (never created here). */
export const MEMOS_DEFAULT_SECRET = 'memos-secrets';

/** `useradd -m -u 1000 memos` in the root Dockerfile. */
export const MEMOS_UID = 1000;

/** Paths MemOS writes to as UID 1000 (memos-runtime.md §3.1); emptyDirs under a read-only root. */
/**
 * Where MemOS pods find the PostgreSQL server's CA (a read-only Secret mount; `PGSSLROOTCERT`).
 * @internal
 */
export const MEMOS_POSTGRES_CA = { dir: '/etc/memos/postgres', file: 'ca.crt' } as const;

/**
 * Where MemOS pods keep the CAs of in-cluster stores (Secret mounts) and the bundle an init
 * container builds from them and certifi's public CAs (`SSL_CERT_FILE`).
 * @internal
 */
export const MEMOS_TRUST = { cas: '/etc/memos/ca', bundleDir: '/etc/memos/trust', bundle: '/etc/memos/trust/ca-bundle.crt' } as const;

export const MEMOS_WRITABLE_PATHS = {
  /** `$MEMOS_BASE_PATH/.memos`: log file, pod-local SQLite user DB. MEMOS_BASE_PATH defaults to the CWD, /app. */
  state: '/app/.memos',
  /** Python's tempfile dir: scheduler SQLite DB, skill-memory scratch dirs. */
  tmp: '/tmp',
  /** `~/.cache` of user memos, for any library that caches there. Not the tokenizer: see MEMOS_HF_HOME. */
  cache: '/home/memos/.cache',
} as const;

/** MEMOS_BASE_PATH: the `.memos` folder lives below it. */
export const MEMOS_BASE_PATH = '/app';

/**
 * Version of the PyPI package `MemoryOS` that images/memos/Dockerfile installs for MemOS v2.0.31:
 * 2.0.31 was never published to PyPI (it serves 2.0.30, then 2.0.32), and the code of v2.0.31
 * (commit be68e2fb) is 2.0.30's apart from the version string. 2.0.32 replaces
 * MEMSCHEDULER_OPENAI_DEFAULT_MODEL with MEMSCHEDULER_MODEL (configs/mem_scheduler.py).
 */
export const MEMOS_PYPI_VERSION = '2.0.30';

/**
 * Hugging Face home baked into the MemOS image (images/memos/Dockerfile): the `gpt2` tokenizer
 * MemOS's chunker loads in init_server() (MemOS v2.0.31 api/config.py L1028
 * `"tokenizer_or_token_counter": "gpt2"`, mem_reader/simple_struct.py L203; chonkie 1.1.0 reads
 * `tokenizer.json` through `tokenizers`, i.e. huggingface_hub's cache under HF_HOME) is fetched there
 * at build time. It lies outside every emptyDir a MemOS pod mounts, so no mount hides it, and it
 * is only read: with HF_HUB_OFFLINE=1 huggingface_hub resolves the file from the cache and writes nothing.
 */
export const MEMOS_HF_HOME = '/opt/huggingface';

/**
 * The Hugging Face settings every MemOS pod needs with the image of images/memos/Dockerfile (which
 * sets the same in its ENV): the baked tokenizer, and no call to the hub. Without them, or with an
 * image that lacks the tokenizer, a pod without egress to the hub crash-loops on
 * "Tokenizer not found" (chonkie/tokenizer.py `_load_tokenizer`).
 */
export const MEMOS_OFFLINE_HF_SETTINGS = { HF_HOME: MEMOS_HF_HOME, HF_HUB_OFFLINE: '1' } as const;

/**
 * Size at which the MemOS image rotates the log file (`maxBytes` that images/memos/bound_log_file.py
 * adds to the file handler of MemOS's log.py). With MemOS's `backupCount: 3` the log folder holds
 * at most 4 files: 256 MiB of the 1 GiB `$MEMOS_BASE_PATH/.memos` emptyDir.
 */
export const MEMOS_LOG_MAX_BYTES = 64 * 1024 * 1024;

/** Rotated log files MemOS keeps (`backupCount` of the file handler, MemOS v2.0.31 log.py L277). */
export const MEMOS_LOG_BACKUPS = 3;

/**
 * Every environment variable this library may set on a MemOS container. Each one is read by the
 * MemOS server code (memos-runtime.md §5); tests assert that nothing outside this list is emitted.
 */
export const MEMOS_SERVER_ENV_VARS = [
  // LLMs (§5.1)
  'OPENAI_API_KEY', 'OPENAI_API_BASE', 'MOS_CHAT_MODEL', 'MOS_CHAT_TEMPERATURE', 'MOS_MAX_TOKENS', 'MOS_TOP_P', 'MOS_TOP_K',
  'MEMRADER_MODEL', 'MEMRADER_API_KEY', 'MEMRADER_API_BASE', 'MEMRADER_MAX_TOKENS', 'MEMREADER_GENERAL_MODEL',
  'MEMSCHEDULER_OPENAI_DEFAULT_MODEL', 'ENABLE_CHAT_API', 'CHAT_MODEL_LIST',
  'QWEN_API_KEY', 'QWEN_API_BASE', 'QWEN_MODEL',
  // Embedder (§5.2)
  'MOS_EMBEDDER_BACKEND', 'MOS_EMBEDDER_PROVIDER', 'MOS_EMBEDDER_API_BASE', 'MOS_EMBEDDER_API_KEY', 'MOS_EMBEDDER_MODEL',
  'EMBEDDING_DIMENSION', 'MOS_EMBEDDER_TIMEOUT',
  // Reranker (§5.3)
  'MOS_RERANKER_BACKEND', 'MOS_RERANKER_URL', 'MOS_RERANKER_MODEL', 'MOS_RERANKER_HEADERS_EXTRA',
  'MOS_FEEDBACK_RERANKER_BACKEND', 'MOS_FEEDBACK_RERANKER_MODEL',
  // Graph DB and Qdrant (§5.4)
  'NEO4J_BACKEND', 'NEO4J_URI', 'NEO4J_USER', 'NEO4J_PASSWORD', 'NEO4J_DB_NAME', 'MOS_NEO4J_SHARED_DB',
  'QDRANT_HOST', 'QDRANT_PORT', 'QDRANT_URL', 'QDRANT_API_KEY',
  'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'MEMOS_SCHEMA', 'POSTGRES_MAX_CONN',
  // Read by libpq under psycopg2 when MemOS connects (it passes no sslmode of its own).
  'PGSSLMODE', 'PGSSLROOTCERT',
  // The CA bundle of Python's ssl, httpx (qdrant-client, openai) and requests: set per pod when
  // in-cluster stores serve TLS.
  'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE',
  // MemScheduler and Redis (§5.5)
  'MEMSCHEDULER_USE_REDIS_QUEUE', 'API_SCHEDULER_ON',
  'MEMSCHEDULER_REDIS_HOST', 'MEMSCHEDULER_REDIS_PORT', 'MEMSCHEDULER_REDIS_DB', 'MEMSCHEDULER_REDIS_PASSWORD',
  'MEMSCHEDULER_REDIS_TIMEOUT', 'MEMSCHEDULER_REDIS_CONNECT_TIMEOUT',
  'MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS', 'MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS', 'MOS_SCHEDULER_ENABLE_PARALLEL_DISPATCH',
  'MEMSCHEDULER_STREAM_KEY_PREFIX', 'MEMSCHEDULER_REDIS_STREAM_KEY_PREFIX',
  'MOS_SCHEDULER_TOP_K', 'MOS_SCHEDULER_ACT_MEM_UPDATE_INTERVAL', 'MOS_SCHEDULER_CONTEXT_WINDOW_SIZE',
  'API_SEARCH_WINDOW_SIZE', 'API_SEARCH_HISTORY_TURNS',
  // Paths, Hugging Face, logging (§3, §5.6)
  'MEMOS_BASE_PATH', 'HF_ENDPOINT', 'HF_HOME', 'HF_HUB_OFFLINE',
  'CUSTOM_LOGGER_URL', 'CUSTOM_LOGGER_TOKEN', 'CUSTOM_LOGGER_WORKERS',
  // Task models, preference memory, internet search, behaviour tuning (§5.1, §5.6)
  'MEMREADER_ENABLE_BACKUP', 'IMAGE_PARSER_MODEL', 'DOCUMENT_PARSER_MODEL', 'PREFERENCE_EXTRACTOR_MODEL', 'FEEDBACK_MODEL', 'SKILLS_LLM',
  'ENABLE_PREFERENCE_MEMORY', 'PREFERENCE_ADDER_MODE', 'DEDUP_PREF_EXP_BY_TEXTUAL', 'PREFERENCE_SEARCH_THRESHOLD',
  'ENABLE_INTERNET', 'INTERNET_SEARCH_BACKEND', 'BOCHA_API_KEY', 'TAVILY_API_KEY', 'TAVILY_SEARCH_DEPTH',
  'MOS_ENABLE_DEFAULT_CUBE_CONFIG', 'MOS_ENABLE_REORGANIZE', 'ASYNC_MODE', 'MOS_WORKING_MEMORY', 'MOS_LONGTERM_MEMORY',
  'MOS_USER_MEMORY', 'MOS_MAX_TURNS_WINDOW', 'MEM_READER_BACKEND', 'FILE_PARSER_CHUNK_SIZE', 'FILE_PARSER_CHUNK_OVERLAP',
  'MEMOS_EMBEDDING_OPTIMIZATION_ENABLED', 'MOS_EMBEDDER_HEADERS_EXTRA',
  // Milvus (§5.6): read by the MOS/SDK preference path; server_api has not used Milvus since v2.0.8.
  'MILVUS_URI', 'MILVUS_USER_NAME', 'MILVUS_PASSWORD',
] as const;

export type MemosEnvVar = typeof MEMOS_SERVER_ENV_VARS[number];

/**
 * Names that appear in MemOS docs or examples but that the server does not read (memos-runtime.md
 * §5.7, §10), with what to use instead. Setting one would silently do nothing.
 */
export const MEMOS_IGNORED_ENV_VARS: Readonly<Record<string, string>> = {
  DEFAULT_USE_REDIS_QUEUE: 'MEMSCHEDULER_USE_REDIS_QUEUE',
  MOS_SCHEDULER_USE_REDIS_QUEUE: 'MEMSCHEDULER_USE_REDIS_QUEUE',
  MOS_ENABLE_SCHEDULER: 'API_SCHEDULER_ON',
  MEMOS_LOG_LEVEL: 'nothing: the console level is fixed at WARNING; INFO goes to $MEMOS_BASE_PATH/.memos/logs',
  MOS_CUBE_PATH: 'nothing: not read by server_api',
  SEARCH_MODE: 'the `mode` field of /product/search requests',
  MOS_TEXT_MEM_TYPE: 'nothing: read only by the SDK and mcp_serve.py',
};

/** Environment variables whose values are credentials: they must come from a Secret, never a ConfigMap. */
export const MEMOS_SECRET_ENV_VARS = [
  'OPENAI_API_KEY', 'MEMRADER_API_KEY', 'MOS_EMBEDDER_API_KEY', 'NEO4J_PASSWORD', 'QDRANT_API_KEY',
  'MEMSCHEDULER_REDIS_PASSWORD', 'POSTGRES_PASSWORD', 'QWEN_API_KEY', 'CHAT_MODEL_LIST', 'MOS_RERANKER_HEADERS_EXTRA',
  'MOS_EMBEDDER_HEADERS_EXTRA', 'BOCHA_API_KEY', 'TAVILY_API_KEY', 'CUSTOM_LOGGER_TOKEN', 'MILVUS_PASSWORD',
] as const satisfies readonly MemosEnvVar[];

export type MemosSecretEnvVar = typeof MEMOS_SECRET_ENV_VARS[number];

/** @internal */
export function isMemosEnvVar(name: string): name is MemosEnvVar {
  return (MEMOS_SERVER_ENV_VARS as readonly string[]).includes(name);
}

/** @internal */
export function isMemosSecretEnvVar(name: string): name is MemosSecretEnvVar {
  return (MEMOS_SECRET_ENV_VARS as readonly string[]).includes(name);
}

/** The `bge-m3` embedding model and its vector size, the seed's default (sizes Qdrant's `neo4j_vec_db`). */
export const BGE_M3 = { model: 'bge-m3', dimension: 1024 } as const;

/** DeepSeek's OpenAI-compatible API, the seed's default LLM (seed §3.3). */
export const DEEPSEEK = { apiBase: 'https://api.deepseek.com/v1', chatModel: 'deepseek-chat' } as const;

/** The Qdrant collection of the `neo4j-community` backend (MemOS api/config.py, `collection_name`). */
export const MEMOS_QDRANT_COLLECTION = 'neo4j_vec_db';

/** Default prefix of the scheduler's Redis stream keys (`task_schemas.py` L79). */
export const MEMOS_STREAM_KEY_PREFIX = 'scheduler:messages:stream:v2.0';

/** Consumer group of every scheduler stream (`redis_queue.py`). */
export const MEMOS_CONSUMER_GROUP = 'scheduler_group';

/**
 * Embedding and reranking models MemOS is run with, and what the configuration must agree on:
 * `EMBEDDING_DIMENSION` is sent as `dimensions` on every request and sizes the Qdrant collection,
 * so it must equal the model's output size (Hugging Face model cards of BAAI).
 */
export const KNOWN_MODELS: Readonly<Record<string, { readonly repository: string; readonly task: 'embed' | 'rerank'; readonly dimension?: number }>> = {
  'bge-m3': { repository: 'BAAI/bge-m3', task: 'embed', dimension: 1024 },
  'bge-large-zh-v1.5': { repository: 'BAAI/bge-large-zh-v1.5', task: 'embed', dimension: 1024 },
  'bge-large-en-v1.5': { repository: 'BAAI/bge-large-en-v1.5', task: 'embed', dimension: 1024 },
  'bge-base-zh-v1.5': { repository: 'BAAI/bge-base-zh-v1.5', task: 'embed', dimension: 768 },
  'bge-small-zh-v1.5': { repository: 'BAAI/bge-small-zh-v1.5', task: 'embed', dimension: 512 },
  'bge-reranker-v2-m3': { repository: 'BAAI/bge-reranker-v2-m3', task: 'rerank' },
  'bge-reranker-large': { repository: 'BAAI/bge-reranker-large', task: 'rerank' },
};

/**
 * The known model served under `name`: its short name (`bge-m3`) or its Hugging Face repository
 * (`BAAI/bge-m3`, what TEI's `--model-id` and hosted APIs use), case-insensitively.
 * @internal
 */
export function knownModel(name: string): (typeof KNOWN_MODELS)[string] | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(KNOWN_MODELS).find(([short, model]) => short.toLowerCase() === wanted || model.repository.toLowerCase() === wanted)?.[1];
}
