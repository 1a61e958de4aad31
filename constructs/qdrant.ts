import { Chart, Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  ServiceMonitor, ServiceMonitorSpecEndpointsAuthorizationCredentials, ServiceMonitorSpecEndpointsScheme, ServiceMonitorSpecEndpointsTlsConfig,
} from '../imports/servicemonitor-monitoring.coreos.com';
import { applyPodOverrides } from '../src/pod-overrides';
import { configLeaves, refuseManagedKeys, requireGracePeriod, startupFailureThreshold } from '../src/engine-config';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, requireSecretKeyName, SecretKeyRef } from '../src/credentials';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, MonitoredProps, PodSize,
  requireNodePool, rollPodsOnChange, requireSeparateNodes, selectorLabels, selectPods, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, ZoneSpread,
} from '../src/kubernetes';
import { Connections, NetworkPort, tcp } from '../src/network';
import { DefaultPorts } from '../src/ports';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions, requireVolumeGiB } from '../src/storage';
import { requireTlsCertificate, TlsCertificate } from '../src/tls';
import { invalidProp, requireDnsLabel, requireDnsSubdomain, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';

/**
 * Qdrant's unprivileged image (UID/GID 1000, owns /qdrant, so no root chown init container),
 * the version the official chart pins (qdrant-helm 1.19.0; components.md §2). MemOS's image
 * ships qdrant-client 1.14.3, which logs a version-compatibility warning against 1.19 and uses
 * only long-stable REST calls (collections, points, payload indexes).
 */
export const DEFAULT_QDRANT_IMAGE = 'docker.io/qdrant/qdrant:v1.19.0-unprivileged';
const QDRANT_UID = 1000;

/**
 * Where the TLS Secret is mounted in the Qdrant container, and the file names Qdrant is pointed
 * at (Qdrant's `config/config.yaml`: `tls.cert`, `tls.key`, `tls.ca_cert` are file paths).
 */
const QDRANT_TLS_DIR = '/qdrant/tls';
/**
 * How often Qdrant re-reads the certificate files (`tls.cert_ttl`, seconds; Qdrant's
 * `config/config.yaml`: REST/HTTPS only), so a certificate cert-manager renews into the Secret
 * (the kubelet refreshes a Secret volume mounted without `subPath` within a minute or so) is
 * served without a restart. gRPC and p2p pick it up at the next restart.
 */
const QDRANT_TLS_CERT_TTL_SECONDS = 3600;

/** Qdrant's ports (each the server's own default). */
export class QdrantPorts {
  /** REST API (clients, `/metrics`, health endpoints). MemOS uses the HTTP client, not gRPC. */
  public static readonly HTTP: number = DefaultPorts.QDRANT_HTTP;
  /** gRPC API. */
  public static readonly GRPC: number = 6334;
  /** Peer-to-peer (Raft and shard transfers) between the nodes of a cluster. */
  public static readonly P2P: number = 6335;

  private constructor() {}
}

/** What a user may tune on {@link Qdrant}: everything but the instance, credentials and placement. */
export interface QdrantOptions {
  /**
   * Nodes. 1 = a single node; 3 or more = a cluster (Raft needs a majority: 2 nodes survive no
   * loss, so 2 is rejected).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Image, pinned to a tag or digest.
   * @default Qdrant.DEFAULT_IMAGE (`docker.io/qdrant/qdrant:v1.19.0-unprivileged`)
   */
  readonly image?: string;
  /**
   * CPU and memory per node (requests = limits: Guaranteed QoS, no memory overcommit).
   * @default - 2 CPU / 8Gi
   */
  readonly resources?: PodSize;
  /**
   * Data volume per node (`/qdrant/storage`): an EVS disk.
   * @default - 100Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * Snapshot volume per node (`/qdrant/snapshots`), where collection snapshots are written
   * before they are shipped off (a snapshot of a collection can be as large as its data). Same
   * storage class, disk type and encryption as `storage`.
   * @default - half the data volume, at least 10Gi
   */
  readonly snapshotStorage?: Size;
  /**
   * Require an API key (credential `QDRANT_API_KEY`; clients then connect with it, see
   * {@link Qdrant.apiKey}) and a read-only key (credential `QDRANT_READ_ONLY_API_KEY`) the
   * ServiceMonitor scrapes metrics with.
   * @default true
   */
  readonly apiKey?: boolean;
  /**
   * Replication factor new collections get (`storage.collection.replication_factor`). Clients
   * such as MemOS create their collections themselves, so this is how they become highly
   * available. At most `replicas`.
   * @default - 2 from 3 nodes up (one node may fail), else 1
   */
  readonly replicationFactor?: number;
  /**
   * Only schedule on this CCE node pool (a pool sized for database nodes).
   * @default - any node
   */
  readonly nodePool?: string;
  /**
   * With `apiKey`, the Secret key in the monitoring namespace holding the read-only key the
   * ServiceMonitor sends as a bearer token (prometheus-operator reads Secrets from its own
   * namespace, so this is a copy of the read-only key there).
   * @default - Secret `<namespace>-<instance>-qdrant-metrics`, key `QDRANT_READ_ONLY_API_KEY`
   */
  readonly metricsCredentials?: SecretKeyRef;
  /**
   * Serve TLS with this certificate: REST (6333) and gRPC (6334) (Qdrant's `service.enable_tls`)
   * and the peer-to-peer port (6335, `cluster.p2p.enable_tls`, peers verify each other against
   * `ca.crt`). The Secret (`tls.crt`, `tls.key`, `ca.crt`: what cert-manager writes) is mounted
   * read-only at `/qdrant/tls`; Qdrant re-reads the certificate hourly for HTTPS
   * (`tls.cert_ttl`), gRPC and p2p at the next restart. Peers connect to each other by pod DNS
   * name, so the certificate must name `<instance>-qdrant`, `<instance>-qdrant-headless` and
   * `*.<instance>-qdrant-headless`, plus their `.<namespace>.svc` forms (clients connect to
   * `<instance>-qdrant`). Probes switch to HTTPS, peers to `https://`, {@link Qdrant.url} to
   * `https://<instance>-qdrant:6333`; clients need `ca.crt` ({@link Qdrant.tls}).
   * @default - plain HTTP
   */
  readonly tls?: TlsCertificate;
  /**
   * With `tls`, the Secret key in the monitoring namespace holding the CA certificate the
   * ServiceMonitor verifies Qdrant with (prometheus-operator reads a `tlsConfig` Secret from the
   * ServiceMonitor's own namespace, so this is a copy of `ca.crt` there, like
   * `metricsCredentials`).
   * @default - key `ca.crt` of the `metricsCredentials` Secret (`<namespace>-<instance>-qdrant-metrics`)
   */
  readonly metricsCa?: SecretKeyRef;
  /**
   * Qdrant's log level (`log_level`).
   * @default QdrantLogLevel.INFO (Qdrant's default)
   */
  readonly logLevel?: QdrantLogLevel;
  /**
   * Further Qdrant settings, as in its `config/production.yaml` (qdrant-helm's `config`): e.g.
   * `{ storage: { optimizers: { default_segment_number: 4 }, performance: { max_search_threads: 4 } } }`.
   * Written to a ConfigMap mounted as `/qdrant/config/local.yaml`, which Qdrant merges after
   * `config.yaml` and `production.yaml` (src/settings.rs `Settings::new`); a change rolls the pods.
   * Settings the construct manages (ports, cluster, TLS, API keys, paths, replication) are
   * refused with the prop to use, and so is any credential.
   * @default - none
   */
  readonly config?: { [key: string]: any };
  /**
   * How long a node may take to start (open its collections) before the kubelet restarts it:
   * the startup probe's budget, in periods of 10 s.
   * @default Duration.minutes(20)
   */
  readonly startupBudget?: Duration;
  /**
   * Time a node has to stop cleanly (flush its WAL) after SIGTERM.
   * @default Duration.seconds(60)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Collections to recover at start-up from snapshot files on an existing volume (qdrant-helm's
   * `snapshotRestoration`): the volume is mounted read-only at `/qdrant/snapshot-restoration` and
   * Qdrant starts with `--snapshot <file>:<collection>` for each. Only for a single node, like the
   * chart: Qdrant warns against `--snapshot` in a distributed cluster (src/main.rs, `Args`); restore a
   * cluster with `npm run restore` (QdrantBackup).
   * @default - none
   */
  readonly snapshotRestoration?: QdrantSnapshotRestoration;
}

/** A snapshot file and the collection it recovers. */
export interface QdrantSnapshotFile {
  /** Path of the `.snapshot` file inside the volume, e.g. `neo4j_vec_db/neo4j_vec_db-2026-11-27.snapshot`. */
  readonly path: string;
  /** The collection it becomes, e.g. MemOS's `neo4j_vec_db`. */
  readonly collection: string;
}

/** Recovery of collections from snapshot files at Qdrant's start ({@link QdrantOptions.snapshotRestoration}). */
export interface QdrantSnapshotRestoration {
  /**
   * An existing PersistentVolumeClaim holding the snapshot files (e.g. an EVS disk created from a
   * disk snapshot, or one a Job filled from a QdrantBackup in OBS).
   */
  readonly claimName: string;
  /** The files to recover, one per collection. */
  readonly snapshots: QdrantSnapshotFile[];
  /**
   * Replace collections that already exist (`--force-snapshot`). Without it a collection that
   * exists is kept, so restarts are harmless; with it every start replaces the collection again,
   * losing what was written since: remove the prop once the node has started.
   * @default false
   */
  readonly force?: boolean;
}

/** Where the snapshot volume of {@link QdrantOptions.snapshotRestoration} is mounted (qdrant-helm's default `mountPath`). */
const QDRANT_SNAPSHOT_RESTORATION_DIR = '/qdrant/snapshot-restoration';

/** Qdrant's log levels (`log_level`). */
export enum QdrantLogLevel {
  /** Everything. */
  TRACE = 'TRACE',
  /** Debugging detail. */
  DEBUG = 'DEBUG',
  /** Qdrant's default. */
  INFO = 'INFO',
  /** Warnings and errors. */
  WARN = 'WARN',
  /** Errors only. */
  ERROR = 'ERROR',
}

/** Settings of Qdrant's configuration the construct sets itself, with the prop that sets them. */
const QDRANT_MANAGED_SETTINGS: Record<string, string> = {
  'log_level': 'logLevel',
  'service.api_key': 'apiKey and the credentials',
  'service.read_only_api_key': 'apiKey and the credentials',
  'service.host': 'the construct (0.0.0.0)',
  'service.http_port': 'the construct (6333)',
  'service.grpc_port': 'the construct (6334)',
  'service.enable_tls': 'tls',
  'tls': 'tls',
  'cluster': 'replicas (cluster mode is always on)',
  'telemetry_disabled': 'the construct (telemetry is off)',
  'storage.storage_path': 'the construct (/qdrant/storage, on the storage volume)',
  'storage.snapshots_path': 'the construct (/qdrant/snapshots, on the snapshotStorage volume)',
  'storage.collection.replication_factor': 'replicationFactor',
  'storage.collection.write_consistency_factor': 'the construct (1)',
};

/** The file Qdrant merges last (after config.yaml and `<RUN_MODE>`.yaml), before its environment. */
const QDRANT_LOCAL_CONFIG_KEY = 'local.yaml';

/** Properties of {@link Qdrant}. */
export interface QdrantProps extends QdrantOptions, WorkloadPlacementProps, MonitoredProps {
  /** Instance name (a DNS label, at most 40 characters): the client Service is `<instance>-qdrant`. */
  readonly instance: string;
  /**
   * Where the API keys are read from: credentials `QDRANT_API_KEY` and
   * `QDRANT_READ_ONLY_API_KEY` (only used with `apiKey`).
   */
  readonly credentials: Credentials;
}

/**
 * Qdrant as a StatefulSet: single node or a Raft cluster whose peers bootstrap by DNS name
 * through a headless Service that publishes not-ready addresses (pod 0 `--uri`, others
 * `--bootstrap` pod 0), an EVS volume per node for data and one for snapshots, readiness on
 * `/readyz`, liveness on `/livez`, a long startup budget for large collections, API keys from
 * the credentials Secret, telemetry off, hard anti-affinity across nodes, zone spread, a PDB,
 * hardened pods, and a ServiceMonitor.
 *
 * Clients connect to {@link Qdrant.url} (or {@link Qdrant.host} and {@link Qdrant.port}), with
 * the key {@link Qdrant.apiKey} when one is required. With `tls` every port speaks TLS: the URL
 * is `https://`, and clients verify the server with `ca.crt` of {@link Qdrant.tls}'s Secret.
 */
export class Qdrant extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_QDRANT_IMAGE;

  /** Instance name (prefix of the object names). */
  public readonly instance: string;
  /** Client Service name, `<instance>-qdrant` (REST on {@link Qdrant.port}, gRPC on 6334). */
  public readonly host: string;
  /** REST port of the client Service. */
  public readonly port: number = QdrantPorts.HTTP;
  /** REST URL of the client Service, `http://<host>:6333` (`https://` with `tls`). */
  public readonly url: string;
  /** `https` with `tls`, else `http`: the scheme of {@link Qdrant.url}, the probes and peer URIs. */
  public readonly scheme: string;
  /**
   * The certificate Qdrant serves; clients verify it with the CA in its Secret's `ca.crt`
   * ({@link TlsCertificate.CA_KEY}).
   * @default - undefined: plain HTTP
   */
  public readonly tls?: TlsCertificate;
  /**
   * Where clients read the read-write API key from, when Qdrant requires one.
   * @default - undefined: no key required (`apiKey: false`); connect by host and port
   */
  public readonly apiKey?: SecretKeyRef;
  /** Replication factor new collections get (`storage.collection.replication_factor`). */
  public readonly replicationFactor: number;
  /** Number of nodes. */
  public readonly replicas: number;
  /** Size of each node's snapshot volume (`/qdrant/snapshots`): what one node's snapshots may take. */
  public readonly snapshotStorage: Size;
  /** The Qdrant nodes. */
  public readonly statefulSet: kplus.StatefulSet;
  /** With `config`, the ConfigMap holding `local.yaml`. */
  public readonly configMap?: kplus.ConfigMap;
  /** The client Service (`<instance>-qdrant`: REST and gRPC). */
  public readonly service: kplus.Service;
  /** The headless Service peers discover each other through (`<instance>-qdrant-headless`). */
  public readonly headlessService: kplus.Service;
  /** Lets one node go at a time. */
  public readonly disruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** Scrapes `/metrics` of every node (in the monitoring namespace). */
  public readonly serviceMonitor: ServiceMonitor;
  /**
   * The nodes' network connections: peers on REST, gRPC and p2p, Prometheus on REST; wire
   * clients with `qdrant.connections.allowFrom(client.connections, qdrant.clientPorts)`.
   */
  public readonly connections: Connections;
  /** The ports a client connects to: REST (MemOS) and gRPC. */
  public readonly clientPorts: NetworkPort[] = tcp(QdrantPorts.HTTP, QdrantPorts.GRPC);

  constructor(scope: Construct, id: string, props: QdrantProps) {
    super(scope, id);
    const instance = this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const credentials = requireCredentials(this, 'credentials', props.credentials);
    const image = requirePinnedImage(this, 'image', props.image ?? Qdrant.DEFAULT_IMAGE);
    this.replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1, 100);
    if (this.replicas === 2) invalidProp(this, 'replicas', 2, '1, or 3 and more: a 2-node Raft cluster stops when either node fails');
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    const replicationFactor = this.replicationFactor = requireInteger(this, 'replicationFactor', props.replicationFactor ?? (this.replicas >= 3 ? 2 : 1), 1, this.replicas);
    const cpu = props.resources?.cpu ?? kplus.Cpu.units(2);
    const memory = props.resources?.memory ?? Size.gibibytes(8);
    const requireKey = props.apiKey ?? true;
    const namespace = Chart.of(this).namespace ?? 'default';
    if (props.tls !== undefined) this.tls = requireTlsCertificate(this, 'tls', props.tls);
    const scheme = this.scheme = this.tls ? 'https' : 'http';

    const name = `${instance}-qdrant`;
    const headlessName = `${name}-headless`;
    this.host = name;
    this.url = `${scheme}://${name}:${QdrantPorts.HTTP}`;
    if (requireKey) this.apiKey = credentials.ref(Credential.QDRANT_API_KEY);
    const selector = selectorLabels(instance, 'qdrant');
    const labels = componentLabels(instance, 'qdrant');
    this.connections = new Connections({ name: 'qdrant', selector });
    // Peers forward requests for their shards over REST/gRPC and replicate over p2p (Raft).
    this.connections.allowInternally(tcp(QdrantPorts.HTTP, QdrantPorts.GRPC, QdrantPorts.P2P));
    const ports = [
      { name: 'http', port: QdrantPorts.HTTP, targetPort: QdrantPorts.HTTP },
      { name: 'grpc', port: QdrantPorts.GRPC, targetPort: QdrantPorts.GRPC },
    ];
    this.service = new kplus.Service(this, 'Service', { metadata: { name, labels }, type: kplus.ServiceType.CLUSTER_IP, ports });
    // Peers find each other through the headless Service before they are ready.
    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: headlessName, labels: { ...labels, 'app.kubernetes.io/component': 'cluster-discovery' } },
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      ports: [...ports, { name: 'p2p', port: QdrantPorts.P2P, targetPort: QdrantPorts.P2P }],
    });
    for (const svc of [this.service, this.headlessService]) selectPods(svc, selector);

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name, labels },
      service: this.headlessService,
      replicas: this.replicas,
      select: false,
      // OrderedReady deadlocks a multi-node start: pod 0 is not ready until peers join.
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(QDRANT_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: requireGracePeriod(this, 'terminationGracePeriod', props.terminationGracePeriod ?? Duration.seconds(60), 10, 3600),
    });
    selectPods(this.statefulSet, selector);

    // With p2p TLS peers dial each other over https (qdrant-helm switches `--bootstrap` and
    // `--uri` to https:// when TLS is on); the certificate names `*.<headless>`.
    const peer = (pod: string) => `${scheme}://${pod}.${headlessName}:${QdrantPorts.P2P}`;
    const restoreArgs = this.snapshotRestorationArgs(props.snapshotRestoration);
    const start = [
      'set -eu',
      // As the official chart does: Qdrant keeps many segment files open.
      'ulimit -n "$(ulimit -Hn)" || true',
      'ordinal="${HOSTNAME##*-}"',
      `self="${peer('${HOSTNAME}')}"`,
      'if [ "$ordinal" = "0" ]; then',
      `  exec ./entrypoint.sh --uri "$self"${restoreArgs}`,
      'fi',
      `exec ./entrypoint.sh --bootstrap "${peer(`${name}-0`)}" --uri "$self"`,
    ].join('\n');

    const env: Record<string, kplus.EnvValue> = {
      // Cluster mode even for one node, like the official chart: it can grow to 3 later.
      QDRANT__CLUSTER__ENABLED: kplus.EnvValue.fromValue('true'),
      QDRANT__CLUSTER__P2P__PORT: kplus.EnvValue.fromValue(String(QdrantPorts.P2P)),
      QDRANT__TELEMETRY_DISABLED: kplus.EnvValue.fromValue('true'),
      QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR: kplus.EnvValue.fromValue(String(replicationFactor)),
      QDRANT__STORAGE__COLLECTION__WRITE_CONSISTENCY_FACTOR: kplus.EnvValue.fromValue('1'),
      QDRANT_INIT_FILE_PATH: kplus.EnvValue.fromValue('/qdrant/init/.qdrant-initialized'),
      // Restart in recovery mode after an out-of-memory kill during start-up.
      QDRANT_ALLOW_RECOVERY_MODE: kplus.EnvValue.fromValue('true'),
    };
    if (props.logLevel !== undefined) env.QDRANT__LOG_LEVEL = kplus.EnvValue.fromValue(requireEnum(this, 'logLevel', props.logLevel, QdrantLogLevel));
    if (this.apiKey) {
      env.QDRANT__SERVICE__API_KEY = this.apiKey.envValue(this);
      env.QDRANT__SERVICE__READ_ONLY_API_KEY = credentials.ref(Credential.QDRANT_READ_ONLY_API_KEY).envValue(this);
    }
    if (this.tls) {
      // Qdrant's config/config.yaml: `service.enable_tls` (REST and gRPC), `cluster.p2p.enable_tls`
      // (needs `tls.ca_cert`: peers verify each other), `tls.cert`/`tls.key`/`tls.ca_cert` file
      // paths, `tls.cert_ttl` reload period (HTTPS only).
      Object.assign(env, {
        QDRANT__SERVICE__ENABLE_TLS: kplus.EnvValue.fromValue('true'),
        QDRANT__CLUSTER__P2P__ENABLE_TLS: kplus.EnvValue.fromValue('true'),
        QDRANT__TLS__CERT: kplus.EnvValue.fromValue(`${QDRANT_TLS_DIR}/${TlsCertificate.CERTIFICATE_KEY}`),
        QDRANT__TLS__KEY: kplus.EnvValue.fromValue(`${QDRANT_TLS_DIR}/${TlsCertificate.PRIVATE_KEY_KEY}`),
        QDRANT__TLS__CA_CERT: kplus.EnvValue.fromValue(`${QDRANT_TLS_DIR}/${TlsCertificate.CA_KEY}`),
        QDRANT__TLS__CERT_TTL: kplus.EnvValue.fromValue(String(QDRANT_TLS_CERT_TTL_SECONDS)),
      });
    }
    // qdrant-helm probes with `scheme: HTTPS` when `service.enable_tls` is on (the kubelet does
    // not verify the certificate).
    const probeScheme = this.tls ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP;
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
      port: QdrantPorts.HTTP,
      scheme: probeScheme,
      periodSeconds: Duration.seconds(periodSeconds),
      timeoutSeconds: Duration.seconds(3),
      failureThreshold,
    });

    // /readyz, /livez and /healthz need no API key (components.md §2).
    const container = this.statefulSet.addContainer({
      name: 'qdrant',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/bash', '-c', start],
      ports: [
        { number: QdrantPorts.HTTP, name: 'http' },
        { number: QdrantPorts.GRPC, name: 'grpc' },
        { number: QdrantPorts.P2P, name: 'p2p' },
      ],
      envVariables: env,
      resources: { cpu: { request: cpu, limit: cpu }, memory: { request: memory, limit: memory } },
      securityContext: hardenedContainerSecurityContext(QDRANT_UID),
      // Loading large collections happens before the API answers: up to 20 minutes.
      startup: probe('/livez', 10, startupFailureThreshold(this, 'startupBudget', props.startupBudget ?? Duration.minutes(20), 10)),
      readiness: probe('/readyz', 5, 6),
      liveness: probe('/livez', 10, 6),
      // Let the Services drop the pod before Qdrant stops.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '3']) },
    });
    container.mount('/qdrant/init', kplus.Volume.fromEmptyDir(this, 'Init', 'qdrant-init', { sizeLimit: Size.mebibytes(1) }));
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }));
    if (props.snapshotRestoration !== undefined) {
      const claim = kplus.PersistentVolumeClaim.fromClaimName(this, 'SnapshotRestorationClaim', props.snapshotRestoration.claimName);
      container.mount(QDRANT_SNAPSHOT_RESTORATION_DIR, kplus.Volume.fromPersistentVolumeClaim(this, 'SnapshotRestoration', claim, { name: 'qdrant-snapshot-restoration', readOnly: true }), { readOnly: true });
    }
    if (props.config !== undefined) {
      refuseManagedKeys(this, 'config', configLeaves(this, 'config', props.config), QDRANT_MANAGED_SETTINGS);
      const file = Yaml.stringify(props.config);
      this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${name}-config`, labels }, data: { [QDRANT_LOCAL_CONFIG_KEY]: file } });
      // The image's working directory is /qdrant: Qdrant reads config/local.yaml relative to it.
      container.mount(`/qdrant/config/${QDRANT_LOCAL_CONFIG_KEY}`, kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'qdrant-config' }), {
        subPath: QDRANT_LOCAL_CONFIG_KEY, readOnly: true,
      });
      // A subPath mount never sees updates: a change of the file rolls the pods instead.
      rollPodsOnChange(this.statefulSet, 'config', file);
    }
    if (this.tls) {
      // Mounted whole (no subPath) so the kubelet refreshes renewed certificates in place. The
      // files are root-owned with group fsGroup (1000, hardenedPodSecurityContext), so 0440
      // lets Qdrant (UID/GID 1000) read the key and nobody else.
      const secret = kplus.Secret.fromSecretName(this, 'TlsSecret', this.tls.secretName);
      const items = Object.fromEntries([TlsCertificate.CERTIFICATE_KEY, TlsCertificate.PRIVATE_KEY_KEY, TlsCertificate.CA_KEY].map((key) => [key, { path: key }]));
      container.mount(QDRANT_TLS_DIR, kplus.Volume.fromSecret(this, 'Tls', secret, { name: 'qdrant-tls', items, defaultMode: 0o440 }), { readOnly: true });
    }

    const storage: EvsVolumeOptions = props.storage ?? {};
    const dataSize = storage.size ?? Size.gibibytes(100);
    const dataGiB = requireVolumeGiB(this, 'storage.size', dataSize);
    const snapshotSize = this.snapshotStorage = props.snapshotStorage ?? Size.gibibytes(Math.max(10, Math.ceil(dataGiB / 2)));
    addVolumeClaimTemplates(this.statefulSet, [
      { template: evsVolumeClaimTemplate(this, 'storage', 'qdrant-storage', storage, dataSize, labels), mountPath: '/qdrant/storage' },
      { template: evsVolumeClaimTemplate(this, 'snapshotStorage', 'qdrant-snapshots', { ...storage, size: snapshotSize }, snapshotSize, labels), mountPath: '/qdrant/snapshots' },
    ]);

    setImagePullSecrets(this, this.statefulSet, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    requireSeparateNodes(this.statefulSet, selector);
    spreadAcrossZones(this.statefulSet, selector, zoneSpread);
    if (props.nodePool !== undefined) requireNodePool(this, this.statefulSet, props.nodePool);
    this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector });

    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const metricsKey = props.metricsCredentials ?? SecretKeyRef.of(`${namespace}-${instance}-qdrant-metrics`, Credential.QDRANT_READ_ONLY_API_KEY);
    if (!(metricsKey instanceof SecretKeyRef)) invalidProp(this, 'metricsCredentials', metricsKey, "SecretKeyRef.of('<Secret in the monitoring namespace>', '<key>')");
    requireDnsSubdomain(this, 'metricsCredentials.secretName', metricsKey.secretName);
    requireSecretKeyName(this, 'metricsCredentials.key', metricsKey.key);
    let tlsConfig: ServiceMonitorSpecEndpointsTlsConfig | undefined;
    if (this.tls) {
      const ca = props.metricsCa ?? SecretKeyRef.of(metricsKey.secretName, TlsCertificate.CA_KEY);
      if (!(ca instanceof SecretKeyRef)) invalidProp(this, 'metricsCa', ca, "SecretKeyRef.of('<Secret in the monitoring namespace>', 'ca.crt')");
      requireDnsSubdomain(this, 'metricsCa.secretName', ca.secretName);
      requireSecretKeyName(this, 'metricsCa.key', ca.key);
      // Prometheus scrapes pod IPs: verify the certificate against the Service name it carries.
      tlsConfig = { ca: { secret: { name: ca.secretName, key: ca.key } }, serverName: name };
    }
    this.connections.allowFromNamespace(monitoringNamespace, tcp(QdrantPorts.HTTP));
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'cluster-discovery' } },
        endpoints: [{
          port: 'http',
          path: '/metrics',
          interval: '30s',
          scrapeTimeout: '10s',
          honorLabels: true,
          ...(tlsConfig ? { scheme: ServiceMonitorSpecEndpointsScheme.HTTPS, tlsConfig } : {}),
          ...(this.apiKey ? {
            authorization: { type: 'Bearer', credentials: { name: metricsKey.secretName, key: metricsKey.key } as ServiceMonitorSpecEndpointsAuthorizationCredentials },
          } : {}),
        }],
      },
    });
    applyPodOverrides(this, 'pod', this.statefulSet, props.pod);
  }

  /** The `--snapshot` arguments of {@link QdrantOptions.snapshotRestoration} for node 0, after checking it. */
  private snapshotRestorationArgs(restoration: QdrantSnapshotRestoration | undefined): string {
    if (restoration === undefined) return '';
    if (this.replicas !== 1) {
      invalidProp(this, 'snapshotRestoration', restoration.claimName, 'a single node (replicas 1): Qdrant recovers --snapshot files only outside a distributed cluster; restore a cluster with npm run restore (QdrantBackup)');
    }
    requireDnsSubdomain(this, 'snapshotRestoration.claimName', restoration.claimName);
    if (!Array.isArray(restoration.snapshots) || restoration.snapshots.length === 0) {
      invalidProp(this, 'snapshotRestoration.snapshots', restoration.snapshots, 'at least one { path, collection }');
    }
    const collections = new Set<string>();
    const args = restoration.snapshots.map((snapshot, i) => {
      const at = `snapshotRestoration.snapshots[${i}]`;
      if (typeof snapshot.path !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(snapshot.path) || snapshot.path.split('/').some((p) => p === '..' || p === '.')) {
        invalidProp(this, `${at}.path`, snapshot.path, "a relative path in the volume of letters, digits, '.', '_', '-' and '/', without '..'");
      }
      if (typeof snapshot.collection !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(snapshot.collection)) {
        invalidProp(this, `${at}.collection`, snapshot.collection, "a collection name of letters, digits, '_' and '-'");
      }
      if (collections.has(snapshot.collection)) invalidProp(this, `${at}.collection`, snapshot.collection, 'each collection once');
      collections.add(snapshot.collection);
      return ` --snapshot '${QDRANT_SNAPSHOT_RESTORATION_DIR}/${snapshot.path}:${snapshot.collection}'`;
    });
    return `${args.join('')}${restoration.force ? ' --force-snapshot' : ''}`;
  }
}
