import { EmbeddingServerOptions } from '../constructs/embedding-server';
import { MemosGatewayOptions } from '../constructs/memos-gateway';
import { MilvusOptions } from '../constructs/milvus';
import { Neo4jOptions } from '../constructs/neo4j';
import { QdrantOptions } from '../constructs/qdrant';
import { RedisServerOptions } from '../constructs/redis-server';
import { Neo4jEndpoint, PostgresEndpoint } from '../src/memos-settings';

/**
 * What a {@link MemosStack} runs in the cluster and what it uses from outside, one choice per
 * backend. Each choice is a class with static factories (the cdk8s-plus convention), so a
 * combination that cannot work (a PostgreSQL graph with a Qdrant, a DCS host for an in-cluster
 * Redis) cannot be written down.
 */

/** A Huawei Cloud DCS for Redis instance (6.2+, primary/standby or single-node; not Cluster). */
export interface DcsRedisOptions {
  /** The instance's connection address: a domain name or IP, without the port. */
  readonly host: string;
  /**
   * Port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * Database index.
   * @default 0
   */
  readonly db?: number;
}

/** An in-cluster Redis for the scheduler queue. */
export interface InClusterRedisOptions extends RedisServerOptions {
  /**
   * Database index.
   * @default 0
   */
  readonly db?: number;
}

/** Where the scheduler queue lives: a managed DCS instance, or a Redis in the namespace. */
export class RedisQueue {
  /**
   * Huawei Cloud DCS for Redis (seed §2.4). MemOS uses a plain client and multi-key SCAN, so
   * use a primary/standby or single-node instance, not a Cluster one. The password is the
   * stack credentials' `MEMSCHEDULER_REDIS_PASSWORD` (optional: a password-free DCS needs none).
   */
  public static dcs(options: DcsRedisOptions): RedisQueue {
    return new RedisQueue(options, undefined);
  }

  /** A Redis StatefulSet in the namespace (AOF on an EVS disk), for clusters without DCS. */
  public static inCluster(options: InClusterRedisOptions = {}): RedisQueue {
    return new RedisQueue(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _dcs: DcsRedisOptions | undefined,
    /** @internal */ public readonly _inCluster: InClusterRedisOptions | undefined,
  ) {}
}

/** MemOS's memory graph in Neo4j: in the cluster, or an existing server. */
export class Neo4jBackend {
  /** Neo4j in the cluster, sized from the preset unless `options` say otherwise. */
  public static inCluster(options: Neo4jOptions = {}): Neo4jBackend {
    return new Neo4jBackend(options, undefined);
  }

  /** An existing Neo4j; the password is the stack credentials' `NEO4J_PASSWORD`. */
  public static external(options: Neo4jEndpoint): Neo4jBackend {
    return new Neo4jBackend(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _inCluster: Neo4jOptions | undefined,
    /** @internal */ public readonly _external: Neo4jEndpoint | undefined,
  ) {}
}

/** A Qdrant outside the stack. */
export interface ExternalQdrantOptions {
  /** Host of its REST API. */
  readonly host: string;
  /**
   * REST port.
   * @default 6333
   */
  readonly port?: number;
  /**
   * It requires an API key: the stack credentials' `QDRANT_API_KEY`.
   * @default false
   */
  readonly apiKey?: boolean;
  /**
   * It serves HTTPS with a certificate from a public CA (MemOS's bundle: certifi).
   * @default false
   */
  readonly https?: boolean;
}

/** MemOS's vectors in Qdrant: in the cluster, or an existing one. */
export class QdrantBackend {
  /** Qdrant in the cluster, sized from the preset unless `options` say otherwise. */
  public static inCluster(options: QdrantOptions = {}): QdrantBackend {
    return new QdrantBackend(options, undefined);
  }

  /** An existing Qdrant. */
  public static external(options: ExternalQdrantOptions): QdrantBackend {
    return new QdrantBackend(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _inCluster: QdrantOptions | undefined,
    /** @internal */ public readonly _external: ExternalQdrantOptions | undefined,
  ) {}
}

/** Neo4j and Qdrant for MemOS's `neo4j-community` backend. */
export interface Neo4jAndQdrantOptions {
  /**
   * The graph.
   * @default Neo4jBackend.inCluster()
   */
  readonly neo4j?: Neo4jBackend;
  /**
   * The vectors.
   * @default QdrantBackend.inCluster()
   */
  readonly qdrant?: QdrantBackend;
}

/** Where MemOS keeps its memory graph and vectors. */
export class MemoryStorage {
  /** The graph in Neo4j and the vectors in Qdrant (MemOS's `neo4j-community` backend). */
  public static neo4jAndQdrant(options: Neo4jAndQdrantOptions = {}): MemoryStorage {
    return new MemoryStorage(options, undefined);
  }

  /**
   * Graph and vectors in one PostgreSQL-compatible database with pgvector (RDS for PostgreSQL,
   * GaussDB; MemOS's `postgres` backend): no Neo4j, no Qdrant. The password is the stack
   * credentials' `POSTGRES_PASSWORD`.
   */
  public static postgres(options: PostgresEndpoint): MemoryStorage {
    return new MemoryStorage(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _neo4jAndQdrant: Neo4jAndQdrantOptions | undefined,
    /** @internal */ public readonly _postgres: PostgresEndpoint | undefined,
  ) {}
}

/** Milvus for preference memory, or none. */
export class MilvusDeployment {
  /** Milvus in the cluster; the preset chooses standalone or distributed unless `options.topology` does. */
  public static inCluster(options: MilvusOptions = {}): MilvusDeployment {
    return new MilvusDeployment(options);
  }

  /** No Milvus. */
  public static none(): MilvusDeployment {
    return new MilvusDeployment(undefined);
  }

  private constructor(/** @internal */ public readonly _inCluster: MilvusOptions | undefined) {}
}

/** An embedding service outside the stack (OpenAI-compatible `/v1/embeddings`). */
export interface ExternalEmbedderOptions {
  /** Base URL serving `/v1/embeddings`. */
  readonly apiBase: string;
  /** Served model name. */
  readonly model: string;
  /**
   * Vector size: must be the model's (it sizes the Qdrant collection).
   * @default - the known model's, else 1024
   */
  readonly dimension?: number;
}

/** The embedding model server: in the cluster, or an existing service. */
export class Embedder {
  /** An embedding server in the cluster (TEI on CPU, or mis-tei on Ascend NPUs). */
  public static inCluster(options: EmbeddingServerOptions = {}): Embedder {
    return new Embedder(options, undefined);
  }

  /** An existing OpenAI-compatible embedding service (its key: the credentials' `MOS_EMBEDDER_API_KEY`). */
  public static external(options: ExternalEmbedderOptions): Embedder {
    return new Embedder(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _inCluster: EmbeddingServerOptions | undefined,
    /** @internal */ public readonly _external: ExternalEmbedderOptions | undefined,
  ) {}
}

/** A reranker outside the stack, in the request/response shape of MemOS's `http_bge`. */
export interface ExternalRerankerOptions {
  /** Full URL MemOS POSTs to, e.g. `https://rerank.example.com/v1/rerank`. */
  readonly url: string;
  /**
   * Model name.
   * @default 'bge-reranker-v2-m3'
   */
  readonly model?: string;
}

/** How MemOS reranks search results. */
export class Reranker {
  /**
   * A reranking server in the cluster (mis-tei on Ascend: TEI on CPU answers a shape MemOS
   * cannot read).
   */
  public static inCluster(options: EmbeddingServerOptions = {}): Reranker {
    return new Reranker(options, undefined);
  }

  /** An existing reranking service (MemOS's `http_bge` backend). */
  public static external(options: ExternalRerankerOptions): Reranker {
    return new Reranker(undefined, options);
  }

  /** No reranking service: MemOS reranks with the embeddings (`cosine_local`). */
  public static cosineLocal(): Reranker {
    return new Reranker(undefined, undefined);
  }

  private constructor(
    /** @internal */ public readonly _inCluster: EmbeddingServerOptions | undefined,
    /** @internal */ public readonly _external: ExternalRerankerOptions | undefined,
  ) {}
}

/** What stands between the ELB and memos-api. */
export class ApiGateway {
  /**
   * The HAProxy gateway (`MemosGateway`): the ELB points at it and memos-api becomes ClusterIP,
   * reachable only from it. Without `jwt` or `apiKeys`, callers authenticate with API keys from
   * the Secret `<instance>-api-keys` you create (docs/security.md).
   */
  public static haproxy(options: MemosGatewayOptions = {}): ApiGateway {
    return new ApiGateway({ ...options });
  }

  /**
   * No gateway: the ELB points at memos-api, which authenticates nobody and trusts the `user_id`
   * in each request. Only behind your own authenticating gateway.
   */
  public static none(): ApiGateway {
    return new ApiGateway(undefined);
  }

  private constructor(
    /** @internal */ public readonly _haproxy: MemosGatewayOptions | undefined,
  ) {}
}
