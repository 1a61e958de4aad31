import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ServiceMonitor, ServiceMonitorSpecEndpointsAuthorizationCredentials } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, requireSecretKeyName, SecretKeyRef } from '../src/credentials';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, httpProbe, MonitoredProps, PodSize,
  requireNodePool, requireSeparateNodes, selectorLabels, selectPods, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, ZoneSpread,
} from '../src/kubernetes';
import { Connections, NetworkPort, tcp } from '../src/network';
import { DefaultPorts } from '../src/ports';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions, requireVolumeGiB } from '../src/storage';
import { invalidProp, requireDnsLabel, requireDnsSubdomain, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';

/**
 * Qdrant's unprivileged image (UID/GID 1000, owns /qdrant, so no root chown init container),
 * the version the official chart pins (qdrant-helm 1.19.0; components.md §2). MemOS's image
 * ships qdrant-client 1.14.3, which logs a version-compatibility warning against 1.19 and uses
 * only long-stable REST calls (collections, points, payload indexes).
 */
export const DEFAULT_QDRANT_IMAGE = 'docker.io/qdrant/qdrant:v1.19.0-unprivileged';
const QDRANT_UID = 1000;

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
}

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
 * the key {@link Qdrant.apiKey} when one is required.
 */
export class Qdrant extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_QDRANT_IMAGE;

  /** Client Service name, `<instance>-qdrant` (REST on {@link Qdrant.port}, gRPC on 6334). */
  public readonly host: string;
  /** REST port of the client Service. */
  public readonly port: number = QdrantPorts.HTTP;
  /** REST URL of the client Service, `http://<host>:6333`. */
  public readonly url: string;
  /**
   * Where clients read the read-write API key from, when Qdrant requires one.
   * @default - undefined: no key required (`apiKey: false`); connect by host and port
   */
  public readonly apiKey?: SecretKeyRef;
  /** Replication factor new collections get (`storage.collection.replication_factor`). */
  public readonly replicationFactor: number;
  /** Number of nodes. */
  public readonly replicas: number;
  /** The Qdrant nodes. */
  public readonly statefulSet: kplus.StatefulSet;
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
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
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

    const name = `${instance}-qdrant`;
    const headlessName = `${name}-headless`;
    this.host = name;
    this.url = `http://${name}:${QdrantPorts.HTTP}`;
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
      terminationGracePeriod: Duration.seconds(60),
    });
    selectPods(this.statefulSet, selector);

    const peer = (pod: string) => `http://${pod}.${headlessName}:${QdrantPorts.P2P}`;
    const start = [
      'set -eu',
      // As the official chart does: Qdrant keeps many segment files open.
      'ulimit -n "$(ulimit -Hn)" || true',
      'ordinal="${HOSTNAME##*-}"',
      `self="${peer('${HOSTNAME}')}"`,
      'if [ "$ordinal" = "0" ]; then',
      '  exec ./entrypoint.sh --uri "$self"',
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
    if (this.apiKey) {
      env.QDRANT__SERVICE__API_KEY = this.apiKey.envValue(this);
      env.QDRANT__SERVICE__READ_ONLY_API_KEY = credentials.ref(Credential.QDRANT_READ_ONLY_API_KEY).envValue(this);
    }

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
      startup: httpProbe('/livez', QdrantPorts.HTTP, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 120 }),
      readiness: httpProbe('/readyz', QdrantPorts.HTTP, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 6 }),
      liveness: httpProbe('/livez', QdrantPorts.HTTP, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 }),
      // Let the Services drop the pod before Qdrant stops.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '3']) },
    });
    container.mount('/qdrant/init', kplus.Volume.fromEmptyDir(this, 'Init', 'qdrant-init', { sizeLimit: Size.mebibytes(1) }));
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }));

    const storage: EvsVolumeOptions = props.storage ?? {};
    const dataSize = storage.size ?? Size.gibibytes(100);
    const dataGiB = requireVolumeGiB(this, 'storage.size', dataSize);
    const snapshotSize = props.snapshotStorage ?? Size.gibibytes(Math.max(10, Math.ceil(dataGiB / 2)));
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
          ...(this.apiKey ? {
            authorization: { type: 'Bearer', credentials: { name: metricsKey.secretName, key: metricsKey.key } as ServiceMonitorSpecEndpointsAuthorizationCredentials },
          } : {}),
        }],
      },
    });
  }
}
