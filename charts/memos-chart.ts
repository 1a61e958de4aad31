import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MEMOS_SIZES, MemosSize, MemosSizePreset, SIZE_PRESETS } from './presets';
import { MemosApi } from '../constructs/memos-api';
import { MemosConfig, MemosConfigProps } from '../constructs/memos-config';
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
   * Number of API pods.
   * @default - the size preset's minimum (small 3, medium 6, large 15)
   */
  readonly replicas?: number;
  /**
   * Resources of each API pod.
   * @default - the size preset's (requests 2 CPU / 4Gi, limits 4 CPU / 8Gi)
   */
  readonly resources?: kplus.ContainerResources;
}

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
   * Extra labels on every object (for example a team or cost-centre label).
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * MemOS on CCE: the namespace, the MemOS configuration and the memos-api tier, sized from one
 * of the seed's presets.
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
    this.api = new MemosApi(this, 'Api', {
      instance: this.instance,
      config: this.config,
      image: props.api?.image,
      replicas: props.api?.replicas ?? this.preset.api.minReplicas,
      resources: props.api?.resources ?? this.preset.api.resources,
      imagePullSecrets: props.imagePullSecrets,
    });
  }
}
