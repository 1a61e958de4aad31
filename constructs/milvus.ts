import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EMBED_ETCD_CONFIG, EMBED_ETCD_DIR, EMBED_ETCD_FILE } from './milvus-embedded-etcd';
import { kafkaEnv, objectStorageEnv } from './milvus-env';
import { MilvusPorts } from './milvus-ports';
import { renderUserConfig, USER_CONFIG_FILE, USER_CONFIG_PATH } from './milvus-config';
import { distributedRoles, Role, RoleSizing, standaloneRole } from './milvus-roles';
import { MilvusLogFormat, MilvusLogLevel, MilvusMode, MilvusObjectStorage, MilvusScalableRoleOptions, MilvusTopology } from './milvus-topology';
import { EtcdCluster } from './etcd-cluster';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { applyPodOverrides } from '../src/pod-overrides';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import {
  addDisruptionBudget, componentLabels, disableServiceLinks, hardenedContainerSecurityContext, hardenedPodSecurityContext, PodWorkload,
  requireSeparateNodes, rollPodsOnChange, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, WorkloadPlacementProps, MonitoredProps, selectPods, PodSize, httpProbe, tcpProbe,
} from '../src/kubernetes';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate } from '../src/storage';
import { Connections, NetworkPort, tcp } from '../src/network';
import { requirePodSize } from '../src/resources';
import { invalidProp, reportAs, requireDnsLabel, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';
import { requireGracePeriod, startupFailureThreshold } from '../src/engine-config';

/** Milvus 2.6 (components.md §3: chart 5.0.19 ships v2.6.15). The image runs as root by default. */
export const DEFAULT_MILVUS_IMAGE = 'docker.io/milvusdb/milvus:v2.6.15';
/*
 * Who the Milvus process runs as. The 2.6 image has no USER (root) and copies its program as
 * `COPY --chown=root:root --chmod=774 ./bin/milvus /milvus/bin/milvus`, and `configs/` and `lib/`
 * (with `libjemalloc.so`, which `LD_PRELOAD` loads) the same way (milvus-io/milvus
 * build/docker/milvus/ubuntu22.04/Dockerfile, L35 at v2.6.15 per the field review; the stored
 * versions of the ubuntu22.04, gpu/ubuntu22.04 and amazonlinux2023 Dockerfiles copy all three
 * root:root 0774 too). 0774 gives "other" read only: an x bit for the owner and group root alone,
 * so UID 1000 with GID 1000 can neither exec /milvus/bin/milvus nor enter /milvus/lib and
 * /milvus/configs (exit 126 "Permission denied", as caipe-io/ai-platform-engineering PR #2746
 * reports for v2.6.1). Upstream chose group root on purpose: milvus PR #30775 (cherry-picked as
 * #30937) "modifies the group permissions to allow the root group (gid 0)" so that OpenShift's
 * arbitrary UID with GID 0 runs the image. The 3.0 line switches to `USER milvus` (PR #44524,
 * commit 7cb7651; issue #46897) and is not what we pin.
 *
 * So: a non-root UID with primary GID 0. Pod Security `restricted` requires runAsNonRoot: true
 * and a non-zero runAsUser and has no control on groups (kubernetes/website
 * content/en/docs/concepts/security/pod-security-standards.md, "Restricted": Running as Non-root,
 * Running as Non-root user (v1.23+); kubernetes staging/src/k8s.io/pod-security-admission/policy
 * has check_runAsNonRoot.go and check_runAsUser.go and no group check). GID 0 grants nothing but
 * files whose group is root: no capabilities (all dropped), no privilege escalation.
 * milvus-operator does the same in effect (pkg/controllers/deployment_updater.go,
 * updatePodTemplate: with runAsNonRoot it sets runAsUser 1000 and no runAsGroup, so the process
 * keeps the image's GID 0); milvus-helm 5.0.x sets no securityContext at all (root).
 */
/**
 * Non-root UID of every Milvus container.
 * @internal
 */
export const MILVUS_UID = 1000;
/** Primary GID 0: group root owns /milvus/bin, /milvus/lib and /milvus/configs with rwx (see above). */
const MILVUS_GID = 0;
/**
 * fsGroup stays non-root: the kubelet makes the volumes (the standalone EVS disk, the emptyDirs)
 * group 1000 and group-writable, and adds 1000 to the process's groups; the only root-group
 * membership is the primary GID the image needs.
 */
/** @internal */
export const MILVUS_FS_GROUP = 1000;
/*
 * Every Milvus process mkdirs `localStorage.path` when it loads its config: the parameter table
 * initializes every role's settings in every process (pkg/util/paramtable/component_param.go,
 * ComponentParam.init), the path defaults to /var/lib/milvus/data (service_param.go,
 * LocalStorageConfig), and a failed mkdir is fatal: milvus issue #51221 logs `[FATAL]
 * [paramtable/component_param.go:4413] ["failed to mkdir"] [localStoragePath=/var/lib/milvus/data/]`.
 * Under a read-only root every role therefore gets a writable /var/lib/milvus: the EVS volume for
 * standalone, one emptyDir per distributed pod, sized per role (the query and data nodes keep their
 * segment, index and mmap cache under it, as the chart's `disk` emptyDir at /var/lib/milvus/data).
 */
/**
 * Where every role keeps local data (the parent of `localStorage.path`).
 * @internal
 */
export const MILVUS_LOCAL_DIR = '/var/lib/milvus';
/**
 * Milvus's `localStorage.path` (pkg/util/paramtable/service_param.go, LocalStorageConfig default):
 * where a standalone Milvus on local storage keeps its binlogs.
 * @internal
 */
export const MILVUS_LOCAL_STORAGE_PATH = `${MILVUS_LOCAL_DIR}/data`;
/** Name of the standalone StatefulSet's volume claim template. */
const STANDALONE_CLAIM_TEMPLATE = 'milvus-data';
/** Volume of a standalone Milvus when `storage.size` is not set. */
const DEFAULT_STANDALONE_STORAGE_SIZE = Size.gibibytes(200);
/** Query nodes of a distributed Milvus when `queryNodes` is not set. */
const DEFAULT_QUERY_NODES = 2;
/** HPA CPU target when `autoscaling.targetCpuUtilization` is not set (milvus-helm values.yaml `proxy.hpa.cpuUtilization: 40`). */
const DEFAULT_TARGET_CPU_UTILIZATION = 40;
/**
 * The distributed roles' options: topology prop, component, whether it may autoscale, replica range.
 * mixCoord runs one active coordinator and at most one standby: milvus-helm values.yaml
 * `mixCoordinator.replicas`: "You can set the number of replicas greater than 1, only if enable
 * active standby" (this construct always sets MIXCOORD_ENABLEACTIVESTANDBY).
 */
const DISTRIBUTED_ROLES: ReadonlyArray<{ prop: 'proxy' | 'mixCoord' | 'queryNode' | 'dataNode' | 'streamingNode'; component: string; scalable: boolean; max: number }> = [
  { prop: 'proxy', component: 'proxy', scalable: true, max: 100 },
  { prop: 'mixCoord', component: 'mixcoord', scalable: false, max: 2 },
  { prop: 'queryNode', component: 'querynode', scalable: true, max: 100 },
  { prop: 'dataNode', component: 'datanode', scalable: false, max: 100 },
  { prop: 'streamingNode', component: 'streamingnode', scalable: false, max: 100 },
];

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
   * CPU and memory of the standalone pod, or of each query node (unless `topology.queryNode.resources`).
   * @default - 4 CPU / 16Gi (seed: s7.xlarge.4)
   */
  readonly resources?: PodSize;
  /**
   * Overrides of milvus.yaml, as nested sections (`{ queryNode: { segcore: { chunkRows: 256 } } }`),
   * rendered into a ConfigMap mounted as `/milvus/configs/user.yaml` in every Milvus pod (Milvus
   * reads it last, over milvus.yaml); a change rolls the pods. Keys the construct sets (etcd,
   * object storage, the queue, authentication, active-standby, ports, `log.level`/`log.format`)
   * are refused with the prop to use, and so is any credential-looking key: credentials come only
   * from Secrets.
   * @default - no user.yaml
   */
  readonly config?: { [key: string]: any };
  /**
   * Log level (`log.level`).
   * @default - Milvus's default (info)
   */
  readonly logLevel?: MilvusLogLevel;
  /**
   * Log format (`log.format`).
   * @default - Milvus's default (text)
   */
  readonly logFormat?: MilvusLogFormat;
  /**
   * How long each Milvus pod may take to start (load its segments, join the coordinators) before
   * the kubelet restarts it: the startup probe's budget, in periods of 10 s.
   * @default Duration.minutes(10)
   */
  readonly startupBudget?: Duration;
  /**
   * Time each Milvus pod has to flush and release its segments after SIGTERM.
   * @default Duration.minutes(2)
   */
  readonly terminationGracePeriod?: Duration;
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

/**
 * Milvus 2.6 for preference memory, with authentication on (root password from the Secret),
 * credentials only in Secrets, probes on 9091, non-root (UID 1000, GID 0: the image's program is
 * root:root 0774) on a read-only root with a writable /var/lib/milvus in every pod, the image's
 * tini as PID 1, PDBs, anti-affinity, zone spread and a ServiceMonitor.
 *
 * - standalone: a StatefulSet (one writer on one volume) running `milvus run standalone` with
 *   embedded etcd (configured by upstream's `embedEtcd.yaml`: revision auto-compaction, 4 GiB
 *   quota) and local storage, or OBS through its S3 API, and Woodpecker on local storage;
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
  /** The HorizontalPodAutoscalers, by component (`proxy`, `querynode`), where `autoscaling` is set. */
  public readonly autoscalers: { [component: string]: kplus.HorizontalPodAutoscaler } = {};
  /** The ConfigMap holding `user.yaml` (`<instance>-milvus-config`), with `config`, `logLevel` or `logFormat`. */
  public readonly userConfig?: kplus.ConfigMap;
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
  /**
   * Every Milvus pod's network connections: the roles among themselves on every port, Prometheus
   * on 9091. Wire clients with `milvus.connections.allowFrom(client.connections, milvus.clientPorts)`
   * (MemOS's server does not use Milvus: nothing is wired by default). Egress to OBS and Kafka is
   * the stack's to add: it knows their addresses.
   */
  public readonly connections: Connections;
  /** The port a client connects to (the proxy's, or the standalone server's). */
  public readonly clientPorts: NetworkPort[] = tcp(MilvusPorts.GRPC);
  /**
   * The connections of the pods clients connect to: {@link connections} when standalone; the
   * proxies' own (`milvus-proxy`, rendered as a policy of their own) when distributed, so a
   * client admitted on the proxy's ports is admitted by the proxies only.
   */
  public readonly clientConnections: Connections;
  /**
   * The standalone pod's embedded etcd configuration (`embedEtcd.yaml`: auto-compaction, 4 GiB
   * quota), `<instance>-milvus-embed-etcd`; none when distributed.
   */
  public readonly embeddedEtcdConfig?: kplus.ConfigMap;
  /** Instance name (the prefix of every object's name). */
  public readonly instance: string;
  /** Where Milvus keeps its data on OBS, `rootPath` filled in; none on local storage. */
  public readonly objectStorage?: MilvusObjectStorage;
  /** Where the OBS access key ID of {@link objectStorage} is read from; none on local storage. */
  public readonly objectStorageAccessKeyId?: SecretKeyRef;
  /** Where the OBS secret access key of {@link objectStorage} is read from; none on local storage. */
  public readonly objectStorageSecretAccessKey?: SecretKeyRef;
  /**
   * The standalone pod's volume claim (`milvus-data-<instance>-milvus-standalone-0`: the
   * StatefulSet's claim template and pod name), which holds local storage, the WAL and embedded
   * etcd; none when distributed.
   */
  public readonly dataClaimName?: string;

  private readonly image: string;
  private readonly zoneSpread: ZoneSpread;
  private readonly pullSecrets: string[];
  private readonly userConfigYaml?: string;

  constructor(scope: Construct, id: string, props: MilvusProps) {
    super(scope, id);
    this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    this.gracePeriod = requireGracePeriod(this, 'terminationGracePeriod', props.terminationGracePeriod ?? Duration.minutes(2), 10, 3600);
    this.startupThreshold = startupFailureThreshold(this, 'startupBudget', props.startupBudget ?? Duration.minutes(10), 10);
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
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    this.userConfigYaml = renderUserConfig(this, props.config, props.logLevel, props.logFormat);

    // Milvus maps environment variables onto its config keys: upper case, dots as underscores
    // (scripts/standalone_embed.sh sets ETCD_USE_EMBED, COMMON_STORAGETYPE). Everything here is
    // non-secret; credentials are secretKeyRefs.
    const env: Record<string, kplus.EnvValue> = {
      COMMON_SECURITY_AUTHORIZATIONENABLED: kplus.EnvValue.fromValue('true'),
      // The root password at first start; clients log in as root with the same Secret key.
      COMMON_SECURITY_DEFAULTROOTPASSWORD: this.password.envValue(this),
    };
    if (topology._objectStorage) {
      Object.assign(env, objectStorageEnv(this, this.instance, topology._objectStorage, credentials));
      this.objectStorage = { ...topology._objectStorage, rootPath: topology._objectStorage.rootPath ?? this.instance };
      this.objectStorageAccessKeyId = credentials.ref(Credential.OBS_ACCESS_KEY_ID);
      this.objectStorageSecretAccessKey = credentials.ref(Credential.OBS_SECRET_ACCESS_KEY);
    } else {
      env.COMMON_STORAGETYPE = kplus.EnvValue.fromValue('local');
    }

    const labels = componentLabels(this.instance, 'milvus');
    this.connections = new Connections({ name: 'milvus', selector: selectorLabels(this.instance, 'milvus') });
    // The proxy reaches the coordinators and nodes at the addresses they register in etcd, on
    // ports milvus-helm does not all declare (mixCoord's gRPC): the roles may use any port among themselves.
    this.connections.allowInternallyOnAllPorts();
    const clientSelector = { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': distributed ? 'proxy' : 'standalone' };
    this.clientConnections = distributed ? new Connections({ name: 'milvus-proxy', selector: clientSelector }) : this.connections;
    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'milvus', port: MilvusPorts.GRPC, targetPort: MilvusPorts.GRPC }, { name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(this.service, clientSelector);
    if (this.userConfigYaml !== undefined) {
      this.userConfig = new kplus.ConfigMap(this, 'UserConfig', {
        metadata: { name: `${name}-config`, labels },
        data: { [USER_CONFIG_FILE]: this.userConfigYaml },
      });
    }

    if (!distributed) {
      Object.assign(env, {
        ETCD_USE_EMBED: kplus.EnvValue.fromValue('true'),
        ETCD_DATA_DIR: kplus.EnvValue.fromValue(`${MILVUS_LOCAL_DIR}/etcd`),
        // The env name upstream's scripts/standalone_embed.sh sets (etcd.config.path).
        ETCD_CONFIG_PATH: kplus.EnvValue.fromValue(`${EMBED_ETCD_DIR}/${EMBED_ETCD_FILE}`),
        // Woodpecker on the local volume: it cannot use OBS as storage.
        MQ_TYPE: kplus.EnvValue.fromValue('woodpecker'),
        WOODPECKER_STORAGE_TYPE: kplus.EnvValue.fromValue('local'),
      });
      this.embeddedEtcdConfig = new kplus.ConfigMap(this, 'EmbedEtcd', {
        metadata: { name: `${name}-embed-etcd`, labels: { ...labels, 'app.kubernetes.io/component': 'standalone' } },
        data: { [EMBED_ETCD_FILE]: EMBED_ETCD_CONFIG },
      });
      const sts = this.addComponent(standaloneRole(cpu, memory), env, 'statefulset') as kplus.StatefulSet;
      this.headlessService = sts.service;
      // The volume is the writable /var/lib/milvus: local storage, Woodpecker's WAL, embedded etcd.
      addVolumeClaimTemplates(sts, [{
        template: evsVolumeClaimTemplate(this, 'topology.storage', STANDALONE_CLAIM_TEMPLATE, topology._storage ?? {}, DEFAULT_STANDALONE_STORAGE_SIZE, labels),
        mountPath: MILVUS_LOCAL_DIR,
      }]);
      // StatefulSet claims are named <template>-<statefulset>-<ordinal> (Kubernetes StatefulSet
      // docs, "Stable Storage"); the one replica is ordinal 0.
      this.dataClaimName = `${STANDALONE_CLAIM_TEMPLATE}-${sts.name}-0`;
      sts.containers[0].mount(EMBED_ETCD_DIR, kplus.Volume.fromConfigMap(this, 'embed-etcd-volume', this.embeddedEtcdConfig, { name: 'embed-etcd' }), { readOnly: true });
      // etcd reads the file at start only: a new configuration rolls the pod.
      rollPodsOnChange(sts, 'embed-etcd', EMBED_ETCD_CONFIG);
    } else {
      const etcd = topology._etcd ?? {};
      this.etcd = reportAs(this, { storage: 'topology.etcd.storage', resources: 'topology.etcd.resources', serviceMonitor: 'topology.etcd.serviceMonitor' }, () => new EtcdCluster(this, 'Etcd', {
        name: `${name}-etcd`, instance: this.instance, zoneSpread: this.zoneSpread, imagePullSecrets: this.pullSecrets,
        storage: etcd.storage, resources: etcd.resources, serviceMonitor: etcd.serviceMonitor ?? true, monitoringNamespace,
      }));
      this.etcd.connections.allowFrom(this.connections, this.etcd.clientPorts);
      Object.assign(env, {
        ETCD_ENDPOINTS: kplus.EnvValue.fromValue(this.etcd.endpoints.join(',')),
        MQ_TYPE: kplus.EnvValue.fromValue('kafka'),
        ...kafkaEnv(this, topology._kafka!, credentials),
        // Coordinators fail over to a standby instead of restarting cold.
        MIXCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        ROOTCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        DATACOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
        QUERYCOORD_ENABLEACTIVESTANDBY: kplus.EnvValue.fromValue('true'),
      });
      const queryNodes = requireInteger(this, 'topology.queryNodes', topology._queryNodes ?? DEFAULT_QUERY_NODES, 1, 100);
      for (const role of distributedRoles(queryNodes, cpu, memory, this.roleSizing(topology))) this.addComponent(role, env, 'deployment');
    }

    this.metricsService = new kplus.Service(this, 'Metrics', {
      metadata: { name: `${name}-metrics`, labels: { ...labels, 'app.kubernetes.io/component': 'metrics' } },
      clusterIP: 'None',
      ports: [{ name: 'metrics', port: MilvusPorts.METRICS, targetPort: MilvusPorts.METRICS }],
    });
    selectPods(this.metricsService, selectorLabels(this.instance, 'milvus'));
    this.connections.allowFromNamespace(monitoringNamespace, tcp(MilvusPorts.METRICS));
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
    // Every Milvus workload (its etcd members are the etcd cluster's).
    for (const workload of Object.values(this.workloads)) applyPodOverrides(this, 'pod', workload as kplus.AbstractPod, props.pod);
  }

  /** The per-role options of a distributed topology, validated. */
  private roleSizing(topology: MilvusTopology): { [component: string]: RoleSizing } {
    const sizing: { [component: string]: RoleSizing } = {};
    for (const { prop, component, scalable, max } of DISTRIBUTED_ROLES) {
      const options = topology._roles[prop] as MilvusScalableRoleOptions | undefined;
      if (options === undefined) continue;
      const path = `topology.${prop}`;
      if (typeof options !== 'object' || options === null) invalidProp(this, path, options, '{ replicas?, resources? }');
      if (options.autoscaling !== undefined && !scalable) invalidProp(this, `${path}.autoscaling`, options.autoscaling, 'nothing: only proxy and queryNode autoscale');
      if (options.replicas !== undefined && options.autoscaling !== undefined) {
        invalidProp(this, `${path}.replicas`, options.replicas, 'either replicas (fixed) or autoscaling, not both: the HorizontalPodAutoscaler owns the replica count');
      }
      if (prop === 'queryNode' && topology._queryNodes !== undefined && (options.replicas !== undefined || options.autoscaling !== undefined)) {
        const which = options.replicas !== undefined ? 'replicas' : 'autoscaling';
        invalidProp(this, `${path}.${which}`, options[which], 'nothing while topology.queryNodes is set: give the query-node count once');
      }
      let replicas: number | undefined;
      if (options.replicas !== undefined) {
        if (prop === 'mixCoord' && !(options.replicas === 1 || options.replicas === 2)) {
          invalidProp(this, `${path}.replicas`, options.replicas, '1 or 2: one active mixCoord and at most one standby (mixCoord.enableActiveStandby)');
        }
        replicas = requireInteger(this, `${path}.replicas`, options.replicas, 1, max);
      }
      requirePodSize(this, `${path}.resources`, options.resources);
      let autoscaling: RoleSizing['autoscaling'];
      if (options.autoscaling !== undefined) {
        const a = options.autoscaling;
        if (typeof a !== 'object' || a === null) invalidProp(this, `${path}.autoscaling`, a, '{ minReplicas, maxReplicas, targetCpuUtilization? }');
        const minReplicas = requireInteger(this, `${path}.autoscaling.minReplicas`, a.minReplicas, 1, 100);
        const maxReplicas = requireInteger(this, `${path}.autoscaling.maxReplicas`, a.maxReplicas, 1, 100);
        if (maxReplicas <= minReplicas) {
          invalidProp(this, `${path}.autoscaling.maxReplicas`, maxReplicas, `an integer from ${minReplicas + 1} to 100, more than minReplicas (for a fixed count use replicas)`);
        }
        const targetCpuUtilization = requireInteger(this, `${path}.autoscaling.targetCpuUtilization`, a.targetCpuUtilization ?? DEFAULT_TARGET_CPU_UTILIZATION, 1, 100);
        autoscaling = { minReplicas, maxReplicas, targetCpuUtilization };
      }
      sizing[component] = { replicas, cpu: options.resources?.cpu, memory: options.resources?.memory, autoscaling };
    }
    return sizing;
  }

  /** `terminationGracePeriod`, checked. */
  private readonly gracePeriod: Duration;
  /** The startup probe's failure threshold for `startupBudget`. */
  private readonly startupThreshold: number;

  private addComponent(role: Role, env: Record<string, kplus.EnvValue>, kind: 'deployment' | 'statefulset'): PodWorkload {
    const name = `${this.instance}-milvus-${role.component}`;
    const selector = { ...selectorLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': role.component };
    const labels = { ...componentLabels(this.instance, 'milvus'), 'app.kubernetes.io/component': role.component };
    const common = {
      metadata: { name, labels },
      select: false,
      podMetadata: { labels },
      securityContext: { ...hardenedPodSecurityContext(MILVUS_UID, MILVUS_GID), fsGroup: MILVUS_FS_GROUP },
      automountServiceAccountToken: false,
      // Milvus flushes and releases segments on SIGTERM.
      terminationGracePeriod: this.gracePeriod,
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
        // With an autoscaler the Deployment has no replicas: the HPA owns the count.
        replicas: role.autoscaling ? undefined : role.replicas,
        strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      });
    }
    selectPods(workload, selector);
    const container = workload.addContainer({
      name: role.component,
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // `args`, not `command`: the image's ENTRYPOINT ["/tini", "--"] stays PID 1, reaping zombies
      // and forwarding SIGTERM (Dockerfile above; milvus-helm 5.0.x sets only
      // `args: [ "milvus", "run", "<role>" ]` in every *-deployment.yaml).
      args: ['milvus', 'run', ...role.args],
      ports: [...(role.port ? [role.port] : []), { number: MilvusPorts.METRICS, name: 'metrics' }],
      envVariables: env,
      resources: { cpu: { request: role.cpu, limit: role.cpu }, memory: { request: role.memory, limit: role.memory } },
      securityContext: hardenedContainerSecurityContext(MILVUS_UID, MILVUS_GID),
      // The chart waits 90 s before probing: give start-up 10 minutes, then /healthz.
      startup: httpProbe('/healthz', MilvusPorts.METRICS, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: this.startupThreshold }),
      readiness: httpProbe('/healthz', MilvusPorts.METRICS, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 }),
      liveness: tcpProbe(MilvusPorts.METRICS, { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 5 }),
    });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, `${role.component}-tmp`, 'tmp', { sizeLimit: Size.gibibytes(1) }));
    container.mount('/milvus/logs', kplus.Volume.fromEmptyDir(this, `${role.component}-logs`, 'logs', { sizeLimit: Size.gibibytes(1) }));
    if (role.localStorage) {
      // One emptyDir for all of /var/lib/milvus (localStorage.path and the caches below it).
      container.mount(MILVUS_LOCAL_DIR, kplus.Volume.fromEmptyDir(this, `${role.component}-data`, 'milvus-data', { sizeLimit: role.localStorage }));
    }
    if (this.userConfig && this.userConfigYaml !== undefined) {
      // One file over the image's configs directory (as milvus-helm mounts user.yaml), read at start:
      // a new configuration rolls the pods.
      const volume = kplus.Volume.fromConfigMap(this, `${role.component}-config`, this.userConfig, { name: 'milvus-config' });
      container.mount(USER_CONFIG_PATH, volume, { subPath: USER_CONFIG_FILE, readOnly: true });
      rollPodsOnChange(workload, 'config', this.userConfigYaml);
    }
    setImagePullSecrets(this, workload, this.pullSecrets);
    disableServiceLinks(workload);
    if ((role.autoscaling?.maxReplicas ?? role.replicas) >= 2) requireSeparateNodes(workload, selector);
    spreadAcrossZones(workload, selector, this.zoneSpread);
    // maxUnavailable 1 holds for any replica count, including the HPA's.
    this.disruptionBudgets[role.component] = addDisruptionBudget(this, `${role.component}-budget`, { name, labels, selector });
    if (role.autoscaling) {
      this.autoscalers[role.component] = new kplus.HorizontalPodAutoscaler(this, `${role.component}-autoscaler`, {
        metadata: { name, labels },
        target: workload as kplus.Deployment,
        minReplicas: role.autoscaling.minReplicas,
        maxReplicas: role.autoscaling.maxReplicas,
        // The metric of milvus-helm's proxy-hpa.yaml and querynode-hpa.yaml: CPU, Utilization.
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(role.autoscaling.targetCpuUtilization))],
        // Removing a query node moves its segments to the others: one pod at a time, slowly.
        scaleDown: { stabilizationWindow: Duration.minutes(5), policies: [{ replicas: kplus.Replicas.absolute(1), duration: Duration.minutes(5) }] },
      });
    }
    this.workloads[role.component] = workload;
    return workload;
  }
}
