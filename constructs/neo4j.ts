import { Chart, Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { applyPodOverrides } from '../src/pod-overrides';
import { refuseManagedKeys, requireGracePeriod, startupFailureThreshold } from '../src/engine-config';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, requireNodePool,
  requireSeparateNodes, selectorLabels, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, MonitoredProps, selectPods, httpProbe, tcpProbe,
  ZoneSpread, CHECKOV_SKIP, KUBE_SCORE_IGNORE,
} from '../src/kubernetes';
import { Connections, NetworkPort, tcp } from '../src/network';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate } from '../src/storage';
import { requireTlsCertificate, TlsCertificate } from '../src/tls';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';
import {
  DEFAULT_NEO4J_ENTERPRISE_IMAGE, DEFAULT_NEO4J_IMAGE, NEO4J_VERSION, Neo4jEdition, Neo4jLicenseAgreement, Neo4jMemorySettings, Neo4jOptions, Neo4jPorts,
} from './neo4j-options';
import { passwordCheckScript } from './neo4j-password-check';
import { DEFAULT_CLUSTER_DOMAIN, neo4jCertificateFiles, Neo4jSslScope, neo4jSettings, requireClusterDomain } from './neo4j-settings';

// The version, images, ports, editions and options are part of this construct's API.
export * from './neo4j-options';

const NEO4J_UID = 7474;
/** The data volume's claim template and where it is mounted. */
const DATA_CLAIM_TEMPLATE = 'data';
const DATA_DIR = '/data';
/** Label the StatefulSet controller puts on each pod; per-server Services select by it. */
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

/** Properties of {@link Neo4j}. */
export interface Neo4jProps extends Neo4jOptions, WorkloadPlacementProps, MonitoredProps {
  /** Instance name: the client Service is `<instance>-neo4j`. */
  readonly instance: string;
  /** Where the password of user `neo4j` is read from: `Credential.NEO4J_PASSWORD`. */
  readonly credentials: Credentials;
}

/**
 * Neo4j 5.26 as a StatefulSet: standalone Community, or an Enterprise cluster of primaries that
 * discover each other through Kubernetes (per-server Services, a ServiceAccount allowed to read
 * Services and Endpoints in the namespace), EVS data volumes, `NEO4J_AUTH` built from the Secret
 * in the pod, heap and page cache sized from the memory, no plugins fetched at start-up, a long
 * startup budget, hardened pods on a read-only root, anti-affinity, zone spread, a PDB, and a
 * ServiceMonitor where the edition exposes metrics (Enterprise).
 *
 * Clients connect to {@link uri} as {@link user} with the password at {@link password}.
 */
export class Neo4j extends Construct {
  /** The Neo4j version of the default images. */
  public static readonly VERSION: string = NEO4J_VERSION;
  /** Default image of Community Edition. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_NEO4J_IMAGE;
  /** Default image of Enterprise Edition. */
  public static readonly DEFAULT_ENTERPRISE_IMAGE: string = DEFAULT_NEO4J_ENTERPRISE_IMAGE;

  /**
   * Heap and page cache for a container of `memoryMiB`: a quarter (at least 1 GiB) stays for the
   * JVM's native memory and the OS; the rest is split evenly, the heap capped at 31 GiB.
   */
  public static memorySettings(memoryMiB: number): Neo4jMemorySettings {
    const reserve = Math.max(1024, Math.floor(memoryMiB / 4));
    // Heap above 31g loses compressed object pointers.
    const heapMiB = Math.min(31 * 1024, Math.floor((memoryMiB - reserve) / 2));
    return { heapMiB, pageCacheMiB: memoryMiB - reserve - heapMiB };
  }

  /** UID and GID the servers run as (the image's `neo4j` user). */
  public static readonly UID: number = NEO4J_UID;

  /** Instance name (prefix of the object names). */
  public readonly instance: string;
  /** The image the servers run (a backup's `neo4j-admin` and `cypher-shell` run from the same image). */
  public readonly image: string;
  /** How the Enterprise licence is accepted (unset for Community). */
  public readonly licenseAgreement?: Neo4jLicenseAgreement;
  /** Size of each server's data volume. */
  public readonly storageSize: Size;
  /** Where each server's data volume is mounted (the image's `/data`: databases and transactions). */
  public readonly dataDirectory: string = DATA_DIR;
  /** Name of the data volume's claim template: server `<i>`'s claim is `<template>-<statefulset>-<i>`. */
  public readonly dataClaimTemplateName: string = DATA_CLAIM_TEMPLATE;
  /** The data volume claims, one per server: `data-<instance>-neo4j-<i>`. */
  public readonly dataClaimNames: string[];
  /** Client Service name (`<instance>-neo4j`), the host clients connect to. */
  public readonly host: string;
  /** Bolt port of {@link host}. */
  public readonly boltPort: number;
  /**
   * URI for drivers: `bolt://<host>:7687` for one server, `neo4j://<host>:7687` (routing, writes to
   * the leader) for a cluster; `bolt+s://` and `neo4j+s://` with {@link tls} (the driver verifies
   * the certificate against its trust store, which must hold `ca.crt`).
   */
  public readonly uri: string;
  /** The user clients log in as. */
  public readonly user: string;
  /** Where the password of {@link user} is read from (the Secret key a client reads). */
  public readonly password: SecretKeyRef;
  /** Number of servers. */
  public readonly servers: number;
  /** Edition run. */
  public readonly edition: Neo4jEdition;
  /**
   * The certificate Bolt (and a cluster's internal traffic) is encrypted with; clients verify
   * Neo4j against its `ca.crt` ({@link TlsCertificate.CA_KEY}). Unset: plain Bolt.
   */
  public readonly tls?: TlsCertificate;
  /** The StatefulSet of the servers. */
  public readonly statefulSet: kplus.StatefulSet;
  /** The client Service ({@link host}): Bolt and HTTP. */
  public readonly service: kplus.Service;
  /** The StatefulSet's headless Service (`<host>-headless`). */
  public readonly headlessService: kplus.Service;
  /** Per-server Services for cluster discovery (`<host>-<i>-internals`); empty for one server. */
  public readonly internalsServices: kplus.Service[];
  /** The PodDisruptionBudget (one server down at a time). */
  public readonly disruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** The ServiceAccount Kubernetes discovery runs as (clusters only). */
  public readonly serviceAccount?: kplus.ServiceAccount;
  /** The namespace Role letting {@link serviceAccount} read Services and Endpoints (clusters only). */
  public readonly discoveryRole?: kplus.k8s.KubeRole;
  /** The headless metrics Service (`<host>-metrics`; Enterprise only). */
  public readonly metricsService?: kplus.Service;
  /** The ServiceMonitor scraping {@link metricsService} (Enterprise only). */
  public readonly serviceMonitor?: ServiceMonitor;
  /**
   * The servers' network connections: cluster members among themselves, Prometheus on the
   * metrics port. Wire clients with `neo4j.connections.allowFrom(client.connections, neo4j.clientPorts)`;
   * a cluster also needs egress to the Kubernetes API for discovery (`serviceAccount` is set then).
   */
  public readonly connections: Connections;
  /** The port a client connects to: Bolt (routing drivers get every server's Bolt address). */
  public readonly clientPorts: NetworkPort[] = tcp(Neo4jPorts.BOLT);

  constructor(scope: Construct, id: string, props: Neo4jProps) {
    super(scope, id);
    const instance = this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const credentials = requireCredentials(this, 'credentials', props.credentials);
    this.servers = requireInteger(this, 'servers', props.servers ?? 1, 1, 9);
    if (this.servers === 2) invalidProp(this, 'servers', 2, '1 (standalone), or 3 and more (a cluster: 2 primaries cannot elect a leader when one fails)');
    const clustered = this.servers >= 3;
    this.edition = requireEnum(this, 'edition', props.edition ?? (clustered ? Neo4jEdition.ENTERPRISE : Neo4jEdition.COMMUNITY), Neo4jEdition);
    const enterprise = this.edition === Neo4jEdition.ENTERPRISE;
    if (clustered && !enterprise) invalidProp(this, 'edition', this.edition, "'enterprise' for a cluster: Community Edition has no clustering");
    let license: Neo4jLicenseAgreement | undefined;
    if (enterprise) {
      if (!(Object.values(Neo4jLicenseAgreement) as unknown[]).includes(props.licenseAgreement)) {
        invalidProp(this, 'licenseAgreement', props.licenseAgreement,
          "'commercial' or 'evaluation': Enterprise Edition (which a cluster needs) runs only with its licence accepted; or run one Community server (servers: 1)");
      }
      license = this.licenseAgreement = props.licenseAgreement;
    } else if (props.licenseAgreement !== undefined) {
      // Community Edition needs no acceptance; a shared setting across sizes is fine.
      requireEnum(this, 'licenseAgreement', props.licenseAgreement, Neo4jLicenseAgreement);
    }
    const image = this.image = requirePinnedImage(this, 'image', props.image ?? (enterprise ? Neo4j.DEFAULT_ENTERPRISE_IMAGE : Neo4j.DEFAULT_IMAGE));
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    const cpu = props.resources?.cpu ?? kplus.Cpu.units(4);
    const memory = props.resources?.memory ?? Size.gibibytes(16);
    const memoryMiB = memory instanceof Size ? memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
    if (!(Number.isInteger(memoryMiB) && memoryMiB >= 2048)) invalidProp(this, 'resources.memory', `${memoryMiB}Mi`, 'at least 2Gi, in whole MiB');
    const { heapMiB, pageCacheMiB } = Neo4j.memorySettings(memoryMiB);
    const chartNamespace = Chart.of(this).namespace;
    const namespace = chartNamespace ?? 'default';
    if (props.tls !== undefined) this.tls = requireTlsCertificate(this, 'tls', props.tls);
    const clusterDomain = requireClusterDomain(this, props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, `${instance}-neo4j-${this.servers - 1}-internals`, chartNamespace);

    const name = `${instance}-neo4j`;
    this.host = name;
    // StatefulSet claims are named `<claim template>-<statefulset>-<ordinal>` (Kubernetes
    // StatefulSet docs, "Stable Storage").
    this.dataClaimNames = Array.from({ length: this.servers }, (_, i) => `${DATA_CLAIM_TEMPLATE}-${name}-${i}`);
    this.boltPort = Neo4jPorts.BOLT;
    // `+s`: TLS with full certificate verification (operations manual, SSL framework, [[ssl-bolt-connect]]).
    this.uri = `${clustered ? 'neo4j' : 'bolt'}${this.tls ? '+s' : ''}://${name}:${Neo4jPorts.BOLT}`;
    this.user = 'neo4j';
    this.password = credentials.ref(Credential.NEO4J_PASSWORD);
    const selector = selectorLabels(instance, 'neo4j');
    const labels = componentLabels(instance, 'neo4j');
    this.connections = new Connections({ name: 'neo4j', selector });
    // Cluster members: discovery, transactions, Raft, server-side routing and Bolt between servers.
    if (clustered) this.connections.allowInternally(tcp(Neo4jPorts.DISCOVERY, Neo4jPorts.CLUSTER, Neo4jPorts.RAFT, Neo4jPorts.ROUTING, Neo4jPorts.BOLT));

    const client = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'tcp-bolt', port: Neo4jPorts.BOLT, targetPort: Neo4jPorts.BOLT }, { name: 'tcp-http', port: Neo4jPorts.HTTP, targetPort: Neo4jPorts.HTTP }],
    });
    const headless = new kplus.Service(this, 'Headless', {
      metadata: { name: `${name}-headless`, labels },
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      ports: [{ name: 'tcp-bolt', port: Neo4jPorts.BOLT, targetPort: Neo4jPorts.BOLT }],
    });
    for (const svc of [client, headless]) selectPods(svc, selector);
    this.service = client;
    this.headlessService = headless;

    if (clustered) {
      const discovery = this.addDiscoveryPermissions(name, labels);
      this.serviceAccount = discovery.serviceAccount;
      this.discoveryRole = discovery.role;
    }

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: {
        name,
        labels,
        ...(clustered ? { annotations: { [CHECKOV_SKIP]: 'CKV_K8S_38=Kubernetes discovery of the cluster members lists Services through the API with this token' } } : {}),
      },
      service: headless,
      replicas: this.servers,
      select: false,
      // A cluster forms only when its members start together.
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(NEO4J_UID),
      // Kubernetes discovery reads Services with the pod's token; a standalone server needs none.
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: clustered,
      // A clean shutdown checkpoints the store; cutting it short means a long recovery.
      terminationGracePeriod: requireGracePeriod(this, 'terminationGracePeriod', props.terminationGracePeriod ?? Duration.minutes(10), 30, 3600),
    });
    selectPods(this.statefulSet, selector);

    const settings = neo4jSettings({
      instance, servers: this.servers, enterprise, heapMiB, pageCacheMiB, namespace: chartNamespace, clusterDomain, tls: this.tls !== undefined,
    });

    // Order matters: $(VAR) only expands variables defined earlier in the list.
    const env: Record<string, kplus.EnvValue> = {
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      ...(clustered && chartNamespace === undefined ? { POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE) } : {}),
      // Not NEO4J_-prefixed: the image's entrypoint turns every NEO4J_* variable into a setting.
      AUTH_PASSWORD: this.password.envValue(this),
      // The initial password of user neo4j (applied while /data is empty); never written to YAML.
      NEO4J_AUTH: kplus.EnvValue.fromValue('neo4j/$(AUTH_PASSWORD)'),
      ...(license ? { NEO4J_ACCEPT_LICENSE_AGREEMENT: kplus.EnvValue.fromValue(license === Neo4jLicenseAgreement.COMMERCIAL ? 'yes' : 'eval') } : {}),
    };
    for (const [key, value] of Object.entries(settings)) env[`NEO4J_${key}`] = kplus.EnvValue.fromValue(value);
    for (const [key, value] of Object.entries(userSettings(this, props, settings))) env[`NEO4J_${key}`] = kplus.EnvValue.fromValue(value);

    const ports: kplus.ContainerPort[] = [
      { number: Neo4jPorts.HTTP, name: 'tcp-http' },
      { number: Neo4jPorts.BOLT, name: 'tcp-bolt' },
    ];
    if (clustered) {
      ports.push(
        { number: Neo4jPorts.DISCOVERY, name: 'tcp-discovery' },
        { number: Neo4jPorts.CLUSTER, name: 'tcp-tx' },
        { number: Neo4jPorts.RAFT, name: 'tcp-raft' },
        { number: Neo4jPorts.ROUTING, name: 'tcp-routing' },
      );
    }
    // Online backup (server.backup.listen_address, neo4j-settings.ts): only the pods wired with
    // `connections.allowFrom(..., tcp(Neo4jPorts.BACKUP))` (Neo4jBackup) reach it.
    if (enterprise) ports.push({ number: Neo4jPorts.BACKUP, name: 'tcp-backup' }, { number: Neo4jPorts.METRICS, name: 'metrics' });

    const securityContext = hardenedContainerSecurityContext(NEO4J_UID);
    // The image's entrypoint writes the settings into conf/neo4j.conf: copy the image's defaults
    // into a writable emptyDir first, so the root filesystem stays read-only.
    const conf = kplus.Volume.fromEmptyDir(this, 'Conf', 'conf', { sizeLimit: Size.mebibytes(16) });
    const initResources: kplus.ContainerResources = {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
    };
    // The password lives in a Secret, so synth cannot check it. This init container refuses what the
    // image's entrypoint would refuse, with a message naming the Secret key and never the password:
    // on a '/' the entrypoint itself prints the whole NEO4J_AUTH into the pod log ("Invalid value for
    // NEO4J_AUTH: '...'"), and a short password fails later inside neo4j-admin.
    this.statefulSet.addInitContainer({
      name: 'check-password',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['sh', '-c', passwordCheckScript(`${this.password.secretName}/${this.password.key}`)],
      envVariables: { AUTH_PASSWORD: this.password.envValue(this) },
      securityContext,
      resources: initResources,
    });
    this.statefulSet.addInitContainer({
      name: 'copy-default-config',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['sh', '-c', 'cp -R /var/lib/neo4j/conf/. /conf-rw/'],
      securityContext,
      resources: initResources,
      volumeMounts: [{ path: '/conf-rw', volume: conf }],
    });
    if (props.offlineMaintenance !== undefined && typeof props.offlineMaintenance !== 'boolean') invalidProp(this, 'offlineMaintenance', props.offlineMaintenance, 'true or false');
    const offline = props.offlineMaintenance === true;
    const startupThreshold = startupFailureThreshold(this, 'startupBudget', props.startupBudget ?? Duration.minutes(30), 5);
    const container = this.statefulSet.addContainer({
      name: 'neo4j',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // As the chart's offline maintenance mode (and the Neo4j operator's parity with it): a
      // sleep loop in place of Neo4j, the data volume mounted for neo4j-admin.
      ...(offline ? { command: ['bash', '-c', NEO4J_OFFLINE_MAINTENANCE_LOOP] } : {}),
      ports,
      envVariables: env,
      resources: { cpu: { request: cpu, limit: cpu }, memory: { request: memory, limit: memory } },
      securityContext,
      // Recovery after a crash and cluster formation can take long: up to 30 minutes.
      ...(offline ? {} : { startup: tcpProbe(Neo4jPorts.BOLT, { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: startupThreshold }) }),
      // Ready once the DBMS serves HTTP (`/` is the unauthenticated discovery document); alive while Bolt accepts.
      readiness: httpProbe('/', Neo4jPorts.HTTP, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
      ...(offline ? {} : { liveness: tcpProbe(Neo4jPorts.BOLT, { periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 20 }) }),
    });
    container.mount('/var/lib/neo4j/conf', conf);
    container.mount('/logs', kplus.Volume.fromEmptyDir(this, 'Logs', 'logs', { sizeLimit: Size.gibibytes(2) }));
    container.mount('/run', kplus.Volume.fromEmptyDir(this, 'Run', 'run', { sizeLimit: Size.mebibytes(16) }));
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }));
    if (this.tls) this.mountCertificate(container, this.tls, clustered ? ['bolt', 'cluster'] : ['bolt']);
    const dataClaim = evsVolumeClaimTemplate(this, 'storage', DATA_CLAIM_TEMPLATE, props.storage ?? {}, Size.gibibytes(100), labels);
    this.storageSize = Size.gibibytes(Number(dataClaim.spec.resources.requests.storage.value.replace(/Gi$/, '')));
    addVolumeClaimTemplates(this.statefulSet, [{ template: dataClaim, mountPath: DATA_DIR }]);

    setImagePullSecrets(this, this.statefulSet, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    requireSeparateNodes(this.statefulSet, selector);
    spreadAcrossZones(this.statefulSet, selector, zoneSpread);
    if (props.nodePool !== undefined) requireNodePool(this, this.statefulSet, props.nodePool);
    this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector });

    this.internalsServices = [];
    if (clustered) {
      for (let i = 0; i < this.servers; i++) {
        const internals = new kplus.Service(this, `Internals${i}`, {
          metadata: {
            name: `${name}-${i}-internals`,
            labels: { ...labels, 'app.kubernetes.io/component': 'neo4j-internals' },
            // Selects its pod by the StatefulSet controller's pod-name label, which templates never carry.
            annotations: { [KUBE_SCORE_IGNORE]: 'service-targets-pod' },
          },
          type: kplus.ServiceType.CLUSTER_IP,
          // Members must reach each other before they are ready to form the cluster.
          publishNotReadyAddresses: true,
          ports: ports.filter((p) => p.name !== 'metrics' && p.name !== 'tcp-backup').map((p) => ({ name: p.name, port: p.number, targetPort: p.number })),
        });
        internals.selectLabel(POD_NAME_LABEL, `${name}-${i}`);
        this.internalsServices.push(internals);
      }
    }

    if (enterprise) {
      const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
      const metrics = new kplus.Service(this, 'Metrics', {
        metadata: { name: `${name}-metrics`, labels: { ...labels, 'app.kubernetes.io/component': 'neo4j-metrics' } },
        clusterIP: 'None',
        ports: [{ name: 'metrics', port: Neo4jPorts.METRICS, targetPort: Neo4jPorts.METRICS }],
      });
      selectPods(metrics, selector);
      this.metricsService = metrics;
      this.connections.allowFromNamespace(monitoringNamespace, tcp(Neo4jPorts.METRICS));
      this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
        metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
        spec: {
          namespaceSelector: { matchNames: [namespace] },
          selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'neo4j-metrics' } },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
        },
      });
    }
    applyPodOverrides(this, 'pod', this.statefulSet, props.pod);
  }

  /**
   * The certificate Secret, mounted whole (no subPath, so the kubelet refreshes renewed files) and
   * read-only at each scope's base directory, its keys renamed to Neo4j's file names: `tls.key` →
   * `private.key`, `tls.crt` → `public.crt`, `ca.crt` → `trusted/ca.crt` (the trusted directory
   * then lists only `ca.crt`; the volume's own `..data` entries stay at its root). The files are
   * root-owned with group fsGroup (7474, hardenedPodSecurityContext), so 0440 lets Neo4j
   * (UID/GID 7474) read the key and nobody else, as the Helm chart does for its trusted certificates.
   */
  private mountCertificate(container: kplus.Container, tls: TlsCertificate, scopes: Neo4jSslScope[]): void {
    // The file names are the same in every scope.
    const files = neo4jCertificateFiles(scopes[0]);
    const secret = kplus.Secret.fromSecretName(this, 'TlsSecret', tls.secretName);
    const volume = kplus.Volume.fromSecret(this, 'Tls', secret, {
      name: 'neo4j-tls',
      defaultMode: 0o440,
      items: {
        [TlsCertificate.PRIVATE_KEY_KEY]: { path: files.privateKey },
        [TlsCertificate.CERTIFICATE_KEY]: { path: files.publicCertificate },
        [TlsCertificate.CA_KEY]: { path: `${files.trustedDir}/${TlsCertificate.CA_KEY}` },
      },
    });
    for (const scope of scopes) container.mount(neo4jCertificateFiles(scope).directory, volume, { readOnly: true });
  }

  /** The ServiceAccount and namespace Role Kubernetes discovery needs: read Services and Endpoints. */
  private addDiscoveryPermissions(name: string, labels: Record<string, string>): { serviceAccount: kplus.ServiceAccount; role: kplus.k8s.KubeRole } {
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name, labels },
      automountToken: false,
    });
    const role = new kplus.k8s.KubeRole(this, 'DiscoveryRole', {
      metadata: { name: `${name}-discovery`, labels },
      rules: [{ apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] }],
    });
    new kplus.k8s.KubeRoleBinding(this, 'DiscoveryRoleBinding', {
      metadata: { name: `${name}-discovery`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name }],
    });
    return { serviceAccount, role };
  }
}

/** What a pod in offline maintenance runs instead of Neo4j. */
const NEO4J_OFFLINE_MAINTENANCE_LOOP = "while true; do echo 'Neo4j is not running: offline maintenance (offlineMaintenance: true). Run neo4j-admin with kubectl exec; set offlineMaintenance to false to restart Neo4j.'; sleep 60; done";

/** The image's environment form of a neo4j.conf setting name: `.` as `_`, `_` as `__`. */
function environmentForm(setting: string): string {
  return setting.replace(/_/g, '__').replace(/\./g, '_');
}

/**
 * The `settings` and `jvmAdditional` props in environment form, after refusing what the
 * construct sets (`managed`, in environment form) and credentials.
 */
function userSettings(scope: Construct, props: Neo4jProps, managed: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (props.settings !== undefined) {
    if (typeof props.settings !== 'object' || props.settings === null) invalidProp(scope, 'settings', props.settings, 'a map of neo4j.conf setting names to values');
    const managedNames = new Set(Object.keys(managed));
    const reserved: Record<string, string> = {
      'server.jvm.additional': 'jvmAdditional',
      'server.memory': 'resources (heap and page cache follow memory)',
      'dbms.security.auth_enabled': 'the construct (authentication is always on)',
      'initial.dbms.default_database': 'the construct (MemOS uses the default database)',
      'server.directories': 'the construct (the data volume and writable paths)',
    };
    for (const [key, value] of Object.entries(props.settings)) {
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(key)) invalidProp(scope, 'settings', key, "neo4j.conf setting names such as 'db.transaction.timeout' (lowercase, dotted)");
      if (typeof value !== 'string' || value.length === 0 || /[\r\n]/.test(value)) invalidProp(scope, `settings.${key}`, value, 'a non-empty string on one line');
      refuseManagedKeys(scope, 'settings', [key], reserved);
      const env = environmentForm(key);
      if (managedNames.has(env)) invalidProp(scope, `settings.${key}`, key, 'a setting the construct does not manage: set servers, clusterDomain, tls or resources instead');
      out[env] = value;
    }
  }
  if (props.jvmAdditional !== undefined) {
    if (!Array.isArray(props.jvmAdditional) || props.jvmAdditional.length === 0) invalidProp(scope, 'jvmAdditional', props.jvmAdditional, 'a non-empty list of JVM arguments');
    props.jvmAdditional.forEach((arg, i) => {
      if (typeof arg !== 'string' || !/^-\S+$/.test(arg)) invalidProp(scope, `jvmAdditional[${i}]`, arg, "a JVM argument starting with '-' and without whitespace (the image takes them space-separated)");
      if (/^-Xm[sx]/.test(arg)) invalidProp(scope, `jvmAdditional[${i}]`, arg, 'no heap size: heap and page cache follow resources.memory');
    });
    out[environmentForm('server.jvm.additional')] = props.jvmAdditional.join(' ');
  }
  return out;
}
