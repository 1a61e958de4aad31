import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MEMOS_SIZES, MemosSize, MemosSizePreset, SIZE_PRESETS } from './presets';
import { ElbServiceOptions } from '../constructs/elb-service';
import { MemosApi } from '../constructs/memos-api';
import { MemosConfig, MemosConfigProps } from '../constructs/memos-config';
import { QueueDepthMetric, QueueDepthMetricProps } from '../constructs/queue-depth-metric';
import { MANAGED_BY, PART_OF, POD_SECURITY_LEVELS, PodSecurityLevel, podSecurityLabels } from '../src/kubernetes';
import { requireDnsLabel, requireOneOf } from '../src/validation';

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
  readonly zoneSpread?: 'required' | 'preferred';
  /**
   * Resources of each API pod.
   * @default - the size preset's (requests 2 CPU / 4Gi, limits 4 CPU / 8Gi)
   */
  readonly resources?: kplus.ContainerResources;
}

/** How the scheduler queue depth reaches the autoscaler; see {@link QueueDepthMetricProps}. */
export type MemosMonitoringOptions = Omit<QueueDepthMetricProps, 'instance' | 'config' | 'imagePullSecrets'>;

/** Non-secret MemOS settings and where its credentials live; see {@link MemosConfigProps}. */
export type MemosSettings = Omit<MemosConfigProps, 'instance'>;

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

    this.config = new MemosConfig(this, 'Config', { ...props.memos, instance: this.instance });
    this.queueDepth = new QueueDepthMetric(this, 'QueueDepth', {
      ...props.monitoring,
      instance: this.instance,
      config: this.config,
      imagePullSecrets: props.imagePullSecrets,
    });
    const api = props.api ?? {};
    this.api = new MemosApi(this, 'Api', {
      instance: this.instance,
      config: this.config,
      image: api.image,
      replicas: api.replicas,
      autoscaling: api.replicas === undefined ? {
        minReplicas: api.minReplicas ?? this.preset.api.minReplicas,
        maxReplicas: api.maxReplicas ?? this.preset.api.maxReplicas,
        targetCpuUtilization: api.targetCpuUtilization,
        queueDepth: this.queueDepth,
        targetQueueDepthPerReplica: api.targetQueueDepthPerReplica,
      } : undefined,
      resources: api.resources ?? this.preset.api.resources,
      loadBalancer: api.loadBalancer,
      zoneSpread: api.zoneSpread,
      imagePullSecrets: props.imagePullSecrets,
    });
  }
}
