import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MemosConfig } from './memos-config';
import { InClusterEndpoints, ServicePorts } from '../src/endpoints';
import { ServiceMonitor, ServiceMonitorSpecEndpointsAuthorizationCredentials } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, requireNodePool,
  requireSeparateNodes, selectorLabels, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, MonitoredProps, selectPods, PodSize, httpProbe,
} from '../src/kubernetes';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions, requireVolumeGiB } from '../src/storage';
import { invalidProp, requireDnsLabel, requireInteger, requireOneOf, requirePinnedImage } from '../src/validation';

/**
 * Qdrant's unprivileged image (UID/GID 1000, owns /qdrant, so no root chown init container),
 * the version the official chart pins (qdrant-helm 1.19.0; components.md §2). MemOS's image
 * ships qdrant-client 1.14.3, which logs a version-compatibility warning against 1.19 and uses
 * only long-stable REST calls (collections, points, payload indexes).
 */
export const DEFAULT_QDRANT_IMAGE = 'docker.io/qdrant/qdrant:v1.19.0-unprivileged';
const QDRANT_UID = 1000;
export const QdrantPorts = { HTTP: ServicePorts.QDRANT_HTTP, GRPC: 6334, P2P: 6335 } as const;

/** Properties of {@link Qdrant}. */
export interface QdrantProps extends WorkloadPlacementProps, MonitoredProps {
  /** Instance name: the client Service is `<instance>-qdrant`. */
  readonly instance: string;
  /** MemOS configuration: the API keys are its Secret's `QDRANT_API_KEY` and `QDRANT_READ_ONLY_API_KEY`. */
  readonly config: MemosConfig;
  /**
   * Nodes. 1 = a single node; 3 or more = a cluster (Raft needs a majority: 2 nodes survive no loss).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Image, pinned.
   * @default DEFAULT_QDRANT_IMAGE
   */
  readonly image?: string;
  /**
   * CPU and memory per node (requests = limits: Guaranteed QoS, no memory overcommit).
   * @default - 2 CPU / 8Gi (seed §4.1 small)
   */
  readonly resources?: PodSize;
  /**
   * Data volume per node (`/qdrant/storage`).
   * @default - 100Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: Partial<EvsVolumeOptions>;
  /**
   * Snapshot volume per node (`/qdrant/snapshots`), where collection snapshots are written
   * before they are shipped off (a snapshot of a collection can be as large as its data).
   * @default - half the data volume (at least 10Gi), same class and disk type
   */
  readonly snapshotStorage?: Size;
  /**
   * Require an API key (`QDRANT_API_KEY` in the Secret; MemOS gets `QDRANT_URL` + the key) and a
   * read-only key (`QDRANT_READ_ONLY_API_KEY`) for metrics.
   * @default true
   */
  readonly apiKey?: boolean;
  /**
   * Replication factor new collections get (`storage.collection.replication_factor`): MemOS
   * creates its collection itself, so this is how it becomes highly available.
   * @default - 2 from 3 nodes up (one node may fail), else 1
   */
  readonly replicationFactor?: number;
  /**
   * Only schedule on this CCE node pool (a pool sized for the seed's database nodes).
   * @default - any node
   */
  readonly nodePool?: string;
  /**
   * With `apiKey`, the Secret in the monitoring namespace holding the read-only key the
   * ServiceMonitor sends as a bearer token (prometheus-operator reads it from its own namespace).
   * @default - `<namespace>-<instance>-qdrant-metrics`, key `QDRANT_READ_ONLY_API_KEY`
   */
  readonly metricsCredentials?: { readonly name: string; readonly key: string };
}

/**
 * Qdrant as a StatefulSet: single node or a Raft cluster whose peers bootstrap by DNS name
 * through a headless Service that publishes not-ready addresses (pod 0 `--uri`, others
 * `--bootstrap` pod 0), an EVS volume per node for data and one for snapshots, readiness on
 * `/readyz`, liveness on `/livez`, a long startup budget for large collections, API keys from
 * the Secret, telemetry off, hard anti-affinity across nodes, zone spread, a PDB, hardened pods,
 * and a ServiceMonitor.
 */
export class Qdrant extends Construct {
  /** Client Service name (REST 6333, gRPC 6334). */
  public readonly host: string;
  public readonly port = QdrantPorts.HTTP;
  /** MemOS must use `QDRANT_URL` + `QDRANT_API_KEY`. */
  public readonly apiKey: boolean;
  public readonly statefulSet: kplus.StatefulSet;
  public readonly replicas: number;

  constructor(scope: Construct, id: string, props: QdrantProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_QDRANT_IMAGE);
    this.replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1, 100);
    if (this.replicas === 2) invalidProp(this, 'replicas', 2, '1, or 3 and more: a 2-node Raft cluster stops when either node fails');
    const zoneSpread = requireOneOf(this, 'zoneSpread', props.zoneSpread ?? 'required', ['required', 'preferred'] as const);
    const replicationFactor = requireInteger(this, 'replicationFactor', props.replicationFactor ?? (this.replicas >= 3 ? 2 : 1), 1, this.replicas);
    const cpu = props.resources?.cpu ?? kplus.Cpu.units(2);
    const memory = props.resources?.memory ?? Size.gibibytes(8);
    this.apiKey = props.apiKey ?? true;
    const namespace = Chart.of(this).namespace ?? 'default';

    const name = InClusterEndpoints.qdrantHost(instance);
    const headlessName = `${name}-headless`;
    this.host = name;
    const selector = selectorLabels(instance, 'qdrant');
    const labels = componentLabels(instance, 'qdrant');
    const ports = [
      { name: 'http', port: QdrantPorts.HTTP, targetPort: QdrantPorts.HTTP },
      { name: 'grpc', port: QdrantPorts.GRPC, targetPort: QdrantPorts.GRPC },
    ];
    const client = new kplus.Service(this, 'Service', { metadata: { name, labels }, type: kplus.ServiceType.CLUSTER_IP, ports });
    // Peers find each other through the headless Service before they are ready.
    const headless = new kplus.Service(this, 'Headless', {
      metadata: { name: headlessName, labels: { ...labels, 'app.kubernetes.io/component': 'cluster-discovery' } },
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      ports: [...ports, { name: 'p2p', port: QdrantPorts.P2P, targetPort: QdrantPorts.P2P }],
    });
    for (const svc of [client, headless]) selectPods(svc, selector);

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name, labels },
      service: headless,
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
      env.QDRANT__SERVICE__API_KEY = props.config.secretValue('QDRANT_API_KEY');
      env.QDRANT__SERVICE__READ_ONLY_API_KEY = props.config.secretKey('QDRANT_READ_ONLY_API_KEY');
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

    const storage = { size: Size.gibibytes(100), ...props.storage };
    const dataGiB = requireVolumeGiB(this, 'storage.size', storage.size);
    const snapshotSize = props.snapshotStorage ?? Size.gibibytes(Math.max(10, Math.ceil(dataGiB / 2)));
    addVolumeClaimTemplates(this.statefulSet, [
      { template: evsVolumeClaimTemplate(this, 'storage', 'qdrant-storage', storage, labels), mountPath: '/qdrant/storage' },
      { template: evsVolumeClaimTemplate(this, 'snapshotStorage', 'qdrant-snapshots', { ...storage, size: snapshotSize }, labels), mountPath: '/qdrant/snapshots' },
    ]);

    setImagePullSecrets(this, this.statefulSet, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    requireSeparateNodes(this.statefulSet, selector);
    spreadAcrossZones(this.statefulSet, selector, zoneSpread);
    if (props.nodePool !== undefined) requireNodePool(this, this.statefulSet, props.nodePool);
    addDisruptionBudget(this, 'Budget', { name, labels, selector });

    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const credentials = props.metricsCredentials ?? { name: `${namespace}-${instance}-qdrant-metrics`, key: 'QDRANT_READ_ONLY_API_KEY' };
    requireDnsLabel(this, 'metricsCredentials.name', credentials.name, 253);
    new ServiceMonitor(this, 'ServiceMonitor', {
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
            authorization: { type: 'Bearer', credentials: { name: credentials.name, key: credentials.key } as ServiceMonitorSpecEndpointsAuthorizationCredentials },
          } : {}),
        }],
      },
    });
  }
}
