import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { backupCronJobProps, backupSelector, destination, rcloneEnv, rcloneRemotes, uploadTargetEnv, requestLittle, requireBackupId, resolveBackupPod, toolResources } from './backup-cron-job';
import { backupFolderFunctions, PRIMARY_REMOTE, REPLICA_REMOTE } from './backup-scripts';
import { Milvus, MILVUS_FS_GROUP, MILVUS_LOCAL_DIR, MILVUS_LOCAL_STORAGE_PATH, MILVUS_UID } from './milvus';
import { MilvusPorts } from './milvus-ports';
import { MilvusMode } from './milvus-topology';
import { ObsBackupTarget, ObsStorageClass, requireBackupSchedule, ResolvedObsLocation, StoreBackupOptions } from '../src/backup';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setPodSeccompRuntimeDefault } from '../src/kubernetes';
import { Connections, tcp } from '../src/network';
import { invalidProp, requirePinnedImage } from '../src/validation';

/*
 * Which milvus-backup: v0.6.0, for both topologies.
 *
 * - A standalone Milvus (the small preset, the default topology) keeps its binlogs on its own
 *   volume (`localStorage.path`, /var/lib/milvus/data). 0.5.x cannot back that up: "Milvus Backup
 *   cannot back up your data to a local path" (https://milvus.io/docs/milvus_backup_api.md, the
 *   0.5 docs) and zilliztech/milvus-backup issue #964 ("milvus-backup does not support backing up
 *   from local storage to MinIO for Milvus standalone"), closed as working "as of v0.6.0" with
 *   `milvus.storage.provider: local` (configs/backup-local-milvus.yaml; PRs #1138, #1142).
 * - A distributed (or OBS-backed standalone) Milvus keeps them on OBS, which both lines support.
 * - 0.6.0 is "built against Milvus 3.0" but keeps the binlog workflow "on supported Milvus 2.x
 *   versions" (https://milvus.io/docs/milvus_backup_0_6_cli.md); milvus-docs PR #3658 validated
 *   0.6.0 against Milvus 2.6.11 after 0.5.16. A 2.6 backup restores into 2.6 or 3.0 (README
 *   compatibility matrix, PR #1224).
 *
 * So one pinned version, 0.6.0, with its v2 config (`configVersion: v2`, internal/cfg/v2/cfg.go)
 * and its v2 environment variables for the credentials. The image is the project's own
 * (`.github/workflows/release.yaml` tags `git describe --tags`, hence the `v`): Alpine with busybox
 * `sh`, WORKDIR /app, the program at /app/milvus-backup, ENTRYPOINT `server`, no USER (Dockerfile),
 * so the command is overridden and any non-root UID runs it.
 */
/** The milvus-backup image: v0.6.0 (see above). */
export const DEFAULT_MILVUS_BACKUP_IMAGE = 'docker.io/milvusdb/milvus-backup:v0.6.0';

/** Where the non-secret backup.yaml is mounted (`--config` takes an absolute path: cfg/param/source.go). */
const CONFIG_DIR = '/etc/milvus-backup';
const CONFIG_FILE = 'backup.yaml';
/** Small shared folder of the backup's pod: the id the create step chose, MANIFEST, COMPLETE. */
const STATE_DIR = '/state';
/** milvus-backup logs to `logs/backup.log` below its WORKDIR /app (v2 `log.file.path`): an emptyDir there. */
const LOG_DIR = '/app/logs';
/** The image's PATH, with /app first so the scripts call `milvus-backup` by name. */
const TOOL_PATH = '/app:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Container names. */
const CREATE_CONTAINER = 'create';
const COMPLETE_CONTAINER = 'complete';
const CHECK_CONTAINER = 'check';
const RESTORE_CONTAINER = 'restore';

/** Properties of {@link MilvusBackup}. */
export interface MilvusBackupProps extends StoreBackupOptions, ObsBackupTarget {
  /** The in-cluster Milvus to back up. */
  readonly milvus: Milvus;
  /**
   * The milvus-backup image, pinned.
   * @default MilvusBackup.DEFAULT_IMAGE
   */
  readonly image?: string;
}

/**
 * Daily backups of a Milvus with Zilliz's milvus-backup (v0.6.0), to OBS, and the Jobs that
 * restore them.
 *
 * MemOS 2.0.x's server no longer reads or writes Milvus (it stopped in 2.0.8, and 2.0.30's
 * `init_server()` never reads `MILVUS_*`: docs/catalogue.md, `MilvusDeployment`): this backup
 * protects what other clients (MemOS's SDK/MOS path, your own) keep in the Milvus of this stack.
 *
 * Unlike the other stores, the data does not pass through the pod: milvus-backup copies Milvus's
 * binlogs to the backup bucket itself, server-side when both are on the same OBS endpoint
 * (`transfer.mode: auto`, docs/user_guide/transfer.md), streamed through the pod from the
 * standalone volume otherwise. So the CronJob `<instance>-milvus-backup` runs:
 *
 * 1. `create` (milvus-backup, an init container): `milvus-backup create -n backup_<id> --rbac`
 *    into `<bucket>/<prefix>/milvus/` (its `backup.storage.rootPath`), then `get -n` to read it
 *    back. `<id>` is the UTC start time `YYYYMMDDTHHMMSSZ`, as for every store; milvus-backup
 *    names must start with a letter or `_` (core/backup/func.go `ValidateName`), hence `backup_`.
 * 2. `complete` (rclone): a MANIFEST of every object of the backup with its size (the tool's
 *    `meta/backup_meta.json` must be among them), then COMPLETE, both written last; the same
 *    copy to the replica bucket if any; then the pruning of backups older than `retentionDays`
 *    (COMPLETE first, then the folder), never the newest complete one.
 *
 * A restore (`restore()`) first checks COMPLETE and that the objects still match the MANIFEST
 * (a missing, incomplete, half-pruned or half-expired backup fails there, before Milvus is
 * touched), then runs `milvus-backup restore -n backup_<id> --rebuild_index` (indexes are not in
 * a backup and are rebuilt: docs/FAQ.md). Preconditions (docs/backup.md): the Milvus is running;
 * the backup's collections are absent or dropped (milvus-backup refuses to restore onto an
 * existing collection); MemOS and every other client are stopped; same or newer Milvus.
 *
 * A standalone Milvus on local storage is read from its own volume (`provider: local`): the pods
 * mount its claim (read-only for a backup, read-write for a restore, which stages import files
 * there) at the same path as Milvus, and are pinned to its node with a required pod affinity
 * (a ReadWriteOnce EVS disk can be mounted by several pods of one node), tolerating the same
 * taints. They run as Milvus's UID and fsGroup, so they read its files and Milvus reads theirs.
 *
 * Hardened like every backup pod: non-root, read-only root (emptyDirs at /tmp and /app/logs), no
 * service account token, resources, `concurrencyPolicy: Forbid`, a starting deadline, history
 * limits and a deadline per run. Credentials only through secretKeyRef environment variables
 * (milvus-backup's v2 overrides); the ConfigMap `<instance>-milvus-backup` holds the rest.
 */
export class MilvusBackup extends Construct {
  /** The milvus-backup image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_MILVUS_BACKUP_IMAGE;
  /** Default schedule: 02:30 daily (between Qdrant's 02:00 and the databases' 03:00). */
  public static readonly DEFAULT_SCHEDULE: string = '30 2 * * *';

  /** The backup CronJob (`<instance>-milvus-backup`). */
  public readonly cronJob: kplus.CronJob;
  /** The backup and restore pods' connections: Milvus's gRPC/REST and management ports, and OBS. */
  public readonly connections: Connections;
  /** The non-secret milvus-backup configuration (`<instance>-milvus-backup`, key `backup.yaml`). */
  public readonly config: kplus.ConfigMap;

  private readonly milvus: Milvus;
  private readonly image: string;
  private readonly instance: string;
  private readonly location: ResolvedObsLocation;
  private readonly imagePullSecrets: string[];
  private readonly rcloneImage: string;
  private readonly timeout: Duration;
  private readonly local: boolean;

  constructor(scope: Construct, id: string, props: MilvusBackupProps) {
    super(scope, id);
    if (!(props.milvus instanceof Milvus)) invalidProp(this, 'milvus', props.milvus, 'the in-cluster Milvus construct');
    this.milvus = props.milvus;
    this.instance = props.milvus.instance;
    this.image = requirePinnedImage(this, 'image', props.image ?? MilvusBackup.DEFAULT_IMAGE);
    this.local = !props.milvus.objectStorage;
    const pod = resolveBackupPod(this, props, { instance: this.instance, store: 'milvus', uid: MILVUS_UID, gid: MILVUS_FS_GROUP, stagingSize: Size.gibibytes(1) });
    const schedule = requireBackupSchedule(this, props, { schedule: MilvusBackup.DEFAULT_SCHEDULE, storageClass: ObsStorageClass.STANDARD, timeout: Duration.hours(4) });
    if (schedule.storageClass !== ObsStorageClass.STANDARD) {
      invalidProp(this, 'storageClass', schedule.storageClass,
        'ObsStorageClass.STANDARD: milvus-backup writes the backup objects itself, in the bucket\'s default class, and reads them back without thawing (use an OBS lifecycle rule to move old backups to Warm)');
    }
    this.location = pod.location;
    this.imagePullSecrets = pod.imagePullSecrets;
    this.rcloneImage = pod.rcloneImage;
    this.timeout = schedule.timeout;
    const backupRoot = `${pod.location.prefix}/milvus`;
    const storage = props.milvus.objectStorage;
    if (storage && storage.bucket === pod.location.bucket && overlaps(storage.rootPath!, backupRoot)) {
      invalidProp(this, 'location.prefix', pod.location.prefix,
        `a folder outside Milvus's own data (${storage.bucket}/${storage.rootPath}): backups under <prefix>/milvus must not be inside Milvus's rootPath, nor contain it`);
    }

    const labels = componentLabels(this.instance, 'milvus-backup');
    this.connections = new Connections({ name: 'milvus-backup', selector: backupSelector(this.instance, 'milvus') });
    // gRPC (and REST, which Milvus serves on the same port) for metadata, flush and import; the
    // management port for the GC pause (the proxy serves /management/datacoord/garbage_collection/pause).
    props.milvus.clientConnections.allowFrom(this.connections, tcp(MilvusPorts.GRPC, MilvusPorts.METRICS));

    this.config = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${this.instance}-milvus-backup`, labels },
      // JSON is YAML (1.2): milvus-backup's YAML reader takes it, and no YAML writer is needed.
      data: { [CONFIG_FILE]: `${JSON.stringify(this.configDocument(backupRoot), null, 2)}\n` },
    });

    this.cronJob = new kplus.CronJob(this, 'CronJob', backupCronJobProps({
      name: `${this.instance}-milvus-backup`, labels, schedule, uid: MILVUS_UID, gid: MILVUS_FS_GROUP,
    }));
    const specPath = '/spec/jobTemplate/spec/template/spec';
    const volumes = this.volumes(this, 'Backup');
    const create = this.cronJob.addInitContainer(this.milvusBackupContainer(CREATE_CONTAINER, CREATE_SCRIPT, {}));
    this.mountTool(create, volumes, { readOnlyData: true });
    const complete = this.cronJob.addContainer({
      name: COMPLETE_CONTAINER,
      image: this.rcloneImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', COMPLETE_SCRIPT],
      envVariables: {
        ...rcloneRemotes(this, pod.location, pod.replica),
        STATE: kplus.EnvValue.fromValue(STATE_DIR),
        ...uploadTargetEnv('milvus', pod.location, pod.replica, ObsStorageClass.STANDARD, schedule.retentionDays),
      },
      resources: toolResources(),
      securityContext: hardenedContainerSecurityContext(MILVUS_UID, MILVUS_FS_GROUP),
    });
    complete.mount('/tmp', volumes.tmp);
    complete.mount(STATE_DIR, volumes.state);
    this.preparePod(this.cronJob, specPath);
    setPodSeccompRuntimeDefault(this.cronJob);
    if (this.local) requestLittle(this.cronJob);
  }

  /**
   * Adds the Job that restores backup `backupId` into this Milvus (`<instance>-milvus-restore-<id>`),
   * to `scope` (a chart of its own, applied by hand: docs/backup.md). `backupId` is the UTC id
   * `YYYYMMDDTHHMMSSZ` (the folder in the bucket is `backup_<id>`).
   */
  public restore(scope: Construct, id: string, backupId: string): kplus.Job {
    const checked = requireBackupId(this, backupId);
    const holder = new Construct(scope, id);
    const labels = componentLabels(this.instance, 'milvus-backup');
    const job = new kplus.Job(holder, 'Job', {
      metadata: { name: `${this.instance}-milvus-restore-${checked.toLowerCase()}`, labels: { ...labels, 'memos.cce/restore-of': checked } },
      podMetadata: { labels },
      activeDeadline: this.timeout,
      // No retry: a restore that failed half-way must be looked at (collections may be partly there).
      backoffLimit: 0,
      ttlAfterFinished: Duration.days(7),
      securityContext: hardenedPodSecurityContext(MILVUS_UID, MILVUS_FS_GROUP),
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
    });
    const volumes = this.volumes(holder, 'Restore');
    const check = job.addInitContainer({
      name: CHECK_CONTAINER,
      image: this.rcloneImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', CHECK_SCRIPT],
      envVariables: {
        ...rcloneEnv(holder, PRIMARY_REMOTE, this.location),
        STATE: kplus.EnvValue.fromValue(STATE_DIR),
        DEST: kplus.EnvValue.fromValue(destination(this.location, 'milvus')),
        BACKUP_ID: kplus.EnvValue.fromValue(checked),
      },
      resources: toolResources(),
      securityContext: hardenedContainerSecurityContext(MILVUS_UID, MILVUS_FS_GROUP),
    });
    check.mount('/tmp', volumes.tmp);
    check.mount(STATE_DIR, volumes.state);
    const restore = job.addContainer(this.milvusBackupContainer(RESTORE_CONTAINER, RESTORE_SCRIPT, { BACKUP_ID: kplus.EnvValue.fromValue(checked) }));
    this.mountTool(restore, volumes, { readOnlyData: false });
    this.preparePod(job, '/spec/template/spec');
    setPodSeccompRuntimeDefault(job);
    if (this.local) requestLittle(job);
    return job;
  }

  /** The milvus-backup v2 configuration, without a credential (those come from the environment). */
  private configDocument(backupRoot: string): Record<string, unknown> {
    const m = this.milvus;
    const storage = m.objectStorage;
    const milvusStorage = storage
      ? { ...obsStorage(storage.endpoint, storage.region, storage.bucket), rootPath: storage.rootPath! }
      // The directory backing Milvus's localStorage.path, as this pod mounts it (the same path
      // as in Milvus, so no `localPath`); local storage has no bucket (configs/backup-local-milvus.yaml).
      : { provider: 'local', bucketName: '', rootPath: MILVUS_LOCAL_STORAGE_PATH };
    return {
      configVersion: 'v2',
      log: { level: 'info', console: true, file: { path: `${LOG_DIR}/backup.log`, maxSizeMiB: 100 } },
      milvus: {
        user: m.user,
        grpc: { address: m.host, port: m.port, tlsMode: 'disabled' },
        // The GC pause: the client Service also exposes the proxy's (standalone's) port 9091.
        management: { endpoint: `http://${m.host}:${MilvusPorts.METRICS}` },
        storage: milvusStorage,
      },
      backup: {
        storage: { ...obsStorage(this.location.endpoint, this.location.region, this.location.bucket), rootPath: backupRoot },
        pauseGC: true,
      },
      // OBS to OBS: `auto` copies server-side when both ends are the same endpoint (provider,
      // address, port, region, TLS) and streams otherwise (another region). Local to OBS always
      // streams through the pod: fewer parallel streams than the default 128 keep its memory low.
      transfer: this.local ? { mode: 'streaming', concurrency: 16 } : { mode: 'auto' },
    };
  }

  private milvusBackupContainer(name: string, script: string, extraEnv: Record<string, kplus.EnvValue>): kplus.ContainerProps {
    const m = this.milvus;
    return {
      name,
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', script],
      envVariables: {
        PATH: kplus.EnvValue.fromValue(TOOL_PATH),
        HOME: kplus.EnvValue.fromValue('/tmp'),
        MILVUS_BACKUP_CONFIG: kplus.EnvValue.fromValue(`${CONFIG_DIR}/${CONFIG_FILE}`),
        STATE: kplus.EnvValue.fromValue(STATE_DIR),
        // milvus-backup v2's credential overrides (internal/cfg/v2/cfg.go, storage.go).
        MILVUS_PASSWORD: m.password.envValue(this),
        ...(m.objectStorageAccessKeyId && m.objectStorageSecretAccessKey ? {
          MILVUS_STORAGE_AUTH_ACCESS_KEY_ID: m.objectStorageAccessKeyId.envValue(this),
          MILVUS_STORAGE_AUTH_SECRET_ACCESS_KEY: m.objectStorageSecretAccessKey.envValue(this),
        } : {}),
        BACKUP_STORAGE_AUTH_ACCESS_KEY_ID: this.location.accessKeyId.envValue(this),
        BACKUP_STORAGE_AUTH_SECRET_ACCESS_KEY: this.location.secretAccessKey.envValue(this),
        ...extraEnv,
      },
      // Streaming from the standalone volume buffers parts in memory.
      resources: toolResources(Size.gibibytes(1)),
      securityContext: hardenedContainerSecurityContext(MILVUS_UID, MILVUS_FS_GROUP),
    };
  }

  private volumes(scope: Construct, prefix: string): { tmp: kplus.Volume; logs: kplus.Volume; state: kplus.Volume; config: kplus.Volume; data?: kplus.Volume } {
    const claim = this.milvus.dataClaimName;
    return {
      tmp: kplus.Volume.fromEmptyDir(scope, `${prefix}Tmp`, 'tmp', { sizeLimit: Size.gibibytes(1) }),
      logs: kplus.Volume.fromEmptyDir(scope, `${prefix}Logs`, 'logs', { sizeLimit: Size.gibibytes(1) }),
      state: kplus.Volume.fromEmptyDir(scope, `${prefix}State`, 'state', { sizeLimit: Size.mebibytes(64) }),
      config: kplus.Volume.fromConfigMap(scope, `${prefix}Config`, this.config, { name: 'config' }),
      data: this.local && claim
        ? kplus.Volume.fromPersistentVolumeClaim(scope, `${prefix}Data`, kplus.PersistentVolumeClaim.fromClaimName(scope, `${prefix}Claim`, claim), { name: 'milvus-data' })
        : undefined,
    };
  }

  private mountTool(container: kplus.Container, volumes: ReturnType<MilvusBackup['volumes']>, options: { readOnlyData: boolean }): void {
    container.mount('/tmp', volumes.tmp);
    container.mount(LOG_DIR, volumes.logs);
    container.mount(STATE_DIR, volumes.state);
    container.mount(CONFIG_DIR, volumes.config, { readOnly: true });
    // The same mount path as in Milvus: milvus-backup's rootPath is Milvus's localStorage.path.
    if (volumes.data) container.mount(MILVUS_LOCAL_DIR, volumes.data, { readOnly: options.readOnlyData });
  }

  /** Pull secrets; for a standalone Milvus on local storage, its node and its taints. */
  private preparePod(workload: kplus.CronJob | kplus.Job, specPath: string): void {
    const api = ApiObject.of(workload);
    api.addJsonPatch(JsonPatch.add(`${specPath}/imagePullSecrets`, this.imagePullSecrets.map((name) => ({ name }))));
    if (!this.local) return;
    if (this.milvus.mode !== MilvusMode.STANDALONE || !this.milvus.dataClaimName) return;
    api.addJsonPatch(JsonPatch.add(`${specPath}/affinity`, {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{
          labelSelector: { matchLabels: { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': 'standalone' } },
          topologyKey: 'kubernetes.io/hostname',
        }],
      },
    }));
    // The standalone pod's tolerations as they are at synth time: the stack places Milvus on its
    // node pool (placeOnNodePool) after this construct is made. JsonPatch.apply deep-copies the
    // operations through JSON.stringify (fast-json-patch deepClone), which calls toJSON then.
    const standalone = ApiObject.of(this.milvus.workloads.standalone);
    api.addJsonPatch(JsonPatch.add(`${specPath}/tolerations`, { toJSON: () => standalone.toJson().spec?.template?.spec?.tolerations ?? [] }));
  }
}

/** True when one of two object prefixes contains the other. */
function overlaps(a: string, b: string): boolean {
  const x = `${a.replace(/\/+$/, '')}/`;
  const y = `${b.replace(/\/+$/, '')}/`;
  return x.startsWith(y) || y.startsWith(x);
}

/**
 * An OBS storage section: `hwc` is milvus-backup's Huawei Cloud provider (internal/storage/hwc.go:
 * minio-go with virtual-hosted bucket lookup, static AK/SK), HTTPS on 443.
 */
function obsStorage(endpoint: string, region: string, bucket: string): Record<string, unknown> {
  return { provider: 'hwc', address: endpoint, port: 443, region, useSSL: true, bucketName: bucket, auth: { type: 'static' } };
}


/*
 * The scripts. POSIX sh with busybox tools: the milvus-backup image is Alpine (Dockerfile), as is
 * rclone's. The milvus-backup steps call the program by name; the rclone steps use the remotes
 * the framework configures from the environment (backup-cron-job.ts rcloneEnv).
 */
const PRELUDE = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
`;

/** The backup step: `create`, then `get` to read the backup back; the id goes to $STATE/id. */
const CREATE_SCRIPT = `${PRELUDE}rm -f "$STATE/id"
id=$(date -u +%Y%m%dT%H%M%SZ)
name="backup_$id"
say "backup $id of Milvus: milvus-backup create -n $name"
milvus-backup create --config "$MILVUS_BACKUP_CONFIG" -n "$name" --rbac || fail "milvus-backup create -n $name failed: backup $id has no COMPLETE marker, is never restored, and is pruned with the old ones"
milvus-backup get --config "$MILVUS_BACKUP_CONFIG" -n "$name" || fail "milvus-backup cannot read back the backup $name it just created"
printf '%s\\n' "$id" > "$STATE/id"
say "backup $id created by milvus-backup"
`;

const RCLONE_COMMON = `${PRELUDE}${backupFolderFunctions('backup_')}# Every object of a backup folder but the markers, with its size, sorted: what MANIFEST holds.
listing() { rclone lsf -R --files-only --format ps --separator ' ' --exclude /MANIFEST --exclude /COMPLETE "$1/" | LC_ALL=C sort; }
same() { [ "$(sha256sum < "$1")" = "$(sha256sum < "$2")" ]; }
`;

/**
 * After `create`: MANIFEST (every object and its size; the tool's meta among them) and COMPLETE,
 * the copy to the replica, then the pruning of both buckets.
 *
 * Environment: STATE, DEST (`<bucket>/<prefix>/milvus`), RETENTION_DAYS, STORAGE_CLASS, optional
 * REPLICA_DEST, and the rclone remotes.
 */
const COMPLETE_SCRIPT = `${RCLONE_COMMON}[ -s "$STATE/id" ] || fail "the create step recorded no backup id in $STATE/id: nothing to complete"
id=$(cat "$STATE/id")
valid_id "$id" || fail "the create step recorded a malformed backup id '$id'"
name="backup_$id"

seal() {
  dir="$1"
  printf 'id=%s\\nstore=milvus\\nname=%s\\nobjects=%s\\nbytes=%s\\nfinished=%s\\n' "$id" "$name" "$objects" "$bytes" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$STATE/COMPLETE"
  rclone copyto "$STATE/MANIFEST" "$dir/MANIFEST" --s3-storage-class STANDARD
  rclone copyto "$STATE/COMPLETE" "$dir/COMPLETE" --s3-storage-class STANDARD
  say "backup $id is complete in $dir"
}

src="${PRIMARY_REMOTE}:$DEST/$name"
listing "$src" > "$STATE/MANIFEST"
grep -q '^meta/backup_meta.json ' "$STATE/MANIFEST" || fail "$src has no meta/backup_meta.json: milvus-backup did not finish backup $id, which stays incomplete"
objects=$(wc -l < "$STATE/MANIFEST" | tr -d ' ')
bytes=$(awk '{ n += $2 } END { printf "%.0f", n }' "$STATE/MANIFEST")
say "backup $id: $objects objects, $bytes bytes"
seal "$src"

copy_to_replica() {
  dst="${REPLICA_REMOTE}:$REPLICA_DEST/$name"
  say "copying backup $id to $dst"
  rclone copy "$src" "$dst" --exclude /MANIFEST --exclude /COMPLETE --s3-storage-class "$STORAGE_CLASS"
  listing "$dst" > "$STATE/REPLICA"
  same "$STATE/MANIFEST" "$STATE/REPLICA" || fail "the copy of backup $id in $dst does not match its MANIFEST"
  seal "$dst"
}

# The second region after the first is sealed and pruned: a failing copy fails the run (and
# alerts) without holding back the primary bucket's retention.
prune ${PRIMARY_REMOTE} "$DEST"
if [ -n "\${REPLICA_DEST:-}" ]; then
  copy_to_replica
  prune ${REPLICA_REMOTE} "$REPLICA_DEST"
fi
say "backup $id of milvus done"
`;

/**
 * The restore's first step: COMPLETE must be there, and the objects must still be exactly those
 * of MANIFEST (sizes included); only then is $STATE/verified written.
 *
 * Environment: STATE, DEST, BACKUP_ID, and the rclone remote.
 */
const CHECK_SCRIPT = `${RCLONE_COMMON}valid_id "$BACKUP_ID" || fail "'$BACKUP_ID' is not a backup id (YYYYMMDDTHHMMSSZ)"
rm -f "$STATE/verified"
src="${PRIMARY_REMOTE}:$DEST/backup_$BACKUP_ID"
if ! rclone lsf "$src/COMPLETE" 2>/dev/null | grep -q COMPLETE; then
  say "ERROR: backup $BACKUP_ID of milvus is missing or incomplete (no $src/COMPLETE): nothing restored." >&2
  say "Complete backups in ${PRIMARY_REMOTE}:$DEST:" >&2
  complete_ids "${PRIMARY_REMOTE}:$DEST" | tail -n 20 >&2
  exit 1
fi
rclone copyto "$src/MANIFEST" "$STATE/MANIFEST"
listing "$src" > "$STATE/FOUND"
if ! same "$STATE/MANIFEST" "$STATE/FOUND"; then
  say "objects missing or changed:" >&2
  grep -vxF -f "$STATE/FOUND" "$STATE/MANIFEST" | head -n 20 >&2 || true
  fail "backup $BACKUP_ID of milvus does not match its MANIFEST: nothing restored"
fi
printf '%s\\n' "$BACKUP_ID" > "$STATE/verified"
say "backup $BACKUP_ID of milvus verified: $(wc -l < "$STATE/MANIFEST" | tr -d ' ') objects match MANIFEST"
`;

/** The restore: only after the check; milvus-backup's own `get`, then `restore --rebuild_index`. */
const RESTORE_SCRIPT = `${PRELUDE}[ -s "$STATE/verified" ] || fail "the backup was not verified: nothing restored"
[ "$(cat "$STATE/verified")" = "$BACKUP_ID" ] || fail "the verified backup is not $BACKUP_ID: nothing restored"
name="backup_$BACKUP_ID"
milvus-backup get --config "$MILVUS_BACKUP_CONFIG" -n "$name" || fail "milvus-backup cannot read backup $name: nothing restored"
say "restoring Milvus from backup $BACKUP_ID ($name); indexes are rebuilt"
milvus-backup restore --config "$MILVUS_BACKUP_CONFIG" -n "$name" --rebuild_index || fail "milvus-backup restore -n $name failed: the collections it created may hold part of the data; drop them before running the restore again"
say "Milvus restored from backup $BACKUP_ID"
`;
