import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext,
  requireSeparateNodes, selectorLabels, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, selectPods, httpProbe, tcpProbe, ZoneSpread,
  MonitoredProps, PodSize,
} from '../src/kubernetes';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE } from '../src/cce';
import { requirePodSize } from '../src/resources';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions } from '../src/storage';
import { Connections, NetworkPort, tcp } from '../src/network';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';

/** Upstream etcd (a static binary; every flag also reads `ETCD_<FLAG>` from the environment). */
const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;
/*
 * The metrics listener (`--listen-metrics-urls`, here ETCD_LISTEN_METRICS_URLS): "List of URLs to
 * listen on for the metrics and health endpoints" (etcd-io/etcd server/etcdmain/help.go, v3.5),
 * i.e. `/metrics` and `/health` without the client API. The probes already use its `/health`.
 */
const ETCD_METRICS_PORT = 2381;

export const DEFAULT_ETCD_IMAGE = 'quay.io/coreos/etcd:v3.5.17';
const ETCD_UID = 1000;
/** Size of each member's data volume when `storage.size` is not set. */
const DEFAULT_STORAGE_SIZE = Size.gibibytes(10);

/** Properties of {@link EtcdCluster}. */
export interface EtcdClusterProps extends WorkloadPlacementProps, MonitoredProps {
  /** Object name prefix, e.g. `memos-milvus-etcd`. */
  readonly name: string;
  /** `app.kubernetes.io/instance` of the pods. */
  readonly instance: string;
  /**
   * Members: 3 or 5 (an odd number keeps a majority through one or two failures).
   * @default 3
   */
  readonly members?: number;
  /**
   * Image, pinned.
   * @default EtcdCluster.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * Data volume per member; etcd wants fast disks.
   * @default - a 10Gi SSD EVS disk on `csi-disk-topology` per member
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * CPU and memory of each member (request = limit).
   * @default - 0.5 CPU requested, 1 CPU limit; 2Gi requested and limit
   */
  readonly resources?: PodSize;
  /**
   * A headless metrics Service and a ServiceMonitor on each member's `/metrics` (port 2381, in
   * `monitoringNamespace`), and a NetworkPolicy rule admitting that namespace on 2381.
   * @default false
   */
  readonly serviceMonitor?: boolean;
}

/**
 * An etcd cluster as a StatefulSet: members bootstrap statically by DNS name through a headless
 * Service, with Milvus's recommended tuning (4 GiB quota, revision compaction keeping 1000,
 * heartbeat 500 ms, election 2500 ms), an EVS volume each, `/health` probes, one member per
 * node, zone spread and a PDB keeping a majority.
 */
export class EtcdCluster extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE = DEFAULT_ETCD_IMAGE;

  /** Client endpoints, one per member: `<name>-<i>.<name>-headless:2379`. */
  public readonly endpoints: string[];
  /** The members' network connections: peers among themselves; wire clients with `etcd.connections.allowFrom(client.connections, etcd.clientPorts)`. */
  public readonly connections: Connections;
  /** The port a client connects to. */
  public readonly clientPorts: NetworkPort[] = tcp(ETCD_CLIENT_PORT);
  /** The members. */
  public readonly statefulSet: kplus.StatefulSet;
  /** The headless Service `<name>-headless` (client 2379, peer 2380) the members resolve each other through. */
  public readonly headlessService: kplus.Service;
  /** The PodDisruptionBudget keeping a majority of members up. */
  public readonly disruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** The headless Service over the members' metrics port, with `serviceMonitor`. */
  public readonly metricsService?: kplus.Service;
  /** The ServiceMonitor scraping {@link metricsService}, with `serviceMonitor`. */
  public readonly serviceMonitor?: ServiceMonitor;

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    super(scope, id);
    const name = requireDnsLabel(this, 'name', props.name, 50);
    const members = requireInteger(this, 'members', props.members ?? 3, 1, 7);
    if (members % 2 === 0) invalidProp(this, 'members', members, 'an odd number (1, 3, 5, 7): an even member adds no fault tolerance');
    const image = requirePinnedImage(this, 'image', props.image ?? EtcdCluster.DEFAULT_IMAGE);
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    requirePodSize(this, 'resources', props.resources);
    if (props.serviceMonitor !== undefined && typeof props.serviceMonitor !== 'boolean') invalidProp(this, 'serviceMonitor', props.serviceMonitor, 'true or false');
    const headlessName = `${name}-headless`;
    const selector = selectorLabels(props.instance, name);
    const labels = componentLabels(props.instance, name);
    this.connections = new Connections({ name: name.startsWith(`${props.instance}-`) ? name.slice(props.instance.length + 1) : name, selector });
    this.connections.allowInternally(tcp(ETCD_CLIENT_PORT, ETCD_PEER_PORT));
    const member = (i: number | string) => `${name}-${i}.${headlessName}`;
    this.endpoints = Array.from({ length: members }, (_, i) => `${member(i)}:2379`);

    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: headlessName, labels },
      clusterIP: 'None',
      // Members must resolve each other before they are ready to form the cluster.
      publishNotReadyAddresses: true,
      ports: [{ name: 'client', port: 2379, targetPort: 2379 }, { name: 'peer', port: 2380, targetPort: 2380 }],
    });
    selectPods(this.headlessService, selector);

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name, labels },
      service: this.headlessService,
      replicas: members,
      select: false,
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(ETCD_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(60),
    });
    selectPods(this.statefulSet, selector);

    const value = kplus.EnvValue.fromValue;
    const container = this.statefulSet.addContainer({
      name: 'etcd',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The cluster token only tells clusters apart (not a credential): a flag, so scanners do not read it as a *_TOKEN secret.
      command: ['/usr/local/bin/etcd', `--initial-cluster-token=${name}`],
      ports: [{ number: 2379, name: 'client' }, { number: 2380, name: 'peer' }, { number: ETCD_METRICS_PORT, name: 'metrics' }],
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        ETCD_NAME: value('$(POD_NAME)'),
        ETCD_DATA_DIR: value('/var/lib/etcd/data'),
        ETCD_LISTEN_CLIENT_URLS: value('http://0.0.0.0:2379'),
        ETCD_LISTEN_PEER_URLS: value('http://0.0.0.0:2380'),
        ETCD_LISTEN_METRICS_URLS: value('http://0.0.0.0:2381'),
        ETCD_ADVERTISE_CLIENT_URLS: value(`http://$(POD_NAME).${headlessName}:2379`),
        ETCD_INITIAL_ADVERTISE_PEER_URLS: value(`http://$(POD_NAME).${headlessName}:2380`),
        ETCD_INITIAL_CLUSTER: value(Array.from({ length: members }, (_, i) => `${name}-${i}=http://${member(i)}:2380`).join(',')),
        // Ignored once the data dir exists, so restarts rejoin the existing cluster.
        ETCD_INITIAL_CLUSTER_STATE: value('new'),
        ETCD_QUOTA_BACKEND_BYTES: value('4294967296'),
        ETCD_AUTO_COMPACTION_MODE: value('revision'),
        ETCD_AUTO_COMPACTION_RETENTION: value('1000'),
        ETCD_HEARTBEAT_INTERVAL: value('500'),
        ETCD_ELECTION_TIMEOUT: value('2500'),
      },
      resources: props.resources ? {
        cpu: { request: props.resources.cpu, limit: props.resources.cpu },
        memory: { request: props.resources.memory, limit: props.resources.memory },
      } : {
        cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(1) },
        memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) },
      },
      securityContext: hardenedContainerSecurityContext(ETCD_UID),
      // /health on the metrics listener reports cluster health (quorum).
      startup: httpProbe('/health', 2381, { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 }),
      readiness: httpProbe('/health', 2381, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
      // /health fails while quorum is lost: that takes a member out of the Service, it must not restart every member.
      liveness: tcpProbe(ETCD_CLIENT_PORT, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 }),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    addVolumeClaimTemplates(this.statefulSet, [{
      template: evsVolumeClaimTemplate(this, 'storage', 'data', props.storage ?? {}, DEFAULT_STORAGE_SIZE, labels),
      mountPath: '/var/lib/etcd',
    }]);
    setImagePullSecrets(this, this.statefulSet, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    requireSeparateNodes(this.statefulSet, selector);
    spreadAcrossZones(this.statefulSet, selector, zoneSpread);
    this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector });

    if (props.serviceMonitor) {
      const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
      const namespace = Chart.of(this).namespace ?? 'default';
      const metricsLabels = { ...labels, 'app.kubernetes.io/component': 'metrics' };
      this.metricsService = new kplus.Service(this, 'Metrics', {
        metadata: { name: `${name}-metrics`, labels: metricsLabels },
        clusterIP: 'None',
        ports: [{ name: 'metrics', port: ETCD_METRICS_PORT, targetPort: ETCD_METRICS_PORT }],
      });
      selectPods(this.metricsService, selector);
      // Prometheus in the monitoring namespace reaches the metrics listener only (not the client API).
      this.connections.allowFromNamespace(monitoringNamespace, tcp(ETCD_METRICS_PORT));
      this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
        metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
        spec: {
          namespaceSelector: { matchNames: [namespace] },
          selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'metrics' } },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
        },
      });
    }
  }
}
