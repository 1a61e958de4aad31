import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BackupPodOptions, RestoreJob, requireBackupId, storeBackupCronJob, toolResources } from './backup-cron-job';
import { RESTORE_STEP_PRELUDE, STORE_STEP_PRELUDE } from './backup-scripts';
import { Qdrant } from './qdrant';
import { DEFAULT_QDRANT_COLLECTION_IMAGE } from './qdrant-collection';
import { CURL_USER } from '../src/images';
import { ObsBackupTarget, ObsStorageClass, StoreBackupOptions } from '../src/backup';
import { Connections, tcp } from '../src/network';
import { SecretKeyRef } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import { invalidProp, requirePinnedImage } from '../src/validation';

const CURL_UID = CURL_USER.uid;
const CURL_GID = CURL_USER.gid;
/** Where the CA of a TLS Qdrant is mounted. */
const CA_DIR = '/etc/qdrant-ca';

/** Properties of {@link QdrantBackup}. */
export interface QdrantBackupProps extends StoreBackupOptions, ObsBackupTarget {
  /** The in-cluster Qdrant to back up. */
  readonly qdrant: Qdrant;
  /**
   * Image with curl and busybox for the snapshot API calls, pinned.
   * @default 'docker.io/curlimages/curl:8.16.0'
   */
  readonly image?: string;
}

/**
 * Daily snapshots of every collection on every Qdrant node to OBS, and the Jobs that restore them.
 *
 * In a cluster a collection snapshot holds only the shards of the node it was taken on ("you have
 * to create snapshots for each node separately", qdrant/landing_page
 * `documentation/concepts/snapshots.md`), so the backup addresses each node through the headless
 * Service (`<instance>-qdrant-<i>.<instance>-qdrant-headless`), and for each collection:
 * `POST /collections/<c>/snapshots?wait=true` (the response's `checksum` is the snapshot's SHA-256,
 * qdrant/qdrant PR #2840), download, compare the SHA-256, `DELETE` the snapshot from the node's
 * snapshot volume; then the files go to OBS as `peer-<i>/<collection>.snapshot`. The API key is
 * sent as the `api-key` header; with TLS, curl verifies the nodes with the CA.
 *
 * A restore uploads each node's snapshots back to the same node (`POST
 * /collections/<c>/snapshots/upload?priority=snapshot&checksum=<sha256>`: `priority=snapshot`
 * makes the snapshot's data win over the node's; the default `replica` would leave a fresh
 * collection empty, same page, "Snapshot priority"). It needs a Qdrant with as many nodes as the
 * backup, of the same minor version (snapshots restore only to the same minor version, same page),
 * running, with MemOS stopped (docs/backup.md).
 */
export class QdrantBackup extends Construct {
  /** Default schedule: 02:00 daily (the seed's database backups run at 02:00 and 03:00, §5.3). */
  public static readonly DEFAULT_SCHEDULE: string = '0 2 * * *';

  /** The backup CronJob (`<instance>-qdrant-backup`). */
  public readonly cronJob: kplus.CronJob;
  /** The backup and restore pods' connections: Qdrant's REST port on every node, and OBS. */
  public readonly connections: Connections;

  private readonly qdrant: Qdrant;
  private readonly image: string;
  private readonly pod: BackupPodOptions;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: QdrantBackupProps) {
    super(scope, id);
    if (!(props.qdrant instanceof Qdrant)) invalidProp(this, 'qdrant', props.qdrant, 'the in-cluster Qdrant construct');
    this.qdrant = props.qdrant;
    this.image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_QDRANT_COLLECTION_IMAGE);
    const instance = props.qdrant.instance;
    // Every node's snapshots pass through the staging disk before the upload.
    const stagingSize = Size.gibibytes(Math.ceil(props.qdrant.snapshotStorage.toGibibytes()) * props.qdrant.replicas);
    const { cronJob, pod, timeout } = storeBackupCronJob(this, props, { instance, store: 'qdrant', uid: CURL_UID, gid: CURL_GID, stagingSize },
      // About 20 s per GiB staged: snapshot, download, SHA-256 and upload (docs/backup.md, durations).
      { schedule: QdrantBackup.DEFAULT_SCHEDULE, storageClass: ObsStorageClass.STANDARD, timeout: Duration.hours(Math.max(2, Math.ceil(stagingSize.toGibibytes() * 20 / 3600))) });
    this.pod = pod;
    this.timeout = timeout;
    this.cronJob = cronJob.cronJob;
    this.connections = cronJob.connections;
    props.qdrant.connections.allowFrom(this.connections, tcp(props.qdrant.port));
    const step = cronJob.addStep({
      name: 'snapshot',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', SNAPSHOT_SCRIPT],
      envVariables: this.env(),
      resources: toolResources(Size.mebibytes(256)),
    });
    this.mountCa(this.cronJob, step);
  }

  /**
   * Adds the Job that restores backup `backupId` into this Qdrant (`<instance>-qdrant-restore-<id>`),
   * to `scope` (a chart of its own: `npm run restore` writes it to a file to apply).
   */
  public restore(scope: Construct, id: string, backupId: string): kplus.Job {
    const checked = requireBackupId(this, backupId);
    const restore = new RestoreJob(scope, id, { ...this.pod, backupId: checked, timeout: this.timeout });
    const step = restore.addStep({
      name: 'restore-snapshots',
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', RESTORE_SCRIPT],
      envVariables: this.env(),
      resources: toolResources(Size.mebibytes(256)),
    }, { last: true });
    this.mountCa(restore.job, step);
    return restore.job;
  }

  private env(): Record<string, kplus.EnvValue> {
    const q = this.qdrant;
    return {
      STATEFULSET: kplus.EnvValue.fromValue(q.statefulSet.name),
      HEADLESS: kplus.EnvValue.fromValue(q.headlessService.name),
      PEERS: kplus.EnvValue.fromValue(String(q.replicas)),
      PORT: kplus.EnvValue.fromValue(String(q.port)),
      SCHEME: kplus.EnvValue.fromValue(q.scheme),
      // One request (a snapshot, its download, a restore with wait=true) may take the whole run.
      REQUEST_TIMEOUT_SECONDS: kplus.EnvValue.fromValue(String(this.timeout.toSeconds())),
      ...(q.tls ? { QDRANT_CA_CERT: kplus.EnvValue.fromValue(`${CA_DIR}/${TlsCertificate.CA_KEY}`) } : {}),
      ...(q.apiKey instanceof SecretKeyRef ? { QDRANT_API_KEY: q.apiKey.envValue(this) } : {}),
      // The staging folder is set by the backup pod for every step.
      STAGING: kplus.EnvValue.fromValue('/backup'),
    };
  }

  private mountCa(workload: kplus.AbstractPod, container: kplus.Container): void {
    const tls = this.qdrant.tls;
    if (!tls) return;
    const id = `Ca-${workload.node.id}`;
    const volume = (this.node.tryFindChild(id) as kplus.Volume | undefined) ?? kplus.Volume.fromSecret(this, id, kplus.Secret.fromSecretName(this, `CaSecret-${workload.node.id}`, tls.secretName), {
      name: 'qdrant-ca', items: { [TlsCertificate.CA_KEY]: { path: TlsCertificate.CA_KEY } }, defaultMode: 0o444,
    });
    container.mount(CA_DIR, volume, { readOnly: true });
  }
}

/**
 * `call METHOD URL [curl args]`: sets `$status` and `$body` (`000` when unreachable); the API key
 * in the `api-key` header (never printed), the CA with TLS. POSIX sh, busybox tools.
 */
const QDRANT_CALLS = `
call() {
  method=$1; url=$2; shift 2
  if [ -n "\${QDRANT_CA_CERT:-}" ]; then set -- --cacert "$QDRANT_CA_CERT" "$@"; fi
  if [ -n "\${QDRANT_API_KEY:-}" ]; then set -- -H "api-key: $QDRANT_API_KEY" "$@"; fi
  # curl's own exit code counts: it prints the status line it got even when the body was cut
  # short (a timeout mid-download exits 28 with status 200).
  response=$(curl -sS --connect-timeout 10 --max-time "$REQUEST_TIMEOUT_SECONDS" -X "$method" -w '\\n%{http_code}' "$@" "$url") && rc=0 || rc=$?
  status=$(printf '%s\\n' "$response" | tail -n 1)
  body=$(printf '%s\\n' "$response" | sed '$d')
  if [ "$rc" != 0 ]; then status=000; body="curl failed (exit $rc) on $method $url: $body"; fi
}
peer_url() { printf '%s://%s-%s.%s:%s' "$SCHEME" "$STATEFULSET" "$1" "$HEADLESS" "$PORT"; }
field() { printf '%s' "$2" | tr -d '\\r\\n' | sed -n "s/.*\\"$1\\": *\\"\\([^\\"]*\\)\\".*/\\1/p"; }
collections() { printf '%s' "$1" | tr -d '\\r\\n' | grep -o '"name": *"[^"]*"' | sed 's/.*"\\([^"]*\\)"$/\\1/'; }
`;

/** The backup step: every node, every collection: snapshot, download, SHA-256, delete. */
const SNAPSHOT_SCRIPT = `${STORE_STEP_PRELUDE}${QDRANT_CALLS}
: > "$STAGING/data/peers.txt"
i=0
while [ "$i" -lt "$PEERS" ]; do
  base=$(peer_url "$i")
  call GET "$base/collections"
  [ "$status" = 200 ] || fail "node $i ($base) answered HTTP $status to GET /collections: $body"
  names=$(collections "$body")
  mkdir -p "$STAGING/data/peer-$i"
  printf 'peer-%s %s\\n' "$i" "$(printf '%s' "$names" | tr '\\n' ' ')" >> "$STAGING/data/peers.txt"
  for c in $names; do
    printf '%s' "$c" | grep -Eq '^[A-Za-z0-9_-]+$' || fail "collection name '$c' on node $i is not a safe file name"
    call POST "$base/collections/$c/snapshots?wait=true"
    [ "$status" = 200 ] || fail "node $i: creating a snapshot of $c failed (HTTP $status): $body"
    name=$(field name "$body"); checksum=$(field checksum "$body")
    [ -n "$name" ] || fail "node $i: no snapshot name in Qdrant's answer: $body"
    file="$STAGING/data/peer-$i/$c.snapshot"
    call GET "$base/collections/$c/snapshots/$name" -o "$file"
    [ "$status" = 200 ] || fail "node $i: downloading snapshot $name of $c failed (HTTP $status): $body"
    actual=$(sha256sum "$file" | cut -d' ' -f1)
    [ -n "$checksum" ] || fail "node $i: Qdrant reported no checksum for snapshot $name of $c (the Qdrant this backs up does): the download cannot be checked"
    [ "$actual" = "$checksum" ] || fail "node $i: snapshot $name of $c has SHA-256 $actual, Qdrant reported $checksum"
    call DELETE "$base/collections/$c/snapshots/$name?wait=true"
    [ "$status" = 200 ] || say "WARNING: node $i: deleting snapshot $name of $c failed (HTTP $status); it stays on the snapshot volume"
    say "node $i: collection $c: snapshot $name, $(wc -c < "$file" | tr -d ' ') bytes, sha256 $actual"
  done
  i=$((i + 1))
done
say "snapshots of $PEERS nodes staged"
`;

/**
 * The restore step: the backup's node count must match, every node must answer, then each
 * node's snapshots are uploaded to it with `priority=snapshot` and their SHA-256, and each
 * collection is read back.
 */
const RESTORE_SCRIPT = `${RESTORE_STEP_PRELUDE}${QDRANT_CALLS}
[ -s peers.txt ] || fail "the backup has no peers.txt: not a Qdrant backup"
backed=$(wc -l < peers.txt | tr -d ' ')
[ "$backed" = "$PEERS" ] || fail "the backup holds $backed nodes, this Qdrant has $PEERS: restore into a Qdrant of $backed nodes (each node's shards go back to the node they came from). Nothing restored."
i=0
while [ "$i" -lt "$PEERS" ]; do
  call GET "$(peer_url "$i")/collections"
  [ "$status" = 200 ] || fail "node $i ($(peer_url "$i")) answered HTTP $status: every node must be up before a restore. Nothing restored."
  i=$((i + 1))
done
i=0
while [ "$i" -lt "$PEERS" ]; do
  base=$(peer_url "$i")
  for c in $(sed -n "s/^peer-$i //p" peers.txt); do
    file="peer-$i/$c.snapshot"
    sum=$(sed -n "s|^\\([0-9a-f]\\{64\\}\\)  $file\\$|\\1|p" "$STAGING/MANIFEST")
    [ -n "$sum" ] || fail "$file is not in the MANIFEST"
    say "node $i: restoring collection $c from $file"
    call POST "$base/collections/$c/snapshots/upload?priority=snapshot&wait=true&checksum=$sum" -F "snapshot=@$file"
    [ "$status" = 200 ] || fail "node $i: restoring $c failed (HTTP $status): $body. Nodes before $i are restored, the rest are not: fix and run the restore again (it overwrites)."
    call GET "$base/collections/$c"
    [ "$status" = 200 ] || fail "node $i: collection $c is not readable after the restore (HTTP $status): $body"
    say "node $i: collection $c restored: $(field status "$body")"
  done
  i=$((i + 1))
done
say "Qdrant restored from backup $BACKUP_ID on $PEERS nodes"
`;
