import { ApiObject, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  BackupPodOptions, destination, rcloneEnv, requestLittle, RestoreJob, requireBackupId, storeBackupCronJob, tmpVolume, toolResources,
} from './backup-cron-job';
import { PRIMARY_REMOTE, RESTORE_STEP_PRELUDE, STAGING_DIR, STORE_STEP_PRELUDE } from './backup-scripts';
import { Neo4j, Neo4jEdition, Neo4jLicenseAgreement, Neo4jPorts } from './neo4j';
import { CURL_IMAGE } from '../src/images';
import { ObsBackupTarget, ObsStorageClass, StoreBackupOptions } from '../src/backup';
import {
  CHECKOV_SKIP, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setPodSeccompRuntimeDefault,
} from '../src/kubernetes';
import { Connections, tcp } from '../src/network';
import { TlsCertificate } from '../src/tls';
import { invalidProp, requirePinnedImage } from '../src/validation';

/** curl with busybox, for the Kubernetes API calls of the Community backup (curlimages/curl: Alpine). */
export const DEFAULT_NEO4J_BACKUP_CURL_IMAGE = CURL_IMAGE;

/** The image's NEO4J_HOME: `bin/neo4j-admin` and `bin/cypher-shell` (neo4j/docker-neo4j Dockerfile). */
const NEO4J_HOME = '/var/lib/neo4j';
/** The ServiceAccount token, CA and the API as every pod sees them (Kubernetes "Accessing the API from a Pod"). */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const KUBERNETES_API = 'https://kubernetes.default.svc';
/** Where the CA of a TLS Neo4j is mounted in the restore pod. */
const CA_DIR = '/etc/neo4j-ca';
/** How long the stop step waits for the server pod to be gone: Neo4j's grace period (10 min) and 5 more. */
const STOP_WAIT = Duration.minutes(15);
/** How long the presigned URL of the artifact stays valid: every server downloads it when the database starts. */
const SEED_URL_EXPIRY = '2h';
/**
 * The key of the state ConfigMap the Community backup's stop step sets (Unix seconds) before it
 * scales the StatefulSet to 0, and its start step removes once Neo4j runs again: what the guard
 * goes by. A ConfigMap of its own, not an annotation on the StatefulSet: patching the StatefulSet
 * would let the token change its pod template (ServiceAccount, mounted Secrets).
 */
const STOPPED_FOR_BACKUP = 'stopped-for-backup';
/** How long after the backup's deadline the guard starts Neo4j a backup left stopped. */
const GUARD_MARGIN = Duration.minutes(10);
/** Neo4j database names (operations manual, "Administrative commands", naming rules) without the dots this construct does not need. */
const DATABASE_NAME = /^[a-z][a-z0-9-]{2,62}$/;

/** Properties of {@link Neo4jBackup}. */
export interface Neo4jBackupProps extends StoreBackupOptions, ObsBackupTarget {
  /** The in-cluster Neo4j to back up. */
  readonly neo4j: Neo4j;
  /**
   * The database to back up and restore (MemOS keeps its graph in the default database).
   * @default 'neo4j'
   */
  readonly database?: string;
  /**
   * Image with curl and busybox for the Kubernetes API calls of the Community backup, pinned.
   * @default 'docker.io/curlimages/curl:8.16.0'
   */
  readonly curlImage?: string;
}

/**
 * Daily backups of one Neo4j database to OBS (archive class by default, the seed's "OBS归档存储"),
 * and the Jobs that restore them. The tools come from the servers' own image and tag
 * ({@link Neo4j.image}: a `neo4j-admin` older than the store fails, neo4j/docker-neo4j#519) and
 * run as its user (7474) with the image's entrypoint bypassed.
 *
 * **Enterprise** (a cluster, or one Enterprise server): an online full backup, no downtime:
 * `neo4j-admin database backup --from=<every server's pod>:6362 --type=FULL --include-metadata=all`
 * (neo4j/docs-operations `backup-restore/online-backup.adoc`; the servers are tried in order). The
 * servers' backup listener is on 0.0.0.0:6362 for this, and the NetworkPolicies admit it from the
 * backup pods only (the backup protocol authenticates nobody: neo4j-settings.ts). The backup is
 * one artifact `data/<db>-<timestamp>.backup`.
 * A restore drops the database and seeds it again from the artifact on every server:
 * `DROP DATABASE <db> IF EXISTS WAIT`, then `CREATE DATABASE <db> TOPOLOGY <n> PRIMARIES OPTIONS
 * {existingData: 'use', seedURI: '<presigned OBS https URL>'} WAIT` (Neo4j 5.26 has no `CREATE OR
 * REPLACE ... seedURI`; `clustering/databases.adoc`, "Seed from URI"), through cypher-shell as
 * {@link Neo4j.user} (password from its Secret), and waits until `SHOW DATABASE` reports it online
 * on every allocated server. Every server downloads the artifact itself (URLConnectionSeedProvider,
 * enabled on every Enterprise server by neo4j-settings.ts), so the servers need egress to OBS
 * (443: {@link obsClients}).
 * Database-scoped privileges granted on the dropped database are not restored; users and roles
 * (the `system` database) are untouched.
 *
 * **Community** cannot back up online: `neo4j-admin database dump` "can be run only on an
 * offline Neo4j DBMS" (`backup-restore/offline-backup.adoc`). The backup pod runs on the server's
 * node (required pod affinity), mounts its data volume (ReadWriteOnce lets pods on one node share
 * it), sets `stopped-for-backup: "<Unix seconds>"` in its state ConfigMap ({@link stateConfigMap}),
 * scales the StatefulSet to 0 through the Kubernetes API (its own ServiceAccount, allowed only
 * `get`/`patch` on this StatefulSet's `scale` subresource and on the state ConfigMap, and `get` on
 * the server's pod; never on the StatefulSet itself, whose pod template the token could otherwise
 * change), waits until the pod is gone, dumps (`data/<db>.dump`, bounded by `timeout -k 30`),
 * scales back to 1 (retried, also when the dump failed), removes the mark, then uploads. The Job is never retried (`backoffLimit: 0`): a
 * retry would stop Neo4j a second time. Restarting Neo4j is a step of the backup pod, so anything
 * that kills the pod between the stop and the start (the deadline, an eviction, a node lost)
 * would leave Neo4j stopped: the {@link guard} CronJob (every 10 minutes) scales back to 1 a
 * StatefulSet at 0 replicas whose mark is older than the backup's deadline plus 10 minutes.
 * **The graph is offline every night for the stop (a clean shutdown, up to the 10-minute grace period), the dump (about the store's size at the disk's throughput) and the
 * start (JVM start and database recovery)**: MemOS's graph reads and writes fail meanwhile. If
 * Kubernetes places the restarted server on another node of the zone, it waits for the disk
 * (Multi-Attach) until the backup pod ends, i.e. also for the upload. A StatefulSet not at 1
 * replica (a restore or maintenance under way) is left alone and the run fails; the guard leaves
 * alone a StatefulSet at 0 without the mark (scaled to 0 by a person). Zero-downtime backups need
 * Enterprise.
 * A restore is for a STOPPED Neo4j (scale the StatefulSet to 0 first, back to 1 after;
 * docs/backup.md): it mounts the data volume of server 0 and runs `neo4j-admin database load
 * --overwrite-destination=true`, which refuses a database a running server holds (store lock).
 */
export class Neo4jBackup extends Construct {
  /** Default schedule: 03:00 daily (the seed's `neo4j-admin dump` runs daily at 03:00, §5.3). */
  public static readonly DEFAULT_SCHEDULE: string = '0 3 * * *';

  /** Default schedule of the Community {@link guard}: every 10 minutes. */
  public static readonly GUARD_SCHEDULE: string = '*/10 * * * *';
  /** The key of {@link stateConfigMap} (Unix seconds) marking the StatefulSet as stopped by the Community backup. */
  public static readonly STOPPED_FOR_BACKUP_KEY: string = STOPPED_FOR_BACKUP;

  /** The backup CronJob (`<instance>-neo4j-backup`). */
  public readonly cronJob: kplus.CronJob;
  /**
   * Community only: the CronJob `<instance>-neo4j-backup-guard` (every 10 minutes) that starts
   * Neo4j again when a backup left it stopped: the StatefulSet at 0 replicas and the
   * `stopped-for-backup` key of {@link stateConfigMap} older than the backup's timeout plus 10 minutes.
   * Its pods carry the backup pods' labels (so {@link connections}, the Kubernetes API, applies to
   * them) and {@link serviceAccount}; they need neither the server's node nor its disk.
   */
  public readonly guard?: kplus.CronJob;
  /**
   * The backup and restore pods' connections: Enterprise: the servers' backup port and Bolt;
   * Community: the Kubernetes API (443 and CCE's 5444, any address). OBS: see {@link obsClients}.
   */
  public readonly connections: Connections;
  /**
   * Every set of pods that reaches OBS (HTTPS, 443): the backup and restore pods, and with
   * Enterprise the Neo4j servers, which download a restore's seed themselves. Whoever renders the
   * NetworkPolicies gives each egress to OBS with the CIDRs it knows, as MemosStack does for the
   * backups' {@link connections}.
   */
  public readonly obsClients: Connections[];
  /** The database backed up. */
  public readonly database: string;
  /** The ServiceAccount the Community backup and its {@link guard} scale the StatefulSet with (Community only). */
  public readonly serviceAccount?: kplus.ServiceAccount;
  /**
   * Community only: the ConfigMap `<instance>-neo4j-backup-state`, where the backup's stop step
   * sets the key {@link Neo4jBackup.STOPPED_FOR_BACKUP_KEY} (Unix seconds) before it scales the
   * StatefulSet to 0, and its start step removes it after the scale-up; what the {@link guard}
   * goes by. Synthesized without `data`: the Jobs own it.
   */
  public readonly stateConfigMap?: kplus.ConfigMap;
  /**
   * The Role allowing {@link serviceAccount} to read and scale the StatefulSet (its `scale`
   * subresource only), to read and write {@link stateConfigMap}, and to read the server's pod
   * (Community only).
   */
  public readonly role?: kplus.k8s.KubeRole;

  private readonly neo4j: Neo4j;
  private readonly enterprise: boolean;
  private readonly pod: BackupPodOptions;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: Neo4jBackupProps) {
    super(scope, id);
    if (!(props.neo4j instanceof Neo4j)) invalidProp(this, 'neo4j', props.neo4j, 'the in-cluster Neo4j construct');
    const neo4j = this.neo4j = props.neo4j;
    const database = props.database ?? 'neo4j';
    if (typeof database !== 'string' || !DATABASE_NAME.test(database) || database.startsWith('system')) {
      invalidProp(this, 'database', database, "a Neo4j database name: 3 to 63 lowercase letters, digits and '-', starting with a letter, not 'system' (the system database is not restorable by seeding)");
    }
    this.database = database;
    this.enterprise = neo4j.edition === Neo4jEdition.ENTERPRISE;
    const curlImage = this.enterprise ? undefined : requirePinnedImage(this, 'curlImage', props.curlImage ?? DEFAULT_NEO4J_BACKUP_CURL_IMAGE);
    if (this.enterprise && props.curlImage !== undefined) invalidProp(this, 'curlImage', props.curlImage, 'nothing with Enterprise: only the Community backup calls the Kubernetes API');
    // Enterprise: the backup's temporary store next to the compressed artifact; Community: the dump.
    const stagingSize = Size.gibibytes(Math.ceil(neo4j.storageSize.toGibibytes()) * (this.enterprise ? 2 : 1));
    const { cronJob, pod, timeout } = storeBackupCronJob(this, props, { instance: neo4j.instance, store: 'neo4j', uid: Neo4j.UID, gid: Neo4j.UID, stagingSize },
      { schedule: Neo4jBackup.DEFAULT_SCHEDULE, storageClass: ObsStorageClass.COLD, timeout: Duration.hours(4) });
    this.pod = pod;
    this.timeout = timeout;
    this.cronJob = cronJob.cronJob;
    this.connections = cronJob.connections;
    // A restore's seed is downloaded by every Enterprise server from OBS.
    this.obsClients = this.enterprise ? [this.connections, neo4j.connections] : [this.connections];

    if (this.enterprise) {
      neo4j.connections.allowFrom(this.connections, tcp(Neo4jPorts.BACKUP, Neo4jPorts.BOLT));
      const step = cronJob.addStep({
        name: 'backup',
        image: neo4j.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', ENTERPRISE_BACKUP_SCRIPT],
        envVariables: {
          ...this.neo4jEnv('2g'),
          SERVERS: kplus.EnvValue.fromValue(String(neo4j.servers)),
          STATEFULSET: kplus.EnvValue.fromValue(neo4j.statefulSet.name),
          HEADLESS: kplus.EnvValue.fromValue(neo4j.headlessService.name),
          BACKUP_PORT: kplus.EnvValue.fromValue(String(Neo4jPorts.BACKUP)),
          PAGECACHE: kplus.EnvValue.fromValue('1g'),
        },
        resources: toolResources(Size.gibibytes(4)),
      });
      this.mountNeo4jScratch(cronJob, step);
    } else {
      if (timeout.toSeconds() < 3600) {
        invalidProp(this, 'timeout', timeout.toHumanString(), 'at least 1 hour with Community: the stop may take 15 minutes, and Neo4j must be started again well before the deadline kills the pod');
      }
      const state = this.stateConfigMap = new kplus.ConfigMap(this, 'State', {
        // No data here, ever: `kubectl apply` (its last-applied configuration) and Argo CD (its
        // three-way diff, or server-side apply's field ownership) then never reset or flag what
        // the backup Jobs and the guard write into it; a data field in this manifest would.
        metadata: { name: `${neo4j.instance}-neo4j-backup-state`, labels: componentLabels(neo4j.instance, 'neo4j-backup') },
      });
      const rbac = this.addScalePermissions(neo4j, state);
      this.serviceAccount = rbac.serviceAccount;
      this.role = rbac.role;
      const api = ApiObject.of(this.cronJob);
      const spec = '/spec/jobTemplate/spec/template/spec';
      api.addJsonPatch(
        // Never retried: a retry pod would stop Neo4j a second time (a second outage after an
        // upload failure), and one after a failed start could not schedule (its pod affinity
        // needs the server's pod). A run that failed is the alert's, and the guard's if Neo4j
        // was left stopped.
        JsonPatch.replace('/spec/jobTemplate/spec/backoffLimit', 0),
        JsonPatch.add(`${spec}/serviceAccountName`, rbac.serviceAccount.name),
        JsonPatch.replace(`${spec}/automountServiceAccountToken`, true),
        // On the server's node, whose disk it mounts: ReadWriteOnce lets pods of one node share it.
        JsonPatch.add(`${spec}/affinity`, {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{
              labelSelector: { matchLabels: selectorLabels(neo4j.instance, 'neo4j') },
              topologyKey: 'kubernetes.io/hostname',
            }],
          },
        }),
        JsonPatch.add(`${spec}/tolerations`, serverTolerations(neo4j)),
      );
      this.cronJob.metadata.addAnnotation(CHECKOV_SKIP, 'CKV_K8S_38=the backup scales the Neo4j StatefulSet to 0 and back through the API with this token (Role: get/patch on the scale of that StatefulSet and on the state ConfigMap of the backup)');
      const kubeEnv = {
        ...apiEnv(neo4j, state),
        POD: kplus.EnvValue.fromValue(`${neo4j.statefulSet.name}-0`),
        STAGING: kplus.EnvValue.fromValue(STAGING_DIR),
        POLL_SECONDS: kplus.EnvValue.fromValue('5'),
      };
      const curlResources = toolResources(Size.mebibytes(128));
      cronJob.addStep({
        name: 'stop',
        image: curlImage!,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', STOP_SCRIPT],
        envVariables: { ...kubeEnv, STOP_WAIT_SECONDS: kplus.EnvValue.fromValue(String(STOP_WAIT.toSeconds())) },
        resources: curlResources,
      });
      // The dump may take what is left of the deadline after the stop and the start, halved: the
      // upload needs time too, and Neo4j must be started before the deadline kills the pod.
      const dumpSeconds = Math.floor((timeout.toSeconds() - STOP_WAIT.toSeconds() - 15 * 60) / 2);
      const dump = cronJob.addStep({
        name: 'dump',
        image: neo4j.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', COMMUNITY_DUMP_SCRIPT],
        envVariables: { ...this.neo4jEnv('1g'), DUMP_TIMEOUT_SECONDS: kplus.EnvValue.fromValue(String(dumpSeconds)) },
        resources: toolResources(Size.gibibytes(2)),
      });
      const claim = kplus.PersistentVolumeClaim.fromClaimName(this, 'DataClaim', neo4j.dataClaimNames[0]);
      dump.mount(neo4j.dataDirectory, kplus.Volume.fromPersistentVolumeClaim(this, 'Data', claim, { name: 'neo4j-data' }));
      this.mountNeo4jScratch(cronJob, dump);
      cronJob.addStep({
        name: 'start',
        image: curlImage!,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', START_SCRIPT],
        // 60 tries 10 s apart: 10 minutes of an unreachable API before giving up.
        envVariables: { ...kubeEnv, START_ATTEMPTS: kplus.EnvValue.fromValue('60'), RETRY_SECONDS: kplus.EnvValue.fromValue('10') },
        resources: curlResources,
      });
      // It is scheduled beside the running server, whose requests fill the node.
      requestLittle(this.cronJob);
      this.guard = this.addGuard(neo4j, state, curlImage!, rbac.serviceAccount, timeout);
    }
  }

  /**
   * Adds the Job that restores backup `backupId` into this Neo4j (`<instance>-neo4j-restore-<id>`),
   * and what it needs, to `scope` (a chart of its own: `npm run restore` writes it to a file to
   * apply). Enterprise: into the running servers (the database is dropped and seeded again).
   * Community: into a STOPPED server: scale the StatefulSet to 0 before applying it, back to 1 after.
   * Before that, check that the ConfigMap `<instance>-neo4j-backup-state` ({@link stateConfigMap})
   * has no `stopped-for-backup` key (left only when a backup's start step failed, loudly): the
   * guard would start Neo4j during the restore.
   */
  public restore(scope: Construct, id: string, backupId: string): kplus.Job {
    const checked = requireBackupId(this, backupId);
    const restore = new RestoreJob(scope, id, { ...this.pod, backupId: checked, timeout: this.timeout });
    const neo4j = this.neo4j;
    if (this.enterprise) {
      const link = restore.addStep({
        name: 'seed-url',
        image: this.pod.rcloneImage,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', SEED_URL_SCRIPT],
        envVariables: {
          ...rcloneEnv(restore, PRIMARY_REMOTE, this.pod.location),
          DEST: kplus.EnvValue.fromValue(destination(this.pod.location, 'neo4j')),
          DATABASE: kplus.EnvValue.fromValue(this.database),
          LINK_EXPIRY: kplus.EnvValue.fromValue(SEED_URL_EXPIRY),
        },
        resources: toolResources(),
      });
      link.mount('/tmp', tmpVolume(restore));
      const primaries = Math.min(neo4j.servers, 5);
      const step = restore.addStep({
        name: 'restore-database',
        image: neo4j.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', ENTERPRISE_RESTORE_SCRIPT],
        envVariables: {
          ...this.neo4jEnv('512m'),
          NEO4J_ADDRESS: kplus.EnvValue.fromValue(neo4j.uri),
          NEO4J_USERNAME: kplus.EnvValue.fromValue(neo4j.user),
          NEO4J_PASSWORD: neo4j.password.envValue(restore),
          SERVERS: kplus.EnvValue.fromValue(String(neo4j.servers)),
          // The servers' own default (initial.dbms.default_primaries_count, neo4j-settings.ts).
          PRIMARIES: kplus.EnvValue.fromValue(String(primaries)),
          WAIT_SECONDS: kplus.EnvValue.fromValue(String(Math.max(600, this.timeout.toSeconds() - 3600))),
          POLL_SECONDS: kplus.EnvValue.fromValue('10'),
          ...(neo4j.tls ? { NEO4J_CA_CERT: kplus.EnvValue.fromValue(`${CA_DIR}/${TlsCertificate.CA_KEY}`) } : {}),
        },
        resources: toolResources(Size.gibibytes(1)),
      }, { last: true });
      step.mount('/tmp', tmpVolume(restore));
      step.mount('/logs', logsVolume(restore));
      if (neo4j.tls) {
        const secret = kplus.Secret.fromSecretName(restore, 'CaSecret', neo4j.tls.secretName);
        step.mount(CA_DIR, kplus.Volume.fromSecret(restore, 'Ca', secret, {
          name: 'neo4j-ca', items: { [TlsCertificate.CA_KEY]: { path: TlsCertificate.CA_KEY } }, defaultMode: 0o444,
        }), { readOnly: true });
      }
    } else {
      const step = restore.addStep({
        name: 'load',
        image: neo4j.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', COMMUNITY_LOAD_SCRIPT],
        envVariables: { ...this.neo4jEnv('1g'), STATEFULSET: kplus.EnvValue.fromValue(neo4j.statefulSet.name) },
        resources: toolResources(Size.gibibytes(2)),
      }, { last: true });
      const claim = kplus.PersistentVolumeClaim.fromClaimName(restore, 'DataClaim', neo4j.dataClaimNames[0]);
      step.mount(neo4j.dataDirectory, kplus.Volume.fromPersistentVolumeClaim(restore, 'Data', claim, { name: 'neo4j-data' }));
      step.mount('/tmp', tmpVolume(restore));
      step.mount('/logs', logsVolume(restore));
      ApiObject.of(restore.job).addJsonPatch(JsonPatch.add('/spec/template/spec/tolerations', serverTolerations(neo4j)));
    }
    return restore.job;
  }

  /** What every neo4j-admin and cypher-shell step gets: the image's home, the heap, the database, the licence. */
  private neo4jEnv(heap: string): Record<string, kplus.EnvValue> {
    const license = this.neo4j.licenseAgreement;
    return {
      NEO4J_HOME: kplus.EnvValue.fromValue(NEO4J_HOME),
      // neo4j-admin: "If set, HEAP_SIZE and JAVA_OPTS override all relevant settings specified in
      // the configuration file" (docs-operations tools/neo4j-admin/index.adoc).
      HEAP_SIZE: kplus.EnvValue.fromValue(heap),
      DATABASE: kplus.EnvValue.fromValue(this.database),
      STAGING: kplus.EnvValue.fromValue(STAGING_DIR),
      // As the servers have it (the entrypoint is bypassed, so nothing checks it here).
      ...(license ? { NEO4J_ACCEPT_LICENSE_AGREEMENT: kplus.EnvValue.fromValue(license === Neo4jLicenseAgreement.COMMERCIAL ? 'yes' : 'eval') } : {}),
    };
  }

  /** The JVM's /tmp and neo4j-admin's logs folder (`$NEO4J_HOME/logs` links to /logs): writable on a read-only root. */
  private mountNeo4jScratch(backupCronJob: Construct, container: kplus.Container): void {
    container.mount('/tmp', tmpVolume(backupCronJob));
    container.mount('/logs', logsVolume(this));
  }

  /**
   * The Community guard: every 10 minutes, scales back to 1 a StatefulSet a backup left stopped
   * (GUARD_SCRIPT). Hardened like the backup pods, with their labels (their NetworkPolicy: the
   * Kubernetes API) and ServiceAccount; no volume but /tmp, no placement of its own.
   */
  private addGuard(neo4j: Neo4j, state: kplus.ConfigMap, curlImage: string, serviceAccount: kplus.ServiceAccount, timeout: Duration): kplus.CronJob {
    const labels = componentLabels(neo4j.instance, 'neo4j-backup');
    const [minute, hour, day, month, weekDay] = Neo4jBackup.GUARD_SCHEDULE.split(' ');
    const guard = new kplus.CronJob(this, 'Guard', {
      metadata: { name: `${neo4j.instance}-neo4j-backup-guard`, labels },
      podMetadata: { labels },
      schedule: Cron.schedule({ minute, hour, day, month, weekDay }),
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(5),
      successfulJobsRetained: 1,
      failedJobsRetained: 1,
      activeDeadline: Duration.minutes(5),
      backoffLimit: 0,
      securityContext: hardenedPodSecurityContext(Neo4j.UID, Neo4j.UID),
      serviceAccount,
      automountServiceAccountToken: true,
      restartPolicy: kplus.RestartPolicy.NEVER,
    });
    ApiObject.of(guard).addJsonPatch(JsonPatch.add('/spec/jobTemplate/spec/template/spec/imagePullSecrets', this.pod.imagePullSecrets.map((name) => ({ name }))));
    setPodSeccompRuntimeDefault(guard);
    guard.metadata.addAnnotation(CHECKOV_SKIP, 'CKV_K8S_38=the guard reads the scale of the Neo4j StatefulSet and sets it back to 1 through the API with this token (Role: get/patch on the scale of that StatefulSet and on the state ConfigMap of the backup)');
    const container = guard.addContainer({
      name: 'guard',
      image: curlImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', GUARD_SCRIPT],
      envVariables: {
        ...apiEnv(neo4j, state),
        // The backup pod is dead by its deadline (counted from its Job's start, before the stop).
        STALE_SECONDS: kplus.EnvValue.fromValue(String(timeout.toSeconds() + GUARD_MARGIN.toSeconds())),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
      },
      securityContext: hardenedContainerSecurityContext(Neo4j.UID, Neo4j.UID),
    });
    // cdk8s-plus renders ephemeral storage in whole GiB only.
    ApiObject.of(guard).addJsonPatch(
      JsonPatch.add('/spec/jobTemplate/spec/template/spec/containers/0/resources/requests/ephemeral-storage', kplus.k8s.Quantity.fromString('16Mi')),
      JsonPatch.add('/spec/jobTemplate/spec/template/spec/containers/0/resources/limits/ephemeral-storage', kplus.k8s.Quantity.fromString('64Mi')),
    );
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'GuardTmp', 'tmp', { sizeLimit: Size.mebibytes(16) }));
    return guard;
  }

  /**
   * The ServiceAccount and Role the Community backup and its guard use, each rule for one named
   * object: the StatefulSet's scale subresource (stop, start, the guard), the state ConfigMap (the
   * stopped-for-backup mark), the server's pod (is it gone?); nothing else. Never the StatefulSet
   * itself: `patch` on it would let the token rewrite its pod template (its ServiceAccount, the
   * Secrets it mounts), a privilege escalation.
   */
  private addScalePermissions(neo4j: Neo4j, state: kplus.ConfigMap): { serviceAccount: kplus.ServiceAccount; role: kplus.k8s.KubeRole } {
    const name = `${neo4j.instance}-neo4j-backup`;
    const labels = componentLabels(neo4j.instance, 'neo4j-backup');
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, labels }, automountToken: false });
    const role = new kplus.k8s.KubeRole(this, 'Role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: [neo4j.statefulSet.name], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [state.name], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['pods'], resourceNames: [`${neo4j.statefulSet.name}-0`], verbs: ['get'] },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name }],
    });
    return { serviceAccount, role };
  }
}

/** Where the Community steps and the guard find the API, their token, the StatefulSet and the state ConfigMap. */
function apiEnv(neo4j: Neo4j, state: kplus.ConfigMap): Record<string, kplus.EnvValue> {
  return {
    KUBERNETES_API: kplus.EnvValue.fromValue(KUBERNETES_API),
    // The mounted token (`token`), CA (`ca.crt`): a folder, so tests can point it elsewhere.
    SERVICE_ACCOUNT: kplus.EnvValue.fromValue(SERVICE_ACCOUNT_DIR),
    NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
    STATEFULSET: kplus.EnvValue.fromValue(neo4j.statefulSet.name),
    STATE_CONFIGMAP: kplus.EnvValue.fromValue(state.name),
  };
}

/** The servers' tolerations as synthesized (read when the pod is rendered, so later patches count). */
function serverTolerations(neo4j: Neo4j): unknown {
  return { toJSON: () => ApiObject.of(neo4j.statefulSet).toJson().spec?.template?.spec?.tolerations ?? [] };
}

function logsVolume(scope: Construct): kplus.Volume {
  return (scope.node.tryFindChild('Logs') as kplus.Volume | undefined) ?? kplus.Volume.fromEmptyDir(scope, 'Logs', 'logs', { sizeLimit: Size.gibibytes(1) });
}

/** `neo4j-admin` and `cypher-shell` from the image's home (the image puts them on PATH too). */
const NEO4J_PATH = `export PATH="$NEO4J_HOME/bin:$PATH"
`;

/**
 * Enterprise backup: a full backup of DATABASE from the first server that answers.
 * Environment: STAGING, NEO4J_HOME, HEAP_SIZE, DATABASE, SERVERS, STATEFULSET, HEADLESS, BACKUP_PORT, PAGECACHE.
 */
const ENTERPRISE_BACKUP_SCRIPT = `${STORE_STEP_PRELUDE}${NEO4J_PATH}
from=''
i=0
while [ "$i" -lt "$SERVERS" ]; do
  from="\${from:+$from,}$STATEFULSET-$i.$HEADLESS:$BACKUP_PORT"
  i=$((i + 1))
done
rm -rf "$STAGING/work"
mkdir -p "$STAGING/work"
say "backing up database $DATABASE from $from"
neo4j-admin database backup --from="$from" --to-path="$STAGING/data" --temp-path="$STAGING/work" \\
  --type=FULL --include-metadata=all --pagecache="$PAGECACHE" "$DATABASE" \\
  || fail "neo4j-admin database backup of $DATABASE failed (see above): are the servers up, is their backup port (6362) reachable?"
rm -rf "$STAGING/work"
artifacts=$(find "$STAGING/data" -type f -name "$DATABASE-*.backup")
[ "$(printf '%s\\n' "$artifacts" | grep -c .)" = 1 ] || fail "expected one $DATABASE-<time>.backup artifact in $STAGING/data, found: $(ls "$STAGING/data")"
say "artifact $(basename "$artifacts") staged: $(wc -c < "$artifacts" | tr -d ' ') bytes"
`;

/**
 * \`api METHOD PATH [curl args]\`: a Kubernetes API call with the ServiceAccount token (read on each
 * call: it is rotated; passed to curl as a config on stdin, never on its command line) and CA;
 * sets \`$status\` and \`$body\`. curl's own exit code counts, not only the HTTP status it printed
 * (curl prints the status it received, 200, also when the answer was cut off): any curl failure
 * gives status \`000\` and a body naming curl's exit code. POSIX sh, busybox tools.
 */
const KUBE_CALLS = `
api() {
  method=$1; path=$2; shift 2
  token=$(cat "$SERVICE_ACCOUNT/token" 2>/dev/null || true)
  response=$(printf 'header = "Authorization: Bearer %s"\\n' "$token" \\
    | curl -sS -K - --cacert "$SERVICE_ACCOUNT/ca.crt" --connect-timeout 10 --max-time 60 -X "$method" -w '\\n%{http_code}' "$@" "$KUBERNETES_API$path") && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then
    status=$(printf '%s\\n' "$response" | tail -n 1)
    body=$(printf '%s\\n' "$response" | sed '$d')
  else
    status=000
    body="curl failed with exit code $rc (its message is above); the answer, if any, is not trusted"
  fi
}
scale_path="/apis/apps/v1/namespaces/$NAMESPACE/statefulsets/$STATEFULSET/scale"
state_path="/api/v1/namespaces/$NAMESPACE/configmaps/$STATE_CONFIGMAP"
# The body without whitespace (the API server pretty-prints for curl); only numbers are read from it.
flat() { printf '%s' "$body" | tr -d ' \\t\\r\\n'; }
# spec.replicas of a Scale (autoscaling/v1 omits it when 0).
replicas() {
  spec=$(flat | sed -n 's/.*"spec":{\\([^}]*\\)}.*/\\1/p')
  n=$(printf '%s' "$spec" | sed -n 's/.*"replicas":\\([0-9]*\\).*/\\1/p')
  printf '%s' "\${n:-0}"
}
scale_to() { api PATCH "$scale_path" -H 'Content-Type: application/merge-patch+json' --data "{\\"spec\\":{\\"replicas\\":$1}}"; }
# \`mark VALUE\`: sets (a quoted string) or removes (null) the key ${STOPPED_FOR_BACKUP} of the state ConfigMap.
mark() { api PATCH "$state_path" -H 'Content-Type: application/merge-patch+json' --data "{\\"data\\":{\\"${STOPPED_FOR_BACKUP}\\":$1}}"; }
unmark_hint="kubectl -n $NAMESPACE patch configmap/$STATE_CONFIGMAP --type=merge -p '{\\"data\\":{\\"${STOPPED_FOR_BACKUP}\\":null}}'"
`;

/**
 * Community, first step: mark the StatefulSet as stopped for a backup (the state ConfigMap), scale
 * it to 0 and wait until its pod is gone. Fails (exit 1) only while nothing was changed; once the
 * mark was sent it always exits 0, leaving \`scaled-down\` (the start step scales back up and
 * removes the mark) and \`stop-status\` (\`stopped\` or why not).
 * Environment: KUBERNETES_API, SERVICE_ACCOUNT, NAMESPACE, STATEFULSET, STATE_CONFIGMAP, POD, STAGING, POLL_SECONDS, STOP_WAIT_SECONDS.
 */
const STOP_SCRIPT = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
${KUBE_CALLS}
pod_path="/api/v1/namespaces/$NAMESPACE/pods/$POD"
rm -f "$STAGING/scaled-down" "$STAGING/stop-status" "$STAGING/dump-status" "$STAGING/id"
api GET "$scale_path"
[ "$status" = 200 ] || fail "reading the scale of StatefulSet $STATEFULSET failed (HTTP $status): $body. Neo4j untouched, no backup."
current=$(replicas)
[ "$current" = 1 ] || fail "StatefulSet $STATEFULSET has $current replicas, not 1 (a restore or maintenance under way?). Neo4j untouched, no backup."
stopped() { printf '%s\\n' "$1" > "$STAGING/stop-status"; say "$1"; exit 0; }
# From here on the start step scales Neo4j back to 1 and removes the mark, whatever happens (a
# mark whose answer was lost may still have been set).
: > "$STAGING/scaled-down"
# First the mark: if this pod dies once Neo4j is stopped, the guard starts it again.
say "marking StatefulSet $STATEFULSET as stopped for a backup: ${STOPPED_FOR_BACKUP} in ConfigMap $STATE_CONFIGMAP"
mark "\\"$(date +%s)\\""
[ "$status" = 200 ] || stopped "failed: marking StatefulSet $STATEFULSET (ConfigMap $STATE_CONFIGMAP) answered HTTP $status: $body. Neo4j not stopped."
say "stopping Neo4j: scaling StatefulSet $STATEFULSET to 0"
scale_to 0
[ "$status" = 200 ] || stopped "failed: scaling StatefulSet $STATEFULSET to 0 answered HTTP $status: $body"
waited=0
while :; do
  api GET "$pod_path"
  [ "$status" = 404 ] && break
  [ "$waited" -lt "$STOP_WAIT_SECONDS" ] || stopped "failed: pod $POD still there after $STOP_WAIT_SECONDS s (last answer HTTP $status)"
  sleep "$POLL_SECONDS"
  waited=$((waited + POLL_SECONDS))
done
stopped stopped
`;

/**
 * Community, second step: the dump, only when the stop step stopped Neo4j. Always exits 0 (the
 * start step must run); writes \`dump-status\`, and the backup \`id\` only on success, so the upload
 * fails with "wrote no backup id" after a failed dump. The dump may take DUMP_TIMEOUT_SECONDS,
 * then gets SIGTERM, and SIGKILL 30 s later (GNU timeout signals its whole process group: the
 * launcher and the JVM it starts).
 * Environment: STAGING, NEO4J_HOME, HEAP_SIZE, DATABASE, DUMP_TIMEOUT_SECONDS.
 */
const COMMUNITY_DUMP_SCRIPT = `set -u
say() { printf '%s\\n' "$*"; }
${NEO4J_PATH}
result() { printf '%s\\n' "$1" > "$STAGING/dump-status"; say "$1"; exit 0; }
rm -rf "$STAGING/data" "$STAGING/id" "$STAGING/dump-status"
id=$(date -u +%Y%m%dT%H%M%SZ)
stop=$(cat "$STAGING/stop-status" 2>/dev/null || echo 'the stop step did not run')
[ "$stop" = stopped ] || result "failed: Neo4j was not stopped ($stop); no dump"
mkdir -p "$STAGING/data"
say "dumping database $DATABASE"
if timeout -k 30 "$DUMP_TIMEOUT_SECONDS" neo4j-admin database dump --to-path="$STAGING/data" "$DATABASE"; then
  if [ -s "$STAGING/data/$DATABASE.dump" ]; then
    printf '%s\\n' "$id" > "$STAGING/id"
    result "ok: $DATABASE.dump, $(wc -c < "$STAGING/data/$DATABASE.dump" | tr -d ' ') bytes"
  fi
  rm -rf "$STAGING/data"
  result "failed: neo4j-admin wrote no $DATABASE.dump"
else
  code=$?
  rm -rf "$STAGING/data"
  result "failed: neo4j-admin database dump exited $code (see above; 124 or 143: longer than $DUMP_TIMEOUT_SECONDS s, 137: killed 30 s after that)"
fi
`;

/**
 * Community, third step: scale back to 1 whenever the stop step scaled down, retried; then remove
 * the mark, retried. Fails loudly when the API keeps refusing either (Neo4j is then still stopped,
 * and the guard starts it after the deadline; or it runs with a stale mark, which would let the
 * guard undo a later manual scale to 0).
 * Environment: KUBERNETES_API, SERVICE_ACCOUNT, NAMESPACE, STATEFULSET, STATE_CONFIGMAP, POD, STAGING, START_ATTEMPTS, RETRY_SECONDS.
 */
const START_SCRIPT = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
${KUBE_CALLS}
[ -e "$STAGING/scaled-down" ] || { say "Neo4j was not scaled down by this run: nothing to start"; exit 0; }
attempt=1
while :; do
  scale_to 1
  if [ "$status" = 200 ] && [ "$(replicas)" = 1 ]; then break; fi
  [ "$attempt" -lt "$START_ATTEMPTS" ] || fail "NEO4J IS STOPPED: scaling StatefulSet $STATEFULSET back to 1 failed $attempt times (last: HTTP $status: $body). Run: kubectl -n $NAMESPACE scale statefulset/$STATEFULSET --replicas=1 && $unmark_hint"
  say "scaling StatefulSet $STATEFULSET to 1 answered HTTP $status; retrying in $RETRY_SECONDS s"
  sleep "$RETRY_SECONDS"
  attempt=$((attempt + 1))
done
say "Neo4j started again: StatefulSet $STATEFULSET scaled to 1"
attempt=1
while :; do
  mark null
  [ "$status" = 200 ] && break
  [ "$attempt" -lt "$START_ATTEMPTS" ] || fail "removing the mark ${STOPPED_FOR_BACKUP} from ConfigMap $STATE_CONFIGMAP failed $attempt times (last: HTTP $status: $body). Neo4j runs, but while the mark stays the guard would start Neo4j again if anyone scaled it to 0 (a restore). Run: $unmark_hint"
  say "removing the mark answered HTTP $status; retrying in $RETRY_SECONDS s"
  sleep "$RETRY_SECONDS"
  attempt=$((attempt + 1))
done
say "dump: $(cat "$STAGING/dump-status" 2>/dev/null || echo 'no result')"
`;

/**
 * The Community guard: starts Neo4j again when the StatefulSet is at 0 replicas and the state
 * ConfigMap holds the mark, older than STALE_SECONDS (the backup's deadline and a margin: no backup
 * pod can still run): scales it to 1 through its scale subresource, conditional on the
 * resourceVersion it read there, then removes the mark, conditional on the ConfigMap's (a new
 * backup's mark is left). Anything else is left alone: no mark (scaled to 0 by a person), a fresh
 * mark (a backup under way), replicas not 0. Exits 1 when it cannot read either object or a patch
 * is refused.
 * Environment: KUBERNETES_API, SERVICE_ACCOUNT, NAMESPACE, STATEFULSET, STATE_CONFIGMAP, STALE_SECONDS.
 */
const GUARD_SCRIPT = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
${KUBE_CALLS}
# metadata.resourceVersion: the first one (it comes before annotations and managedFields, and an
# escaped copy in an annotation does not match).
version() { flat | grep -o '"resourceVersion":"[0-9]*"' | head -n 1 | sed 's/.*:"\\([0-9]*\\)"$/\\1/'; }
api GET "$state_path"
[ "$status" = 200 ] || fail "reading ConfigMap $STATE_CONFIGMAP failed (HTTP $status): $body"
# data comes after metadata: the last match is data's (managedFields name it "f:..."; an escaped
# copy in an annotation does not match).
entry=$(flat | grep -o '"${STOPPED_FOR_BACKUP}":"[^"]*"' | tail -n 1 || true)
[ -n "$entry" ] || { say "StatefulSet $STATEFULSET is not marked as stopped by a backup (ConfigMap $STATE_CONFIGMAP): nothing to do"; exit 0; }
stamp=$(printf '%s' "$entry" | sed 's/.*:"\\([^"]*\\)"$/\\1/')
case "$stamp" in ''|*[!0-9]*) fail "ConfigMap $STATE_CONFIGMAP: ${STOPPED_FOR_BACKUP} is '$stamp', not Unix seconds: left alone" ;; esac
state_version=$(version)
api GET "$scale_path"
[ "$status" = 200 ] || fail "reading the scale of StatefulSet $STATEFULSET failed (HTTP $status): $body"
current=$(replicas)
scale_version=$(version)
[ -n "$scale_version" ] && [ -n "$state_version" ] || fail "could not read the metadata.resourceVersion of the scale of StatefulSet $STATEFULSET and of ConfigMap $STATE_CONFIGMAP: left alone"
age=$(( $(date +%s) - stamp ))
if [ "$current" != 0 ]; then
  if [ "$age" -gt "$STALE_SECONDS" ]; then
    say "WARNING: StatefulSet $STATEFULSET runs ($current replicas) but ConfigMap $STATE_CONFIGMAP still holds ${STOPPED_FOR_BACKUP} from $age s ago: a backup's start step could not remove it. Remove it: $unmark_hint" >&2
  else
    say "StatefulSet $STATEFULSET at $current replicas, marked $age s ago: a backup is under way; nothing to do"
  fi
  exit 0
fi
if [ "$age" -le "$STALE_SECONDS" ]; then
  say "StatefulSet $STATEFULSET stopped by a backup $age s ago (the backup may run until $STALE_SECONDS s): nothing to do"
  exit 0
fi
say "NEO4J WAS LEFT STOPPED BY A BACKUP: StatefulSet $STATEFULSET at 0 replicas since $age s (the backup pod died before its start step). Scaling it back to 1." >&2
api PATCH "$scale_path" -H 'Content-Type: application/merge-patch+json' \\
  --data "{\\"metadata\\":{\\"resourceVersion\\":\\"$scale_version\\"},\\"spec\\":{\\"replicas\\":1}}"
if [ "$status" = 409 ]; then
  say "StatefulSet $STATEFULSET changed since it was read (HTTP 409): left to the next run" >&2
  exit 0
fi
[ "$status" = 200 ] || fail "NEO4J MAY STILL BE STOPPED: scaling StatefulSet $STATEFULSET to 1 answered HTTP $status: $body. Check, and if so run: kubectl -n $NAMESPACE scale statefulset/$STATEFULSET --replicas=1 && $unmark_hint"
say "NEO4J STARTED AGAIN by the guard: StatefulSet $STATEFULSET scaled to 1. The backup of that night failed: see its Job's logs." >&2
api PATCH "$state_path" -H 'Content-Type: application/merge-patch+json' \\
  --data "{\\"metadata\\":{\\"resourceVersion\\":\\"$state_version\\"},\\"data\\":{\\"${STOPPED_FOR_BACKUP}\\":null}}"
if [ "$status" = 409 ]; then
  say "ConfigMap $STATE_CONFIGMAP changed since it was read (HTTP 409: a new backup's mark?): its mark is left" >&2
  exit 0
fi
[ "$status" = 200 ] || fail "Neo4j runs again, but removing the mark ${STOPPED_FOR_BACKUP} from ConfigMap $STATE_CONFIGMAP answered HTTP $status: $body. While it stays, the guard would start Neo4j again if anyone scaled it to 0 (a restore). Run: $unmark_hint"
say "mark ${STOPPED_FOR_BACKUP} removed from ConfigMap $STATE_CONFIGMAP" >&2
`;

/**
 * Enterprise restore, after the download: a presigned URL of the verified artifact, for the
 * servers to seed from. Written with mode 0600 to the staging volume, never printed.
 * Environment: STAGING, BACKUP_ID, DEST, DATABASE, LINK_EXPIRY, and the rclone remote.
 */
const SEED_URL_SCRIPT = `${RESTORE_STEP_PRELUDE}
artifact=$(sed -n "s|^[0-9a-f]\\{64\\}  \\($DATABASE-[0-9T-]*\\.backup\\)\\$|\\1|p" "$STAGING/MANIFEST")
[ "$(printf '%s\\n' "$artifact" | grep -c .)" = 1 ] || fail "backup $BACKUP_ID holds no single $DATABASE-<time>.backup artifact: not an Enterprise backup of $DATABASE. Nothing restored."
[ -s "$artifact" ] || fail "$artifact was not downloaded. Nothing restored."
umask 077
url=$(rclone link --expire "$LINK_EXPIRY" "${PRIMARY_REMOTE}:$DEST/$BACKUP_ID/data/$artifact") || fail "rclone link could not presign $DEST/$BACKUP_ID/data/$artifact. Nothing restored."
case "$url" in
  https://*|http://*) ;;
  *) fail "rclone link printed no URL. Nothing restored." ;;
esac
printf '%s\\n' "$url" > "$STAGING/seed-url"
printf '%s\\n' "$artifact" > "$STAGING/seed-artifact"
say "presigned URL of $artifact written (valid $LINK_EXPIRY)"
`;

/**
 * Enterprise restore, last step: every server must be enabled and available; then DROP and CREATE
 * with the seed URL on the system database, and a wait until every allocation is online.
 * Environment: STAGING, BACKUP_ID, NEO4J_HOME, DATABASE, NEO4J_ADDRESS, NEO4J_USERNAME,
 * NEO4J_PASSWORD (read by cypher-shell), SERVERS, PRIMARIES, WAIT_SECONDS, POLL_SECONDS, optional NEO4J_CA_CERT.
 */
const ENTERPRISE_RESTORE_SCRIPT = `${RESTORE_STEP_PRELUDE}${NEO4J_PATH}
[ -s "$STAGING/seed-url" ] && [ -s "$STAGING/seed-artifact" ] || fail "no seed URL: the seed-url step did not run. Nothing restored."
url=$(cat "$STAGING/seed-url")
case "$url" in *"'"*|*'\\'*) fail "the seed URL holds a quote or backslash. Nothing restored." ;; esac
if [ -n "\${NEO4J_CA_CERT:-}" ]; then
  # Bolt over TLS: the driver trusts the JVM's trust store; one holding the servers' CA.
  rm -f /tmp/neo4j-trust.p12
  keytool -importcert -noprompt -alias neo4j-ca -file "$NEO4J_CA_CERT" -keystore /tmp/neo4j-trust.p12 -storetype PKCS12 -storepass neo4j-ca >/dev/null \\
    || fail "could not import $NEO4J_CA_CERT into a trust store. Nothing restored."
  export JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=/tmp/neo4j-trust.p12 -Djavax.net.ssl.trustStorePassword=neo4j-ca -Djavax.net.ssl.trustStoreType=PKCS12"
fi
# Statements from a file (the URL never on a command line); credentials from NEO4J_USERNAME/NEO4J_PASSWORD.
cypher() { cypher-shell -a "$NEO4J_ADDRESS" -d system --format plain --non-interactive -f "$1"; }
statement() { umask 077; printf '%s\\n' "$1" > /tmp/restore.cypher; cypher /tmp/restore.cypher; }
rows() { printf '%s\\n' "$1" | sed 1d | grep -c . || true; }

out=$(statement 'SHOW SERVERS YIELD name, state, health RETURN state, health;') || fail "cannot run SHOW SERVERS at $NEO4J_ADDRESS (see above). Nothing restored."
ready=$(printf '%s\\n' "$out" | sed 1d | grep -c '^"Enabled", "Available"$' || true)
[ "$ready" = "$SERVERS" ] || fail "$ready of $SERVERS servers are enabled and available: every server must be up before a restore. Nothing restored. SHOW SERVERS: $out"

topology=''
[ "$SERVERS" -gt 1 ] && topology=" TOPOLOGY $PRIMARIES PRIMARIES"
say "dropping database $DATABASE and seeding it from backup $BACKUP_ID ($(cat "$STAGING/seed-artifact"))"
statement "DROP DATABASE \\\`$DATABASE\\\` IF EXISTS WAIT;" || fail "DROP DATABASE $DATABASE failed (see above). Nothing restored."
statement "CREATE DATABASE \\\`$DATABASE\\\`$topology OPTIONS {existingData: 'use', seedURI: '$url'} WAIT $WAIT_SECONDS SECONDS;" >/dev/null \\
  || fail "CREATE DATABASE $DATABASE from the seed failed (see above): THE DATABASE IS DROPPED. Fix and run the restore again."
rm -f /tmp/restore.cypher

waited=0
while :; do
  out=$(statement "SHOW DATABASE \\\`$DATABASE\\\` YIELD address, currentStatus, statusMessage RETURN address, currentStatus, statusMessage;") || out=''
  online=$(printf '%s\\n' "$out" | sed 1d | grep -c '^"[^"]*", "online",' || true)
  [ "$(rows "$out")" = "$PRIMARIES" ] && [ "$online" = "$PRIMARIES" ] && break
  if printf '%s\\n' "$out" | grep -Eq '"(quarantined|dirty)"|Unable to start'; then
    fail "database $DATABASE did not start from the seed: $out. See the servers' debug.log; run the restore again."
  fi
  [ "$waited" -lt "$WAIT_SECONDS" ] || fail "database $DATABASE is online on $online of $PRIMARIES servers after $WAIT_SECONDS s: $out"
  sleep "$POLL_SECONDS"
  waited=$((waited + POLL_SECONDS))
done
say "database $DATABASE restored from backup $BACKUP_ID, online on $PRIMARIES servers"
`;

/**
 * Community restore, last step, for a stopped server: the dump replaces the database on the data
 * volume (neo4j-admin refuses a database a running server holds).
 * Environment: STAGING, BACKUP_ID, NEO4J_HOME, HEAP_SIZE, DATABASE, STATEFULSET.
 */
const COMMUNITY_LOAD_SCRIPT = `${RESTORE_STEP_PRELUDE}${NEO4J_PATH}
[ -s "$DATABASE.dump" ] || fail "backup $BACKUP_ID holds no $DATABASE.dump: not a Community backup of $DATABASE. Nothing restored."
say "loading $DATABASE.dump of backup $BACKUP_ID into database $DATABASE"
neo4j-admin database load --from-path="$STAGING/data" --overwrite-destination=true "$DATABASE" \\
  || fail "neo4j-admin database load failed (see above; 'database is in use': scale StatefulSet $STATEFULSET to 0 first)."
say "database $DATABASE restored from backup $BACKUP_ID: scale StatefulSet $STATEFULSET back to 1"
`;
