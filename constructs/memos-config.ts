import { createHash } from 'crypto';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import { componentLabels } from '../src/kubernetes';
import { DefaultPorts } from '../src/ports';
import {
  BGE_M3,
  DEEPSEEK,
  MEMOS_BASE_PATH,
  MEMOS_OFFLINE_HF_SETTINGS,
  MEMOS_POSTGRES_CA,
  MEMOS_WRITABLE_PATHS,
  MEMOS_IGNORED_ENV_VARS,
  MEMOS_STREAM_KEY_PREFIX,
  MemosEnvVar,
  isMemosEnvVar,
  isMemosSecretEnvVar,
} from '../src/memos';
import {
  EmbedderConnection, MemosConsumerSettings, MemosGraph, MemosGraphBackend, MemosLlmSettings,
  PostgresConnection, PostgresSslMode, QdrantConnection, RedisConnection, RerankerBackend, RerankerConnection,
} from '../src/memos-settings';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requireNonEmpty } from '../src/validation';

/** Properties of {@link MemosConfig}. */
export interface MemosConfigProps {
  /** Instance name: prefix of object names and value of `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Where MemOS's own credentials (LLM and embedder API keys) are read from. */
  readonly credentials: Credentials;
  /** Where MemOS keeps its memory graph and vectors. */
  readonly graph: MemosGraph;
  /** The embedding service. */
  readonly embedder: EmbedderConnection;
  /** The Redis of the scheduler queue. */
  readonly redis: RedisConnection;
  /**
   * LLM endpoint and models.
   * @default - DeepSeek `deepseek-chat`
   */
  readonly llm?: MemosLlmSettings;
  /**
   * Reranker.
   * @default - `cosine_local`
   */
  readonly reranker?: RerankerConnection;
  /**
   * Queue consumer tuning shared by every MemOS process.
   * @default - MemOS's defaults
   */
  readonly consumer?: MemosConsumerSettings;
  /**
   * Fetch MemOS's `gpt2` tokenizer from this Hugging Face endpoint at every start (`HF_ENDPOINT`),
   * for an image without it baked in (such as one built from MemOS's own root Dockerfile). Nodes
   * then need egress to the endpoint, or the pods crash-loop.
   * @default - offline: the tokenizer baked into the image of images/memos/Dockerfile
   *   (`HF_HOME=/opt/huggingface`, `HF_HUB_OFFLINE=1`)
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
  readonly extraSettings?: { [name: string]: string };
  /**
   * CAs of in-cluster stores served over TLS (Qdrant, Neo4j), from Secrets: MemOS's HTTP clients
   * (httpx, requests) and the Neo4j driver verify with a bundle of the public CAs and these
   * (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`), built by an init container in each MemOS pod.
   * @default - the public CAs only
   */
  readonly trustedCertificates?: SecretKeyRef[];
}

/**
 * Variables this library sets whether or not the ConfigMap holds them: the Hugging Face mode
 * (online or offline, from `huggingFaceEndpoint`) and the per-workload scheduler switch.
 */
const ALWAYS_MANAGED: readonly string[] = ['HF_ENDPOINT', 'HF_HOME', 'HF_HUB_OFFLINE', 'API_SCHEDULER_ON', 'MOS_RERANKER_URL'];

/** A credential wired into MemOS pods from a Secret. */
interface SecretEnv {
  readonly name: MemosEnvVar;
  readonly ref: SecretKeyRef;
  /** An optional key may be absent from the Secret: the pod starts and MemOS uses its default. */
  readonly optional: boolean;
}

/**
 * MemOS configuration shared by every MemOS pod (API and scheduler): a ConfigMap with the
 * non-secret settings and `secretKeyRef`s into user-provided Secrets for the credentials. It is
 * built from what the stores expose (or from typed external endpoints); it creates no store.
 *
 * ```ts
 * const credentials = Credentials.fromSecret('memos-secrets');
 * const redis = new RedisServer(chart, 'Redis', { instance: 'memos', credentials });
 * const config = new MemosConfig(chart, 'Config', {
 *   instance: 'memos',
 *   credentials,
 *   redis: { host: redis.host, port: redis.port, password: redis.password },
 *   embedder: { apiBase: 'https://embeddings.example.com/v1' },
 *   graph: MemosGraph.postgres({ host: 'rds.example.com', password: credentials.ref(Credential.POSTGRES_PASSWORD) }),
 * });
 * ```
 */
export class MemosConfig extends Construct {
  /** The rendered settings (ConfigMap data): MemOS environment variable → value. */
  public readonly settings: { [name: string]: string };
  /** The ConfigMap. */
  public readonly configMap: kplus.ConfigMap;
  /** sha256 of the settings: put it on pod templates so a settings change rolls the pods. */
  public readonly checksum: string;
  /** Prefix of MemOS's scheduler stream keys (`<prefix>:<user>:<cube>:<label>`). */
  public readonly streamKeyPrefix: string;
  /** The PostgreSQL server's CA, which MemOS pods mount (`PGSSLROOTCERT`), when one is given. */
  public readonly postgresCaCertificate?: SecretKeyRef;
  /** CAs MemOS's clients trust besides the public ones (see `trustedCertificates`). */
  public readonly trustedCertificates: SecretKeyRef[];

  private readonly secretEnv: readonly SecretEnv[];

  constructor(scope: Construct, id: string, props: MemosConfigProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const credentials = requireCredentials(this, 'credentials', props.credentials);

    const llm = props.llm ?? {};
    const apiBase = requireUrl(this, 'llm.apiBase', llm.apiBase ?? DEEPSEEK.apiBase);
    const chatModel = requireNonEmpty(this, 'llm.chatModel', llm.chatModel ?? DEEPSEEK.chatModel);

    const embedder = props.embedder ?? {};
    const reranker = props.reranker ?? {};
    const rerankerBackend = requireEnum(this, 'reranker.backend', reranker.backend ?? RerankerBackend.COSINE_LOCAL, RerankerBackend);
    if (rerankerBackend === RerankerBackend.HTTP_BGE && !reranker.url) {
      invalidProp(this, 'reranker.url', reranker.url, "the full /v1/rerank URL of a reranker when reranker.backend is 'http_bge'");
    }
    const rerankerModel = requireNonEmpty(this, 'reranker.model', reranker.model ?? 'bge-reranker-v2-m3');
    if (!(props.graph instanceof MemosGraph)) invalidProp(this, 'graph', props.graph, 'MemosGraph.neo4jWithQdrant(...) or MemosGraph.postgres(...)');
    const graph = props.graph;
    this.postgresCaCertificate = graph.postgresConnection?.caCertificate;
    this.trustedCertificates = (props.trustedCertificates ?? []).map((ref, i) => {
      if (!(ref instanceof SecretKeyRef)) invalidProp(this, `trustedCertificates[${i}]`, ref, "SecretKeyRef.of('<Secret>', 'ca.crt')");
      return ref;
    });
    const redis = props.redis ?? {};

    const settings: Partial<Record<MemosEnvVar, string>> = {
      OPENAI_API_BASE: apiBase,
      MOS_CHAT_MODEL: chatModel,
      MEMRADER_API_BASE: requireUrl(this, 'llm.memReaderApiBase', llm.memReaderApiBase ?? apiBase),
      MEMRADER_MODEL: requireNonEmpty(this, 'llm.memReaderModel', llm.memReaderModel ?? chatModel),
      // MemOS's default is off; set only to turn the chat routes on (what MemOS does not read is not set).
      ...(props.enableChatApi ? { ENABLE_CHAT_API: 'true' } : {}),

      // Any backend other than universal_api silently falls back to ollama (trap 15).
      MOS_EMBEDDER_BACKEND: 'universal_api',
      MOS_EMBEDDER_PROVIDER: 'openai',
      MOS_EMBEDDER_API_BASE: requireUrl(this, 'embedder.apiBase', embedder.apiBase),
      MOS_EMBEDDER_MODEL: requireNonEmpty(this, 'embedder.model', embedder.model ?? BGE_M3.model),
      EMBEDDING_DIMENSION: String(requireInteger(this, 'embedder.dimension', embedder.dimension ?? BGE_M3.dimension, 1, 65536)),
      MOS_EMBEDDER_TIMEOUT: String(requireInteger(this, 'embedder.timeoutSeconds', embedder.timeoutSeconds ?? 120, 1, 3600)),

      MOS_RERANKER_BACKEND: rerankerBackend,
      MOS_FEEDBACK_RERANKER_BACKEND: rerankerBackend,
      // MemOS reads the model names only in its http_bge branch (api/config.py get_reranker_config,
      // get_feedback_reranker_config): checked against MemOS's own code in test/memos-runtime.
      ...(rerankerBackend === RerankerBackend.HTTP_BGE ? {
        MOS_RERANKER_URL: requireUrl(this, 'reranker.url', reranker.url),
        MOS_RERANKER_MODEL: rerankerModel,
        MOS_FEEDBACK_RERANKER_MODEL: rerankerModel,
      } : {}),

      ...(graph.backend === MemosGraphBackend.POSTGRES ? postgresSettings(this, graph.postgresConnection!) : {
        NEO4J_BACKEND: MemosGraphBackend.NEO4J_COMMUNITY,
        NEO4J_URI: requireUrl(this, 'graph.neo4j.uri', graph.neo4jConnection!.uri, ['bolt:', 'bolt+s:', 'neo4j:', 'neo4j+s:']),
        NEO4J_USER: requireNonEmpty(this, 'graph.neo4j.user', graph.neo4jConnection!.user ?? 'neo4j'),
        NEO4J_DB_NAME: requireNonEmpty(this, 'graph.neo4j.database', graph.neo4jConnection!.database ?? 'neo4j'),
        ...qdrantSettings(this, graph.qdrantConnection!),
      }),

      // The Redis Streams queue is shared by every MemOS pod; without it tasks live in one pod's
      // memory and die with it (trap 3). The variable MemOS really reads is this one (trap 2).
      MEMSCHEDULER_USE_REDIS_QUEUE: 'true',
      MEMSCHEDULER_REDIS_HOST: requireNonEmpty(this, 'redis.host', redis.host),
      MEMSCHEDULER_REDIS_PORT: String(requireInteger(this, 'redis.port', redis.port ?? DefaultPorts.REDIS, 1, 65535)),
      MEMSCHEDULER_REDIS_DB: String(requireInteger(this, 'redis.db', redis.db ?? 0, 0, 255)),

      ...consumerSettings(this, props.consumer ?? {}),

      MEMOS_BASE_PATH,
      // Offline by default: the image has the tokenizer, a private CCE node has no route to the hub.
      ...(props.huggingFaceEndpoint === undefined ? MEMOS_OFFLINE_HF_SETTINGS : {
        HF_HOME: `${MEMOS_WRITABLE_PATHS.cache}/huggingface`,
        HF_ENDPOINT: requireUrl(this, 'huggingFaceEndpoint', props.huggingFaceEndpoint),
        // Explicitly online: the recipe image sets HF_HUB_OFFLINE=1 in its ENV.
        HF_HUB_OFFLINE: '0',
      }),
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
        invalidProp(this, property, '<redacted>', `no credentials in the ConfigMap: put ${name} in the Secret '${credentials.secretName}'`);
      }
      if (settings[name] !== undefined || ALWAYS_MANAGED.includes(name)) {
        invalidProp(this, property, value, `a variable the typed props do not manage: ${name} comes from llm, embedder, reranker, graph, redis, milvus, consumer, huggingFaceEndpoint or enableChatApi, so the stores and MemOS agree`);
      }
      if (typeof value !== 'string') invalidProp(this, property, value, 'a string');
      settings[name] = value;
    }

    this.settings = settings as { [name: string]: string };
    // MEMSCHEDULER_REDIS_STREAM_KEY_PREFIX wins over MEMSCHEDULER_STREAM_KEY_PREFIX (redis_queue.py L68-71).
    this.streamKeyPrefix = settings.MEMSCHEDULER_REDIS_STREAM_KEY_PREFIX ?? settings.MEMSCHEDULER_STREAM_KEY_PREFIX ?? MEMOS_STREAM_KEY_PREFIX;
    this.checksum = createHash('sha256').update(JSON.stringify(sortedEntries(settings))).digest('hex');
    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
      metadata: { name: `${instance}-config`, labels: componentLabels(instance, 'memos-config') },
      data: this.settings,
    });

    const postgres = graph.backend === MemosGraphBackend.POSTGRES;
    const qdrantKey = postgres ? undefined : graph.qdrantConnection!.apiKey;
    this.secretEnv = [
      { name: 'OPENAI_API_KEY', ref: credentials.ref(Credential.OPENAI_API_KEY), optional: false },
      { name: 'MEMRADER_API_KEY', ref: credentials.ref(Credential.MEMRADER_API_KEY), optional: false },
      postgres
        ? { name: 'POSTGRES_PASSWORD', ref: graph.postgresConnection!.password, optional: false }
        : { name: 'NEO4J_PASSWORD', ref: graph.neo4jConnection!.password, optional: false },
      // Keyless in-cluster embedders need no key; a password-free Redis needs no password.
      { name: 'MOS_EMBEDDER_API_KEY', ref: credentials.ref(Credential.MOS_EMBEDDER_API_KEY), optional: true },
      { name: 'MEMSCHEDULER_REDIS_PASSWORD', ref: redis.password, optional: true },
      ...(qdrantKey ? [{ name: 'QDRANT_API_KEY', ref: qdrantKey, optional: false } as const] : []),
    ];
  }

  /** Gives a MemOS container every setting: envFrom the ConfigMap, credentials from the Secret. */
  public bind(container: kplus.Container): void {
    container.env.copyFrom(kplus.Env.fromConfigMap(this.configMap));
    for (const { name, ref, optional } of this.secretEnv) container.env.addVariable(name, ref.envValue(this, { optional }));
  }
}

/** The `postgres` graph backend's variables (`get_postgres_config`, memos-runtime.md §5.4). */
function postgresSettings(scope: Construct, pg: PostgresConnection): Partial<Record<MemosEnvVar, string>> {
  const sslMode = requireEnum(scope, 'graph.postgres.sslMode', pg.sslMode ?? (pg.caCertificate ? PostgresSslMode.VERIFY_FULL : PostgresSslMode.REQUIRE), PostgresSslMode);
  const verifies = sslMode === PostgresSslMode.VERIFY_CA || sslMode === PostgresSslMode.VERIFY_FULL;
  if (verifies && !pg.caCertificate) {
    invalidProp(scope, 'graph.postgres.caCertificate', undefined, `a SecretKeyRef to the CA that signed the server's certificate: sslMode ${sslMode} verifies the server with it`);
  }
  if (pg.caCertificate && !verifies) {
    invalidProp(scope, 'graph.postgres.caCertificate', pg.caCertificate.secretName, `nothing with sslMode ${sslMode}, which does not verify the server; or sslMode VERIFY_CA / VERIFY_FULL`);
  }
  const identifier = (property: string, value: string) => (/^[a-z_][a-z0-9_]{0,62}$/.test(value) ? value : invalidProp(scope, property, value, 'a lowercase PostgreSQL identifier (letters, digits, _)'));
  return {
    NEO4J_BACKEND: MemosGraphBackend.POSTGRES,
    POSTGRES_HOST: requireNonEmpty(scope, 'graph.postgres.host', pg.host),
    POSTGRES_PORT: String(requireInteger(scope, 'graph.postgres.port', pg.port ?? DefaultPorts.POSTGRES, 1, 65535)),
    POSTGRES_DB: identifier('graph.postgres.database', pg.database ?? 'memos'),
    POSTGRES_USER: identifier('graph.postgres.user', pg.user ?? 'memos'),
    MEMOS_SCHEMA: identifier('graph.postgres.schema', pg.schema ?? 'memos'),
    POSTGRES_MAX_CONN: String(requireInteger(scope, 'graph.postgres.maxConnections', pg.maxConnections ?? 20, 1, 1000)),
    PGSSLMODE: sslMode,
    ...(pg.caCertificate ? { PGSSLROOTCERT: `${MEMOS_POSTGRES_CA.dir}/${MEMOS_POSTGRES_CA.file}` } : {}),
  };
}

/** Qdrant connection variables: host and port, or the URL MemOS needs to send an API key. */
function qdrantSettings(scope: Construct, qdrant: QdrantConnection): Partial<Record<MemosEnvVar, string>> {
  const host = requireNonEmpty(scope, 'graph.qdrant.host', qdrant.host);
  const port = requireInteger(scope, 'graph.qdrant.port', qdrant.port ?? DefaultPorts.QDRANT_HTTP, 1, 65535);
  // QDRANT_URL wins over host and port in MemOS; the key is only used with it, and TLS comes
  // from its scheme (host and port mean plain HTTP).
  return qdrant.apiKey || qdrant.https
    ? { QDRANT_URL: `${qdrant.https ? 'https' : 'http'}://${host}:${port}` }
    : { QDRANT_HOST: host, QDRANT_PORT: String(port) };
}

/**
 * The consumer settings as MemOS variables, validated; `prefix` is the property path for errors.
 * @internal
 */
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
