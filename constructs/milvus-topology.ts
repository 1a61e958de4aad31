import { Size } from 'cdk8s';
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
   * Query nodes: they hold the loaded segments, so add them for capacity.
   * @default 2
   */
  readonly queryNodes?: number;
}

/**
 * How Milvus is deployed: one standalone pod, or the distributed components on OBS and Kafka.
 *
 * ```ts
 * MilvusTopology.standalone({ storage: { size: Size.gibibytes(500) } });
 * MilvusTopology.distributed({ objectStorage: { bucket, endpoint, region }, kafka: { brokers }, queryNodes: 3 });
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
    return new MilvusTopology(MilvusMode.DISTRIBUTED, options.objectStorage, options.kafka, options.queryNodes, undefined);
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
  ) {}

  /**
   * This topology with the values the user left unset taken from `defaults`: `queryNodes`
   * (distributed) and the volume size `storageSize` (standalone). Defaults that do not apply to
   * the mode are ignored.
   * @internal
   */
  public _withDefaults(defaults: { readonly queryNodes?: number; readonly storageSize?: Size }): MilvusTopology {
    if (this._mode === MilvusMode.DISTRIBUTED) {
      return new MilvusTopology(this._mode, this._objectStorage, this._kafka, this._queryNodes ?? defaults.queryNodes, undefined);
    }
    const storage = defaults.storageSize === undefined || this._storage?.size !== undefined ? this._storage : { ...this._storage, size: defaults.storageSize };
    return new MilvusTopology(this._mode, this._objectStorage, undefined, undefined, storage);
  }
}
