import { Size } from 'cdk8s';
import { PodSize } from '../src/kubernetes';
import { EvsVolumeOptions } from '../src/storage';

/**
 * Huawei OBS through its S3 API as Milvus's object storage. Credentials come from the stack's
 * Secret (credentials `OBS_ACCESS_KEY_ID`, `OBS_SECRET_ACCESS_KEY`), never from a ConfigMap.
 */
export interface MilvusObjectStorage {
  /** Bucket (create it first, in the cluster's region). */
  readonly bucket: string;
  /** OBS endpoint, e.g. `obs.cn-north-4.myhuaweicloud.com`. */
  readonly endpoint: string;
  /** Region, e.g. `cn-north-4`. */
  readonly region: string;
  /**
   * Prefix of Milvus's objects in the bucket.
   * @default - the instance name
   */
  readonly rootPath?: string;
}

/** Huawei DMS for Kafka (or any Kafka) as the message queue of a distributed Milvus. */
export interface MilvusKafka {
  /** Broker addresses, `host:port`. */
  readonly brokers: string[];
  /**
   * SASL/PLAIN user; the password is the credential `KAFKA_SASL_PASSWORD`. Use SASL_SSL on DMS
   * instances with SASL enabled.
   * @default - no SASL
   */
  readonly saslUser?: string;
}

/** Milvus's log level (`log.level` in milvus.yaml). */
export enum MilvusLogLevel {
  /** Debug. */
  DEBUG = 'debug',
  /** Info (Milvus's default). */
  INFO = 'info',
  /** Warnings and errors. */
  WARN = 'warn',
  /** Errors only. */
  ERROR = 'error',
}

/**
 * Milvus's log format (`log.format`: "Milvus log format. Option: text and JSON",
 * milvus-io/milvus pkg/util/paramtable/component_param.go, logConfig, default `text`).
 */
export enum MilvusLogFormat {
  /** Plain text (Milvus's default). */
  TEXT = 'text',
  /** One JSON object a line. */
  JSON = 'json',
}

/** How Milvus is deployed. */
export enum MilvusMode {
  /** One pod running every role, with embedded etcd and Woodpecker on a local volume. */
  STANDALONE = 'standalone',
  /** proxy, mixCoord, queryNode, dataNode and streamingNode Deployments plus a 3-member etcd. */
  DISTRIBUTED = 'distributed',
}

/** Options of {@link MilvusTopology.standalone}. */
export interface MilvusStandaloneOptions {
  /**
   * The pod's volume at /var/lib/milvus (data, embedded etcd, WAL).
   * @default - a 200Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * OBS instead of the local volume for Milvus's data (the WAL and etcd stay on the volume).
   * @default - local storage on the volume
   */
  readonly objectStorage?: MilvusObjectStorage;
}

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) on CPU for the proxies or the query nodes, as
 * milvus-helm's `proxy.hpa` / `queryNode.hpa` (charts/milvus/templates/proxy-hpa.yaml and
 * querynode-hpa.yaml: one `Resource` metric, `cpu`, `Utilization`). The Deployment then has no
 * `replicas`: the HPA owns the count.
 */
export interface MilvusAutoscaling {
  /** Fewest pods (1 to 100). */
  readonly minReplicas: number;
  /**
   * Most pods, more than `minReplicas` (at most 100). Pods of a role never share a node: keep it
   * within the node pool's size, or the extra pods stay Pending.
   */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, percent of the request (requests equal limits here), 1 to 100.
   * @default 40 (milvus-helm values.yaml `proxy.hpa.cpuUtilization` and `queryNode.hpa.cpuUtilization`)
   */
  readonly targetCpuUtilization?: number;
}

/** Size of one role of a distributed Milvus. */
export interface MilvusRoleOptions {
  /**
   * Pods.
   * @default - proxy 2, mixCoord 2 (active-standby), queryNode `queryNodes`, dataNode 2, streamingNode 2
   */
  readonly replicas?: number;
  /**
   * CPU and memory of each pod (request = limit).
   * @default - proxy 2 CPU / 4Gi, mixCoord 1 CPU / 4Gi, queryNode the Milvus `resources`, dataNode 4 CPU / 8Gi, streamingNode 2 CPU / 4Gi
   */
  readonly resources?: PodSize;
}

/** Size of a distributed Milvus role that may autoscale (proxy, queryNode). */
export interface MilvusScalableRoleOptions extends MilvusRoleOptions {
  /**
   * A HorizontalPodAutoscaler on CPU instead of a fixed `replicas`.
   * @default - a fixed replica count
   */
  readonly autoscaling?: MilvusAutoscaling;
}

/** The etcd cluster of a distributed Milvus. */
export interface MilvusEtcdOptions {
  /**
   * Data volume per member; etcd wants fast disks.
   * @default - a 10Gi SSD EVS disk on `csi-disk-topology` per member
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * CPU and memory of each member (request = limit).
   * @default - 0.5 CPU requested, 1 CPU limit; 2Gi
   */
  readonly resources?: PodSize;
  /**
   * A ServiceMonitor scraping each member's `/metrics` on its metrics listener (2381), with a
   * NetworkPolicy rule admitting the monitoring namespace on that port (milvus-helm's etcd
   * subchart exposes the same metrics). Like every other store's.
   * @default true
   */
  readonly serviceMonitor?: boolean;
}

/** Options of {@link MilvusTopology.distributed}. */
export interface MilvusDistributedOptions {
  /** Where a distributed Milvus keeps its data: an OBS bucket. */
  readonly objectStorage: MilvusObjectStorage;
  /**
   * The message queue: Woodpecker cannot use OBS (it needs S3 conditional writes), and an
   * in-cluster Pulsar would add ten pods.
   */
  readonly kafka: MilvusKafka;
  /**
   * Query nodes: they hold the loaded segments, so add them for capacity. Same as
   * `queryNode.replicas` (set one of them).
   * @default 2
   */
  readonly queryNodes?: number;
  /**
   * The proxies (client entry point): replicas, resources or a CPU autoscaler.
   * @default - 2 pods of 2 CPU / 4Gi
   */
  readonly proxy?: MilvusScalableRoleOptions;
  /**
   * The mixed coordinator: 1 or 2 pods (one active, one standby: `mixCoord.enableActiveStandby`).
   * @default - 2 pods of 1 CPU / 4Gi
   */
  readonly mixCoord?: MilvusRoleOptions;
  /**
   * The query nodes: replicas (or `queryNodes`), resources (or the Milvus `resources`) or a CPU
   * autoscaler.
   * @default - `queryNodes` pods sized by the Milvus `resources`
   */
  readonly queryNode?: MilvusScalableRoleOptions;
  /**
   * The data nodes (they also build indexes).
   * @default - 2 pods of 4 CPU / 8Gi
   */
  readonly dataNode?: MilvusRoleOptions;
  /**
   * The streaming nodes (the WAL on Kafka).
   * @default - 2 pods of 2 CPU / 4Gi
   */
  readonly streamingNode?: MilvusRoleOptions;
  /**
   * The 3-member etcd cluster's volumes, resources and monitoring.
   * @default - 10Gi SSD EVS disks, 0.5-1 CPU / 2Gi, a ServiceMonitor
   */
  readonly etcd?: MilvusEtcdOptions;
}

/**
 * How Milvus is deployed: one standalone pod, or the distributed components on OBS and Kafka.
 *
 * ```ts
 * MilvusTopology.standalone({ storage: { size: Size.gibibytes(500) } });
 * MilvusTopology.distributed({ objectStorage: { bucket, endpoint, region }, kafka: { brokers }, queryNodes: 3 });
 * MilvusTopology.distributed({ objectStorage, kafka, proxy: { autoscaling: { minReplicas: 2, maxReplicas: 6 } }, mixCoord: { replicas: 1 } });
 * ```
 */
export class MilvusTopology {
  /** A StatefulSet of one pod with embedded etcd, Woodpecker and a volume; optionally OBS for the data. */
  public static standalone(options: MilvusStandaloneOptions = {}): MilvusTopology {
    return new MilvusTopology(MilvusMode.STANDALONE, options.objectStorage, undefined, undefined, options.storage);
  }

  /**
   * proxy ×2, mixCoord ×2 (active-standby), queryNode ×N, dataNode ×2 and streamingNode ×2, a
   * 3-member etcd, OBS object storage and Kafka (Huawei DMS) as the queue.
   */
  public static distributed(options: MilvusDistributedOptions): MilvusTopology {
    const { proxy, mixCoord, queryNode, dataNode, streamingNode } = options;
    return new MilvusTopology(MilvusMode.DISTRIBUTED, options.objectStorage, options.kafka, options.queryNodes, undefined,
      { proxy, mixCoord, queryNode, dataNode, streamingNode }, options.etcd);
  }

  private constructor(
    /** @internal */
    public readonly _mode: MilvusMode,
    /** @internal */
    public readonly _objectStorage: MilvusObjectStorage | undefined,
    /** @internal */
    public readonly _kafka: MilvusKafka | undefined,
    /** @internal */
    public readonly _queryNodes: number | undefined,
    /** @internal */
    public readonly _storage: EvsVolumeOptions | undefined,
    /** @internal */
    public readonly _roles: {
      readonly proxy?: MilvusScalableRoleOptions; readonly mixCoord?: MilvusRoleOptions; readonly queryNode?: MilvusScalableRoleOptions;
      readonly dataNode?: MilvusRoleOptions; readonly streamingNode?: MilvusRoleOptions;
    } = {},
    /** @internal */
    public readonly _etcd: MilvusEtcdOptions | undefined = undefined,
  ) {}

  /**
   * This topology with the values the user left unset taken from `defaults`: `queryNodes`
   * (distributed, unless `queryNode.replicas` or `queryNode.autoscaling` sets the count) and the
   * volume size `storageSize` (standalone). Defaults that do not apply to the mode are ignored.
   * @internal
   */
  public _withDefaults(defaults: { readonly queryNodes?: number; readonly storageSize?: Size }): MilvusTopology {
    if (this._mode === MilvusMode.DISTRIBUTED) {
      const queryNode = this._roles.queryNode;
      const counted = queryNode?.replicas !== undefined || queryNode?.autoscaling !== undefined;
      const queryNodes = this._queryNodes ?? (counted ? undefined : defaults.queryNodes);
      return new MilvusTopology(this._mode, this._objectStorage, this._kafka, queryNodes, undefined, this._roles, this._etcd);
    }
    const storage = defaults.storageSize === undefined || this._storage?.size !== undefined ? this._storage : { ...this._storage, size: defaults.storageSize };
    return new MilvusTopology(this._mode, this._objectStorage, undefined, undefined, storage);
  }
}
