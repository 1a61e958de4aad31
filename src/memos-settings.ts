import { SecretKeyRef } from './credentials';

/**
 * What MemOS connects to, as MemOS's configuration needs it: the store constructs expose these
 * values (host, port, URI, the Secret key a client reads), and typed external endpoints (DCS,
 * RDS/GaussDB, an existing Qdrant) give the same shapes, so hosts flow one way into MemosConfig.
 */

/** The OpenAI-compatible LLM MemOS calls for chat, memory extraction and scheduling. */
export interface MemosLlmSettings {
  /**
   * OpenAI-compatible `/v1` base URL (`OPENAI_API_BASE`).
   * @default - DeepSeek, `https://api.deepseek.com/v1` (seed §3.3)
   */
  readonly apiBase?: string;
  /**
   * Chat model (`MOS_CHAT_MODEL`).
   * @default 'deepseek-chat'
   */
  readonly chatModel?: string;
  /**
   * Memory-extraction model (`MEMRADER_MODEL`; MemOS spells it MEMRADER).
   * @default - the chat model
   */
  readonly memReaderModel?: string;
  /**
   * Base URL of the memory-extraction model (`MEMRADER_API_BASE`).
   * @default - the chat model's `apiBase`
   */
  readonly memReaderApiBase?: string;
}

/** The embedding service MemOS calls through its `universal_api` embedder. */
export interface EmbedderConnection {
  /** OpenAI-compatible base URL serving `/v1/embeddings` (`MOS_EMBEDDER_API_BASE`). */
  readonly apiBase: string;
  /**
   * Served model name (`MOS_EMBEDDER_MODEL`).
   * @default 'bge-m3'
   */
  readonly model?: string;
  /**
   * Vector size (`EMBEDDING_DIMENSION`): sent as `dimensions` on every request and used to size
   * the Qdrant collection, so it must match the model. Changing it later means dropping `neo4j_vec_db`.
   * @default 1024 (bge-m3)
   */
  readonly dimension?: number;
  /**
   * Seconds MemOS waits for one embedding request (`MOS_EMBEDDER_TIMEOUT`). A document upload
   * embeds all its chunks in one request, which a CPU server answers in tens of seconds; MemOS's
   * own 5 s (memos-runtime.md §5.2) fails such uploads after its client's retries.
   * @default 120
   */
  readonly timeoutSeconds?: number;
}

/** Reranker backends MemOS understands (memos-runtime.md §5.3). */
export enum RerankerBackend {
  /** Reuses the embeddings; no service. */
  COSINE_LOCAL = 'cosine_local',
  /** POSTs to a `/v1/rerank` URL (BGE reranker shape). */
  HTTP_BGE = 'http_bge',
}

/** How MemOS reranks search results. */
export interface RerankerConnection {
  /**
   * Applied to both `MOS_RERANKER_BACKEND` and `MOS_FEEDBACK_RERANKER_BACKEND`: the latter
   * defaults to `http_bge` in MemOS even when the former does not (trap 16), so both are set.
   * @default RerankerBackend.COSINE_LOCAL
   */
  readonly backend?: RerankerBackend;
  /**
   * Full endpoint URL, POSTed verbatim (`MOS_RERANKER_URL`). Required with `http_bge`.
   * @default - none
   */
  readonly url?: string;
  /**
   * Reranker model name (`MOS_RERANKER_MODEL`, `MOS_FEEDBACK_RERANKER_MODEL`).
   * @default 'bge-reranker-v2-m3'
   */
  readonly model?: string;
}

/** Where a Neo4j server or cluster is (`NEO4J_URI`, `NEO4J_USER`, `NEO4J_DB_NAME`). */
export interface Neo4jEndpoint {
  /** Bolt URI (`NEO4J_URI`): `bolt://` to one server, `neo4j://` (routing) to a cluster. */
  readonly uri: string;
  /**
   * User (`NEO4J_USER`).
   * @default 'neo4j'
   */
  readonly user?: string;
  /**
   * Database (`NEO4J_DB_NAME`).
   * @default 'neo4j'
   */
  readonly database?: string;
}

/** A Neo4j server or cluster and where its password is read from (`NEO4J_*`). */
export interface Neo4jConnection extends Neo4jEndpoint {
  /** Where the user's password is read from (`NEO4J_PASSWORD`). */
  readonly password: SecretKeyRef;
}

/** A Qdrant REST endpoint (`QDRANT_*`). */
export interface QdrantConnection {
  /** Host of Qdrant's REST API. */
  readonly host: string;
  /**
   * REST port.
   * @default 6333
   */
  readonly port?: number;
  /**
   * The API key, when Qdrant requires one. MemOS only sends `QDRANT_API_KEY` together with
   * `QDRANT_URL`, so then the URL `http://<host>:<port>` replaces `QDRANT_HOST`/`QDRANT_PORT`.
   * @default - no key
   */
  readonly apiKey?: SecretKeyRef;
  /**
   * Qdrant serves HTTPS: MemOS connects with `QDRANT_URL=https://<host>:<port>` (qdrant-client
   * takes TLS from the URL's scheme) and verifies the certificate with its CA bundle.
   * @default false
   */
  readonly https?: boolean;
}

/**
 * A PostgreSQL-compatible database (RDS for PostgreSQL, GaussDB) with pgvector, as MemOS's
 * `postgres` graph backend: graph and vectors both live there. At start-up MemOS runs
 * `CREATE SCHEMA IF NOT EXISTS`, `CREATE EXTENSION IF NOT EXISTS vector` and creates its
 * tables: the user needs those privileges, or pre-create them.
 */
export interface PostgresEndpoint {
  /** Host (`POSTGRES_HOST`). */
  readonly host: string;
  /**
   * Port (`POSTGRES_PORT`).
   * @default 5432
   */
  readonly port?: number;
  /**
   * Database (`POSTGRES_DB`).
   * @default 'memos'
   */
  readonly database?: string;
  /**
   * User (`POSTGRES_USER`).
   * @default 'memos'
   */
  readonly user?: string;
  /**
   * Schema of MemOS's tables (`MEMOS_SCHEMA`).
   * @default 'memos'
   */
  readonly schema?: string;
  /**
   * Connection pool size per MemOS process (`POSTGRES_MAX_CONN`).
   * @default 20
   */
  readonly maxConnections?: number;
  /**
   * TLS to the database (libpq's `PGSSLMODE`: MemOS passes no sslmode of its own, so psycopg2
   * takes it from the environment). Huawei RDS for PostgreSQL serves TLS by default; GaussDB does
   * not support `verify-full` (use `VERIFY_CA`).
   * @default PostgresSslMode.REQUIRE (encrypted; with `caCertificate`, PostgresSslMode.VERIFY_FULL)
   */
  readonly sslMode?: PostgresSslMode;
  /**
   * The CA that signed the server's certificate (the RDS console's download), from a Secret:
   * mounted into the MemOS pods and named by `PGSSLROOTCERT`.
   * @default - none: the server is not verified
   */
  readonly caCertificate?: SecretKeyRef;
}

/** libpq's `sslmode` values that make sense for a managed database. */
export enum PostgresSslMode {
  /** Plain TCP (only inside a trusted network). */
  DISABLE = 'disable',
  /** Encrypted; the server is not verified. */
  REQUIRE = 'require',
  /** Encrypted; the server's certificate must chain to `caCertificate`. */
  VERIFY_CA = 'verify-ca',
  /** As VERIFY_CA, and the certificate must name the host. */
  VERIFY_FULL = 'verify-full',
}

/** A PostgreSQL-compatible database and where its user's password is read from. */
export interface PostgresConnection extends PostgresEndpoint {
  /** Where the user's password is read from (`POSTGRES_PASSWORD`). */
  readonly password: SecretKeyRef;
}

/**
 * Redis for MemScheduler's shared task queue (Redis Streams, Redis >= 6.2, standalone or
 * primary/standby: MemOS uses a plain client and multi-key SCAN, not Redis Cluster).
 */
export interface RedisConnection {
  /** Host (`MEMSCHEDULER_REDIS_HOST`): a DCS primary/standby endpoint or an in-cluster Service. */
  readonly host: string;
  /**
   * Port (`MEMSCHEDULER_REDIS_PORT`).
   * @default 6379
   */
  readonly port?: number;
  /**
   * Database index (`MEMSCHEDULER_REDIS_DB`).
   * @default 0
   */
  readonly db?: number;
  /**
   * Where the password is read from (`MEMSCHEDULER_REDIS_PASSWORD`). MemOS pods read it as
   * optional: a password-free DCS instance needs no key.
   */
  readonly password: SecretKeyRef;
}

/** How every MemOS process consumes the scheduler queue (API pods and mem-scheduler alike). */
export interface MemosConsumerSettings {
  /**
   * Tasks one process runs at once (`MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS`).
   * @default - MemOS's default, 50
   */
  readonly threadPoolSize?: number;
  /**
   * Sleep between polls of the queue, seconds (`MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS`).
   * @default - MemOS's default, 0.01
   */
  readonly consumeIntervalSeconds?: number;
}

/** MemOS's graph backends (`NEO4J_BACKEND`). */
export enum MemosGraphBackend {
  /** Graph in Neo4j, vectors in Qdrant. */
  NEO4J_COMMUNITY = 'neo4j-community',
  /** Graph and vectors in PostgreSQL with pgvector. */
  POSTGRES = 'postgres',
}

/**
 * Where MemOS keeps its memory graph and vectors: Neo4j with Qdrant, or PostgreSQL alone. A
 * PostgreSQL graph with a Qdrant cannot be written down.
 */
export class MemosGraph {
  /** The `neo4j-community` backend: the graph in Neo4j, the vectors in Qdrant. */
  public static neo4jWithQdrant(neo4j: Neo4jConnection, qdrant: QdrantConnection): MemosGraph {
    return new MemosGraph(MemosGraphBackend.NEO4J_COMMUNITY, neo4j, qdrant, undefined);
  }

  /** The `postgres` backend: graph and vectors in one PostgreSQL-compatible database. */
  public static postgres(postgres: PostgresConnection): MemosGraph {
    return new MemosGraph(MemosGraphBackend.POSTGRES, undefined, undefined, postgres);
  }

  private constructor(
    /** The backend MemOS is told to use. */
    public readonly backend: MemosGraphBackend,
    /** With `neo4j-community`: the Neo4j. */
    public readonly neo4jConnection: Neo4jConnection | undefined,
    /** With `neo4j-community`: the Qdrant. */
    public readonly qdrantConnection: QdrantConnection | undefined,
    /** With `postgres`: the database. */
    public readonly postgresConnection: PostgresConnection | undefined,
  ) {}
}
