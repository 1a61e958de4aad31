import { createHash } from 'crypto';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { InClusterEndpoints, ServicePorts } from '../src/endpoints';
import { componentLabels } from '../src/kubernetes';
import {
  BGE_M3,
  DEEPSEEK,
  MEMOS_BASE_PATH,
  MEMOS_HF_HOME,
  MEMOS_IGNORED_ENV_VARS,
  MEMOS_STREAM_KEY_PREFIX,
  MemosEnvVar,
  MemosSecretEnvVar,
  isMemosEnvVar,
  isMemosSecretEnvVar,
} from '../src/memos';
import { invalidProp, requireDnsLabel, requireInteger, requireNonEmpty, requireOneOf } from '../src/validation';

/** The OpenAI-compatible LLM MemOS calls for chat, memory extraction and scheduling. */
export interface MemosLlmSettings {
  /**
   * OpenAI-compatible `/v1` base URL (`OPENAI_API_BASE`).
   * @default - DeepSeek, `https://api.deepseek.com/v1` (seed §3.3)
   */
  readonly apiBase?: string;
  /**
   * Chat model (`MOS_CHAT_MODEL`, also `MEMSCHEDULER_OPENAI_DEFAULT_MODEL`).
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
export interface MemosEmbedderSettings {
  /**
   * OpenAI-compatible base URL serving `/v1/embeddings` (`MOS_EMBEDDER_API_BASE`).
   * @default - the in-cluster embedding Service, `http://<instance>-embedding:8080/v1`
   */
  readonly apiBase?: string;
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
}

/** Reranker backends MemOS understands (memos-runtime.md §5.3). */
export const MEMOS_RERANKER_BACKENDS = ['cosine_local', 'http_bge'] as const;
export type MemosRerankerBackend = typeof MEMOS_RERANKER_BACKENDS[number];

/** How MemOS reranks search results. */
export interface MemosRerankerSettings {
  /**
   * `cosine_local` reuses the embeddings (no service); `http_bge` POSTs to `url`. Applied to both
   * `MOS_RERANKER_BACKEND` and `MOS_FEEDBACK_RERANKER_BACKEND`: the latter defaults to `http_bge`
   * in MemOS even when the former does not (trap 16), so both are always set.
   * @default 'cosine_local'
   */
  readonly backend?: MemosRerankerBackend;
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

/** Neo4j as MemOS's graph store (`neo4j-community` backend: graph in Neo4j, vectors in Qdrant). */
export interface MemosNeo4jSettings {
  /**
   * Bolt URI (`NEO4J_URI`).
   * @default - the in-cluster Neo4j Service, `bolt://<instance>-neo4j:7687`
   */
  readonly uri?: string;
  /**
   * User (`NEO4J_USER`); the password comes from the Secret.
   * @default 'neo4j'
   */
  readonly user?: string;
  /**
   * Database (`NEO4J_DB_NAME`).
   * @default 'neo4j'
   */
  readonly database?: string;
}

/**
 * An external PostgreSQL-compatible database (RDS for PostgreSQL, GaussDB) with pgvector, as
 * MemOS's `postgres` graph backend: graph and vectors both live there, so no Neo4j and no Qdrant.
 * At start-up MemOS runs `CREATE SCHEMA IF NOT EXISTS`, `CREATE EXTENSION IF NOT EXISTS vector`
 * and creates its tables: the user needs those privileges, or pre-create them.
 */
export interface MemosPostgresSettings {
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
   * User (`POSTGRES_USER`); the password is the Secret's `POSTGRES_PASSWORD`.
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
}

/**
 * Milvus for preference memory. MemOS's SDK/MOS path reads these (collections
 * `explicit_preference`, `implicit_preference`); `server_api` keeps preferences in the graph DB
 * since v2.0.8, so the REST server itself does not connect.
 */
export interface MemosMilvusSettings {
  /** `MILVUS_URI`, e.g. `http://memos-milvus:19530`. */
  readonly uri: string;
  /**
   * `MILVUS_USER_NAME`; the password is the Secret's `MILVUS_PASSWORD`.
   * @default 'root'
   */
  readonly user?: string;
}

/** Qdrant, where the `neo4j-community` backend keeps its vectors (collection `neo4j_vec_db`). */
export interface MemosQdrantSettings {
  /**
   * Host of Qdrant's REST API (`QDRANT_HOST`).
   * @default - the in-cluster Qdrant Service, `<instance>-qdrant`
   */
  readonly host?: string;
  /**
   * REST port (`QDRANT_PORT`).
   * @default 6333
   */
  readonly port?: number;
  /**
   * Qdrant requires an API key. MemOS only sends `QDRANT_API_KEY` together with `QDRANT_URL`,
   * so the URL `http://<host>:<port>` replaces host and port, and the key comes from the Secret.
   * @default false
   */
  readonly apiKey?: boolean;
}

/** Redis for MemScheduler's shared task queue (Redis Streams, Redis >= 6.2, standalone or primary/standby). */
export interface MemosRedisSettings {
  /**
   * Host (`MEMSCHEDULER_REDIS_HOST`): a DCS primary/standby endpoint or an in-cluster Service.
   * @default - `<instance>-redis`
   */
  readonly host?: string;
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

/** The user-provided Secret holding MemOS's credentials. Never created by this library. */
export interface MemosSecretSettings {
  /**
   * Name of an existing Secret in the namespace.
   * @default 'memos-secrets'
   */
  readonly name?: string;
  /**
   * Key in the Secret for each credential, when it differs from the variable's name.
   * @default - each credential is read from the key of the same name, e.g. `OPENAI_API_KEY`
   */
  readonly keys?: Partial<Record<MemosSecretEnvVar, string>>;
}

/** Properties of {@link MemosConfig}. */
export interface MemosConfigProps {
  /** Instance name: prefix of object names and value of `app.kubernetes.io/instance`. */
  readonly instance: string;
  /**
   * LLM endpoint and models.
   * @default - DeepSeek `deepseek-chat`
   */
  readonly llm?: MemosLlmSettings;
  /**
   * Embedding service.
   * @default - in-cluster bge-m3, 1024 dimensions
   */
  readonly embedder?: MemosEmbedderSettings;
  /**
   * Reranker.
   * @default - `cosine_local`
   */
  readonly reranker?: MemosRerankerSettings;
  /**
   * Neo4j connection.
   * @default - in-cluster Neo4j, user and database `neo4j`
   */
  readonly neo4j?: MemosNeo4jSettings;
  /**
   * Use an external PostgreSQL-compatible database as the graph backend (`postgres`) instead of
   * Neo4j + Qdrant. Not together with `neo4j` or `qdrant`.
   * @default - Neo4j (`neo4j-community`) with Qdrant
   */
  readonly postgres?: MemosPostgresSettings;
  /**
   * Milvus connection for preference memory.
   * @default - none
   */
  readonly milvus?: MemosMilvusSettings;
  /**
   * Qdrant connection.
   * @default - in-cluster Qdrant on 6333
   */
  readonly qdrant?: MemosQdrantSettings;
  /**
   * Redis connection for the scheduler queue.
   * @default - `<instance>-redis:6379`, db 0
   */
  readonly redis?: MemosRedisSettings;
  /**
   * Queue consumer tuning shared by every MemOS process.
   * @default - MemOS's defaults
   */
  readonly consumer?: MemosConsumerSettings;
  /**
   * Where the credentials live.
   * @default - Secret `memos-secrets`, keys named after the variables
   */
  readonly secret?: MemosSecretSettings;
  /**
   * Hugging Face endpoint for the `gpt2` tokenizer MemOS fetches at start-up (`HF_ENDPOINT`).
   * Use `https://huggingface.co` outside mainland China.
   * @default 'https://hf-mirror.com' (the MemOS image's own default)
   */
  readonly huggingFaceEndpoint?: string;
  /**
   * Enable `/product/chat/*` (`ENABLE_CHAT_API`).
   * @default false
   */
  readonly enableChatApi?: boolean;
  /**
   * Further non-secret MemOS settings, as environment variable name → value. Names must be
   * variables MemOS reads; credentials are rejected here (use the Secret).
   * @default - none
   */
  readonly extraSettings?: Readonly<Record<string, string>>;
}

/** A credential wired into MemOS pods from the Secret. */
interface SecretEnv {
  readonly name: MemosSecretEnvVar;
  /** An optional key may be absent from the Secret: the pod starts and MemOS uses its default. */
  readonly optional: boolean;
}

/**
 * MemOS configuration shared by every MemOS pod (API and scheduler): a ConfigMap with the
 * non-secret settings and `secretKeyRef`s into a user-provided Secret for the credentials.
 *
 * ```ts
 * const config = new MemosConfig(chart, 'Config', { instance: 'memos' });
 * config.bind(container); // envFrom the ConfigMap + secretKeyRef env vars
 * ```
 */
export class MemosConfig extends Construct {
  /** The rendered settings (ConfigMap data). */
  public readonly settings: Readonly<Partial<Record<MemosEnvVar, string>>>;
  /** Name of the Secret the credentials come from. */
  public readonly secretName: string;
  /** The ConfigMap. */
  public readonly configMap: kplus.ConfigMap;
  /** sha256 of the settings: put it on pod templates so a settings change rolls the pods. */
  public readonly checksum: string;

  /** Redis the scheduler queue lives in (what every MemOS pod and the queue-depth exporter use). */
  public readonly redis: { readonly host: string; readonly port: number; readonly db: number };
  /** Prefix of MemOS's scheduler stream keys (`<prefix>:<user>:<cube>:<label>`). */
  public readonly streamKeyPrefix: string;

  private readonly secret: kplus.ISecret;
  private readonly secretKeys: Partial<Record<MemosSecretEnvVar, string>>;
  private readonly secretEnv: readonly SecretEnv[];

  constructor(scope: Construct, id: string, props: MemosConfigProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);

    const llm = props.llm ?? {};
    const apiBase = requireUrl(this, 'llm.apiBase', llm.apiBase ?? DEEPSEEK.apiBase);
    const chatModel = requireNonEmpty(this, 'llm.chatModel', llm.chatModel ?? DEEPSEEK.chatModel);

    const embedder = props.embedder ?? {};
    const reranker = props.reranker ?? {};
    const rerankerBackend = requireOneOf(this, 'reranker.backend', reranker.backend ?? 'cosine_local', MEMOS_RERANKER_BACKENDS);
    if (rerankerBackend === 'http_bge' && !reranker.url) {
      invalidProp(this, 'reranker.url', reranker.url, "the full /v1/rerank URL of a reranker when reranker.backend is 'http_bge'");
    }
    const rerankerModel = requireNonEmpty(this, 'reranker.model', reranker.model ?? 'bge-reranker-v2-m3');
    const neo4j = props.neo4j ?? {};
    const qdrant = props.qdrant ?? {};
    if (props.postgres !== undefined) {
      if (props.neo4j !== undefined) invalidProp(this, 'postgres', props.postgres.host, 'either postgres or neo4j as the graph backend, not both');
      if (props.qdrant !== undefined) invalidProp(this, 'qdrant', props.qdrant.host, "nothing with the postgres backend: it keeps vectors in pgvector, not Qdrant");
    }
    const redis = props.redis ?? {};

    const settings: Partial<Record<MemosEnvVar, string>> = {
      OPENAI_API_BASE: apiBase,
      MOS_CHAT_MODEL: chatModel,
      MEMSCHEDULER_OPENAI_DEFAULT_MODEL: chatModel,
      MEMRADER_API_BASE: requireUrl(this, 'llm.memReaderApiBase', llm.memReaderApiBase ?? apiBase),
      MEMRADER_MODEL: requireNonEmpty(this, 'llm.memReaderModel', llm.memReaderModel ?? chatModel),
      ENABLE_CHAT_API: String(props.enableChatApi ?? false),

      // Any backend other than universal_api silently falls back to ollama (trap 15).
      MOS_EMBEDDER_BACKEND: 'universal_api',
      MOS_EMBEDDER_PROVIDER: 'openai',
      MOS_EMBEDDER_API_BASE: requireUrl(this, 'embedder.apiBase', embedder.apiBase ?? InClusterEndpoints.modelServer(instance, 'embed').apiBase),
      MOS_EMBEDDER_MODEL: requireNonEmpty(this, 'embedder.model', embedder.model ?? BGE_M3.model),
      EMBEDDING_DIMENSION: String(requireInteger(this, 'embedder.dimension', embedder.dimension ?? BGE_M3.dimension, 1, 65536)),

      MOS_RERANKER_BACKEND: rerankerBackend,
      MOS_FEEDBACK_RERANKER_BACKEND: rerankerBackend,
      MOS_RERANKER_MODEL: rerankerModel,
      MOS_FEEDBACK_RERANKER_MODEL: rerankerModel,
      ...(rerankerBackend === 'http_bge' ? { MOS_RERANKER_URL: requireUrl(this, 'reranker.url', reranker.url) } : {}),

      ...(props.postgres ? postgresSettings(this, props.postgres) : {
        NEO4J_BACKEND: 'neo4j-community',
        NEO4J_URI: requireUrl(this, 'neo4j.uri', neo4j.uri ?? InClusterEndpoints.neo4jUri(instance, 1), ['bolt:', 'bolt+s:', 'neo4j:', 'neo4j+s:']),
        NEO4J_USER: requireNonEmpty(this, 'neo4j.user', neo4j.user ?? 'neo4j'),
        NEO4J_DB_NAME: requireNonEmpty(this, 'neo4j.database', neo4j.database ?? 'neo4j'),
        ...qdrantSettings(this, qdrant, instance),
      }),

      // The Redis Streams queue is shared by every MemOS pod; without it tasks live in one pod's
      // memory and die with it (trap 3). The variable MemOS really reads is this one (trap 2).
      MEMSCHEDULER_USE_REDIS_QUEUE: 'true',
      MEMSCHEDULER_REDIS_HOST: requireNonEmpty(this, 'redis.host', redis.host ?? InClusterEndpoints.redisHost(instance)),
      MEMSCHEDULER_REDIS_PORT: String(requireInteger(this, 'redis.port', redis.port ?? ServicePorts.REDIS, 1, 65535)),
      MEMSCHEDULER_REDIS_DB: String(requireInteger(this, 'redis.db', redis.db ?? 0, 0, 255)),

      ...consumerSettings(this, props.consumer ?? {}),
      ...(props.milvus ? {
        MILVUS_URI: requireUrl(this, 'milvus.uri', props.milvus.uri),
        MILVUS_USER_NAME: requireNonEmpty(this, 'milvus.user', props.milvus.user ?? 'root'),
      } : {}),

      MEMOS_BASE_PATH,
      HF_HOME: MEMOS_HF_HOME,
      HF_ENDPOINT: requireUrl(this, 'huggingFaceEndpoint', props.huggingFaceEndpoint ?? 'https://hf-mirror.com'),
    };

    for (const [name, value] of Object.entries(props.extraSettings ?? {})) {
      const property = `extraSettings.${name}`;
      if (name in MEMOS_IGNORED_ENV_VARS) {
        invalidProp(this, property, value, `not ${name}: MemOS does not read it; use ${MEMOS_IGNORED_ENV_VARS[name]}`);
      }
      if (!isMemosEnvVar(name)) {
        invalidProp(this, property, value, 'a variable MemOS reads (MEMOS_SERVER_ENV_VARS in src/memos.ts)');
      }
      if (isMemosSecretEnvVar(name)) {
        invalidProp(this, property, '<redacted>', `no credentials in the ConfigMap: put ${name} in the Secret '${props.secret?.name ?? 'memos-secrets'}'`);
      }
      if (typeof value !== 'string') invalidProp(this, property, value, 'a string');
      settings[name] = value;
    }

    this.settings = settings;
    this.redis = {
      host: settings.MEMSCHEDULER_REDIS_HOST!,
      port: Number(settings.MEMSCHEDULER_REDIS_PORT),
      db: Number(settings.MEMSCHEDULER_REDIS_DB),
    };
    // MEMSCHEDULER_REDIS_STREAM_KEY_PREFIX wins over MEMSCHEDULER_STREAM_KEY_PREFIX (redis_queue.py L68-71).
    this.streamKeyPrefix = settings.MEMSCHEDULER_REDIS_STREAM_KEY_PREFIX ?? settings.MEMSCHEDULER_STREAM_KEY_PREFIX ?? MEMOS_STREAM_KEY_PREFIX;
    this.checksum = createHash('sha256').update(JSON.stringify(sortedEntries(settings))).digest('hex');
    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
      metadata: { name: `${instance}-config`, labels: componentLabels(instance, 'memos-config') },
      data: settings,
    });

    this.secretName = requireDnsLabel(this, 'secret.name', props.secret?.name ?? 'memos-secrets', 253);
    this.secretKeys = props.secret?.keys ?? {};
    for (const [name, key] of Object.entries(this.secretKeys)) {
      if (!isMemosSecretEnvVar(name)) invalidProp(this, `secret.keys.${name}`, key, `one of ${MEMOS_SECRET_KEY_NAMES}`);
      if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) {
        invalidProp(this, `secret.keys.${name}`, key, "a Secret key: letters, digits, '-', '_' and '.'");
      }
    }
    this.secret = kplus.Secret.fromSecretName(this, 'Secret', this.secretName);
    this.secretEnv = [
      { name: 'OPENAI_API_KEY', optional: false },
      { name: 'MEMRADER_API_KEY', optional: false },
      { name: props.postgres ? 'POSTGRES_PASSWORD' : 'NEO4J_PASSWORD', optional: false },
      // Keyless in-cluster embedders need no key; a password-free Redis needs no password.
      { name: 'MOS_EMBEDDER_API_KEY', optional: true },
      { name: 'MEMSCHEDULER_REDIS_PASSWORD', optional: true },
      ...(qdrant.apiKey && !props.postgres ? [{ name: 'QDRANT_API_KEY', optional: false } as const] : []),
      ...(props.milvus ? [{ name: 'MILVUS_PASSWORD', optional: false } as const] : []),
    ];
  }

  /** A credential from the Secret, for containers that need one of MemOS's credentials. */
  public secretValue(name: MemosSecretEnvVar, options: { optional?: boolean } = {}): kplus.EnvValue {
    return this.secretKey(this.secretKeys[name] ?? name, options);
  }

  /** Any key of the Secret, for credentials of the backing services that MemOS itself does not read. */
  public secretKey(key: string, options: { optional?: boolean } = {}): kplus.EnvValue {
    return kplus.EnvValue.fromSecretValue({ secret: this.secret, key }, { optional: options.optional ?? false });
  }

  /** Gives a MemOS container every setting: envFrom the ConfigMap, credentials from the Secret. */
  public bind(container: kplus.Container): void {
    container.env.copyFrom(kplus.Env.fromConfigMap(this.configMap));
    for (const { name, optional } of this.secretEnv) container.env.addVariable(name, this.secretValue(name, { optional }));
  }
}

/** The `postgres` graph backend's variables (`get_postgres_config`, memos-runtime.md §5.4). */
function postgresSettings(scope: Construct, pg: MemosPostgresSettings): Partial<Record<MemosEnvVar, string>> {
  const identifier = (property: string, value: string) => (/^[a-z_][a-z0-9_]{0,62}$/.test(value) ? value : invalidProp(scope, property, value, 'a lowercase PostgreSQL identifier (letters, digits, _)'));
  return {
    NEO4J_BACKEND: 'postgres',
    POSTGRES_HOST: requireNonEmpty(scope, 'postgres.host', pg.host),
    POSTGRES_PORT: String(requireInteger(scope, 'postgres.port', pg.port ?? 5432, 1, 65535)),
    POSTGRES_DB: identifier('postgres.database', pg.database ?? 'memos'),
    POSTGRES_USER: identifier('postgres.user', pg.user ?? 'memos'),
    MEMOS_SCHEMA: identifier('postgres.schema', pg.schema ?? 'memos'),
    POSTGRES_MAX_CONN: String(requireInteger(scope, 'postgres.maxConnections', pg.maxConnections ?? 20, 1, 1000)),
  };
}

/** Qdrant connection variables: host and port, or the URL MemOS needs to send an API key. */
function qdrantSettings(scope: Construct, qdrant: MemosQdrantSettings, instance: string): Partial<Record<MemosEnvVar, string>> {
  const host = requireNonEmpty(scope, 'qdrant.host', qdrant.host ?? InClusterEndpoints.qdrantHost(instance));
  const port = requireInteger(scope, 'qdrant.port', qdrant.port ?? ServicePorts.QDRANT_HTTP, 1, 65535);
  // QDRANT_URL wins over host and port in MemOS, and the key is only used with it.
  return qdrant.apiKey ? { QDRANT_URL: `http://${host}:${port}` } : { QDRANT_HOST: host, QDRANT_PORT: String(port) };
}

/** The consumer settings as MemOS variables, validated; `prefix` is the property path for errors. */
export function consumerSettings(scope: Construct, consumer: MemosConsumerSettings, prefix = 'consumer.'): Partial<Record<MemosEnvVar, string>> {
  const out: Partial<Record<MemosEnvVar, string>> = {};
  if (consumer.threadPoolSize !== undefined) {
    out.MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS = String(requireInteger(scope, `${prefix}threadPoolSize`, consumer.threadPoolSize, 1, 10000));
  }
  if (consumer.consumeIntervalSeconds !== undefined) {
    const interval = consumer.consumeIntervalSeconds;
    if (typeof interval !== 'number' || !(interval > 0 && interval <= 10)) {
      invalidProp(scope, `${prefix}consumeIntervalSeconds`, interval, 'a number of seconds above 0 and at most 10');
    }
    out.MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS = String(interval);
  }
  return out;
}

const MEMOS_SECRET_KEY_NAMES = 'the credential variables in MEMOS_SECRET_ENV_VARS (src/memos.ts)';

function requireUrl(scope: Construct, property: string, value: unknown, protocols = ['http:', 'https:']): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol) && url.hostname) return value;
    } catch {
      // reported below
    }
  }
  return invalidProp(scope, property, value, `an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`);
}

function sortedEntries(record: Record<string, string | undefined>): [string, string | undefined][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
