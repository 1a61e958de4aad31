import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MilvusKafka, MilvusMode, MilvusObjectStorage, MilvusTopology } from './milvus-topology';
import { EtcdCluster } from './etcd-cluster';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import {
  addDisruptionBudget, componentLabels, disableServiceLinks, hardenedContainerSecurityContext, hardenedPodSecurityContext, PodWorkload,
  requireSeparateNodes, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, WorkloadPlacementProps, MonitoredProps, selectPods, PodSize, httpProbe, tcpProbe,
} from '../src/kubernetes';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate } from '../src/storage';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requireNonEmpty, requirePinnedImage } from '../src/validation';

/** Milvus 2.6 (components.md §3: chart 5.0.19 ships v2.6.15). The image runs as root by default. */
export const DEFAULT_MILVUS_IMAGE = 'docker.io/milvusdb/milvus:v2.6.15';
/** The image has no USER (root); run as 1000 with /var/lib/milvus, /milvus/logs and /tmp writable (components.md §7.2 item 11). */
const MILVUS_UID = 1000;
/** Milvus's ports: gRPC/REST for clients, and metrics and health (`/healthz`, `/metrics`). */
export class MilvusPorts {
  /** gRPC and REST API (clients). */
  public static readonly GRPC: number = 19530;
  /** Metrics and health (`/metrics`, `/healthz`). */
  public static readonly METRICS: number = 9091;

  private constructor() {}
}
/** Volume of a standalone Milvus when `storage.size` is not set. */
const DEFAULT_STANDALONE_STORAGE_SIZE = Size.gibibytes(200);
/** Query nodes of a distributed Milvus when `queryNodes` is not set. */
const DEFAULT_QUERY_NODES = 2;

/** The user-tunable properties of {@link Milvus}. */
export interface MilvusOptions {
  /**
   * Standalone (one pod) or distributed (on OBS and Kafka).
   * @default MilvusTopology.standalone()
   */
  readonly topology?: MilvusTopology;
  /**
   * Image, pinned.
   * @default Milvus.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * CPU and memory of the standalone pod, or of each query node.
   * @default - 4 CPU / 16Gi (seed: s7.xlarge.4)
   */
  readonly resources?: PodSize;
}

/** Properties of {@link Milvus}. */
export interface MilvusProps extends MilvusOptions, WorkloadPlacementProps, MonitoredProps {
  /** Instance name: the client Service is `<instance>-milvus`. */
  readonly instance: string;
  /**
   * Where the credentials live: the root password (`MILVUS_PASSWORD`), the OBS keys
   * (`OBS_ACCESS_KEY_ID`, `OBS_SECRET_ACCESS_KEY`) and the Kafka SASL password (`KAFKA_SASL_PASSWORD`).
   */
  readonly credentials: Credentials;
}

interface Role {
  /** Component label and name suffix. */
  readonly component: string;
  /** `milvus run ...` arguments. */
  readonly args: string[];
  readonly replicas: number;
  readonly cpu: kplus.Cpu;
  readonly memory: Size;
}

/**
 * Milvus 2.6 for preference memory, with authentication on (root password from the Secret),
 * credentials only in Secrets, probes on 9091, non-root on a read-only root, PDBs, anti-affinity,
 * zone spread and a ServiceMonitor.
 *
 * - standalone: a StatefulSet (one writer on one volume) running `milvus run standalone` with
 *   embedded etcd and local storage, or OBS through its S3 API, and Woodpecker on local storage;
 * - distributed: proxy ×2, mixCoord ×2 (active-standby), queryNode ×N, dataNode ×2,
 *   streamingNode ×2, a 3-member etcd, OBS object storage and Kafka (Huawei DMS) as the queue.
 *
 * Clients connect to {@link uri} as {@link user} with the password at {@link password}.
 */
export class Milvus extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE = DEFAULT_MILVUS_IMAGE;

  /** Client Service name, `<instance>-milvus`. */
  public readonly host: string;
  /** Client port (gRPC and REST). */
  public readonly port: number = MilvusPorts.GRPC;
  /** `http://<instance>-milvus:19530`. */
  public readonly uri: string;
  /** The user clients log in as. */
  public readonly user: string = 'root';
  /** Where the user's password is read from (the root password set at first start). */
  public readonly password: SecretKeyRef;
  /** Standalone or distributed. */
  public readonly mode: MilvusMode;
  /** The workloads, by component (`standalone`; or `proxy`, `mixcoord`, `querynode`, `datanode`, `streamingnode`). */
  public readonly workloads: { [component: string]: kplus.Workload } = {};
  /** The PodDisruptionBudgets, by component. */
  public readonly disruptionBudgets: { [component: string]: kplus.k8s.KubePodDisruptionBudget } = {};
  /** The client Service (the standalone pod, or the proxies). */
  public readonly service: kplus.Service;
  /** The standalone StatefulSet's headless Service; none when distributed. */
  public readonly headlessService?: kplus.Service;
  /** The headless Service over every component's metrics port. */
  public readonly metricsService: kplus.Service;
  /** The ServiceMonitor scraping {@link metricsService}. */
  public readonly serviceMonitor: ServiceMonitor;
  /** The etcd cluster of a distributed Milvus. */
  public readonly etcd?: EtcdCluster;

  private readonly instance: string;
  private readonly image: string;
  private readonly zoneSpread: ZoneSpread;
  private readonly pullSecrets: string[];

  constructor(scope: Construct, id: string, props: MilvusProps) {
    super(scope, id);
    this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const credentials = requireCredentials(this, 'credentials', props.credentials);
    const topology = props.topology ?? MilvusTopology.standalone();
    if (!(topology instanceof MilvusTopology)) invalidProp(this, 'topology', topology, 'MilvusTopology.standalone(...) or MilvusTopology.distributed(...)');
    this.mode = topology._mode;
    this.image = requirePinnedImage(this, 'image', props.image ?? Milvus.DEFAULT_IMAGE);
    this.zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    this.pullSecrets = props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET];
    const distributed = this.mode === MilvusMode.DISTRIBUTED;
    if (distributed && !topology._objectStorage) invalidProp(this, 'topology.objectStorage', undefined, 'OBS bucket, endpoint and region: a distributed Milvus keeps its data in object storage');
    if (distributed && !topology._kafka) invalidProp(this, 'topology.kafka', undefined, 'Kafka brokers (Huawei DMS for Kafka): Woodpecker does not support OBS, and a distributed Milvus needs a shared queue');
    const cpu = props.resources?.cpu ?? kplus.Cpu.units(4);
    const memory = props.resources?.memory ?? Size.gibibytes(16);
    const name = `${this.instance}-milvus`;
    this.host = name;
    this.uri = `http://${name}:${this.port}`;
    this.password = credentials.ref(Credential.MILVUS_PASSWORD);
    const namespace = Chart.of(this).namespace ?? 'default';

    // Milvus maps environment variables onto its config keys: upper case, dots as underscores
    // (scripts/standalone_embed.sh sets ETCD_USE_EMBED, COMMON_STORAGETYPE). Everything here is
    // non-secret; credentials are secretKeyRefs.
    const env: Record<string, kplus.EnvValue> = {
      COMMON_SECURITY_AUTHORIZATIONENABLED: kplus.EnvValue.fromValue('true'),
      // The root password at first start; clients log in as root with the same Secret key.
      COMMON_SECURITY_DEFAULTROOTPASSWORD: this.password.envValue(this),
    };
    if (topology._objectStorage) Object.assign(env, this.objectStorageEnv(topology._objectStorage, credentials));
    else env.COMMON_STORAGETYPE = kplus.EnvValue.fromValue('local');

    const labels = componentLabels(this.instance, 'milvus');
    const clientSelector = { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': distributed ? 'proxy' : 'standalone' };
    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'milvus', port: MilvusPorts.GRPC, targetPort: MilvusPorts.GRPC }, { name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(this.service, clientSelector);

    if (!distributed) {
      Object.assign(env, {
        ETCD_USE_EMBED: kplus.EnvValue.fromValue('true'),
        ETCD_DATA_DIR: kplus.EnvValue.fromValue('/var/lib/milvus/etcd'),
        // Woodpecker on the local volume: it cannot use OBS as storage.
        MQ_TYPE: kplus.EnvValue.fromValue('woodpecker'),
        WOODPECKER_STORAGE_TYPE: kplus.EnvValue.fromValue('local'),
      });
      const sts = this.addComponent({ component: 'standalone', args: ['standalone'], replicas: 1, cpu, memory }, env, 'statefulset') as kplus.StatefulSet;
      this.headlessService = sts.service;
      addVolumeClaimTemplates(sts, [{
        template: evsVolumeClaimTemplate(this, 'topology.storage', 'milvus-data', topology._storage ?? {}, DEFAULT_STANDALONE_STORAGE_SIZE, labels),
        mountPath: '/var/lib/milvus',
      }]);
    } else {
      this.etcd = new EtcdCluster(this, 'Etcd', { name: `${name}-etcd`, instance: this.instance, zoneSpread: this.zoneSpread, imagePullSecrets: this.pullSecrets });
      Object.assign(env, {
        ETCD_ENDPOINTS: kplus.EnvValue.fromValue(this.etcd.endpoints.join(',')),
        MQ_TYPE: kplus.EnvValue.fromValue('kafka'),
        ...this.kafkaEnv(topology._kafka!, credentials),
        // Coordinators fail over to a standby instead of restarting cold.
        MIXCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        ROOTCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        DATACOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        QUERYCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
      });
      const queryNodes = requireInteger(this, 'topology.queryNodes', topology._queryNodes ?? DEFAULT_QUERY_NODES, 1, 100);
      const roles: Role[] = [
        { component: 'proxy', args: ['proxy'], replicas: 2, cpu: kplus.Cpu.units(2), memory: Size.gibibytes(4) },
        { component: 'mixcoord', args: ['mixture', '-rootcoord', '-querycoord', '-datacoord', '-indexcoord'], replicas: 2, cpu: kplus.Cpu.units(1), memory: Size.gibibytes(4) },
        { component: 'querynode', args: ['querynode'], replicas: queryNodes, cpu, memory },
        { component: 'datanode', args: ['datanode'], replicas: 2, cpu: kplus.Cpu.units(4), memory: Size.gibibytes(8) },
        { component: 'streamingnode', args: ['streamingnode'], replicas: 2, cpu: kplus.Cpu.units(2), memory: Size.gibibytes(4) },
      ];
      for (const role of roles) this.addComponent(role, env, 'deployment');
    }

    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    this.metricsService = new kplus.Service(this, 'Metrics', {
      metadata: { name: `${name}-metrics`, labels: { ...labels, 'app.kubernetes.io/component': 'metrics' } },
      clusterIP: 'None',
      ports: [{ name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(this.metricsService, selectorLabels(this.instance, 'milvus'));
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': 'metrics' } },
        endpoints: [{
          port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s',
          relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], targetLabel: 'component' }],
        }],
      },
    });
  }

  private addComponent(role: Role, env: Record<string, kplus.EnvValue>, kind: 'deployment' | 'statefulset'): PodWorkload {
    const name = `${this.instance}-milvus-${role.component}`;
    const selector = { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': role.component };
    const labels = { ...componentLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': role.component };
    const common = {
      metadata: { name, labels },
      select: false,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(MILVUS_UID),
      automountServiceAccountToken: false,
      // Milvus flushes and releases segments on SIGTERM.
      terminationGracePeriod: Duration.minutes(2),
    };
    let workload: PodWorkload;
    if (kind === 'statefulset') {
      const headless = new kplus.Service(this, `${role.component}-headless`, {
        metadata: { name: `${name}-headless`, labels },
        clusterIP: 'None',
        ports: [{ name: 'milvus', port: MilvusPorts.GRPC, targetPort: MilvusPorts.GRPC }],
      });
      selectPods(headless, selector);
      workload = new kplus.StatefulSet(this, role.component, { ...common, service: headless, replicas: role.replicas });
    } else {
      workload = new kplus.Deployment(this, role.component, {
        ...common,
        replicas: role.replicas,
        strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      });
    }
    selectPods(workload, selector);
    const container = workload.addContainer({
      name: role.component,
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['milvus', 'run', ...role.args],
      ports: [{ number: MilvusPorts.GRPC, name: 'milvus' }, { number: MilvusPorts.METRICS, name: 'metrics' }],
      envVariables: env,
      resources: { cpu: { request: role.cpu, limit: role.cpu }, memory: { request: role.memory, limit: role.memory } },
      securityContext: hardenedContainerSecurityContext(MILVUS_UID),
      // The chart waits 90 s before probing: give start-up 10 minutes, then /healthz.
      startup: httpProbe('/healthz', MilvusPorts.METRICS, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 }),
      readiness: httpProbe('/healthz', MilvusPorts.METRICS, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 }),
      liveness: tcpProbe(MilvusPorts.METRICS, { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 5 }),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, `${role.component}-tmp`, 'tmp', { sizeLimit: Size.gibibytes(1) }));
    container.mount('/milvus/logs', kplus.Volume.fromEmptyDir(this, `${role.component}-logs`, 'logs', { sizeLimit: Size.gibibytes(1) }));
    if (role.component === 'querynode' || role.component === 'datanode') {
      // Segment and index cache.
      container.mount('/var/lib/milvus/data', kplus.Volume.fromEmptyDir(this, `${role.component}-cache`, 'cache', { sizeLimit: Size.gibibytes(50) }));
    }
    setImagePullSecrets(this, workload, this.pullSecrets);
    disableServiceLinks(workload);
    if (role.replicas >= 2) requireSeparateNodes(workload, selector);
    spreadAcrossZones(workload, selector, this.zoneSpread);
    this.disruptionBudgets[role.component] = addDisruptionBudget(this, `${role.component}-budget`, { name, labels, selector });
    this.workloads[role.component] = workload;
    return workload;
  }

  private objectStorageEnv(storage: MilvusObjectStorage, credentials: Credentials): Record<string, kplus.EnvValue> {
    const bucket = requireNonEmpty(this, 'topology.objectStorage.bucket', storage.bucket);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) invalidProp(this, 'topology.objectStorage.bucket', bucket, 'an OBS bucket name: 3-63 lowercase letters, digits, dots and hyphens');
    const endpoint = requireNonEmpty(this, 'topology.objectStorage.endpoint', storage.endpoint);
    if (endpoint.includes('://') || endpoint.includes('/')) invalidProp(this, 'topology.objectStorage.endpoint', endpoint, "a host name such as 'obs.cn-north-4.myhuaweicloud.com' (no scheme or path)");
    const value = kplus.EnvValue.fromValue;
    return {
      COMMON_STORAGETYPE: value('remote'),
      MINIO_ADDRESS: value(endpoint),
      MINIO_PORT: value('443'),
      MINIO_USESSL: value('true'),
      MINIO_BUCKETNAME: value(bucket),
      MINIO_ROOTPATH: value(storage.rootPath ?? this.instance),
      MINIO_REGION: value(requireNonEmpty(this, 'topology.objectStorage.region', storage.region)),
      // OBS speaks S3 with virtual-hosted addressing; Milvus's "aws" provider is its generic S3 client.
      MINIO_CLOUDPROVIDER: value('aws'),
      MINIO_USEVIRTUALHOST: value('true'),
      MINIO_USEIAM: value('false'),
      MINIO_ACCESSKEYID: credentials.ref(Credential.OBS_ACCESS_KEY_ID).envValue(this),
      MINIO_SECRETACCESSKEY: credentials.ref(Credential.OBS_SECRET_ACCESS_KEY).envValue(this),
    };
  }

  private kafkaEnv(kafka: MilvusKafka, credentials: Credentials): Record<string, kplus.EnvValue> {
    const brokers = kafka.brokers ?? [];
    if (brokers.length === 0 || brokers.some((b) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b))) {
      invalidProp(this, 'topology.kafka.brokers', brokers, 'one or more host:port broker addresses');
    }
    const env: Record<string, kplus.EnvValue> = { KAFKA_BROKERLIST: kplus.EnvValue.fromValue(brokers.join(',')) };
    if (kafka.saslUser !== undefined) {
      Object.assign(env, {
        KAFKA_SASLUSERNAME: kplus.EnvValue.fromValue(requireNonEmpty(this, 'topology.kafka.saslUser', kafka.saslUser)),
        KAFKA_SASLPASSWORD: credentials.ref(Credential.KAFKA_SASL_PASSWORD).envValue(this),
        KAFKA_SASLMECHANISMS: kplus.EnvValue.fromValue('PLAIN'),
        KAFKA_SECURITYPROTOCOL: kplus.EnvValue.fromValue('SASL_SSL'),
      });
    }
    return env;
  }
}
