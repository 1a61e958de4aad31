import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BackupPlan, BackupStore } from './backup-plan';
import { ApiGateway, Embedder, MemoryStorage, MilvusDeployment, Neo4jBackend, QdrantBackend, RedisQueue, Reranker } from './backends';
import { MemosPodOverrides, MemosPriorityClasses, MemosSettings, MemosSmokeTestOptions, MemosStackProps } from './memos-stack-props';
import { ExternalNetworks, NetworkIsolation } from './network-isolation';
import { NetworkPolicies } from '../constructs/network-policies';
import { Connections, NetworkPort, requireCidrs, tcp, urlPort } from '../src/network';
import { MemosPresets, MemosSize, MemosSizePreset, StorePreset } from './presets';
import { EmbeddingServer, EmbeddingServerOptions, ModelServerTask } from '../constructs/embedding-server';
import { ApiService, MemosApi } from '../constructs/memos-api';
import { MemosGateway } from '../constructs/memos-gateway';
import { MemosAlerts } from '../constructs/memos-alerts';
import { MemosDashboard } from '../constructs/memos-dashboard';
import { MemosSmokeTest } from '../constructs/memos-smoke-test';
import { Neo4jEnableServers } from '../constructs/neo4j-enable-servers';
import { MemScheduler } from '../constructs/mem-scheduler';
import { MemosConfig } from '../constructs/memos-config';
import { Milvus } from '../constructs/milvus';
import { MilvusMode, MilvusTopology } from '../constructs/milvus-topology';
import { AcceleratorType, ModelAccelerator } from '../constructs/model-accelerator';
import { Neo4j } from '../constructs/neo4j';
import { Neo4jPorts } from '../constructs/neo4j-options';
import { DEFAULT_CLUSTER_DOMAIN } from '../constructs/neo4j-settings';
import { Qdrant } from '../constructs/qdrant';
import { QdrantBackup } from '../constructs/qdrant-backup';
import { RedisBackup } from '../constructs/redis-backup';
import { MilvusBackup } from '../constructs/milvus-backup';
import { Neo4jBackup } from '../constructs/neo4j-backup';
import { QdrantCollection, QdrantDistance } from '../constructs/qdrant-collection';
import { QueueDepthMetric } from '../constructs/queue-depth-metric';
import { RedisServer } from '../constructs/redis-server';
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { CapacityPlan } from '../src/capacity-plan';
import { CCE_KUBERNETES_API_PORTS, NpuNodePool, requireNpuNodePools } from '../src/cce';
import { NodePool, requireNodePools } from '../src/node-pools';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import { collectImages, StackImage } from '../src/images';
import { applyPodOverrides } from '../src/pod-overrides';
import { componentLabels, nameJobByTemplate, placeOnNodePool, PodSize, PodWorkload, requireNamesFit, setPriorityClass, ZoneSpread } from '../src/kubernetes';
import { boundEphemeralStorage, requireContainerResources, requirePodSize } from '../src/resources';
import { startupBudgetFor } from '../src/storage';
import { BGE_M3, knownModel, MEMOS_DEFAULT_SECRET, MEMOS_HTTP_PORT, MEMOS_QDRANT_COLLECTION } from '../src/memos';
import { EmbedderConnection, MemosGraph, RedisConnection, RerankerBackend, RerankerConnection } from '../src/memos-settings';
import { estimateQueueCapacity, QueueCapacityEstimate } from '../src/queue-capacity';
import { definedOnly, invalidProp, PropPaths, reportAs, requireDnsLabel, requireDnsSubdomain, requireEnum, requireHost, requireInstance, requireInteger, requireLabels } from '../src/validation';

/**
 * Charts that check their stack's fit on their own output (MemosChart), so the stack does not
 * resolve its workloads a second time in a validation.
 * @internal
 */
export const CHARTS_CHECKING_CAPACITY = new WeakSet<Construct>();

/** The prometheus-operator kinds a Prometheus may select by label. */
const MONITORING_KINDS = new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule']);

/** The objects the capacity check reads: workloads, their autoscalers and disruption budgets. */
const SCHEDULING_KINDS = new Set(['Deployment', 'StatefulSet', 'Job', 'CronJob', 'DaemonSet', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);

/** What the stack passes to every store and server, and where the user set it. */
const PLACEMENT_PATHS: PropPaths = {
  instance: 'instance',
  credentials: 'credentials',
  zoneSpread: 'zoneSpread',
  imagePullSecrets: 'imagePullSecrets',
  monitoringNamespace: 'monitoringNamespace',
};

const paths = (prefix: string, extra: PropPaths = {}): PropPaths => ({ '': prefix, ...PLACEMENT_PATHS, ...extra });

/**
 * A whole MemOS on CCE, usable inside any `Chart`: the stores first (Redis, Neo4j and Qdrant or
 * PostgreSQL, Milvus, the embedding and reranking servers), then MemOS's configuration built from
 * what they expose, the memos-api tier behind a CCE ELB with its autoscaler, the queue-depth
 * metric the autoscaler reads, and the mem-scheduler consumers.
 *
 * ```ts
 * const chart = new Chart(app, 'platform', { namespace: 'memos' });
 * new MemosStack(chart, 'Memos', { size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.dcs.example' }) });
 * ```
 */
export class MemosStack extends Construct {
  /** The preset the stack was sized from. */
  public readonly preset: MemosSizePreset;
  /** Instance name used in object names. */
  public readonly instance: string;
  /** Where the credentials are read from. */
  public readonly credentials: Credentials;
  /** Settings shared by all MemOS pods. */
  public readonly config: MemosConfig;
  /** The API tier. */
  public readonly api: MemosApi;
  /** The scheduler-queue depth metric pipeline. */
  public readonly queueDepth: QueueDepthMetric;
  /** The dedicated queue consumers. */
  public readonly scheduler: MemScheduler;
  /** The in-cluster Neo4j, when the graph runs in the cluster. */
  public readonly neo4j?: Neo4j;
  /** The in-cluster Qdrant, when the vectors run in the cluster. */
  public readonly qdrant?: Qdrant;
  /** The Job creating MemOS's collection in the in-cluster Qdrant. */
  public readonly qdrantCollection?: QdrantCollection;
  /** The in-cluster Milvus, unless `MilvusDeployment.none()`. */
  public readonly milvus?: Milvus;
  /** The in-cluster embedding server, unless `Embedder.external`. */
  public readonly embedding?: EmbeddingServer;
  /** The in-cluster reranker, when deployed. */
  public readonly reranker?: EmbeddingServer;
  /** The gateway in front of memos-api, unless `ApiGateway.none()`. */
  public readonly gateway?: MemosGateway;
  /** The in-cluster Redis, with `RedisQueue.inCluster`. */
  public readonly redis?: RedisServer;
  /** How fast the queue drains at the preset's designed load (see src/queue-capacity.ts). */
  public readonly queueCapacity: QueueCapacityEstimate;
  /** The node pools the stack was placed on (`nodePools`). */
  public readonly nodePools: NodePool[];
  /**
   * Every image the stack's pods run, with where it comes from: what to copy into the
   * `imageMirror` (containers added to the stack's workloads afterwards are not included).
   */
  public readonly images: StackImage[];

  /** The NetworkPolicies, unless `NetworkIsolation.none()`. */
  public readonly networkPolicies?: NetworkPolicies;
  /** The alerts (a PrometheusRule in the monitoring namespace). */
  public readonly alerts: MemosAlerts;
  /** The Grafana dashboard (a ConfigMap in the monitoring namespace, for Grafana's sidecar). */
  public readonly dashboard: MemosDashboard;
  /** The post-deploy smoke test (a Job, an Argo CD PostSync hook). */
  public readonly smokeTest: MemosSmokeTest;
  /** With a Neo4j cluster, the Job enabling servers that joined in state Free (an Argo CD PostSync hook). */
  public readonly neo4jEnableServers?: Neo4jEnableServers;
  /** The in-cluster Qdrant's backup, with `backup: BackupPlan.toObs(...)`. */
  public readonly qdrantBackup?: QdrantBackup;
  /** The in-cluster Neo4j's backup, with `backup: BackupPlan.toObs(...)`. */
  public readonly neo4jBackup?: Neo4jBackup;
  /** The in-cluster Milvus's backup, with `backup: BackupPlan.toObs(...)`. */
  public readonly milvusBackup?: MilvusBackup;
  /** The in-cluster Redis's backup, with `backup: BackupPlan.toObs(...)` and `RedisQueue.inCluster()`. */
  public readonly redisBackup?: RedisBackup;

  /** Whether the node-pool fit check runs as a validation (a MemosChart checks its output instead). */
  private readonly checkCapacityInValidation: boolean;

  constructor(scope: Construct, id: string, props: MemosStackProps) {
    super(scope, id);
    this.checkCapacityInValidation = !CHARTS_CHECKING_CAPACITY.has(scope);
    const size = requireEnum(this, 'size', props.size, MemosSize);
    const preset = this.preset = MemosPresets.of(size);
    const instance = this.instance = requireDnsLabel(this, 'instance', props.instance ?? 'memos', 40);
    const credentials = this.credentials = requireCredentials(this, 'credentials', props.credentials ?? Credentials.fromSecret(MEMOS_DEFAULT_SECRET));
    const memos = props.memos ?? {};
    const api = props.api ?? {};
    const scheduler = props.scheduler ?? {};
    const placement = { instance, credentials, imagePullSecrets: props.imagePullSecrets, zoneSpread: props.zoneSpread, monitoringNamespace: props.monitoringNamespace };
    const podSize = (store: StorePreset): PodSize => ({ cpu: kplus.Cpu.units(store.cpu), memory: Size.gibibytes(store.memoryGiB) });
    const gib = (value: number) => Size.gibibytes(value);

    // The settings come first in the output, ahead of the stores and of the pods that read them;
    // they are filled in once the stores exist.
    const settingsScope = new Construct(this, 'Config');
    // The PriorityClasses exist before the pods that name them (admission rejects unknown ones).
    const priorityClasses = this.priorityClasses(props);

    // The backend choices, checked first: a JavaScript or Python caller may pass a plain object.
    const storage = requireInstance(this, 'storage', props.storage ?? MemoryStorage.neo4jAndQdrant(), MemoryStorage,
      'MemoryStorage.neo4jAndQdrant({ neo4j?, qdrant? }) or MemoryStorage.postgres({ host, ... })');
    const neo4jAndQdrant = storage._neo4jAndQdrant;
    const neo4jBackend = neo4jAndQdrant
      ? requireInstance(this, 'storage.neo4j', neo4jAndQdrant.neo4j ?? Neo4jBackend.inCluster(), Neo4jBackend, 'Neo4jBackend.inCluster({...}) or Neo4jBackend.external({ uri })')
      : undefined;
    const qdrantBackend = neo4jAndQdrant
      ? requireInstance(this, 'storage.qdrant', neo4jAndQdrant.qdrant ?? QdrantBackend.inCluster(), QdrantBackend, 'QdrantBackend.inCluster({...}) or QdrantBackend.external({ host })')
      : undefined;
    const embedder = requireInstance(this, 'embedder', props.embedder ?? Embedder.inCluster(), Embedder, 'Embedder.inCluster({...}) or Embedder.external({ apiBase, model })');
    const milvusDeployment = requireInstance(this, 'milvus', props.milvus ?? MilvusDeployment.inCluster(), MilvusDeployment, 'MilvusDeployment.inCluster({...}) or MilvusDeployment.none()');
    const queue = requireInstance(this, 'queue', props.queue ?? RedisQueue.inCluster(), RedisQueue, 'RedisQueue.dcs({ host }) or RedisQueue.inCluster({...})');
    const nodePools = this.nodePools = requireNodePools(this, 'nodePools', props.nodePools);
    if (nodePools.length > 0 && props.npuNodePools !== undefined) {
      invalidProp(this, 'npuNodePools', props.npuNodePools.map((p) => p?.name),
        'nothing with nodePools: declare the NPU pool there with an Ascend flavor (NodeFlavor.of(CceNodeFlavor.KAT2NE_48XLARGE_8))');
    }
    const pools = nodePools.length > 0
      ? nodePools.filter((p) => p.flavor.npuChip !== undefined).map((p): NpuNodePool => ({ name: p.name, chip: p.flavor.npuChip, taints: p.taints }))
      : requireNpuNodePools(this, 'npuNodePools', props.npuNodePools);
    // Quantities of the right types (JavaScript and Python callers can pass strings), requests within limits.
    requireContainerResources(this, 'api.resources', api.resources);
    requireContainerResources(this, 'scheduler.resources', scheduler.resources);
    requirePodSize(this, 'storage.neo4j.resources', neo4jBackend?._inCluster?.resources);
    requirePodSize(this, 'storage.qdrant.resources', qdrantBackend?._inCluster?.resources);
    requirePodSize(this, 'milvus.resources', milvusDeployment._inCluster?.resources);
    const modelResources = (what: string, options?: EmbeddingServerOptions) => {
      const r = options?.resources;
      if (r) requireContainerResources(this, `${what}.resources`, { cpu: { request: r.cpuRequest, limit: r.cpuLimit }, memory: { request: r.memory, limit: r.memory } });
    };
    modelResources('embedder', embedder._inCluster);
    requireLabels(this, 'monitoring.monitoringLabels', props.monitoring?.monitoringLabels);

    if (neo4jBackend?._inCluster) {
      const options = definedOnly(neo4jBackend._inCluster);
      this.neo4j = reportAs(this, paths('storage.neo4j'), () => new Neo4j(this, 'Neo4j', {
        servers: preset.neo4j.replicas,
        resources: podSize(preset.neo4j),
        startupBudget: startupBudgetFor(sizeOf(options.storage?.size, gib(preset.neo4j.storageGiB)), Duration.minutes(30)),
        ...options,
        storage: { size: gib(preset.neo4j.storageGiB), ...definedOnly(options.storage) },
        ...placement,
      }));
    }

    const embeddingOptions = embedder._inCluster;
    const embeddingAccelerator = embeddingOptions ? this.accelerator(embeddingOptions, preset, pools, 'embedder') : undefined;
    const embeddingOnAscend = embeddingAccelerator?._type === AcceleratorType.ASCEND;
    const reranker = requireInstance(this, 'reranker', props.reranker ?? (embeddingOnAscend ? Reranker.inCluster() : Reranker.cosineLocal()), Reranker,
      'Reranker.inCluster({...}), Reranker.external({ url }) or Reranker.cosineLocal()');
    modelResources('reranker', reranker._inCluster);
    if (embeddingOptions) this.embedding = this.modelServer('Embedding', ModelServerTask.EMBED, embeddingOptions, embeddingAccelerator!, preset, props);
    if (reranker._inCluster) {
      // Beside an in-cluster embedder the reranker runs where it does; otherwise where the preset says.
      const accelerator = reranker._inCluster.accelerator || !embeddingAccelerator
        ? this.accelerator(reranker._inCluster, preset, pools, 'reranker')
        : embeddingAccelerator;
      this.reranker = this.modelServer('Reranker', ModelServerTask.RERANK, reranker._inCluster, accelerator, preset, props);
    }

    const onAscend = [this.embedding, this.reranker].some((server) => server?.accelerator === AcceleratorType.ASCEND);
    if (pools.length > 0 && !onAscend) {
      invalidProp(this, 'npuNodePools', pools.map((p) => p.name),
        'nothing while every model server runs on CPU or outside the cluster: the pools would be unused (run the embedder or reranker with ModelAccelerator.ascend())');
    }

    const milvusOptions = milvusDeployment._inCluster;
    if (milvusOptions) {
      const presetMode = preset.milvus.replicas >= 3 ? MilvusMode.DISTRIBUTED : MilvusMode.STANDALONE;
      if (milvusOptions.topology === undefined && presetMode === MilvusMode.DISTRIBUTED) {
        invalidProp(this, 'milvus.topology', undefined,
          `MilvusTopology.distributed({ objectStorage, kafka }): the ${size} preset runs Milvus distributed on OBS and DMS for Kafka; or MilvusTopology.standalone(), or MilvusDeployment.none()`);
      }
      const topology = requireInstance(this, 'milvus.topology', milvusOptions.topology ?? MilvusTopology.standalone(), MilvusTopology,
        'MilvusTopology.standalone({...}) or MilvusTopology.distributed({ objectStorage, kafka })')
        // A distributed Milvus keeps at least two query nodes, whatever the preset.
        ._withDefaults({ queryNodes: Math.max(2, preset.milvus.replicas), storageSize: gib(preset.milvus.storageGiB) });
      this.milvus = reportAs(this, paths('milvus'), () => new Milvus(this, 'Milvus', {
        resources: podSize(preset.milvus),
        ...definedOnly(milvusOptions),
        topology,
        ...placement,
      }));
    }

    if (qdrantBackend?._inCluster) {
      const options = definedOnly(qdrantBackend._inCluster);
      this.qdrant = reportAs(this, paths('storage.qdrant'), () => new Qdrant(this, 'Qdrant', {
        replicas: preset.qdrant.replicas,
        resources: podSize(preset.qdrant),
        // Enough to read the whole volume once (large: 1 TiB per node), at least Qdrant's 20 minutes.
        startupBudget: startupBudgetFor(sizeOf(options.storage?.size, gib(preset.qdrant.storageGiB)), Duration.minutes(20)),
        ...options,
        storage: { size: gib(preset.qdrant.storageGiB), ...definedOnly(options.storage) },
        ...placement,
      }));
    }

    let redis: RedisConnection;
    if (queue._inCluster) {
      const { db, ...options } = definedOnly(queue._inCluster);
      // redis.conf's default `databases 16` (the in-cluster server does not change it).
      if (db !== undefined) requireInteger(this, 'queue.db', db, 0, 15);
      const server = this.redis = reportAs(this, paths('queue'), () => new RedisServer(this, 'Redis', {
        memory: gib(preset.redis.memoryGiB),
        ...options,
        instance,
        credentials,
        imagePullSecrets: props.imagePullSecrets,
      }));
      redis = { host: server.host, port: server.port, db, password: server.password };
    } else {
      const dcs = queue._dcs!;
      // DCS single-node, read/write-splitting and master/standby instances have 256 databases
      // (DCS FAQ dcs-faq-11184); Redis Cluster has only db 0 and MemOS cannot use it anyway.
      if (dcs.db !== undefined) requireInteger(this, 'queue.db', dcs.db, 0, 255);
      redis = { host: requireHost(this, 'queue.host', dcs.host), port: dcs.port, db: dcs.db, password: credentials.ref(Credential.MEMSCHEDULER_REDIS_PASSWORD) };
    }

    const embedderConnection = this.embedderConnection(embedder, memos);
    this.config = reportAs(this, {
      llm: 'memos.llm',
      extraSettings: 'memos.extraSettings',
      huggingFaceEndpoint: 'memos.huggingFaceEndpoint',
      enableChatApi: 'memos.enableChatApi',
      consumer: 'scheduler',
      redis: 'queue',
      embedder: 'embedder',
      reranker: 'reranker',
      'graph.neo4j': 'storage.neo4j',
      'graph.qdrant': 'storage.qdrant',
      'graph.postgres': 'storage.postgres',
      ...PLACEMENT_PATHS,
    }, () => new MemosConfig(settingsScope, 'Default', {
      instance,
      credentials,
      llm: memos.llm,
      huggingFaceEndpoint: memos.huggingFaceEndpoint,
      enableChatApi: memos.enableChatApi,
      extraSettings: memos.extraSettings,
      graph: this.graph(storage, neo4jBackend, qdrantBackend),
      embedder: embedderConnection,
      reranker: this.rerankerConnection(reranker),
      redis,
      consumer: {
        threadPoolSize: scheduler.threadPoolSize ?? preset.scheduler.threadPoolSize,
        consumeIntervalSeconds: scheduler.consumeIntervalSeconds,
      },
      // MemOS verifies in-cluster stores served over TLS with their CAs.
      trustedCertificates: [this.neo4j?.tls, this.qdrant?.tls].filter((t): t is TlsCertificate => t !== undefined)
        .map((t) => SecretKeyRef.of(t.secretName, TlsCertificate.CA_KEY)),
    }));

    if (this.qdrant) {
      // MemOS would create its collection with the peers Qdrant knows at that moment: create it
      // first, once every node has joined, with shards and replicas for the whole cluster.
      const qdrant = this.qdrant;
      this.qdrantCollection = reportAs(this, paths('storage.qdrant'), () => new QdrantCollection(this, 'QdrantCollection', {
        instance,
        qdrant: { host: qdrant.host, port: qdrant.port, apiKey: qdrant.apiKey },
        tls: qdrant.tls,
        nodes: qdrant.replicas,
        collectionName: MEMOS_QDRANT_COLLECTION,
        vectorSize: embedderConnection.dimension!,
        distance: QdrantDistance.COSINE,
        replicationFactor: qdrant.replicationFactor,
        imagePullSecrets: props.imagePullSecrets,
      }));
    }

    this.queueDepth = reportAs(this, paths('monitoring'), () => new QueueDepthMetric(this, 'QueueDepth', {
      ...props.monitoring,
      instance,
      redis,
      streamKeyPrefix: this.config.streamKeyPrefix,
      monitoringNamespace: props.monitoringNamespace,
      imagePullSecrets: props.imagePullSecrets,
    }));

    const gateway = requireInstance(this, 'gateway', props.gateway ?? ApiGateway.haproxy(), ApiGateway, 'ApiGateway.haproxy({...}) or ApiGateway.none()');
    if (api.service !== undefined) requireInstance(this, 'api.service', api.service, ApiService, 'ApiService.elb({...}) or ApiService.clusterIp()');
    if (gateway._haproxy && api.service !== undefined) {
      invalidProp(this, 'api.service', '<ApiService>', "nothing with a gateway: the ELB points at the gateway (ApiGateway.haproxy({ service })) and memos-api is ClusterIP; or gateway: ApiGateway.none()");
    }
    const apiConsumes = api.consumesQueue ?? true;
    const autoscaled = api.replicas === undefined;
    if (!autoscaled) {
      for (const key of ['minReplicas', 'maxReplicas', 'targetCpuUtilization', 'targetQueueDepthPerReplica', 'scaleDownStabilization'] as const) {
        if (api[key] !== undefined) invalidProp(this, `api.${key}`, api[key], 'nothing with api.replicas: a fixed count has no autoscaler');
      }
    }
    if (!apiConsumes && api.targetQueueDepthPerReplica !== undefined) {
      invalidProp(this, 'api.targetQueueDepthPerReplica', api.targetQueueDepthPerReplica,
        'nothing with api.consumesQueue false: the autoscaler scales on CPU alone, since more API pods would add no consumers');
    }
    this.api = reportAs(this, paths('api', {
      'autoscaling.minReplicas': 'api.minReplicas',
      'autoscaling.maxReplicas': 'api.maxReplicas',
      'autoscaling.targetCpuUtilization': 'api.targetCpuUtilization',
      'autoscaling.targetQueueDepthPerReplica': 'api.targetQueueDepthPerReplica',
      'autoscaling.queueDepth': 'api.consumesQueue',
      'autoscaling.scaleDownStabilization': 'api.scaleDownStabilization',
    }), () => new MemosApi(this, 'Api', {
      instance,
      config: this.config,
      image: api.image,
      replicas: api.replicas,
      autoscaling: autoscaled ? {
        minReplicas: api.minReplicas ?? preset.api.minReplicas,
        maxReplicas: api.maxReplicas ?? preset.api.maxReplicas,
        targetCpuUtilization: api.targetCpuUtilization,
        // Queue depth adds API pods only where API pods consume.
        queueDepth: apiConsumes ? this.queueDepth : undefined,
        targetQueueDepthPerReplica: api.targetQueueDepthPerReplica,
        scaleDownStabilization: api.scaleDownStabilization,
      } : undefined,
      resources: api.resources ?? preset.api.resources,
      service: gateway._haproxy ? ApiService.clusterIp() : api.service,
      zoneSpread: props.zoneSpread,
      consumesQueue: apiConsumes,
      terminationGracePeriod: api.terminationGracePeriod,
      imagePullSecrets: props.imagePullSecrets,
    }));
    this.scheduler = reportAs(this, paths('scheduler', { image: 'api.image' }), () => new MemScheduler(this, 'Scheduler', {
      instance,
      config: this.config,
      image: api.image,
      replicas: scheduler.replicas ?? preset.scheduler.replicas,
      resources: scheduler.resources ?? preset.scheduler.resources,
      terminationGracePeriod: scheduler.terminationGracePeriod,
      zoneSpread: props.zoneSpread,
      imagePullSecrets: props.imagePullSecrets,
    }));

    if (gateway._haproxy) {
      const options = gateway._haproxy;
      const namespace = Chart.of(this).namespace ?? 'default';
      this.gateway = reportAs(this, paths('gateway', { zoneSpread: 'zoneSpread' }), () => new MemosGateway(this, 'Gateway', {
        ...definedOnly(options),
        apiKeys: options.apiKeys ?? (options.jwt ? undefined : { secretName: `${instance}-api-keys` }),
        replicas: options.replicas ?? preset.gateway.replicas,
        instance,
        // HAProxy's resolvers apply no search domains: the headless Service's full name.
        upstreamHost: `${this.api.headlessService.name}.${namespace}.svc.${neo4jBackend?._inCluster?.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN}`,
        upstreamPort: MEMOS_HTTP_PORT,
        // Every pod the autoscaler may run, and the rollout's surge (a quarter).
        upstreamServers: Math.ceil((this.api.autoscaler?.maxReplicas ?? api.replicas!) * 1.25),
        zoneSpread: props.zoneSpread,
        imagePullSecrets: props.imagePullSecrets,
        monitoringNamespace: props.monitoringNamespace,
      }));
    }

    this.backUp(props);
    this.smokeTest = reportAs(this, paths('smokeTest'), () => this.addSmokeTest(props.smokeTest ?? {}, redis));
    // A cluster's servers that joined after it formed (servers grown) serve nothing until enabled.
    if (this.neo4j && this.neo4j.servers >= 3) this.neo4jEnableServers = new Neo4jEnableServers(this, 'Neo4jEnableServers', { neo4j: this.neo4j });

    // MemOS pods start once the collection exists, so they never create it themselves.
    for (const workload of [this.api.deployment, this.scheduler.deployment]) this.qdrantCollection?.addWaitInitContainer(workload);

    this.networkPolicies = this.isolate(props, storage, embedder, reranker, milvusDeployment);
    this.prioritize(priorityClasses);
    if (nodePools.length > 0) this.placeOnPools(nodePools, props);
    // After the stack's own placement and priorities (the overrides merge with or win over them),
    // before images are collected (a sidecar's is mirrored too) and ephemeral storage bounded.
    this.applyPodOverrides(props.pods);
    requireNamesFit(this, 'instance', instance);
    // Last: every workload exists now.
    this.images = collectImages(this, 'imageMirror', props.imageMirror);
    boundEphemeralStorage(this);
    if (this.qdrantCollection) nameJobByTemplate(this.qdrantCollection.job);
    // A Job's template is immutable: a changed smoke test is a new Job (kubectl apply), and Argo CD
    // runs each as a PostSync hook; finished ones go after a day (ttlSecondsAfterFinished).
    nameJobByTemplate(this.smokeTest.job);

    const hpa = this.api.autoscaler;
    this.queueCapacity = estimateQueueCapacity({
      designQps: preset.designedFor.qps,
      apiMinReplicas: hpa?.minReplicas ?? api.replicas!,
      apiMaxReplicas: hpa?.maxReplicas ?? api.replicas!,
      apiConsumes,
      queueDepthPerApiPod: hpa && apiConsumes ? api.targetQueueDepthPerReplica ?? MemosApi.DEFAULT_TARGET_QUEUE_DEPTH_PER_REPLICA : undefined,
      schedulerReplicas: this.scheduler.replicas,
      threadPoolSize: scheduler.threadPoolSize ?? preset.scheduler.threadPoolSize,
    });
    this.alerts = reportAs(this, paths('alerts'), () => new MemosAlerts(this, 'Alerts', {
      ...definedOnly(props.alerts),
      instance,
      monitoringNamespace: props.monitoringNamespace,
      monitoringLabels: props.alerts?.monitoringLabels ?? props.monitoring?.monitoringLabels,
      qdrantNodes: this.qdrant?.replicas,
      // What the consumers drain in 15 minutes at the autoscaler's maximum.
      queueBacklogThreshold: props.alerts?.queueBacklogThreshold ?? Math.max(1, Math.ceil(this.queueCapacity.capacityAtMaxPerSecond * 15 * 60)),
    }));
    // A Prometheus that selects by label must find every monitor of the stack, not only the queue's.
    const monitoringLabels = props.monitoring?.monitoringLabels ?? {};
    for (const o of this.node.findAll()) {
      if (!(o instanceof ApiObject) || !MONITORING_KINDS.has(o.kind)) continue;
      // A label an object already has (alerts.monitoringLabels) wins.
      for (const [k, v] of Object.entries(monitoringLabels)) if (o.metadata.getLabel(k) === undefined) o.metadata.addLabel(k, v);
    }
    // The dashboard charts the objects the stack made, by name, so it shows no one else's.
    const named = (kind: string) => this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && c.kind === kind).map((o) => o.name);
    this.dashboard = reportAs(this, paths('dashboard'), () => new MemosDashboard(this, 'Dashboard', {
      ...definedOnly(props.dashboard),
      instance,
      monitoringNamespace: props.monitoringNamespace,
      gatewayMetricsService: this.gateway?.metricsService.name,
      // Its ServiceMonitor selects the headless Service: one target per node.
      qdrantMetricsService: this.qdrant?.headlessService.name,
      drainRatePerSecond: this.queueCapacity.capacityAtMaxPerSecond > 0 ? this.queueCapacity.capacityAtMaxPerSecond : undefined,
      autoscalers: named('HorizontalPodAutoscaler'),
      deployments: named('Deployment'),
      statefulSets: named('StatefulSet'),
      embeddingServices: [this.embedding, this.reranker].filter((s): s is EmbeddingServer => s !== undefined).map((s) => s.service.name),
      backupCronJobs: [this.qdrantBackup, this.neo4jBackup, this.milvusBackup, this.redisBackup].flatMap((b) => (b ? [b.cronJob.name] : [])),
    }));
  }

  /**
   * Records who talks to whom on the constructs' connections, then derives the NetworkPolicies
   * from them: MemOS's pods to the stores and servers its settings name, the exporter to Redis,
   * the collection Job to Qdrant, and egress to each external destination on its ports.
   */
  private isolate(props: MemosStackProps, storage: MemoryStorage, embedder: Embedder, reranker: Reranker, milvus: MilvusDeployment): NetworkPolicies | undefined {
    const isolation = requireInstance(this, 'network', props.network ?? NetworkIsolation.enforced(), NetworkIsolation,
      'NetworkIsolation.enforced({...}) or NetworkIsolation.none()');
    const enforced = isolation._enforced;
    if (!enforced) return undefined;
    const external = enforced.external ?? {};
    const memos = [this.api.connections, this.scheduler.connections];
    const settings = this.config.settings;
    const toExternal = (clients: Connections[], kind: keyof ExternalNetworks, name: string, ports: NetworkPort[]) => {
      const given = external[kind];
      // Not narrowed: any address, on the destination's ports only.
      const cidrs = given === undefined ? [] : requireCidrs(this, `network.external.${kind}`, given);
      for (const client of clients) client.allowToExternal({ name, cidrs, ports });
    };
    const kubernetesApiPorts = enforced.kubernetesApiPorts === undefined ? CCE_KUBERNETES_API_PORTS
      : enforced.kubernetesApiPorts.map((port, i) => requireInteger(this, `network.kubernetesApiPorts[${i}]`, port, 1, 65535));
    const urlPorts = (property: string, ...urls: (string | undefined)[]) =>
      tcp(...new Set(urls.filter((u): u is string => u !== undefined).map((u) => urlPort(this, property, u))));

    // The front door: the gateway alone reaches memos-api (otherwise its ELB Service admits anyone).
    if (this.gateway) this.api.connections.allowFrom(this.gateway.connections, this.api.clientPorts);

    // The scheduler queue: MemOS's pods and the queue exporter.
    const queueClients = [...memos, this.queueDepth.connections];
    const redisPort = Number(settings.MEMSCHEDULER_REDIS_PORT);
    if (this.redis) for (const client of queueClients) this.redis.connections.allowFrom(client, this.redis.clientPorts);
    else toExternal(queueClients, 'dcs', 'dcs', tcp(redisPort));

    // The graph and vectors, or PostgreSQL.
    if (storage._postgres) {
      toExternal(memos, 'postgres', 'postgres', tcp(Number(settings.POSTGRES_PORT)));
    } else {
      if (this.neo4j) {
        for (const client of memos) this.neo4j.connections.allowFrom(client, this.neo4j.clientPorts);
        // Kubernetes discovery of the cluster members lists Services through the API server.
        if (this.neo4j.serviceAccount) toExternal([this.neo4j.connections], 'kubernetesApi', 'kubernetes-api', tcp(...kubernetesApiPorts));
      } else {
        toExternal(memos, 'neo4j', 'neo4j', urlPorts('storage.neo4j.uri', settings.NEO4J_URI));
      }
      if (this.qdrant) {
        // MemOS and the collection Job use Qdrant's REST API only.
        for (const client of [...memos, ...(this.qdrantCollection ? [this.qdrantCollection.connections] : [])]) {
          this.qdrant.connections.allowFrom(client, tcp(this.qdrant.port));
        }
      } else {
        const port = settings.QDRANT_URL ? urlPort(this, 'storage.qdrant.port', settings.QDRANT_URL) : Number(settings.QDRANT_PORT);
        toExternal(memos, 'qdrant', 'qdrant', tcp(port));
      }
    }

    // Embedding and reranking: in the cluster, or external URLs.
    for (const [server, options, kind, url] of [
      [this.embedding, embedder, 'embedder', settings.MOS_EMBEDDER_API_BASE],
      [this.reranker, reranker, 'reranker', settings.MOS_RERANKER_URL],
    ] as const) {
      if (server) {
        for (const client of memos) server.connections.allowFrom(client, server.clientPorts);
        const weights = options._inCluster?.weights?._obs;
        if (weights) toExternal([server.connections], 'obs', 'obs', tcp(443));
      } else if (url !== undefined && options._external) {
        toExternal(memos, kind, kind, urlPorts(`${kind}.url`, url));
      }
    }

    toExternal(memos, 'llmApi', 'llm-api', urlPorts('memos.llm.apiBase', settings.OPENAI_API_BASE, settings.MEMRADER_API_BASE));
    if (settings.HF_ENDPOINT) toExternal(memos, 'huggingFace', 'hugging-face', urlPorts('memos.huggingFaceEndpoint', settings.HF_ENDPOINT));

    // A distributed Milvus keeps its data on OBS (HTTPS) and its log on Kafka.
    const topology = milvus._inCluster?.topology;
    if (this.milvus && topology?._objectStorage) toExternal([this.milvus.connections], 'obs', 'obs', tcp(443));
    if (this.milvus && topology?._kafka) {
      const brokerPorts = topology._kafka.brokers.map((b) => Number(b.slice(b.lastIndexOf(':') + 1)));
      toExternal([this.milvus.connections], 'kafka', 'kafka', tcp(...new Set(brokerPorts)));
    }

    // Backups write to OBS (HTTPS) and read their store.
    const backups = [this.qdrantBackup, this.neo4jBackup, this.milvusBackup, this.redisBackup].filter((b) => b !== undefined).map((b) => b!.connections);
    toExternal(backups, 'obs', 'obs', tcp(443));
    // A Neo4j Enterprise restore seeds every server from OBS; the Community backup stops and starts its server through the API.
    if (this.neo4jBackup) toExternal(this.neo4jBackup.obsClients, 'obs', 'obs', tcp(443));
    if (this.neo4jBackup?.serviceAccount) toExternal([this.neo4jBackup.connections], 'kubernetesApi', 'kubernetes-api', tcp(...kubernetesApiPorts));

    // The smoke test reaches what it checks: memos-api, the gateway, each store, the queue.
    const smoke = this.smokeTest.connections;
    this.api.connections.allowFrom(smoke, this.api.clientPorts);
    if (this.gateway) this.gateway.connections.allowFrom(smoke, this.gateway.clientPorts);
    if (this.qdrant) this.qdrant.connections.allowFrom(smoke, tcp(this.qdrant.port));
    if (this.neo4j) this.neo4j.connections.allowFrom(smoke, tcp(Neo4jPorts.HTTP));
    if (this.milvus) this.milvus.clientConnections.allowFrom(smoke, this.milvus.clientPorts);
    if (this.redis) this.redis.connections.allowFrom(smoke, this.redis.clientPorts);
    else toExternal([smoke], 'dcs', 'dcs', tcp(redisPort));

    const components: Connections[] = [
      smoke,
      ...(this.neo4jEnableServers ? [this.neo4jEnableServers.connections] : []),
      ...backups,
      ...(this.gateway ? [this.gateway.connections] : []), ...memos, this.queueDepth.connections,
      ...[this.redis, this.neo4j, this.qdrant, this.qdrantCollection, this.embedding, this.reranker, this.milvus, this.milvus?.etcd]
        .filter((c) => c !== undefined).map((c) => c!.connections),
      ...(this.milvus && this.milvus.clientConnections !== this.milvus.connections ? [this.milvus.clientConnections] : []),
    ];
    return new NetworkPolicies(this, 'NetworkPolicies', { instance: this.instance, connections: components, denyOtherPods: enforced.denyOtherPods });
  }

  /** A backup CronJob per in-cluster store, with `BackupPlan.toObs`. */
  private backUp(props: MemosStackProps): void {
    const plan = requireInstance(this, 'backup', props.backup ?? BackupPlan.none(), BackupPlan, 'BackupPlan.toObs({ location }) or BackupPlan.none()');
    const obs = plan._obs;
    if (!obs) return;
    const target = {
      location: obs.location, replica: obs.replica, credentials: this.credentials, imagePullSecrets: props.imagePullSecrets, rcloneImage: obs.rcloneImage,
    };
    const storePaths = (store: string) => paths(`backup.${store}`, { location: 'backup.location', replica: 'backup.replica', rcloneImage: 'backup.rcloneImage' });
    if (this.qdrant) {
      const qdrant = this.qdrant;
      (this as { qdrantBackup?: QdrantBackup }).qdrantBackup = reportAs(this, storePaths('qdrant'),
        () => new QdrantBackup(this, 'QdrantBackup', { ...definedOnly(obs.qdrant), ...target, qdrant }));
    }
    if (this.neo4j) {
      const neo4j = this.neo4j;
      (this as { neo4jBackup?: Neo4jBackup }).neo4jBackup = reportAs(this, storePaths('neo4j'),
        () => new Neo4jBackup(this, 'Neo4jBackup', { ...definedOnly(obs.neo4j), ...target, neo4j }));
    }
    if (this.milvus) {
      const milvus = this.milvus;
      (this as { milvusBackup?: MilvusBackup }).milvusBackup = reportAs(this, storePaths('milvus'),
        () => new MilvusBackup(this, 'MilvusBackup', { ...definedOnly(obs.milvus), ...target, milvus }));
    }
    if (this.redis) {
      const redis = this.redis;
      (this as { redisBackup?: RedisBackup }).redisBackup = reportAs(this, storePaths('redis'),
        () => new RedisBackup(this, 'RedisBackup', { ...definedOnly(obs.redis), ...target, redis }));
    }
  }

  /**
   * Adds to `scope` (a chart of its own, in the stack's namespace) the Job that restores
   * `store` from the backup `backupId`: what `npm run restore` writes. Fails when the stack does
   * not back that store up.
   */
  public addRestore(scope: Construct, id: string, store: BackupStore, backupId: string): kplus.Job {
    const backups: Record<BackupStore, { cronJob: kplus.CronJob; restore(scope: Construct, id: string, backupId: string): kplus.Job } | undefined> = {
      [BackupStore.QDRANT]: this.qdrantBackup,
      [BackupStore.NEO4J]: this.neo4jBackup,
      [BackupStore.MILVUS]: this.milvusBackup,
      [BackupStore.REDIS]: this.redisBackup,
    };
    const checked = requireEnum(this, 'store', store, BackupStore);
    const backup = backups[checked];
    if (!backup) {
      const backedUp = Object.entries(backups).filter(([, b]) => b).map(([s]) => s);
      return invalidProp(this, 'store', store, backedUp.length ? `a store this stack backs up: ${backedUp.join(', ')}` : 'none: this stack has no backups (backup: BackupPlan.toObs(...))');
    }
    const job = backup.restore(scope, id, backupId);
    // The restore runs where its backup runs: the same pool, tolerations and priority.
    const backupSpec = ApiObject.of(backup.cronJob).toJson().spec.jobTemplate.spec.template.spec;
    for (const field of ['nodeSelector', 'tolerations', 'priorityClassName']) {
      if (backupSpec[field] !== undefined) ApiObject.of(job).addJsonPatch(JsonPatch.add(`/spec/template/spec/${field}`, backupSpec[field]));
    }
    return job;
  }

  /**
   * Stores outrank stateless pods: under node pressure the kubelet evicts lower priorities first,
   * and a store pod that lost its node may preempt stateless ones to come back.
   */
  private priorityClasses(props: MemosStackProps): MemosPriorityClasses {
    let names = props.priorityClasses;
    if (names === undefined) {
      // Cluster-scoped: named after the namespace and instance, so stacks never share one.
      const prefix = `${Chart.of(this).namespace ?? 'default'}-${this.instance}`;
      const labels = componentLabels(this.instance, 'priority');
      const priorityClass = (id: string, name: string, value: number, preempts: boolean, description: string) => {
        const object = new kplus.k8s.KubePriorityClass(this, id, {
          // The description as an annotation: the test harness's strict check cannot see the field.
          metadata: { name, labels, annotations: { 'kubernetes.io/description': description } },
          value,
          globalDefault: false,
          preemptionPolicy: preempts ? 'PreemptLowerPriority' : 'Never',
        });
        object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      };
      names = { stores: `${prefix}-stores`, services: `${prefix}-services` };
      priorityClass('StorePriority', names.stores, 1_000_000, true, 'MemOS stores (Neo4j, Qdrant, Milvus, Redis): evicted last, may preempt stateless pods');
      priorityClass('ServicePriority', names.services, 100_000, false, 'MemOS stateless pods: evicted before the stores, never preempt');
    } else {
      requireDnsSubdomain(this, 'priorityClasses.stores', names.stores);
      requireDnsSubdomain(this, 'priorityClasses.services', names.services);
    }
    return names;
  }

  private prioritize(names: MemosPriorityClasses): void {
    const stores = [this.neo4j?.statefulSet, this.qdrant?.statefulSet, this.redis?.statefulSet, this.milvus?.etcd?.statefulSet,
      ...Object.values(this.milvus?.workloads ?? {}) as PodWorkload[]];
    const services = [this.gateway?.deployment, this.api.deployment, this.scheduler.deployment, this.embedding?.deployment, this.reranker?.deployment,
      this.queueDepth.exporter, this.qdrantCollection?.job, this.qdrantBackup?.cronJob, this.neo4jBackup?.cronJob, this.neo4jBackup?.guard, this.milvusBackup?.cronJob, this.redisBackup?.cronJob,
      this.smokeTest.job, this.neo4jEnableServers?.job];
    for (const workload of stores) if (workload) setPriorityClass(workload, names.stores);
    for (const workload of services) if (workload) setPriorityClass(workload, names.services);
  }

  /**
   * The smoke test of what this stack runs: memos-api's /health, each in-cluster store with its
   * credentials (not over TLS: the test image trusts public CAs only), the queue's Redis, and with
   * a test user the round trip through the gateway.
   */
  private addSmokeTest(options: MemosSmokeTestOptions, redis: RedisConnection): MemosSmokeTest {
    const gatewayKeys = this.gateway?.acceptsApiKeys === true;
    if (options.testUser !== undefined && !gatewayKeys) {
      invalidProp(this, 'smokeTest.testUser', options.testUser, 'a stack whose gateway takes API keys (ApiGateway.haproxy with apiKeys): the round trip authenticates with the test user\'s key');
    }
    const roundTrip = options.testUser !== undefined && this.gateway ? {
      gatewayUrl: `http://${this.gateway.service.name}:${this.gateway.elb.port}`,
      testUser: options.testUser,
      apiKeySecret: options.apiKeySecret,
      searchTimeout: options.searchTimeout,
    } : {};
    if (options.testUser === undefined && options.apiKeySecret !== undefined) invalidProp(this, 'smokeTest.apiKeySecret', options.apiKeySecret.secretName, 'only with smokeTest.testUser');
    return new MemosSmokeTest(this, 'SmokeTest', {
      instance: this.instance,
      memosUrl: `http://${this.api.service.name}:${MEMOS_HTTP_PORT}`,
      ...roundTrip,
      ...(this.qdrant && !this.qdrant.tls ? { qdrant: { url: this.qdrant.url, apiKeySecret: this.qdrant.apiKey } } : {}),
      ...(this.neo4j && !this.neo4j.tls ? { neo4j: { url: `http://${this.neo4j.host}:${Neo4jPorts.HTTP}`, user: this.neo4j.user, passwordSecret: this.neo4j.password } } : {}),
      ...(this.milvus ? { milvus: { url: this.milvus.uri, user: this.milvus.user, passwordSecret: this.milvus.password } } : {}),
      redis: { host: redis.host, port: redis.port, passwordSecret: redis.password },
    });
  }

  private applyPodOverrides(pods: MemosPodOverrides | undefined): void {
    if (pods === undefined) return;
    const settings = Object.keys(this.config.settings);
    const apply = (key: keyof MemosPodOverrides, workloads: (kplus.AbstractPod | undefined)[], managedEnv: string[] = []) => {
      const overrides = pods[key];
      if (overrides === undefined) return;
      const present = workloads.filter((w): w is kplus.AbstractPod => w !== undefined);
      if (present.length === 0) invalidProp(this, `pods.${key}`, Object.keys(overrides), `overrides only for workloads the stack runs: it runs no ${key}`);
      for (const workload of present) applyPodOverrides(this, `pods.${key}`, workload, overrides, { managedEnv });
    };
    apply('api', [this.api.deployment], settings);
    apply('scheduler', [this.scheduler.deployment], settings);
    apply('gateway', [this.gateway?.deployment]);
    apply('queueExporter', [this.queueDepth.exporter]);
    apply('qdrant', [this.qdrant?.statefulSet]);
    apply('neo4j', [this.neo4j?.statefulSet]);
    apply('milvus', Object.values(this.milvus?.workloads ?? {}) as kplus.AbstractPod[]);
    apply('milvusEtcd', [this.milvus?.etcd?.statefulSet]);
    apply('redis', [this.redis?.statefulSet]);
    apply('embedding', [this.embedding?.deployment]);
    apply('reranker', [this.reranker?.deployment]);
    apply('backups', [this.qdrantBackup?.cronJob, this.neo4jBackup?.cronJob, this.neo4jBackup?.guard, this.milvusBackup?.cronJob, this.redisBackup?.cronJob]);
  }

  /** Pins every workload to its pool and checks at synth that the stack fits them. */
  private placeOnPools(nodePools: NodePool[], props: MemosStackProps): void {
    const placement = props.placement ?? {};
    const byName = new Map(nodePools.map((p) => [p.name, p]));
    const poolOf = (role: keyof typeof placement): NodePool => {
      const property = role === 'defaultPool' ? 'placement.defaultPool' : `placement.${role}`;
      const name = placement[role] ?? (role === 'defaultPool' ? undefined : placement.defaultPool);
      if (name === undefined) {
        const general = nodePools.find((p) => p.flavor.npuChip === undefined);
        return general ?? invalidProp(this, 'nodePools', nodePools.map((p) => p.name), 'at least one pool without NPUs for the workloads that run on CPUs');
      }
      return byName.get(name) ?? invalidProp(this, property, name, `one of the nodePools: ${[...byName.keys()].join(', ')}`);
    };
    const place = (role: keyof typeof placement, workloads: (PodWorkload | kplus.Job | kplus.CronJob | undefined)[]) => {
      const pool = poolOf(role);
      for (const workload of workloads) if (workload) placeOnNodePool(this, workload, { name: pool.name, taints: pool.taints?.map((t) => ({ ...t, effect: String(t.effect) })) });
    };
    place('api', [this.api.deployment, this.gateway?.deployment]);
    place('scheduler', [this.scheduler.deployment]);
    place('neo4j', [this.neo4j?.statefulSet]);
    place('qdrant', [this.qdrant?.statefulSet]);
    place('milvus', [...Object.values(this.milvus?.workloads ?? {}) as PodWorkload[], this.milvus?.etcd?.statefulSet]);
    place('redis', [this.redis?.statefulSet]);
    place('defaultPool', [this.redisBackup?.cronJob, this.neo4jBackup?.guard]);
    // Neo4j Community's backup mounts the server's volume, on its node: on its pool.
    place(this.neo4jBackup?.serviceAccount ? 'neo4j' : 'defaultPool', [this.neo4jBackup?.cronJob]);
    // A standalone Milvus's backup mounts its volume: on its node (pod affinity), so on its pool.
    place(this.milvus?.etcd ? 'defaultPool' : 'milvus', [this.milvusBackup?.cronJob]);
    place('defaultPool', [this.queueDepth.exporter, this.qdrantCollection?.job, this.qdrantBackup?.cronJob, this.smokeTest.job, this.neo4jEnableServers?.job]);
    // Model servers on Ascend are on their NPU pool already.
    for (const server of [this.embedding, this.reranker]) {
      if (server && server.accelerator !== AcceleratorType.ASCEND) place('embedding', [server.deployment]);
    }
    if (!this.checkCapacityInValidation) return;
    this.node.addValidation({
      validate: () => {
        const manifests = this.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && SCHEDULING_KINDS.has(c.kind)).map((o) => o.toJson());
        const problem = this._capacityProblem(manifests);
        return problem ? [problem] : [];
      },
    });
  }

  /**
   * Why the stack's pods in `manifests` do not fit its node pools at the autoscalers' minimum with
   * one node lost, or undefined when they do (or no pools were given).
   * @internal
   */
  public _capacityProblem(manifests: any[]): string | undefined {
    if (this.nodePools.length === 0) return undefined;
    const atMin = CapacityPlan.simulate(manifests.filter((o) => SCHEDULING_KINDS.has(o?.kind)), this.nodePools).atMin;
    const failed = !atMin.allUp.fits ? atMin.allUp : atMin.nodeLost;
    if (failed.fits) return undefined;
    const situation = failed.lost ? `with node ${failed.lost} lost` : 'with every node up';
    return `${this.node.path}: nodePools: the stack does not fit at the autoscalers' minimum ${situation}; allowed: pools where every pod fits `
      + `with any one node lost (more nodes, a larger flavor, or smaller requests; \`npm run plan\` shows the headroom):\n  `
      + CapacityPlan.describe(failed).join('\n  ');
  }

  /** The accelerator of an in-cluster model server: the user's, else the preset's; Ascend gets a declared pool. */
  private accelerator(options: EmbeddingServerOptions, preset: MemosSizePreset, pools: NpuNodePool[], what: string): ModelAccelerator {
    const accelerator = requireInstance(this, `${what}.accelerator`,
      options.accelerator ?? (preset.embedding.accelerator === AcceleratorType.ASCEND ? ModelAccelerator.ascend() : ModelAccelerator.cpu()),
      ModelAccelerator, 'ModelAccelerator.cpu() or ModelAccelerator.ascend({...})');
    if (accelerator._type !== AcceleratorType.ASCEND || accelerator._ascend?.pool) return accelerator;
    if (!pools.length) {
      invalidProp(this, 'npuNodePools', undefined,
        `at least one Ascend NPU node pool ({ name, chip }) for the ${what} on Ascend, or ${what}: ${what === 'embedder' ? 'Embedder' : 'Reranker'}.inCluster({ accelerator: ModelAccelerator.cpu() })`);
    }
    return accelerator._withDefaultPool(pools[0]);
  }

  private modelServer(id: string, task: ModelServerTask, options: EmbeddingServerOptions, accelerator: ModelAccelerator, preset: MemosSizePreset, props: MemosStackProps): EmbeddingServer {
    const onCpu = accelerator._type === AcceleratorType.CPU;
    const what = task === ModelServerTask.EMBED ? 'embedder' : 'reranker';
    if (task === ModelServerTask.RERANK && onCpu) {
      invalidProp(this, 'reranker.accelerator', 'ModelAccelerator.cpu()',
        "ModelAccelerator.ascend(...): TEI for CPUs answers /rerank in a shape MemOS's http_bge reranker cannot read; or Reranker.cosineLocal()");
    }
    const userPaths: PropPaths = options.zoneSpread !== undefined ? { zoneSpread: `${what}.zoneSpread` } : {};
    return reportAs(this, paths(what, userPaths), () => new EmbeddingServer(this, id, {
      replicas: options.replicas ?? preset.embedding.minReplicas,
      ...(onCpu ? { maxReplicas: options.maxReplicas ?? Math.max(preset.embedding.maxReplicas, options.replicas ?? 0) } : {}),
      ...definedOnly(options),
      accelerator,
      task,
      instance: this.instance,
      credentials: this.credentials,
      imagePullSecrets: props.imagePullSecrets,
      monitoringNamespace: props.monitoringNamespace,
      zoneSpread: options.zoneSpread ?? (onCpu ? props.zoneSpread : ZoneSpread.PREFERRED),
    }));
  }

  private graph(storage: MemoryStorage, neo4jBackend: Neo4jBackend | undefined, qdrantBackend: QdrantBackend | undefined): MemosGraph {
    const ref = (credential: Credential) => this.credentials.ref(credential);
    if (storage._postgres) {
      return MemosGraph.postgres({ ...storage._postgres, host: requireHost(this, 'storage.postgres.host', storage._postgres.host), password: ref(Credential.POSTGRES_PASSWORD) });
    }
    const neo4j = this.neo4j
      ? { uri: this.neo4j.uri, user: this.neo4j.user, password: this.neo4j.password }
      : { ...neo4jBackend!._external!, password: ref(Credential.NEO4J_PASSWORD) };
    const external = qdrantBackend!._external;
    const qdrant = this.qdrant
      ? { host: this.qdrant.host, port: this.qdrant.port, apiKey: this.qdrant.apiKey, https: this.qdrant.tls !== undefined }
      : { host: requireHost(this, 'storage.qdrant.host', external!.host), port: external!.port, apiKey: external!.apiKey ? ref(Credential.QDRANT_API_KEY) : undefined, https: external!.https };
    return MemosGraph.neo4jWithQdrant(neo4j, qdrant);
  }

  private embedderConnection(embedder: Embedder, memos: MemosSettings): EmbedderConnection {
    const external = embedder._external;
    const model = external ? external.model : this.embedding!.model;
    const knownDimension = knownModel(model)?.dimension;
    if (external && memos.embeddingDimension !== undefined) {
      invalidProp(this, 'memos.embeddingDimension', memos.embeddingDimension, 'nothing with Embedder.external: give its dimension there, Embedder.external({ apiBase, model, dimension })');
    }
    const given = external ? external.dimension : memos.embeddingDimension;
    const property = external ? 'embedder.dimension' : 'memos.embeddingDimension';
    const dimension = requireInteger(this, property, given ?? knownDimension ?? BGE_M3.dimension, 1, 65536);
    if (knownDimension !== undefined && dimension !== knownDimension) {
      invalidProp(this, property, dimension,
        `${knownDimension}: ${model} returns ${knownDimension}-dimensional vectors; EMBEDDING_DIMENSION sizes the Qdrant collection and is sent as \`dimensions\` on every request`);
    }
    return { apiBase: external ? external.apiBase : this.embedding!.apiBase, model, dimension };
  }

  private rerankerConnection(reranker: Reranker): RerankerConnection | undefined {
    if (this.reranker) return { backend: RerankerBackend.HTTP_BGE, url: this.reranker.rerankUrl, model: this.reranker.model };
    if (reranker._external) return { backend: RerankerBackend.HTTP_BGE, url: reranker._external.url, model: reranker._external.model };
    return undefined;
  }
}

/** A volume size the user gave (checked later by the store), or the preset's. */
function sizeOf(given: unknown, fallback: Size): Size {
  return given instanceof Size ? given : fallback;
}
