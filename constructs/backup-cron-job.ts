import { ApiObject, Chart, Cron, Duration, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  DOWNLOAD_SCRIPT, PRIMARY_REMOTE, REPLICA_REMOTE, STAGING_DIR, UPLOAD_SCRIPT,
} from './backup-scripts';
import {
  BACKUP_ID, CRON_DESCRIPTORS, ObsBackupTarget, obsKeys, ObsStorageClass, requireBackupSchedule, requireObsLocation, ResolvedObsLocation, s3StorageClass, StoreBackupOptions,
} from '../src/backup';
import { RCLONE_IMAGE } from '../src/images';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credentials, requireCredentials } from '../src/credentials';
import { MEMOS_DEFAULT_SECRET } from '../src/memos';
import { invalidProp, requireDnsSubdomain, requirePinnedImage } from '../src/validation';
import { EverestClaimMetadata, EvsDiskType, EvsStorageClass } from '../src/cce';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, podSpecPath, selectorLabels, setPodSeccompRuntimeDefault } from '../src/kubernetes';
import { Connections } from '../src/network';

/**
 * rclone's official image (rclone/rclone `Dockerfile`: Alpine with busybox, `ENTRYPOINT
 * ["rclone"]`, no USER), pinned to the version the tests run (.ci/backup-tools.sh). The command
 * is overridden with busybox `sh`; any non-root UID works, with the config and cache under /tmp.
 */
export const DEFAULT_RCLONE_IMAGE = RCLONE_IMAGE;

/** Container names shared by every backup and restore pod. */
export const UPLOAD_CONTAINER = 'upload';
export const DOWNLOAD_CONTAINER = 'download';

/** What a backup or restore pod runs as and with. */
export interface BackupPodOptions {
  /** Instance name. */
  readonly instance: string;
  /** The store: `qdrant`, `neo4j`, `milvus`, `redis` (component `<store>-backup`). */
  readonly store: string;
  /** The bucket and folder (`<prefix>` already ends with nothing; `/<store>` is appended). */
  readonly location: ResolvedObsLocation;
  /** UID and GID every container of the pod runs as (the store's image's user). */
  readonly uid: number;
  readonly gid: number;
  /** Size of the staging volume (an EVS disk made for the pod and deleted with it). */
  readonly stagingSize: Size;
  /** Image pull secrets. */
  readonly imagePullSecrets: string[];
  /** The rclone image. */
  readonly rcloneImage: string;
}

/** Properties of {@link BackupCronJob}. */
export interface BackupCronJobProps extends BackupPodOptions {
  /** Second bucket every backup is also copied to. */
  readonly replica?: ResolvedObsLocation;
  /** Cron expression (checked). */
  readonly schedule: string;
  /** IANA time zone of the schedule. */
  readonly timeZone: string;
  /** Days a backup is kept. */
  readonly retentionDays: number;
  /** Storage class of the data files. */
  readonly storageClass: ObsStorageClass;
  /** Deadline of one run. */
  readonly timeout: Duration;
}

/** The labels of a store's backup and restore pods: one NetworkPolicy admits both. */
export const backupSelector = (instance: string, store: string) => selectorLabels(instance, `${store}-backup`);

/**
 * One store's scheduled backup (internal; each store's `XxxBackup` construct adds its step): a
 * CronJob `<instance>-<store>-backup` whose pod runs the store's step(s) as init containers,
 * writing into an EVS staging disk made for the pod, then uploads with rclone
 * (backup-scripts.ts UPLOAD_SCRIPT). Hardened like every workload: non-root, read-only root, no
 * service account token, resources; `concurrencyPolicy: Forbid`, a starting deadline, history
 * limits and a deadline per run. kube-state-metrics exports `kube_cronjob_status_last_successful_time`
 * and `kube_job_status_failed` for it (docs/backup.md, alerting).
 */
export class BackupCronJob extends Construct {
  /** The CronJob. */
  public readonly cronJob: kplus.CronJob;
  /**
   * The pods' network connections: the store's construct adds its store; whoever renders the
   * NetworkPolicies adds OBS (HTTPS, 443) with the CIDRs it knows (MemosStack does).
   */
  public readonly connections: Connections;
  private readonly stagingSize: Size;

  constructor(scope: Construct, id: string, props: BackupCronJobProps) {
    super(scope, id);
    this.stagingSize = props.stagingSize;
    const labels = componentLabels(props.instance, `${props.store}-backup`);
    this.connections = new Connections({ name: `${props.store}-backup`, selector: backupSelector(props.instance, props.store) });
    this.cronJob = new kplus.CronJob(this, 'CronJob', backupCronJobProps({
      name: `${props.instance}-${props.store}-backup`, labels, schedule: props, uid: props.uid, gid: props.gid,
    }));
    preparePod(this, this.cronJob, '/spec/jobTemplate/spec/template/spec', props);
    setPodSeccompRuntimeDefault(this.cronJob);
    this.cronJob.addContainer({
      name: UPLOAD_CONTAINER,
      image: props.rcloneImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', UPLOAD_SCRIPT],
      envVariables: {
        ...rcloneRemotes(this, props.location, props.replica),
        STAGING: kplus.EnvValue.fromValue(STAGING_DIR),
        STORE: kplus.EnvValue.fromValue(props.store),
        ...uploadTargetEnv(props.store, props.location, props.replica, props.storageClass, props.retentionDays),
      },
      resources: toolResources(),
      securityContext: hardenedContainerSecurityContext(props.uid, props.gid),
    });
    this.cronJob.containers[0].mount('/tmp', tmpVolume(this));
    this.cronJob.containers[0].mount(STAGING_DIR, stagingVolume(this, this.cronJob, this.stagingSize));
  }

  /** Adds a store step (an init container that writes `id` and `data/` into the staging volume). */
  public addStep(container: kplus.ContainerProps): kplus.Container {
    const step = this.cronJob.addInitContainer({ ...container, securityContext: container.securityContext ?? this.cronJob.containers[0].securityContext as any });
    step.mount(STAGING_DIR, stagingVolume(this, this.cronJob, this.stagingSize));
    return step;
  }
}

/** Properties of {@link RestoreJob}. */
export interface RestoreJobProps extends BackupPodOptions {
  /** The backup to restore (checked id). */
  readonly backupId: string;
  /** Deadline of the restore. */
  readonly timeout: Duration;
}

/**
 * A one-off Job (`<instance>-<store>-restore-<id>`) restoring one store from one backup: the
 * download and verification (backup-scripts.ts DOWNLOAD_SCRIPT) as its first init container,
 * then the store's restore steps, which refuse to run unless the backup was verified. No retry
 * (a restore that failed half-way must be looked at), and the same labels, hardening and
 * NetworkPolicy as the store's backup pods.
 */
export class RestoreJob extends Construct {
  /** The Job. */
  public readonly job: kplus.Job;
  private readonly stagingSize: Size;
  private readonly backupId: string;

  constructor(scope: Construct, id: string, props: RestoreJobProps) {
    super(scope, id);
    this.stagingSize = props.stagingSize;
    this.backupId = props.backupId;
    const labels = componentLabels(props.instance, `${props.store}-backup`);
    this.job = new kplus.Job(this, 'Job', {
      metadata: {
        name: `${props.instance}-${props.store}-restore-${props.backupId.toLowerCase()}`,
        labels: { ...labels, 'memos.cce/restore-of': props.backupId },
      },
      podMetadata: { labels },
      activeDeadline: props.timeout,
      backoffLimit: 0,
      ttlAfterFinished: Duration.days(7),
      securityContext: hardenedPodSecurityContext(props.uid, props.gid),
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
    });
    preparePod(this, this.job, '/spec/template/spec', props);
    setPodSeccompRuntimeDefault(this.job);
    const download = this.job.addInitContainer({
      name: DOWNLOAD_CONTAINER,
      image: props.rcloneImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', DOWNLOAD_SCRIPT],
      envVariables: {
        ...rcloneEnv(this, PRIMARY_REMOTE, props.location),
        STAGING: kplus.EnvValue.fromValue(STAGING_DIR),
        STORE: kplus.EnvValue.fromValue(props.store),
        DEST: kplus.EnvValue.fromValue(destination(props.location, props.store)),
        BACKUP_ID: kplus.EnvValue.fromValue(props.backupId),
      },
      resources: toolResources(),
      securityContext: hardenedContainerSecurityContext(props.uid, props.gid),
    });
    download.mount(STAGING_DIR, stagingVolume(this, this.job, this.stagingSize));
    download.mount('/tmp', tmpVolume(this));
  }

  /**
   * Adds a restore step, run after the download and the steps added before it (an init
   * container); `last` makes it the Job's main container, added once, after every other step.
   * Each step gets STAGING, BACKUP_ID and the staging volume.
   */
  public addStep(container: kplus.ContainerProps, options: { last?: boolean } = {}): kplus.Container {
    const props: kplus.ContainerProps = {
      ...container,
      securityContext: container.securityContext ?? this.job.initContainers[0].securityContext as any,
      envVariables: { ...container.envVariables, STAGING: kplus.EnvValue.fromValue(STAGING_DIR), BACKUP_ID: kplus.EnvValue.fromValue(this.backupId) },
    };
    const step = options.last ? this.job.addContainer(props) : this.job.addInitContainer(props);
    step.mount(STAGING_DIR, stagingVolume(this, this.job, this.stagingSize));
    return step;
  }
}

/** Pull secrets, and the pod-level fields cdk8s-plus does not model. */
function preparePod(scope: Construct, workload: kplus.CronJob | kplus.Job, specPath: string, props: BackupPodOptions): void {
  void scope;
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${specPath}/imagePullSecrets`, props.imagePullSecrets.map((name) => ({ name }))));
}

/**
 * The rclone remotes of an upload: the bucket, and the second-region bucket when there is one.
 * @internal
 */
export function rcloneRemotes(scope: Construct, location: ResolvedObsLocation, replica?: ResolvedObsLocation): Record<string, kplus.EnvValue> {
  return { ...rcloneEnv(scope, PRIMARY_REMOTE, location), ...(replica ? rcloneEnv(scope, REPLICA_REMOTE, replica) : {}) };
}

/**
 * Where an upload writes and what it keeps: DEST (and REPLICA_DEST), the storage class and the
 * retention, as the upload scripts read them.
 * @internal
 */
export function uploadTargetEnv(store: string, location: ResolvedObsLocation, replica: ResolvedObsLocation | undefined,
  storageClass: ObsStorageClass, retentionDays: number): Record<string, kplus.EnvValue> {
  return {
    DEST: kplus.EnvValue.fromValue(destination(location, store)),
    ...(replica ? { REPLICA_DEST: kplus.EnvValue.fromValue(destination(replica, store)) } : {}),
    STORAGE_CLASS: kplus.EnvValue.fromValue(s3StorageClass(storageClass)),
    RETENTION_DAYS: kplus.EnvValue.fromValue(String(retentionDays)),
  };
}

/** `<bucket>/<prefix>/<store>`: the folder of one store's backups. */
export const destination = (location: ResolvedObsLocation, store: string) => `${location.bucket}/${location.prefix}/${store}`;

/**
 * rclone's S3 remote `name`, configured from the environment only (rclone docs "Config file":
 * `RCLONE_CONFIG_<NAME>_<OPTION>`), with the keys from their Secrets. `HuaweiOBS` is rclone's
 * provider for OBS (virtual-hosted style); `no_check_bucket`: the bucket exists, and the keys need
 * no right to create one.
 */
export function rcloneEnv(scope: Construct, name: string, location: ResolvedObsLocation): Record<string, kplus.EnvValue> {
  const prefix = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  return {
    [`${prefix}TYPE`]: kplus.EnvValue.fromValue('s3'),
    [`${prefix}PROVIDER`]: kplus.EnvValue.fromValue('HuaweiOBS'),
    [`${prefix}ENDPOINT`]: kplus.EnvValue.fromValue(`https://${location.endpoint}`),
    [`${prefix}REGION`]: kplus.EnvValue.fromValue(location.region),
    [`${prefix}ACCESS_KEY_ID`]: location.accessKeyId.envValue(scope),
    [`${prefix}SECRET_ACCESS_KEY`]: location.secretAccessKey.envValue(scope),
    [`${prefix}NO_CHECK_BUCKET`]: kplus.EnvValue.fromValue('true'),
    // No config file, no cache outside /tmp (read-only root).
    RCLONE_CONFIG: kplus.EnvValue.fromValue('/dev/null'),
    RCLONE_CACHE_DIR: kplus.EnvValue.fromValue('/tmp/rclone-cache'),
    RCLONE_RETRIES: kplus.EnvValue.fromValue('5'),
    RCLONE_STATS_ONE_LINE: kplus.EnvValue.fromValue('true'),
    RCLONE_STATS: kplus.EnvValue.fromValue('60s'),
  };
}

/**
 * The staging disk: a generic ephemeral volume, an EVS disk made for the pod in its zone and
 * deleted with it (Kubernetes "Ephemeral Volumes", generic ephemeral volumes, GA in 1.23), so a
 * backup as large as the store needs no node disk. cdk8s-plus-28 has no ephemeral volumes: an
 * emptyDir stands in for the mounts and its rendering is replaced.
 */
export function stagingVolume(scope: Construct, workload: kplus.AbstractPod, size: Size): kplus.Volume {
  const existing = workload.volumes.find((v) => v.name === 'staging') ?? (scope.node.tryFindChild('Staging') as kplus.Volume | undefined);
  if (existing) return existing;
  const volume = kplus.Volume.fromEmptyDir(scope, 'Staging', 'staging');
  const gib = Math.ceil(size.toGibibytes({ rounding: SizeRoundingBehavior.NONE }));
  (volume as any)._toKube = () => ({
    name: 'staging',
    ephemeral: {
      volumeClaimTemplate: {
        metadata: { annotations: { [EverestClaimMetadata.DISK_VOLUME_TYPE]: EvsDiskType.SSD } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: EvsStorageClass.CSI_DISK_TOPOLOGY, resources: { requests: { storage: kplus.k8s.Quantity.fromString(`${gib}Gi`) } } },
      },
    },
  });
  return volume;
}

export function tmpVolume(scope: Construct): kplus.Volume {
  return (scope.node.tryFindChild('Tmp') as kplus.Volume | undefined) ?? kplus.Volume.fromEmptyDir(scope, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) });
}

/** rclone and the store clients: memory for multipart buffers (4 streams x 5 MiB chunks) and TLS. */
export function toolResources(memory = Size.mebibytes(512)): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
    memory: { request: memory, limit: memory },
    ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
  };
}


/** The chart's namespace, for the default OBS prefix. */
export const namespaceOf = (scope: Construct) => Chart.of(scope).namespace ?? 'default';

/**
 * The CronJob settings every store's backup shares: one run at a time (`Forbid`), a run missed by
 * more than an hour skipped (controller down, previous run still going) rather than started late
 * into business hours, three of each outcome kept, the deadline per run, one retry (a second
 * failure in a row is an operator's problem: the alert fires), a hardened pod without a service
 * account token.
 * @internal
 */
export function backupCronJobProps(options: {
  name: string; labels: Record<string, string>; uid: number; gid: number;
  schedule: { schedule: string; timeZone: string; timeout: Duration };
}): kplus.CronJobProps {
  return {
    metadata: { name: options.name, labels: options.labels },
    podMetadata: { labels: options.labels },
    schedule: cronOf(options.schedule.schedule),
    timeZone: options.schedule.timeZone,
    concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
    startingDeadline: Duration.hours(1),
    successfulJobsRetained: 3,
    failedJobsRetained: 3,
    activeDeadline: options.schedule.timeout,
    backoffLimit: 1,
    securityContext: hardenedPodSecurityContext(options.uid, options.gid),
    automountServiceAccountToken: false,
    restartPolicy: kplus.RestartPolicy.NEVER,
  };
}

/**
 * The cdk8s `Cron` of a checked 5-field expression or `@` descriptor.
 * @internal
 */
export function cronOf(expression: string): Cron {
  const [minute, hour, day, month, weekDay] = (CRON_DESCRIPTORS[expression] ?? expression).split(/\s+/);
  return Cron.schedule({ minute, hour, day, month, weekDay });
}

/**
 * The pod options every store's backup shares, from a store construct's props: the locations
 * (default prefix `<namespace>/<instance>`, keys from the credentials), pull secrets, rclone image.
 * @internal
 */
export function resolveBackupPod(scope: Construct, props: ObsBackupTarget, pod: { instance: string; store: string; uid: number; gid: number; stagingSize: Size }):
BackupPodOptions & { replica?: ResolvedObsLocation } {
  const credentials = requireCredentials(scope, 'credentials', props.credentials ?? Credentials.fromSecret(MEMOS_DEFAULT_SECRET));
  const defaults = { prefix: `${namespaceOf(scope)}/${pod.instance}`, ...obsKeys(credentials) };
  const location = requireObsLocation(scope, 'location', props.location, defaults);
  const replica = props.replica === undefined ? undefined : requireObsLocation(scope, 'replica', props.replica, defaults);
  if (replica && replica.endpoint === location.endpoint && replica.bucket === location.bucket && replica.prefix === location.prefix) {
    invalidProp(scope, 'replica', props.replica, 'another bucket (or folder) than location: a copy in the same place protects against nothing');
  }
  return {
    ...pod, location, replica,
    imagePullSecrets: (props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]).map((name, i) => requireDnsSubdomain(scope, `imagePullSecrets[${i}]`, name)),
    rcloneImage: requirePinnedImage(scope, 'rcloneImage', props.rcloneImage ?? DEFAULT_RCLONE_IMAGE),
  };
}

/**
 * A store's backup CronJob from its construct's props (schedule checked here).
 * @internal
 */
export function storeBackupCronJob(scope: Construct, props: StoreBackupOptions & ObsBackupTarget,
  pod: { instance: string; store: string; uid: number; gid: number; stagingSize: Size },
  defaults: { schedule: string; storageClass: ObsStorageClass; timeout: Duration }): { cronJob: BackupCronJob; pod: BackupPodOptions; timeout: Duration } {
  const resolved = resolveBackupPod(scope, props, pod);
  const schedule = requireBackupSchedule(scope, props, defaults);
  const cronJob = new BackupCronJob(scope, 'Backup', { ...resolved, ...schedule });
  return { cronJob, pod: resolved, timeout: schedule.timeout };
}

/**
 * Checks a backup id given to a restore.
 * @internal
 */
export function requireBackupId(scope: Construct, value: unknown): string {
  if (typeof value === 'string' && BACKUP_ID.test(value)) return value;
  return invalidProp(scope, 'backupId', value, 'a backup id as the backup Job names it: the UTC start time YYYYMMDDTHHMMSSZ, e.g. 20261127T020000Z (rclone lsf the bucket folder, or see docs/backup.md)');
}

/**
 * Small requests (100m CPU, 128Mi) for every container of a backup or restore pod that must run on
 * its store's node (pod affinity, to share its ReadWriteOnce volume): the store's own requests
 * fill its node by design (the presets size the store pools so), so a pod requesting its limits
 * would never schedule beside it. The limits stay: the pod bursts into what the store leaves free
 * at night, or what it freed by stopping (Neo4j Community).
 * @internal
 */
export function requestLittle(workload: kplus.CronJob | kplus.Job): void {
  const api = ApiObject.of(workload);
  const base = podSpecPath(workload);
  const spec = workload instanceof kplus.CronJob ? api.toJson().spec.jobTemplate.spec.template.spec : api.toJson().spec.template.spec;
  for (const field of ['initContainers', 'containers']) {
    (spec[field] ?? []).forEach((_: unknown, i: number) => {
      api.addJsonPatch(JsonPatch.add(`${base}/${field}/${i}/resources/requests`, {
        'cpu': kplus.k8s.Quantity.fromString('100m'),
        'ephemeral-storage': kplus.k8s.Quantity.fromString('1Gi'),
        'memory': kplus.k8s.Quantity.fromString('128Mi'),
      }));
    });
  }
}
