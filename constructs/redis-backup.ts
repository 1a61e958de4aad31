import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BackupPodOptions, RestoreJob, requireBackupId, storeBackupCronJob, tmpVolume, toolResources } from './backup-cron-job';
import { RESTORE_STEP_PRELUDE, STAGING_DIR, STORE_STEP_PRELUDE } from './backup-scripts';
import { RedisServer } from './redis-server';
import { ObsBackupTarget, ObsStorageClass, StoreBackupOptions } from '../src/backup';
import { Connections, tcp } from '../src/network';
import { invalidProp, requirePinnedImage } from '../src/validation';

/** The unix socket of the restore's local, network-less redis-server (on the pod's /tmp volume). */
const RESTORE_SOCKET = '/tmp/redis.sock';

/** Properties of {@link RedisBackup}. */
export interface RedisBackupProps extends StoreBackupOptions, ObsBackupTarget {
  /** The in-cluster Redis to back up. */
  readonly redis: RedisServer;
  /**
   * Image with `redis-cli`, `redis-check-rdb`, `redis-server` and busybox, pinned.
   * @default - the image the Redis server runs
   */
  readonly image?: string;
}

/**
 * Daily RDB snapshots of the in-cluster {@link RedisServer} to OBS, and the Jobs that restore them.
 *
 * The backup streams an RDB from the running server over the replication protocol
 * (`redis-cli --rdb`: `REPLCONF rdb-only 1`, then `SYNC`; no shared volume, no downtime), with the
 * password from the server's Secret in `REDISCLI_AUTH` (never on the command line), checks it with
 * `redis-check-rdb` (a corrupted dump fails the run, nothing is uploaded) and uploads it as
 * `data/dump.rdb`. The tools come from the server's own image and run as its user.
 *
 * A restore is for a STOPPED Redis: scale the StatefulSet to 0 first (docs/backup.md); the Job
 * refuses to run while the Redis Service answers. It mounts the data volume of pod 0
 * ({@link RedisServer.dataClaimName}), checks the downloaded dump with `redis-check-rdb` before it
 * touches the volume, then replaces `appendonlydir/` and `dump.rdb` with the dump. Because the
 * server runs with `appendonly yes`, a bare `dump.rdb` would be ignored (Redis 7 creates an empty
 * AOF base when `appendonlydir/` is missing), so the Job loads the dump into a local
 * `redis-server --appendonly no` on a unix socket (no network), turns AOF on (`CONFIG SET
 * appendonly yes`, which rewrites the AOF from the loaded data), waits for the rewrite and shuts it
 * down: the real server then starts from the new AOF. Scale the StatefulSet back to 1 afterwards.
 *
 * This construct is for the in-cluster Redis only. DCS (Huawei Cloud's managed Redis) has its own
 * backups: a backup policy on the console (automatic backups are kept at most 7 days), or manual
 * backups to OBS; single-node DCS instances cannot be backed up by DCS, export those with
 * `redis-cli --rdb` (DCS user guide, "Backing Up and Restoring Instances").
 */
export class RedisBackup extends Construct {
  /** Default schedule: 01:30 daily (Redis's dump is small and quick: before the other stores). */
  public static readonly DEFAULT_SCHEDULE: string = '30 1 * * *';

  /** The backup CronJob (`<instance>-redis-backup`). */
  public readonly cronJob: kplus.CronJob;
  /** The backup and restore pods' connections: the Redis port, and OBS. */
  public readonly connections: Connections;

  private readonly redis: RedisServer;
  private readonly image: string;
  private readonly pod: BackupPodOptions;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: RedisBackupProps) {
    super(scope, id);
    if (!(props.redis instanceof RedisServer)) invalidProp(this, 'redis', props.redis, 'the in-cluster RedisServer construct (for DCS use its backup policy)');
    this.redis = props.redis;
    this.image = requirePinnedImage(this, 'image', props.image ?? props.redis.image);
    // The dump is at most the data set, which is at most the container's memory; EVS disks
    // start at 10 GiB.
    const stagingSize = Size.gibibytes(Math.max(10, Math.ceil(props.redis.memory.toGibibytes({ rounding: SizeRoundingBehavior.NONE }))));
    const { cronJob, pod, timeout } = storeBackupCronJob(this, props,
      { instance: props.redis.instance, store: 'redis', uid: props.redis.user, gid: props.redis.group, stagingSize },
      { schedule: RedisBackup.DEFAULT_SCHEDULE, storageClass: ObsStorageClass.STANDARD, timeout: Duration.hours(1) });
    this.pod = pod;
    this.timeout = timeout;
    this.cronJob = cronJob.cronJob;
    this.connections = cronJob.connections;
    props.redis.connections.allowFrom(this.connections, tcp(props.redis.port));
    cronJob.addStep({
      name: 'dump',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', BACKUP_SCRIPT],
      envVariables: { ...this.env(), STAGING: kplus.EnvValue.fromValue(STAGING_DIR) },
      resources: toolResources(Size.mebibytes(256)),
    });
  }

  /**
   * Adds the Job that restores backup `backupId` into this Redis's data volume
   * (`<instance>-redis-restore-<id>`), to `scope` (a chart of its own: `npm run restore` writes
   * it to a file to apply). Scale the Redis StatefulSet to 0 before applying it, back to 1 after.
   */
  public restore(scope: Construct, id: string, backupId: string): kplus.Job {
    const checked = requireBackupId(this, backupId);
    const restore = new RestoreJob(scope, id, { ...this.pod, backupId: checked, timeout: this.timeout });
    const redis = this.redis;
    const step = restore.addStep({
      name: 'restore-dump',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', RESTORE_SCRIPT],
      envVariables: {
        ...this.env(),
        STATEFULSET: kplus.EnvValue.fromValue(redis.statefulSet.name),
        DATA: kplus.EnvValue.fromValue(redis.dataDirectory),
        SOCK: kplus.EnvValue.fromValue(RESTORE_SOCKET),
        WAIT_SECONDS: kplus.EnvValue.fromValue(String(this.timeout.toSeconds())),
      },
      // The local server holds the whole data set, as the real one does.
      resources: {
        cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(2) },
        memory: { request: redis.memory, limit: redis.memory },
        ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
      },
    }, { last: true });
    const claim = kplus.PersistentVolumeClaim.fromClaimName(restore, 'DataClaim', redis.dataClaimName);
    step.mount(redis.dataDirectory, kplus.Volume.fromPersistentVolumeClaim(restore, 'Data', claim, { name: 'redis-data' }));
    step.mount('/tmp', tmpVolume(restore));
    return restore.job;
  }

  private env(): Record<string, kplus.EnvValue> {
    return {
      REDIS_HOST: kplus.EnvValue.fromValue(this.redis.host),
      REDIS_PORT: kplus.EnvValue.fromValue(String(this.redis.port)),
      // redis-cli reads the password from REDISCLI_AUTH: never on a command line.
      REDISCLI_AUTH: this.redis.password.envValue(this),
    };
  }
}

/** `check_rdb FILE WHAT`: redis-check-rdb must exit 0 and report the file OK; its report is kept in `$report`. */
const CHECK_RDB = `
check_rdb() {
  if ! report=$(redis-check-rdb "$1" 2>&1) || ! printf '%s\\n' "$report" | grep -q 'RDB looks OK'; then
    printf '%s\\n' "$report" >&2
    fail "redis-check-rdb reports $1 corrupted: $2"
  fi
}
keys_read() { printf '%s\\n' "$report" | sed -n 's/^\\[info\\] \\([0-9]*\\) keys read$/\\1/p'; }
`;

/**
 * The backup step: an RDB streamed from the running server, checked.
 * Environment: STAGING, REDIS_HOST, REDIS_PORT, REDISCLI_AUTH.
 */
const BACKUP_SCRIPT = `${STORE_STEP_PRELUDE}${CHECK_RDB}
file="$STAGING/data/dump.rdb"
say "streaming an RDB snapshot from $REDIS_HOST:$REDIS_PORT"
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$file" || fail "redis-cli --rdb from $REDIS_HOST:$REDIS_PORT failed (see above): is Redis up, is the password right?"
[ -s "$file" ] || fail "redis-cli --rdb wrote no data to $file"
check_rdb "$file" "nothing uploaded"
say "RDB staged: $(wc -c < "$file" | tr -d ' ') bytes, $(keys_read) keys"
`;

/**
 * The restore step, for a stopped Redis: the dump is checked before the data volume is touched;
 * then the old AOF and RDB are replaced by the dump, loaded by a local server without network
 * (`--port 0`, a unix socket) with AOF off, AOF is turned on (a rewrite from the loaded data),
 * and the server is shut down once the rewrite succeeded.
 * Environment: STAGING, BACKUP_ID, REDIS_HOST, REDIS_PORT, REDISCLI_AUTH, STATEFULSET, DATA, SOCK, WAIT_SECONDS.
 */
const RESTORE_SCRIPT = `${RESTORE_STEP_PRELUDE}${CHECK_RDB}
[ -s dump.rdb ] || fail "backup $BACKUP_ID holds no dump.rdb: not a Redis backup. Nothing restored."
check_rdb "$STAGING/data/dump.rdb" "nothing restored, $DATA untouched"
expected=$(keys_read)
[ -d "$DATA" ] && [ -w "$DATA" ] || fail "$DATA is not a writable folder (the Redis data volume): nothing restored"
# The volume is ReadWriteOnce, which still lets pods on the same node share it: never under a live server.
answer=$(timeout 10 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1 || true)
case "$answer" in
  *PONG*|*LOADING*|*NOAUTH*|*WRONGPASS*|*BUSY*|*MASTERDOWN*|*ERR*)
    fail "Redis at $REDIS_HOST:$REDIS_PORT is running ($answer): scale StatefulSet $STATEFULSET to 0 first (docs/backup.md). Nothing restored." ;;
esac
# The local server has no password: redis-cli would send this one and warn.
unset REDISCLI_AUTH

say "replacing the AOF and RDB in $DATA with backup $BACKUP_ID ($expected keys)"
rm -rf "$DATA/appendonlydir" "$DATA/dump.rdb" "$DATA"/temp-*
cp dump.rdb "$DATA/dump.rdb.restoring"
mv "$DATA/dump.rdb.restoring" "$DATA/dump.rdb"

rm -f "$SOCK"
# No network, no save points (SHUTDOWN must not rewrite dump.rdb), AOF off: the data comes from dump.rdb.
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$DATA" --dbfilename dump.rdb \\
  --appendonly no --appenddirname appendonlydir --save '' --daemonize no &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
local_cli() { redis-cli -s "$SOCK" "$@"; }
field() { printf '%s\\n' "$info" | tr -d '\\r' | sed -n "s/^$1://p"; }
# Running, not exited (a child that exited stays a zombie, which kill -0 still finds, until waited for).
alive() { [ -r "/proc/$pid/stat" ] && [ "$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$pid/stat" 2>/dev/null)" != Z ]; }
waited=0
tick() {
  alive || fail "the local redis-server exited $1 (see its log above): $DATA holds the dump only; run the restore again"
  waited=$((waited + 1))
  [ "$waited" -lt "$WAIT_SECONDS" ] || fail "the local redis-server did not finish $1 within $WAIT_SECONDS s"
  sleep 1
}
while :; do
  info=$(local_cli info persistence 2>/dev/null || true)
  [ "$(field loading)" = 0 ] && break
  tick "loading the dump"
done
keys=$(local_cli dbsize | tr -d '\\r')
say "dump loaded: $keys keys (the dump holds $expected, keys that expired since the backup are dropped); turning AOF on"
[ "$(local_cli config set appendonly yes | tr -d '\\r')" = OK ] || fail "CONFIG SET appendonly yes failed"
while :; do
  info=$(local_cli info persistence 2>/dev/null || true)
  [ "$(field aof_last_bgrewrite_status)" = err ] && fail "the AOF rewrite failed (see the log above): $DATA holds the dump only; run the restore again"
  if [ "$(field aof_enabled)" = 1 ] && [ "$(field aof_rewrite_in_progress)" = 0 ] && [ "$(field aof_rewrite_scheduled)" = 0 ] \\
    && [ "$(field aof_last_bgrewrite_status)" = ok ] && [ "$(field aof_rewrites)" != 0 ]; then break; fi
  tick "rewriting the AOF"
done
reply=$(local_cli shutdown 2>&1 || true)
case "$reply" in *ERR*|*rror*) fail "SHUTDOWN of the local redis-server was refused: $reply" ;; esac
wait "$pid" || fail "the local redis-server did not shut down cleanly (see its log above)"
trap - EXIT
[ -s "$DATA/appendonlydir/appendonly.aof.manifest" ] || fail "no AOF manifest in $DATA/appendonlydir after the rewrite"
say "Redis restored from backup $BACKUP_ID: $keys keys in $DATA/appendonlydir; scale StatefulSet $STATEFULSET back to 1"
`;
