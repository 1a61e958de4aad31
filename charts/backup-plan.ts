import { ObsLocation, StoreBackupOptions } from '../src/backup';

/** Options of {@link BackupPlan.toObs}. */
export interface ObsBackupPlanOptions {
  /**
   * The bucket and folder every store's backups go to, as `<prefix>/<store>/<backup id>/`.
   * The OBS keys default to the stack's credentials (`OBS_ACCESS_KEY_ID`, `OBS_SECRET_ACCESS_KEY`).
   */
  readonly location: ObsLocation;
  /**
   * A bucket in a second region every backup is also copied to (the seed's cn-north-4 ->
   * cn-east-3, §5.3), pruned by the same retention.
   * @default - no copy (or OBS cross-region replication on the bucket: docs/backup.md)
   */
  readonly replica?: ObsLocation;
  /**
   * The in-cluster Qdrant's backups.
   * @default - daily at 02:00, kept 7 days, Standard class
   */
  readonly qdrant?: StoreBackupOptions;
  /**
   * The in-cluster Neo4j's backups.
   * @default - daily at 03:00, kept 7 days, Cold (archive) class as the seed plans
   */
  readonly neo4j?: StoreBackupOptions;
  /**
   * The in-cluster Milvus's backups.
   * @default - daily at 02:30, kept 7 days, Standard class
   */
  readonly milvus?: StoreBackupOptions;
  /**
   * The in-cluster Redis's backups (with `RedisQueue.inCluster()`; DCS backs itself up).
   * @default - daily at 01:30, kept 7 days, Standard class
   */
  readonly redis?: StoreBackupOptions;
  /**
   * The rclone image of the upload and download steps, pinned.
   * @default 'docker.io/rclone/rclone:1.68.2'
   */
  readonly rcloneImage?: string;
}

/**
 * Whether, where and when the stack backs up its in-cluster stores (docs/backup.md).
 *
 * ```ts
 * BackupPlan.toObs({ location: { bucket: 'memos-prod-backups', region: 'cn-north-4' } });
 * BackupPlan.none();
 * ```
 */
export class BackupPlan {
  /**
   * A backup CronJob for every store the stack runs in the cluster (Qdrant, Neo4j, Milvus,
   * Redis), into one OBS bucket; `npm run restore` writes the Jobs that restore one.
   */
  public static toObs(options: ObsBackupPlanOptions): BackupPlan {
    return new BackupPlan(options);
  }

  /** No backups: the stores' data lives only on their EVS volumes. */
  public static none(): BackupPlan {
    return new BackupPlan(undefined);
  }

  private constructor(
    /** @internal */
    public readonly _obs: ObsBackupPlanOptions | undefined,
  ) {}
}

/** The stores a stack can back up and restore. */
export enum BackupStore {
  /** The in-cluster Qdrant. */
  QDRANT = 'qdrant',
  /** The in-cluster Neo4j. */
  NEO4J = 'neo4j',
  /** The in-cluster Milvus. */
  MILVUS = 'milvus',
  /** The in-cluster Redis. */
  REDIS = 'redis',
}
