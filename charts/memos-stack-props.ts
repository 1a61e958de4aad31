import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { BackupPlan } from './backup-plan';
import { ApiGateway, Embedder, MemoryStorage, MilvusDeployment, RedisQueue, Reranker } from './backends';
import { NetworkIsolation } from './network-isolation';
import { MemosSize } from './presets';
import { ApiService } from '../constructs/memos-api';
import { QueueDepthMetricOptions } from '../constructs/queue-depth-metric';
import { MemosAlertsOptions } from '../constructs/memos-alerts';
import { MemosDashboardOptions } from '../constructs/memos-dashboard';
import { PodOverrides } from '../src/pod-overrides';
import { NpuNodePool } from '../src/cce';
import { NodePool } from '../src/node-pools';
import { Credentials, SecretKeyRef } from '../src/credentials';
import { SwrMirror } from '../src/images';
import { ZoneSpread } from '../src/kubernetes';
import { MemosLlmSettings } from '../src/memos-settings';

/** The props of {@link MemosStack} and the option groups they are made of. */

/**
 * Additions to the pods of each of the stack's workloads ({@link PodOverrides}: tolerations, node
 * affinity, priority class, env, volumes, sidecars, labels, annotations). Each is merged with what
 * the stack sets (a node pool's tolerations, an NPU pool's node affinity).
 */
export interface MemosPodOverrides {
  /** memos-api. @default - none */
  readonly api?: PodOverrides;
  /** memos-scheduler. @default - none */
  readonly scheduler?: PodOverrides;
  /** The HAProxy gateway. @default - none */
  readonly gateway?: PodOverrides;
  /** The queue-depth exporter. @default - none */
  readonly queueExporter?: PodOverrides;
  /** The in-cluster Qdrant. @default - none */
  readonly qdrant?: PodOverrides;
  /** The in-cluster Neo4j. @default - none */
  readonly neo4j?: PodOverrides;
  /** Every in-cluster Milvus workload (standalone, or each role; not its etcd). @default - none */
  readonly milvus?: PodOverrides;
  /** Milvus's etcd members. @default - none */
  readonly milvusEtcd?: PodOverrides;
  /** The in-cluster Redis. @default - none */
  readonly redis?: PodOverrides;
  /** The embedding server. @default - none */
  readonly embedding?: PodOverrides;
  /** The reranker server. @default - none */
  readonly reranker?: PodOverrides;
  /** Every backup CronJob (and the Neo4j backup guard). @default - none */
  readonly backups?: PodOverrides;
}

/**
 * The post-deploy smoke test ({@link MemosSmokeTest}): which test user makes the add/search round
 * trip through the gateway, and how long it may take.
 */
export interface MemosSmokeTestOptions {
  /**
   * The identity of the round trip (its API key's owner in the gateway's `<instance>-api-keys`
   * map). Every run adds one memory to this user: use a dedicated one.
   * @default - no round trip: only the stores and memos-api's /health are checked
   */
  readonly testUser?: string;
  /**
   * The test user's API key (plaintext, in a Secret other than the gateway's key map, which holds
   * only sha256 sums). Required with `testUser`.
   * @default - none
   */
  readonly apiKeySecret?: SecretKeyRef;
  /**
   * How long the search may take to find the added memory (MemOS adds asynchronously, through the
   * scheduler queue).
   * @default Duration.minutes(3)
   */
  readonly searchTimeout?: Duration;
}

/** Names of existing PriorityClasses for the stack's pods. */
export interface MemosPriorityClasses {
  /** For the stores: Neo4j, Qdrant, Milvus and its etcd, an in-cluster Redis. */
  readonly stores: string;
  /** For the stateless pods: gateway, memos-api, mem-scheduler, model servers, exporter, Jobs. */
  readonly services: string;
}

/** Overrides for the memos-api tier. */
export interface MemosApiOptions {
  /**
   * MemOS image, pinned by tag or digest (also the mem-scheduler's).
   * @default - `swr.cn-north-4.myhuaweicloud.com/memos/memos:2.0.31` (build it: docs/operations.md)
   */
  readonly image?: string;
  /**
   * A fixed number of API pods, without an autoscaler. Not together with the autoscaler's props.
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
   * Target average CPU utilization of the autoscaler, percent of the request.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * Target scheduler-queue entries per API pod (`redis_queue_depth`, AverageValue).
   * @default 100
   */
  readonly targetQueueDepthPerReplica?: number;
  /**
   * The Service in front of the API, with `gateway: ApiGateway.none()` (the gateway's ELB is
   * `gateway`'s `service`; memos-api is then ClusterIP).
   * @default ApiService.elb() - a private (`inner`) shared CCE ELB
   */
  readonly service?: ApiService;
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
  /**
   * How long the autoscaler waits, taking the highest recommendation seen, before it removes pods.
   * @default Duration.minutes(10)
   */
  readonly scaleDownStabilization?: Duration;
  /**
   * Time between SIGTERM and SIGKILL of an API pod.
   * @default Duration.seconds(60)
   */
  readonly terminationGracePeriod?: Duration;
}

/** Overrides for the dedicated mem-scheduler pods. */
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
  /**
   * Time between SIGTERM and SIGKILL of a scheduler pod: running tasks finish, or are reclaimed
   * by another consumer after MemOS's idle threshold.
   * @default Duration.minutes(2)
   */
  readonly terminationGracePeriod?: Duration;
}

/** MemOS's own settings; its backends are the stack's other props. */
export interface MemosSettings {
  /**
   * LLM endpoint and models.
   * @default - DeepSeek `deepseek-chat`
   */
  readonly llm?: MemosLlmSettings;
  /**
   * Vector size of an in-cluster embedding model this library does not know (known models
   * set it themselves).
   * @default - the model's, 1024 for bge-m3
   */
  readonly embeddingDimension?: number;
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
   * Further non-secret MemOS settings, as environment variable name → value; credentials are
   * rejected here (they belong in the Secret).
   * @default - none
   */
  readonly extraSettings?: { [name: string]: string };
}

/**
 * Which node pool runs which workload. Names are pools of `nodePools`; an Ascend model server runs
 * on its accelerator's pool, or on the first pool with an Ascend flavor.
 */
export interface MemosPlacement {
  /**
   * Pool of every workload not named below (and of the small helpers: the queue-depth exporter,
   * the Qdrant collection Job).
   * @default - the first pool without NPUs
   */
  readonly defaultPool?: string;
  /**
   * memos-api.
   * @default - defaultPool
   */
  readonly api?: string;
  /**
   * mem-scheduler.
   * @default - defaultPool
   */
  readonly scheduler?: string;
  /**
   * Neo4j servers.
   * @default - defaultPool
   */
  readonly neo4j?: string;
  /**
   * Qdrant peers.
   * @default - defaultPool
   */
  readonly qdrant?: string;
  /**
   * Every Milvus role and its etcd.
   * @default - defaultPool
   */
  readonly milvus?: string;
  /**
   * The embedding server on CPUs.
   * @default - defaultPool
   */
  readonly embedding?: string;
  /**
   * The in-cluster Redis.
   * @default - defaultPool
   */
  readonly redis?: string;
}

/** Properties of {@link MemosStack}: one MemOS deployment, sized from one of the seed's presets. */
export interface MemosStackProps {
  /** Which of the seed's architectures to start from: replicas, resources, storage. */
  readonly size: MemosSize;
  /**
   * Instance name: prefix of every object name (`<instance>-api`, `<instance>-config`, ...).
   * @default 'memos'
   */
  readonly instance?: string;
  /**
   * Where every credential is read from: an existing Secret, never created here.
   * @default Credentials.fromSecret('memos-secrets')
   */
  readonly credentials?: Credentials;
  /**
   * Image pull secrets of every pod.
   * @default ['default-secret'] (CCE's SWR secret)
   */
  readonly imagePullSecrets?: string[];
  /**
   * Zone spreading of the API, the scheduler and the stores.
   * @default ZoneSpread.REQUIRED (Ascend model servers: PREFERRED)
   */
  readonly zoneSpread?: ZoneSpread;
  /**
   * Pull every image from copies in this SWR organization (`swr.<region>.myhuaweicloud.com/<organization>/<name>:<tag>`)
   * instead of Docker Hub, ghcr.io or quay.io. `npm run images` lists what to copy.
   * @default - each image from where it is published
   */
  readonly imageMirror?: SwrMirror;
  /**
   * Namespace of CCE's Cloud Native Cluster Monitoring add-on (ServiceMonitors, rules).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * MemOS settings: LLM, extra settings.
   * @default - DeepSeek
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
   * The Redis of the scheduler queue.
   * @default RedisQueue.inCluster()
   */
  readonly queue?: RedisQueue;
  /**
   * Where MemOS keeps its memory graph and vectors.
   * @default MemoryStorage.neo4jAndQdrant() - both in the cluster, sized from the preset
   */
  readonly storage?: MemoryStorage;
  /**
   * Milvus for preference memory. The medium and large presets run it distributed, which needs
   * `MilvusTopology.distributed({ objectStorage, kafka })`.
   * @default MilvusDeployment.inCluster() - standalone for small
   */
  readonly milvus?: MilvusDeployment;
  /**
   * The embedding model server (bge-m3, OpenAI `/v1/embeddings`).
   * @default Embedder.inCluster() - on CPU (small, medium) or Ascend 910B (large)
   */
  readonly embedder?: Embedder;
  /**
   * How MemOS reranks.
   * @default - Reranker.inCluster() when the embedder runs in the cluster on Ascend, else Reranker.cosineLocal()
   */
  readonly reranker?: Reranker;
  /**
   * The environment's Ascend NPU node pools; an Ascend model server without a pool runs on the first.
   * Not together with `nodePools`, which declares NPU pools by their Ascend flavor.
   * @default - none
   */
  readonly npuNodePools?: NpuNodePool[];
  /**
   * The cluster's node pools. With them every workload is pinned to a pool (`nodeSelector` on
   * `cce.cloud.com/cce-nodepool`, the pool's taints tolerated; see `placement`), and synth fails
   * unless every pod fits at the autoscalers' minimum with any one node lost (docs/capacity.md).
   * @default - no pools: pods go wherever the scheduler puts them, and nothing is checked
   */
  readonly nodePools?: NodePool[];
  /**
   * Which of `nodePools` runs which workload.
   * @default - everything on the first pool without NPUs, Ascend model servers on the first Ascend pool
   */
  readonly placement?: MemosPlacement;
  /**
   * PriorityClasses of the stack's pods: under node pressure, and when a lost node's pods are
   * rescheduled, the stores' pods outrank the stateless ones (and may preempt them).
   * @default - the stack creates `<namespace>-<instance>-stores` (1000000, may preempt) and `<namespace>-<instance>-services` (100000, never preempts)
   */
  readonly priorityClasses?: MemosPriorityClasses;
  /**
   * NetworkPolicies derived from how the stack is wired: a default deny for the namespace, each
   * store reachable only from its clients on its ports and from its own peers, Prometheus on the
   * metrics ports, and egress only to DNS, the in-namespace dependencies and the external
   * destinations on their ports.
   * @default NetworkIsolation.enforced() - external destinations at any address, on their ports only
   */
  readonly network?: NetworkIsolation;
  /**
   * What authenticates callers in front of memos-api.
   * @default ApiGateway.haproxy() - API keys from the Secret `<instance>-api-keys`, 1000 requests/s per user
   */
  readonly gateway?: ApiGateway;
  /**
   * Backups of the in-cluster stores to OBS: a CronJob per store (Qdrant snapshots, Neo4j backup
   * or dump, Milvus through milvus-backup, Redis RDB), and `npm run restore` for the Jobs that
   * restore one (docs/backup.md).
   * @default BackupPlan.none() - nothing is backed up: set `BackupPlan.toObs({ location })`
   */
  readonly backup?: BackupPlan;
  /**
   * Thresholds and durations of the stack's alerts (a PrometheusRule in the monitoring
   * namespace; runbooks in docs/alerts.md).
   * @default - the queue backlog threshold is what the consumers drain in 15 minutes at the
   *   autoscaler's maximum (src/queue-capacity.ts); the rest as `MemosAlerts` documents
   */
  readonly alerts?: MemosAlertsOptions;
  /**
   * The stack's Grafana dashboard: a ConfigMap in the monitoring namespace labelled
   * `grafana_dashboard: "1"` for the Grafana sidecar (docs/dashboards.md).
   * @default - the dashboard with that label only
   */
  readonly dashboard?: MemosDashboardOptions;
  /**
   * Escape hatches for the pods of each workload: tolerations for a tainted pool, node affinity,
   * a priority class, env, volumes (a CSI secrets mount), sidecars (a log shipper), labels and
   * annotations, without JSON patches.
   * @default - none
   */
  readonly pods?: MemosPodOverrides;
  /**
   * The post-deploy smoke test: a Job `<instance>-smoke-test` (an Argo CD PostSync hook) that
   * checks each store answers with its credentials, memos-api's /health and, with a test user, an
   * add/search round trip through the gateway (docs/operations.md, "After a deploy").
   * @default - the stores and /health, no round trip
   */
  readonly smokeTest?: MemosSmokeTestOptions;
  /**
   * The queue-depth metric pipeline (exporter, ServiceMonitor, recording rule, adapter rule).
   * Its `monitoringLabels` go on every ServiceMonitor and PrometheusRule of the stack (the stores',
   * the gateway's, the model servers', the alerts), for a Prometheus that selects them by label
   * (kube-prometheus-stack: `release: <name>`).
   * @default - redis_exporter from Docker Hub; the add-on's adapter config and the external metrics API registration left alone
   */
  readonly monitoring?: QueueDepthMetricOptions;
}
