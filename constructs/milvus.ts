import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EtcdCluster } from './etcd-cluster';
import { MemosConfig } from './memos-config';
import { InClusterEndpoints, ServicePorts } from '../src/endpoints';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import {
  addDisruptionBudget, componentLabels, disableServiceLinks, hardenedContainerSecurityContext, hardenedPodSecurityContext, PodWorkload,
  requireSeparateNodes, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, WorkloadPlacementProps, MonitoredProps, selectPods, PodSize, httpProbe, tcpProbe,
} from '../src/kubernetes';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions } from '../src/storage';
import { invalidProp, requireDnsLabel, requireInteger, requireNonEmpty, requireOneOf, requirePinnedImage } from '../src/validation';

/** Milvus 2.6 (components.md §3: chart 5.0.19 ships v2.6.15). The image runs as root by default. */
export const DEFAULT_MILVUS_IMAGE = 'docker.io/milvusdb/milvus:v2.6.15';
/** The image has no USER (root); run as 1000 with /var/lib/milvus, /milvus/logs and /tmp writable (components.md §7.2 item 11). */
const MILVUS_UID = 1000;
export const MilvusPorts = { GRPC: ServicePorts.MILVUS, METRICS: 9091 } as const;

/**
 * Huawei OBS through its S3 API as Milvus's object storage. Credentials come from the MemOS
 * Secret (keys `OBS_ACCESS_KEY_ID`, `OBS_SECRET_ACCESS_KEY`), never from a ConfigMap.
 */
export interface MilvusObjectStorage {
  /** Bucket (create it first, in the cluster's region). */
  readonly bucket: string;
  /** OBS endpoint, e.g. `obs.cn-north-4.myhuaweicloud.com`. */
  readonly endpoint: string;
  /** Region, e.g. `cn-north-4`. */
  readonly region: string;
  /**
   * Prefix of Milvus's objects in the bucket.
   * @default - the instance name
   */
  readonly rootPath?: string;
}

/** Huawei DMS for Kafka (or any Kafka) as the message queue of a distributed Milvus. */
export interface MilvusKafka {
  /** Broker addresses, `host:port`. */
  readonly brokers: string[];
  /**
   * SASL/PLAIN user; the password is the Secret's `KAFKA_SASL_PASSWORD`. Use SASL_SSL on DMS
   * instances with SASL enabled.
   * @default - no SASL
   */
  readonly saslUser?: string;
}

/** Properties of {@link Milvus}. */
export interface MilvusProps extends WorkloadPlacementProps, MonitoredProps {
  /** Instance name: the Service MemOS uses is `<instance>-milvus`. */
  readonly instance: string;
  /** MemOS configuration: passwords and keys come from its Secret. */
  readonly config: MemosConfig;
  /**
   * `standalone`: one pod with embedded etcd. `distributed`: proxy, mixCoord, queryNode,
   * dataNode and streamingNode Deployments plus a 3-member etcd; needs `objectStorage` and `kafka`.
   * @default 'standalone'
   */
  readonly mode?: 'standalone' | 'distributed';
  /**
   * Image, pinned.
   * @default DEFAULT_MILVUS_IMAGE
   */
  readonly image?: string;
  /**
   * OBS instead of the local volume (standalone); required when distributed.
   * @default - local storage on the standalone pod's volume
   */
  readonly objectStorage?: MilvusObjectStorage;
  /**
   * The message queue of a distributed Milvus. Required when distributed: Woodpecker cannot use
   * OBS (it needs S3 conditional writes), and an in-cluster Pulsar would add ten pods.
   * @default - none
   */
  readonly kafka?: MilvusKafka;
  /**
   * Query nodes (distributed): they hold the loaded segments, so add them for capacity.
   * @default 2
   */
  readonly queryNodes?: number;
  /**
   * CPU and memory of the standalone pod, or of each query node.
   * @default - 4 CPU / 16Gi (seed: s7.xlarge.4)
   */
  readonly resources?: PodSize;
  /**
   * Standalone volume at /var/lib/milvus (data, embedded etcd, WAL).
   * @default - 200Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: Partial<EvsVolumeOptions>;
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
 */
export class Milvus extends Construct {
  /** `http://<instance>-milvus:19530`. */
  public readonly uri: string;
  public readonly mode: 'standalone' | 'distributed';
  /** The workloads, by component. */
  public readonly workloads: Record<string, PodWorkload> = {};

  private readonly instance: string;
  private readonly image: string;
  private readonly zoneSpread: ZoneSpread;
  private readonly pullSecrets: string[];

  constructor(scope: Construct, id: string, props: MilvusProps) {
    super(scope, id);
    this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    this.mode = requireOneOf(this, 'mode', props.mode ?? 'standalone', ['standalone', 'distributed'] as const);
    this.image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_MILVUS_IMAGE);
    this.zoneSpread = requireOneOf(this, 'zoneSpread', props.zoneSpread ?? 'required', ['required', 'preferred'] as const);
    this.pullSecrets = props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET];
    const distributed = this.mode === 'distributed';
    if (distributed && !props.objectStorage) invalidProp(this, 'objectStorage', undefined, 'OBS bucket, endpoint and region: a distributed Milvus keeps its data in object storage');
    if (distributed && !props.kafka) invalidProp(this, 'kafka', undefined, 'Kafka brokers (Huawei DMS for Kafka): Woodpecker does not support OBS, and a distributed Milvus needs a shared queue');
    if (!distributed && props.kafka) invalidProp(this, 'kafka', props.kafka.brokers, "nothing in standalone mode: it keeps its WAL on the local volume");
    if (!distributed && props.queryNodes !== undefined) invalidProp(this, 'queryNodes', props.queryNodes, 'nothing in standalone mode');
    const cpu = props.resources?.cpu ?? kplus.Cpu.units(4);
    const memory = props.resources?.memory ?? Size.gibibytes(16);
    const name = InClusterEndpoints.milvusService(this.instance);
    this.uri = InClusterEndpoints.milvusUri(this.instance);
    const namespace = Chart.of(this).namespace ?? 'default';

    // Milvus maps environment variables onto its config keys: upper case, dots as underscores
    // (scripts/standalone_embed.sh sets ETCD_USE_EMBED, COMMON_STORAGETYPE). Everything here is
    // non-secret; credentials are secretKeyRefs.
    const env: Record<string, kplus.EnvValue> = {
      COMMON_SECURITY_AUTHORIZATIONENABLED: kplus.EnvValue.fromValue('true'),
      // The root password at first start; MemOS logs in as root with the same Secret key.
      COMMON_SECURITY_DEFAULTROOTPASSWORD: props.config.secretValue('MILVUS_PASSWORD'),
    };
    if (props.objectStorage) Object.assign(env, this.objectStorageEnv(props.objectStorage, props.config));
    else env.COMMON_STORAGETYPE = kplus.EnvValue.fromValue('local');

    const labels = componentLabels(this.instance, 'milvus');
    const clientSelector = { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': distributed ? 'proxy' : 'standalone' };
    const client = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'milvus', port: MilvusPorts.GRPC, targetPort: MilvusPorts.GRPC }, { name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(client, clientSelector);

    if (!distributed) {
      Object.assign(env, {
        ETCD_USE_EMBED: kplus.EnvValue.fromValue('true'),
        ETCD_DATA_DIR: kplus.EnvValue.fromValue('/var/lib/milvus/etcd'),
        // Woodpecker on the local volume: it cannot use OBS as storage.
        MQ_TYPE: kplus.EnvValue.fromValue('woodpecker'),
        WOODPECKER_STORAGE_TYPE: kplus.EnvValue.fromValue('local'),
      });
      const sts = this.addComponent({ component: 'standalone', args: ['standalone'], replicas: 1, cpu, memory }, env, 'statefulset') as kplus.StatefulSet;
      addVolumeClaimTemplates(sts, [{
        template: evsVolumeClaimTemplate(this, 'storage', 'milvus-data', { size: Size.gibibytes(200), ...props.storage }, labels),
        mountPath: '/var/lib/milvus',
      }]);
    } else {
      if (props.storage !== undefined) invalidProp(this, 'storage', props.storage, 'nothing when distributed: data lives in OBS');
      const etcd = new EtcdCluster(this, 'Etcd', { name: `${name}-etcd`, instance: this.instance, zoneSpread: this.zoneSpread, imagePullSecrets: this.pullSecrets });
      Object.assign(env, {
        ETCD_ENDPOINTS: kplus.EnvValue.fromValue(etcd.endpoints.join(',')),
        MQ_TYPE: kplus.EnvValue.fromValue('kafka'),
        ...this.kafkaEnv(props.kafka!, props.config),
        // Coordinators fail over to a standby instead of restarting cold.
        MIXCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        ROOTCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        DATACOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        QUERYCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
      });
      const queryNodes = requireInteger(this, 'queryNodes', props.queryNodes ?? 2, 1, 100);
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
    const metrics = new kplus.Service(this, 'Metrics', {
      metadata: { name: `${name}-metrics`, labels: { ...labels, 'app.kubernetes.io/component': 'metrics' } },
      clusterIP: 'None',
      ports: [{ name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(metrics, selectorLabels(this.instance, 'milvus'));
    new ServiceMonitor(this, 'ServiceMonitor', {
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
    addDisruptionBudget(this, `${role.component}-budget`, { name, labels, selector });
    this.workloads[role.component] = workload;
    return workload;
  }

  private objectStorageEnv(storage: MilvusObjectStorage, config: MemosConfig): Record<string, kplus.EnvValue> {
    const bucket = requireNonEmpty(this, 'objectStorage.bucket', storage.bucket);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) invalidProp(this, 'objectStorage.bucket', bucket, 'an OBS bucket name: 3-63 lowercase letters, digits, dots and hyphens');
    const endpoint = requireNonEmpty(this, 'objectStorage.endpoint', storage.endpoint);
    if (endpoint.includes('://') || endpoint.includes('/')) invalidProp(this, 'objectStorage.endpoint', endpoint, "a host name such as 'obs.cn-north-4.myhuaweicloud.com' (no scheme or path)");
    const value = kplus.EnvValue.fromValue;
    return {
      COMMON_STORAGETYPE: value('remote'),
      MINIO_ADDRESS: value(endpoint),
      MINIO_PORT: value('443'),
      MINIO_USESSL: value('true'),
      MINIO_BUCKETNAME: value(bucket),
      MINIO_ROOTPATH: value(storage.rootPath ?? this.instance),
      MINIO_REGION: value(requireNonEmpty(this, 'objectStorage.region', storage.region)),
      // OBS speaks S3 with virtual-hosted addressing; Milvus's "aws" provider is its generic S3 client.
      MINIO_CLOUDPROVIDER: value('aws'),
      MINIO_USEVIRTUALHOST: value('true'),
      MINIO_USEIAM: value('false'),
      MINIO_ACCESSKEYID: config.secretKey('OBS_ACCESS_KEY_ID'),
      MINIO_SECRETACCESSKEY: config.secretKey('OBS_SECRET_ACCESS_KEY'),
    };
  }

  private kafkaEnv(kafka: MilvusKafka, config: MemosConfig): Record<string, kplus.EnvValue> {
    const brokers = kafka.brokers ?? [];
    if (brokers.length === 0 || brokers.some((b) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b))) {
      invalidProp(this, 'kafka.brokers', brokers, 'one or more host:port broker addresses');
    }
    const env: Record<string, kplus.EnvValue> = { KAFKA_BROKERLIST: kplus.EnvValue.fromValue(brokers.join(',')) };
    if (kafka.saslUser !== undefined) {
      Object.assign(env, {
        KAFKA_SASLUSERNAME: kplus.EnvValue.fromValue(requireNonEmpty(this, 'kafka.saslUser', kafka.saslUser)),
        KAFKA_SASLPASSWORD: config.secretKey('KAFKA_SASL_PASSWORD'),
        KAFKA_SASLMECHANISMS: kplus.EnvValue.fromValue('PLAIN'),
        KAFKA_SECURITYPROTOCOL: kplus.EnvValue.fromValue('SASL_SSL'),
      });
    }
    return env;
  }
}
