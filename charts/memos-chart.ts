import { ApiObject, Chart, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MEMOS_SIZES, MemosSize, MemosSizePreset, SIZE_PRESETS, StorePreset } from './presets';
import { ElbServiceOptions } from '../constructs/elb-service';
import { MemosApi } from '../constructs/memos-api';
import { MemosConfig, MemosConfigProps, MemosPostgresSettings } from '../constructs/memos-config';
import { Neo4j, Neo4jProps } from '../constructs/neo4j';
import { EmbeddingAccelerator, EmbeddingServer, EmbeddingServerProps } from '../constructs/embedding-server';
import { MemScheduler } from '../constructs/mem-scheduler';
import { Milvus, MilvusProps } from '../constructs/milvus';
import { Qdrant, QdrantProps } from '../constructs/qdrant';
import { QueueDepthMetric, QueueDepthMetricProps } from '../constructs/queue-depth-metric';
import { RedisServer, RedisServerProps } from '../constructs/redis-server';
import { estimateQueueCapacity, QueueCapacityEstimate } from '../src/queue-capacity';
import { MANAGED_BY, PART_OF, POD_SECURITY_LEVELS, PodSecurityLevel, podSecurityLabels, ZoneSpread } from '../src/kubernetes';
import { NpuNodePool } from '../src/cce';
import { InClusterEndpoints } from '../src/endpoints';
import { BGE_M3, KNOWN_MODELS } from '../src/memos';
import { invalidProp, requireDnsLabel, requireOneOf } from '../src/validation';

/** Overrides for the memos-api tier. */
export interface MemosApiOptions {
  /**
   * MemOS image, pinned by tag or digest.
   * @default DEFAULT_MEMOS_IMAGE
   */
  readonly image?: string;
  /**
   * A fixed number of API pods, without an autoscaler.
   * @default - autoscaled between `minReplicas` and `maxReplicas`
   */
  readonly replicas?: number;
  /**
   * Fewest API pods under the autoscaler.
   * @default - the size preset's (small 3, medium 6, large 15)
   */
  readonly minReplicas?: number;
  /**
   * Most API pods under the autoscaler.
   * @default - the size preset's (small and medium 10, large 20)
   */
  readonly maxReplicas?: number;
  /**
   * Target average CPU utilization of the autoscaler, percent.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * Target scheduler-queue entries per API pod (`redis_queue_depth`, AverageValue).
   * @default 100
   */
  readonly targetQueueDepthPerReplica?: number;
  /**
   * The CCE ELB in front of the API, or `false` for ClusterIP only.
   * @default - a private (`inner`) shared ELB
   */
  readonly loadBalancer?: ElbServiceOptions | false;
  /**
   * Zone spreading of the API pods.
   * @default 'required'
   */
  readonly zoneSpread?: ZoneSpread;
  /**
   * Resources of each API pod.
   * @default - the size preset's (requests 2 CPU / 4Gi, limits 4 CPU / 8Gi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * API pods also consume the scheduler queue, so the queue-depth autoscaler adds consumers.
   * With `false` they only serve HTTP, the HPA scales them on CPU alone, and the mem-scheduler
   * pods are the only consumers.
   * @default true
   */
  readonly consumesQueue?: boolean;
}

/** Overrides for the dedicated mem-scheduler StatefulSet. */
export interface MemosSchedulerOptions {
  /**
   * Consumer pods.
   * @default - the size preset's (small and medium 1, large 3)
   */
  readonly replicas?: number;
  /**
   * Resources of each pod.
   * @default - the size preset's (requests 1 CPU / 2Gi, limits 2 CPU / 4Gi)
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Tasks every consumer process (scheduler and consuming API pods) runs at once.
   * @default - the size preset's (small 50, medium 200, large 300)
   */
  readonly threadPoolSize?: number;
  /**
   * Sleep between polls of the queue, seconds.
   * @default - MemOS's default, 0.01
   */
  readonly consumeIntervalSeconds?: number;
}

/** Where the scheduler queue lives: a managed DCS instance, or a Redis in the namespace. */
export interface MemosRedisOptions {
  /**
   * `dcs`: Huawei Cloud DCS for Redis 6.2+ (primary/standby or single-node; not Cluster: MemOS
   * uses a plain client and multi-key SCAN). `in-cluster`: a Redis StatefulSet in the namespace.
   */
  readonly mode: 'dcs' | 'in-cluster';
  /**
   * DCS connection address (domain name or IP). Required with `dcs`.
   * @default - none
   */
  readonly host?: string;
  /**
   * DCS port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * Database index.
   * @default 0
   */
  readonly db?: number;
  /**
   * In-cluster Redis: its image, memory and volume; see {@link RedisServerProps}.
   * @default - redis 7.2, memory from the size preset's DCS size, 10Gi SSD
   */
  readonly inCluster?: Pick<RedisServerProps, 'image' | 'memory' | 'storage'>;
}

/** Overrides for the in-cluster Neo4j; see {@link Neo4jProps}. */
export type MemosNeo4jOptions = Omit<Neo4jProps, 'instance' | 'config' | 'imagePullSecrets' | 'monitoringNamespace' | 'zoneSpread'>;

/** Overrides for the in-cluster Milvus; see {@link MilvusProps}. */
export type MemosMilvusOptions = Omit<MilvusProps, 'instance' | 'config' | 'imagePullSecrets' | 'monitoringNamespace' | 'zoneSpread'>;

/** Overrides for an in-cluster embedding or reranking server; see {@link EmbeddingServerProps}. */
export interface MemosModelServerOptions extends Omit<EmbeddingServerProps, 'instance' | 'config' | 'task' | 'npuNodePool' | 'imagePullSecrets' | 'monitoringNamespace'> {
  /**
   * With `ascend`: name of one of the chart's `npuNodePools`.
   * @default - the first declared pool
   */
  readonly npuNodePool?: string;
}

/** Overrides for the in-cluster Qdrant; see {@link QdrantProps}. */
export type MemosQdrantOptions = Omit<QdrantProps, 'instance' | 'config' | 'imagePullSecrets' | 'monitoringNamespace' | 'zoneSpread'>;

/** How the scheduler queue depth reaches the autoscaler; see {@link QueueDepthMetricProps}. */
export type MemosMonitoringOptions = Omit<QueueDepthMetricProps, 'instance' | 'config' | 'imagePullSecrets'>;

/**
 * Non-secret MemOS settings and where its credentials live; see {@link MemosConfigProps}.
 * Redis and consumer tuning come from the chart's `redis` and `scheduler` props.
 */
export type MemosSettings = Omit<MemosConfigProps, 'instance' | 'redis' | 'consumer' | 'postgres' | 'milvus'>;

const EMBEDDING_REPLICA_DEFAULTS = (preset: MemosSizePreset, options: MemosModelServerOptions) => ({
  replicas: options.replicas ?? preset.embeddingReplicas.min,
  ...((options.accelerator ?? preset.embeddingAccelerator) === 'cpu' ? { maxReplicas: options.maxReplicas ?? Math.max(preset.embeddingReplicas.max, options.replicas ?? 0) } : {}),
});

/** Properties of {@link MemosChart}: one deployable MemOS stack. */
export interface MemosChartProps {
  /** Which of the seed's architectures to start from: replicas, resources, storage. */
  readonly size: MemosSize;
  /**
   * Namespace of every object.
   * @default 'memos'
   */
  readonly namespace?: string;
  /**
   * Create the namespace (with Pod Security Admission labels). Turn off when the namespace is
   * managed elsewhere.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Pod Security Admission level enforced on the namespace (cce_10_0466).
   * @default 'restricted'
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Instance name: prefix of every object name (`<instance>-api`, `<instance>-config`, ...).
   * @default 'memos'
   */
  readonly instance?: string;
  /**
   * Image pull secrets of every pod.
   * @default ['default-secret'] (CCE's SWR secret)
   */
  readonly imagePullSecrets?: string[];
  /**
   * MemOS settings: LLM, embedder, reranker, stores, Redis, the credentials Secret.
   * @default - DeepSeek, in-cluster bge-m3, Neo4j, Qdrant and Redis, Secret `memos-secrets`
   */
  readonly memos?: MemosSettings;
  /**
   * memos-api overrides.
   * @default - from the size preset
   */
  readonly api?: MemosApiOptions;
  /**
   * mem-scheduler overrides.
   * @default - from the size preset
   */
  readonly scheduler?: MemosSchedulerOptions;
  /**
   * In-cluster Neo4j for MemOS's memory graph (`neo4j-community` backend), or `false` to use the
   * Neo4j given in `memos.neo4j`. Clusters (3+ servers, as the medium and large presets have) run
   * Enterprise Edition and need `licenseAgreement`.
   * @default - the size preset's (small 1 server, medium 3, large 5)
   */
  readonly neo4j?: MemosNeo4jOptions | false;
  /**
   * An external PostgreSQL-compatible database (RDS for PostgreSQL, GaussDB) as MemOS's graph
   * and vector store (`postgres` backend) instead of Neo4j and Qdrant: no Neo4j or Qdrant objects
   * are emitted.
   * @default - Neo4j + Qdrant in-cluster
   */
  readonly postgres?: MemosPostgresSettings;
  /**
   * The embedding server (bge-m3, OpenAI `/v1/embeddings`), or `false` to use the embedder given
   * in `memos.embedder`.
   * @default - the size preset's: CPU (TEI) for small and medium, Ascend 910B for large
   */
  readonly embedding?: MemosModelServerOptions | false;
  /**
   * The reranker (bge-reranker-v2-m3, `/v1/rerank` for MemOS's `http_bge`), or `false`. Only
   * Ascend's mis-tei serves the shape MemOS reads; without a reranker MemOS uses `cosine_local`.
   * @default - deployed when the embedding server runs on Ascend
   */
  readonly reranker?: MemosModelServerOptions | false;
  /**
   * The environment's Ascend NPU node pools. Required for anything on `ascend`.
   * @default - none
   */
  readonly npuNodePools?: NpuNodePool[];
  /**
   * In-cluster Milvus for preference memory, or `false` for none. medium and large run it
   * distributed, which needs `objectStorage` (OBS) and `kafka` (DMS for Kafka).
   * @default - the size preset's (small standalone; medium 3 and large 5 query nodes, distributed)
   */
  readonly milvus?: MemosMilvusOptions | false;
  /**
   * In-cluster Qdrant for MemOS's text-memory vectors, or `false` to use the Qdrant given in
   * `memos.qdrant` instead.
   * @default - the size preset's (small 1 node, medium 3, large 5)
   */
  readonly qdrant?: MemosQdrantOptions | false;
  /**
   * The Redis of the scheduler queue. Switch to `{ mode: 'in-cluster' }` for clusters without DCS.
   * @default { mode: 'in-cluster' }
   */
  readonly redis?: MemosRedisOptions;
  /**
   * The queue-depth metric pipeline (exporter, ServiceMonitor, recording rule, adapter rule).
   * @default - redis_exporter from Docker Hub, CCE's `monitoring` namespace, adapter config and
   * external metrics API registration on
   */
  readonly monitoring?: MemosMonitoringOptions;
  /**
   * Extra labels on every object (for example a team or cost-centre label).
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * MemOS on CCE: the namespace, the MemOS configuration, the memos-api tier behind a CCE ELB with
 * its autoscaler, and the queue-depth metric the autoscaler reads, sized from one of the seed's
 * presets.
 *
 * ```ts
 * new MemosChart(app, 'prod', { size: 'medium', namespace: 'memos-prod' });
 * ```
 */
export class MemosChart extends Chart {
  /** The preset the chart was sized from. */
  public readonly preset: MemosSizePreset;
  /** Instance name used in object names. */
  public readonly instance: string;
  /** Settings shared by all MemOS pods. */
  public readonly config: MemosConfig;
  /** The API tier. */
  public readonly api: MemosApi;
  /** The scheduler-queue depth metric pipeline. */
  public readonly queueDepth: QueueDepthMetric;
  /** The dedicated queue consumers. */
  public readonly scheduler: MemScheduler;
  /** The in-cluster Neo4j, unless `neo4j: false` or `postgres`. */
  public readonly neo4j?: Neo4j;
  /** The embedding server, unless `embedding: false`. */
  public readonly embedding?: EmbeddingServer;
  /** The reranker, when deployed. */
  public readonly reranker?: EmbeddingServer;
  /** The in-cluster Milvus, unless `milvus: false`. */
  public readonly milvus?: Milvus;
  /** The in-cluster Qdrant, unless `qdrant: false` or `postgres`. */
  public readonly qdrant?: Qdrant;
  /** The in-cluster Redis, when `redis.mode` is `in-cluster`. */
  public readonly redis?: RedisServer;
  /** How fast the queue drains at the preset's designed load (see src/queue-capacity.ts). */
  public readonly queueCapacity: QueueCapacityEstimate;

  constructor(scope: Construct, id: string, props: MemosChartProps) {
    const namespace = props.namespace ?? 'memos';
    super(scope, id, {
      namespace,
      labels: { ...props.labels, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
    });
    requireDnsLabel(this, 'namespace', namespace);
    const size = requireOneOf(this, 'size', props.size, MEMOS_SIZES);
    const podSecurity = requireOneOf(this, 'podSecurity', props.podSecurity ?? 'restricted', POD_SECURITY_LEVELS);
    this.preset = SIZE_PRESETS[size];
    this.instance = requireDnsLabel(this, 'instance', props.instance ?? 'memos', 40);

    if (props.createNamespace ?? true) {
      const ns = new kplus.Namespace(this, 'Namespace', {
        metadata: { name: namespace, labels: podSecurityLabels(podSecurity) },
      });
      // The chart stamps its namespace on every object; a Namespace is cluster-scoped.
      ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    const redis = props.redis ?? { mode: 'in-cluster' };
    const redisMode = requireOneOf(this, 'redis.mode', redis.mode, ['dcs', 'in-cluster'] as const);
    if (redisMode === 'dcs' && !redis.host) invalidProp(this, 'redis.host', redis.host, "the DCS instance's connection address when redis.mode is 'dcs'");
    if (redisMode === 'in-cluster' && (redis.host !== undefined || redis.port !== undefined)) {
      invalidProp(this, 'redis.host', redis.host ?? redis.port, "no host or port with redis.mode 'in-cluster': MemOS uses the in-cluster Service");
    }
    if (redisMode === 'dcs' && redis.inCluster !== undefined) invalidProp(this, 'redis.inCluster', redis.inCluster, "nothing with redis.mode 'dcs'");
    const scheduler = props.scheduler ?? {};
    const { redis: _ignoredRedis, consumer: _ignoredConsumer, ...memos } = (props.memos ?? {}) as MemosConfigProps;
    if (_ignoredRedis !== undefined) invalidProp(this, 'memos.redis', _ignoredRedis, 'nothing: set the chart\'s redis prop');

    const postgres = props.postgres;
    if (postgres !== undefined) {
      if (props.neo4j !== undefined && props.neo4j !== false) invalidProp(this, 'postgres', postgres.host, 'either postgres or neo4j as the graph backend, not both (drop neo4j)');
      if (props.qdrant !== undefined && props.qdrant !== false) invalidProp(this, 'qdrant', props.qdrant, 'nothing with postgres: MemOS keeps vectors in pgvector then');
      if (memos.neo4j !== undefined || memos.qdrant !== undefined) invalidProp(this, 'memos.neo4j', memos.neo4j ?? memos.qdrant, 'nothing with postgres');
    }
    const neo4j = postgres ? false : props.neo4j ?? {};
    const qdrant = postgres ? false : props.qdrant ?? {};
    if (neo4j !== false && memos.neo4j !== undefined) {
      invalidProp(this, 'memos.neo4j', memos.neo4j, 'nothing while the chart runs Neo4j in-cluster: set neo4j: false to use another Neo4j');
    }
    if (qdrant !== false && memos.qdrant !== undefined) {
      invalidProp(this, 'memos.qdrant', memos.qdrant, 'nothing while the chart runs Qdrant in-cluster: set qdrant: false to use another Qdrant');
    }
    const qdrantApiKey = qdrant === false ? memos.qdrant?.apiKey : qdrant.apiKey ?? true;
    const neo4jServers = neo4j === false ? 0 : neo4j.servers ?? this.preset.neo4j.replicas;

    const milvus = props.milvus ?? {};
    const milvusMode = milvus === false ? undefined : milvus.mode ?? (this.preset.milvus.replicas >= 3 ? 'distributed' : 'standalone');

    const embedding = props.embedding ?? {};
    const embeddingAccelerator = embedding === false ? undefined : embedding.accelerator ?? this.preset.embeddingAccelerator;
    const reranker = props.reranker ?? (embeddingAccelerator === 'ascend' ? {} : false);
    const rerankerAccelerator = reranker === false ? undefined : reranker.accelerator ?? embeddingAccelerator ?? 'cpu';
    const pools = props.npuNodePools ?? [];
    const poolFor = (what: string, options: MemosModelServerOptions) => {
      if (pools.length === 0) {
        invalidProp(this, 'npuNodePools', props.npuNodePools,
          `at least one Ascend NPU node pool ({ name, chip }) for the ${what} on 'ascend', or ${what}: { accelerator: 'cpu' }`);
      }
      const pool = options.npuNodePool === undefined ? pools[0] : pools.find((p) => p.name === options.npuNodePool);
      if (!pool) invalidProp(this, `${what}.npuNodePool`, options.npuNodePool, `one of the declared npuNodePools: ${pools.map((p) => p.name).join(', ')}`);
      return pool;
    };
    let embedderSettings = memos.embedder;
    if (embedding !== false) {
      if (memos.embedder?.apiBase !== undefined || memos.embedder?.model !== undefined) {
        invalidProp(this, 'memos.embedder', memos.embedder, 'no apiBase or model while the chart runs the embedding server: set embedding: false to use another');
      }
      const model = embedding.model ?? 'bge-m3';
      const modelDimension = KNOWN_MODELS[model]?.dimension;
      const dimension = memos.embedder?.dimension ?? modelDimension ?? BGE_M3.dimension;
      if (modelDimension !== undefined && dimension !== modelDimension) {
        invalidProp(this, 'memos.embedder.dimension', dimension,
          `${modelDimension}: ${model} returns ${modelDimension}-dimensional vectors; EMBEDDING_DIMENSION sizes the Qdrant collection and is sent as \`dimensions\` on every request`);
      }
      embedderSettings = { apiBase: InClusterEndpoints.modelServer(this.instance, 'embed').apiBase, model, dimension };
    }

    this.config = new MemosConfig(this, 'Config', {
      ...memos,
      embedder: embedderSettings,
      reranker: reranker === false ? memos.reranker : { backend: 'http_bge', url: InClusterEndpoints.modelServer(this.instance, 'rerank').rerankUrl, model: reranker.model ?? 'bge-reranker-v2-m3' },
      postgres,
      milvus: milvus === false ? undefined : { uri: InClusterEndpoints.milvusUri(this.instance) },
      neo4j: neo4j === false ? memos.neo4j : { uri: InClusterEndpoints.neo4jUri(this.instance, neo4jServers) },
      qdrant: postgres ? undefined : qdrant === false ? memos.qdrant : { apiKey: qdrantApiKey },
      instance: this.instance,
      redis: redisMode === 'dcs' ? { host: redis.host, port: redis.port, db: redis.db } : { db: redis.db },
      consumer: {
        threadPoolSize: scheduler.threadPoolSize ?? this.preset.scheduler.threadPoolSize,
        consumeIntervalSeconds: scheduler.consumeIntervalSeconds,
      },
    });
    // What every in-cluster store and server gets from the chart.
    const common = {
      instance: this.instance,
      config: this.config,
      monitoringNamespace: props.monitoring?.monitoringNamespace,
      imagePullSecrets: props.imagePullSecrets,
    };
    const podSize = (store: StorePreset) => ({ cpu: kplus.Cpu.units(store.cpu), memory: Size.gibibytes(store.memoryGiB) });

    if (neo4j !== false) {
      this.neo4j = new Neo4j(this, 'Neo4j', {
        servers: neo4jServers,
        resources: podSize(this.preset.neo4j),
        ...neo4j,
        storage: { size: Size.gibibytes(this.preset.neo4j.storageGiB), ...neo4j.storage },
        ...common,
        zoneSpread: props.api?.zoneSpread,
      });
    }
    if (reranker !== false && memos.reranker !== undefined) {
      invalidProp(this, 'memos.reranker', memos.reranker, 'nothing while the chart runs the reranker: set reranker: false to configure another');
    }
    const modelServer = (id: string, task: 'embed' | 'rerank', options: MemosModelServerOptions, accelerator: EmbeddingAccelerator) => new EmbeddingServer(this, id, {
      ...EMBEDDING_REPLICA_DEFAULTS(this.preset, options),
      ...options,
      accelerator,
      npuNodePool: accelerator === 'ascend' ? poolFor(task === 'embed' ? 'embedding' : 'reranker', options) : undefined,
      task,
      ...common,
      zoneSpread: options.zoneSpread ?? (accelerator === 'ascend' ? 'preferred' : props.api?.zoneSpread),
    });
    if (embedding !== false) this.embedding = modelServer('Embedding', 'embed', embedding, embeddingAccelerator!);
    if (reranker !== false) this.reranker = modelServer('Reranker', 'rerank', reranker, rerankerAccelerator!);
    if (milvus !== false) {
      this.milvus = new Milvus(this, 'Milvus', {
        resources: podSize(this.preset.milvus),
        ...(milvusMode === 'distributed' ? { queryNodes: this.preset.milvus.replicas } : {}),
        ...milvus,
        ...(milvusMode === 'standalone' ? { storage: { size: Size.gibibytes(this.preset.milvus.storageGiB), ...milvus.storage } } : {}),
        mode: milvusMode,
        ...common,
        zoneSpread: props.api?.zoneSpread,
      });
    }
    if (qdrant !== false) {
      this.qdrant = new Qdrant(this, 'Qdrant', {
        replicas: this.preset.qdrant.replicas,
        resources: podSize(this.preset.qdrant),
        ...qdrant,
        storage: { size: Size.gibibytes(this.preset.qdrant.storageGiB), ...qdrant.storage },
        apiKey: qdrantApiKey,
        ...common,
        zoneSpread: props.api?.zoneSpread,
      });
    }
    if (redisMode === 'in-cluster') {
      this.redis = new RedisServer(this, 'Redis', {
        memory: Size.gibibytes(this.preset.redis.memoryGiB),
        ...redis.inCluster,
        instance: this.instance,
        config: this.config,
        imagePullSecrets: props.imagePullSecrets,
      });
    }
    this.queueDepth = new QueueDepthMetric(this, 'QueueDepth', {
      ...props.monitoring,
      instance: this.instance,
      config: this.config,
      imagePullSecrets: props.imagePullSecrets,
    });
    const api = props.api ?? {};
    const apiConsumes = api.consumesQueue ?? true;
    this.api = new MemosApi(this, 'Api', {
      instance: this.instance,
      config: this.config,
      image: api.image,
      replicas: api.replicas,
      autoscaling: api.replicas === undefined ? {
        minReplicas: api.minReplicas ?? this.preset.api.minReplicas,
        maxReplicas: api.maxReplicas ?? this.preset.api.maxReplicas,
        targetCpuUtilization: api.targetCpuUtilization,
        // Queue depth adds API pods only where API pods consume.
        queueDepth: apiConsumes ? this.queueDepth : undefined,
        targetQueueDepthPerReplica: api.targetQueueDepthPerReplica,
      } : undefined,
      resources: api.resources ?? this.preset.api.resources,
      loadBalancer: api.loadBalancer,
      zoneSpread: api.zoneSpread,
      consumesQueue: apiConsumes,
      imagePullSecrets: props.imagePullSecrets,
    });
    this.scheduler = new MemScheduler(this, 'Scheduler', {
      instance: this.instance,
      config: this.config,
      image: api.image,
      replicas: scheduler.replicas ?? this.preset.scheduler.replicas,
      resources: scheduler.resources ?? this.preset.scheduler.resources,
      zoneSpread: api.zoneSpread,
      imagePullSecrets: props.imagePullSecrets,
    });

    const hpa = this.api.autoscaler;
    this.queueCapacity = estimateQueueCapacity({
      designQps: this.preset.designedFor.qps,
      apiMinReplicas: hpa?.minReplicas ?? api.replicas!,
      apiMaxReplicas: hpa?.maxReplicas ?? api.replicas!,
      apiConsumes,
      queueDepthPerApiPod: hpa && apiConsumes ? api.targetQueueDepthPerReplica ?? 100 : undefined,
      schedulerReplicas: this.scheduler.replicas,
      threadPoolSize: scheduler.threadPoolSize ?? this.preset.scheduler.threadPoolSize,
    });
  }
}
