import { execFileSync } from 'child_process';
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemoryStorage, MemosSize, Neo4jBackend } from '../index';
import {
  DEFAULT_NEO4J_ENTERPRISE_IMAGE, DEFAULT_NEO4J_IMAGE, Neo4j, Neo4jEdition, Neo4jLicenseAgreement, Neo4jPorts, Neo4jProps,
} from '../constructs/neo4j';
import { Credentials } from '../src/credentials';
import { ZoneSpread } from '../src/kubernetes';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only, servicesFor, synthChart } from './support/synth';

const CREDENTIALS = Credentials.fromSecret('memos-secrets');

/** `namespace: null` synthesizes in a Chart without a namespace. */
function synthNeo4j(props: Partial<Neo4jProps> = {}, namespace: string | null = 'memos') {
  const chart = new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined });
  const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: CREDENTIALS, ...props });
  const objects = Testing.synth(chart);
  const sts = only(objects, 'StatefulSet');
  const main = sts.spec.template.spec.containers[0];
  const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
  return { neo4j, objects, sts, pod: sts.spec.template.spec, main, env };
}

const CLUSTER: Partial<Neo4jProps> = { servers: 3, licenseAgreement: Neo4jLicenseAgreement.EVALUATION };
const selector = { 'app.kubernetes.io/name': 'neo4j', 'app.kubernetes.io/instance': 'memos' };

/** The Neo4j 5.26 settings this construct may set (neo4j.com operations manual, configuration settings). */
const KNOWN_SETTINGS = [
  'server.default_listen_address', 'server.memory.heap.initial_size', 'server.memory.heap.max_size', 'server.memory.pagecache.size',
  'server.bolt.connection_keep_alive', 'server.metrics.csv.enabled', 'server.metrics.prometheus.enabled',
  'server.metrics.prometheus.endpoint', 'server.backup.listen_address', 'dbms.cluster.discovery.resolver_type', 'dbms.kubernetes.label_selector',
  'dbms.kubernetes.service_port_name', 'dbms.kubernetes.discovery.v2.service_port_name', 'dbms.cluster.minimum_initial_system_primaries_count',
  'initial.dbms.default_primaries_count', 'dbms.routing.enabled', 'dbms.routing.default_router', 'server.discovery.advertised_address',
  'server.cluster.advertised_address', 'server.cluster.raft.advertised_address', 'server.routing.advertised_address', 'server.bolt.advertised_address',
  'dbms.kubernetes.cluster_domain', 'dbms.databases.seed_from_uri_providers',
];
/** NEO4J_* variables the image's entrypoint treats as controls, not settings (docker-entrypoint.sh `not_configs`). */
const ENTRYPOINT_CONTROLS = ['NEO4J_ACCEPT_LICENSE_AGREEMENT', 'NEO4J_AUTH', 'NEO4J_AUTH_PATH', 'NEO4J_DEBUG', 'NEO4J_EDITION', 'NEO4J_HOME', 'NEO4J_PLUGINS', 'NEO4J_SHA256', 'NEO4J_TARBALL'];

/** The entrypoint's mapping: strip NEO4J_, `_` → `.`, `..` → `_`. */
const settingOf = (envName: string) => envName.replace(/^NEO4J_/, '').replace(/_/g, '.').replace(/\.\./g, '_');

describe('Neo4j standalone (Community)', () => {
  test('one Community server behind client and headless Services; valid, hardened, policy-clean', () => {
    const { objects, sts, pod, main } = synthNeo4j();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/memos-neo4j', 'Service/memos-neo4j-headless', 'StatefulSet/memos-neo4j', 'PodDisruptionBudget/memos-neo4j']);
    expect(sts.spec.replicas).toBe(1);
    expect(main.image).toBe('docker.io/library/neo4j:5.26.6');
    expect(main.ports).toEqual([{ containerPort: 7474, name: 'tcp-http' }, { containerPort: 7687, name: 'tcp-bolt' }]);
    expect(pod.securityContext).toMatchObject({ runAsUser: 7474, runAsGroup: 7474, fsGroup: 7474, runAsNonRoot: true });
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('NEO4J_AUTH is assembled in the pod from the Secret; no plugins, no licence', () => {
    const { main, env } = synthNeo4j();
    expect(main.env.slice(1, 3)).toEqual([
      { name: 'AUTH_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false } } },
      { name: 'NEO4J_AUTH', value: 'neo4j/$(AUTH_PASSWORD)' },
    ]);
    expect(env.NEO4J_PLUGINS).toBeUndefined();
    expect(env.NEO4J_ACCEPT_LICENSE_AGREEMENT).toBeUndefined();
  });

  test('every NEO4J_* variable is an entrypoint control or a real Neo4j setting', () => {
    for (const props of [{}, CLUSTER]) {
      for (const name of Object.keys(synthNeo4j(props).env)) {
        if (!name.startsWith('NEO4J_') || ENTRYPOINT_CONTROLS.includes(name)) continue;
        expect(KNOWN_SETTINGS).toContain(settingOf(name));
      }
    }
  });

  test('heap and page cache come from the container memory', () => {
    expect(Neo4j.memorySettings(16384)).toEqual({ heapMiB: 6144, pageCacheMiB: 6144 });
    expect(Neo4j.memorySettings(4096)).toEqual({ heapMiB: 1536, pageCacheMiB: 1536 });
    expect(Neo4j.memorySettings(256 * 1024).heapMiB).toBe(31 * 1024);
    const { env, main } = synthNeo4j({ resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) } });
    expect([env.NEO4J_server_memory_heap_initial__size, env.NEO4J_server_memory_heap_max__size, env.NEO4J_server_memory_pagecache_size]).toEqual(['9216m', '9216m', '9216m']);
    expect(main.resources).toEqual({ requests: { cpu: '6', memory: '24576Mi' }, limits: { cpu: '6', memory: '24576Mi' } });
  });

  test('a read-only root: the image config is copied to an emptyDir; logs, run and tmp are emptyDirs; data on EVS', () => {
    const { sts, pod, main } = synthNeo4j();
    expect(pod.initContainers[1]).toMatchObject({ name: 'copy-default-config', command: ['sh', '-c', 'cp -R /var/lib/neo4j/conf/. /conf-rw/'], volumeMounts: [{ name: 'conf', mountPath: '/conf-rw' }] });
    expect(pod.initContainers.map((c: any) => c.securityContext.readOnlyRootFilesystem)).toEqual([true, true]);
    expect(main.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/var/lib/neo4j/conf', '/logs', '/run', '/tmp', '/data']);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({ metadata: { name: 'data', annotations: { 'everest.io/disk-volume-type': 'SSD' } }, spec: { storageClassName: 'csi-disk-topology', resources: { requests: { storage: '100Gi' } } } });
  });

  test('probes on Bolt with a 30-minute startup budget; a 10-minute grace period', () => {
    const { pod, main } = synthNeo4j();
    expect(main.startupProbe).toEqual({ tcpSocket: { port: 7687 }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 360 });
    // Ready when the DBMS serves HTTP; alive while Bolt accepts (different probes: overload never restarts it).
    expect(main.readinessProbe.httpGet).toEqual({ path: '/', port: 7474, scheme: 'HTTP' });
    expect(main.livenessProbe).toEqual({ tcpSocket: { port: 7687 }, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 20 });
    expect(pod.terminationGracePeriodSeconds).toBe(600);
  });

  test('anti-affinity, zone spread and a PDB', () => {
    const { objects, pod } = synthNeo4j();
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]).toEqual({ labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' });
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    expect(only(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('MemOS connects over bolt:// to one server', () => {
    expect(synthNeo4j().neo4j.uri).toBe('bolt://memos-neo4j:7687');
  });
});

describe('Neo4j cluster (Enterprise)', () => {
  test('3 primaries with Kubernetes discovery, per-server internals Services and routing', () => {
    const { objects, sts, env, neo4j } = synthNeo4j(CLUSTER);
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(neo4j.uri).toBe('neo4j://memos-neo4j:7687');
    expect(env).toMatchObject({
      NEO4J_ACCEPT_LICENSE_AGREEMENT: 'eval',
      NEO4J_dbms_cluster_discovery_resolver__type: 'K8S',
      NEO4J_dbms_kubernetes_label__selector: 'app.kubernetes.io/instance=memos,app.kubernetes.io/component=neo4j-internals',
      NEO4J_dbms_cluster_minimum__initial__system__primaries__count: '3',
      NEO4J_initial_dbms_default__primaries__count: '3',
    });
    const internals = objects.filter((o) => o.metadata.name.endsWith('-internals'));
    expect(internals.map((s) => [s.metadata.name, s.spec.selector['statefulset.kubernetes.io/pod-name'], s.spec.publishNotReadyAddresses]))
      .toEqual([0, 1, 2].map((i) => [`memos-neo4j-${i}-internals`, `memos-neo4j-${i}`, true]));
    expect(internals[0].metadata.labels['app.kubernetes.io/component']).toBe('neo4j-internals');
    expect(internals[0].spec.ports.map((p: any) => p.name)).toEqual(['tcp-http', 'tcp-bolt', 'tcp-discovery', 'tcp-tx', 'tcp-raft', 'tcp-routing']);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('every advertised address is the FQDN of the member\'s internals Service (K8S discovery needs an exact match)', () => {
    const { env, objects } = synthNeo4j(CLUSTER);
    const fqdn = '$(POD_NAME)-internals.memos.svc.cluster.local';
    expect(env).toMatchObject({
      NEO4J_server_discovery_advertised__address: `${fqdn}:5000`,
      NEO4J_server_cluster_advertised__address: `${fqdn}:6000`,
      NEO4J_server_cluster_raft_advertised__address: `${fqdn}:7000`,
      NEO4J_server_routing_advertised__address: `${fqdn}:7688`,
      NEO4J_server_bolt_advertised__address: `${fqdn}:7687`,
      // discovery v1 on the 5000 port, v2 on the 6000 port, by the Services' port names
      NEO4J_dbms_kubernetes_service__port__name: 'tcp-discovery',
      NEO4J_dbms_kubernetes_discovery_v2_service__port__name: 'tcp-tx',
    });
    // the default domain writes no extra setting; every advertised name is a Service of this chart
    expect(env.NEO4J_dbms_kubernetes_cluster__domain).toBeUndefined();
    expect(env.NEO4J_dbms_cluster_discovery_version).toBeUndefined();
    const internals = objects.filter((o) => o.metadata.name.endsWith('-internals'));
    for (const svc of internals) {
      const ports = Object.fromEntries(svc.spec.ports.map((p: any) => [p.name, p.port]));
      expect([ports['tcp-discovery'], ports['tcp-tx'], ports['tcp-raft'], ports['tcp-routing'], ports['tcp-bolt']]).toEqual([5000, 6000, 7000, 7688, 7687]);
      expect(`${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`).toBe(fqdn.replace('$(POD_NAME)', svc.spec.selector['statefulset.kubernetes.io/pod-name']));
    }
  });

  test('a custom clusterDomain goes into every advertised address and into dbms.kubernetes.cluster_domain', () => {
    const { env } = synthNeo4j({ ...CLUSTER, clusterDomain: 'k8s.example.internal' });
    expect(env.NEO4J_server_cluster_advertised__address).toBe('$(POD_NAME)-internals.memos.svc.k8s.example.internal:6000');
    expect(env.NEO4J_server_bolt_advertised__address).toBe('$(POD_NAME)-internals.memos.svc.k8s.example.internal:7687');
    expect(env.NEO4J_dbms_kubernetes_cluster__domain).toBe('k8s.example.internal');
    // one server advertises nothing; the prop is still validated there
    expect(synthNeo4j({ clusterDomain: 'k8s.example.internal' }).env.NEO4J_server_cluster_advertised__address).toBeUndefined();
  });

  test('without a chart namespace the pod\'s own namespace is used, declared before its use', () => {
    const { main, env } = synthNeo4j(CLUSTER, null);
    expect(env.POD_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env.NEO4J_server_discovery_advertised__address).toBe('$(POD_NAME)-internals.$(POD_NAMESPACE).svc.cluster.local:5000');
    const names = main.env.map((e: any) => e.name);
    expect(names.indexOf('POD_NAMESPACE')).toBeLessThan(names.indexOf('NEO4J_server_discovery_advertised__address'));
    expect(synthNeo4j(CLUSTER).env.POD_NAMESPACE).toBeUndefined();
  });

  test('the backup port listens on every interface for Neo4jBackup, as a container port but in no Service; seeds from https URLs', () => {
    for (const props of [CLUSTER, { edition: Neo4jEdition.ENTERPRISE, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL }]) {
      const { env, main, objects, neo4j } = synthNeo4j(props);
      expect(env.NEO4J_server_backup_listen__address).toBe('0.0.0.0:6362');
      expect(env.NEO4J_dbms_databases_seed__from__uri__providers).toBe('S3SeedProvider,CloudSeedProvider,URLConnectionSeedProvider');
      expect(main.ports).toContainEqual({ containerPort: 6362, name: 'tcp-backup' });
      for (const svc of objects.filter((o) => o.kind === 'Service')) expect(svc.spec.ports.map((p: any) => p.port)).not.toContain(6362);
      // Admitted from nobody until a backup is wired (neo4j-backup.test.ts).
      expect(neo4j.connections._ingress.filter((r) => r.ports.some((p) => p.port === 6362))).toEqual([]);
    }
    const community = synthNeo4j();
    expect(community.env.NEO4J_server_backup_listen__address).toBeUndefined();
    expect(community.env.NEO4J_dbms_databases_seed__from__uri__providers).toBeUndefined();
    expect(community.main.ports.map((p: any) => p.containerPort)).not.toContain(6362);
  });

  test('discovery RBAC: a ServiceAccount that may only read Services and Endpoints in the namespace', () => {
    const { objects, pod } = synthNeo4j(CLUSTER);
    expect(pod.serviceAccountName).toBe('memos-neo4j');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(only(objects, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] }]);
    expect(only(objects, 'RoleBinding')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'memos-neo4j-discovery' },
      subjects: [{ kind: 'ServiceAccount', name: 'memos-neo4j' }],
    });
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  test('Enterprise metrics: Prometheus endpoint, metrics Service and ServiceMonitor', () => {
    const { objects, env } = synthNeo4j(CLUSTER);
    expect(env).toMatchObject({ NEO4J_server_metrics_prometheus_enabled: 'true', NEO4J_server_metrics_prometheus_endpoint: '0.0.0.0:2004', NEO4J_server_metrics_csv_enabled: 'false' });
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.metadata).toMatchObject({ namespace: 'monitoring', name: 'memos-memos-neo4j' });
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(only(objects, 'Service', 'memos-neo4j-metrics').spec.ports).toEqual([{ name: 'metrics', port: 2004, targetPort: 2004 }]);
  });

  test('a commercial licence, 5 servers (5 primaries), a standalone Enterprise server', () => {
    expect(synthNeo4j({ servers: 5, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL }).env).toMatchObject({ NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes', NEO4J_initial_dbms_default__primaries__count: '5' });
    const single = synthNeo4j({ edition: Neo4jEdition.ENTERPRISE, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL });
    expect(single.main.image).toBe('docker.io/library/neo4j:5.26.6-enterprise');
    expect(single.env.NEO4J_dbms_cluster_discovery_resolver__type).toBeUndefined();
    expect(single.objects.map((o) => o.kind)).toContain('ServiceMonitor');
  });

  test('$(POD_NAME) expands: POD_NAME comes before every variable that uses it', () => {
    const names = synthNeo4j(CLUSTER).main.env.map((e: any) => e.name);
    expect(names[0]).toBe('POD_NAME');
    expect(names.indexOf('AUTH_PASSWORD')).toBeLessThan(names.indexOf('NEO4J_AUTH'));
  });

  const invalid: [string, Partial<Neo4jProps>, RegExp][] = [
    ['a cluster of 2', { servers: 2 }, /Neo4j 'test\/Neo4j': invalid servers 2; allowed: 1 \(standalone\), or 3 and more/],
    ['0 servers', { servers: 0 }, /invalid servers 0; allowed: an integer from 1 to 9/],
    ['a cluster without licence acceptance', { servers: 3 }, /invalid licenseAgreement \(missing\); allowed: 'commercial' or 'evaluation': Enterprise Edition \(which a cluster needs\) runs only with its licence accepted; or run one Community server \(servers: 1\)/],
    ['Enterprise without licence acceptance', { edition: Neo4jEdition.ENTERPRISE }, /invalid licenseAgreement \(missing\); allowed: 'commercial' or 'evaluation'/],
    ['a Community cluster', { servers: 3, edition: Neo4jEdition.COMMUNITY, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL }, /invalid edition "community"; allowed: 'enterprise' for a cluster/],
    ['an unknown edition', { edition: 'pro' as never }, /invalid edition "pro"; allowed: community, enterprise/],
    ['an unknown licence answer', { edition: Neo4jEdition.ENTERPRISE, licenseAgreement: 'yes' as never }, /invalid licenseAgreement "yes"; allowed: 'commercial' or 'evaluation'/],
    ['an unknown licence answer with Community', { licenseAgreement: 'yes' as never }, /invalid licenseAgreement "yes"; allowed: commercial, evaluation/],
    ['too little memory', { resources: { cpu: kplus.Cpu.units(1), memory: Size.gibibytes(1) } }, /invalid resources.memory "1024Mi"; allowed: at least 2Gi/],
    ['an unknown disk type', { storage: { diskType: 'NVMe' as never } }, /invalid storage.diskType "NVMe"; allowed: SSD/],
    ['a disk beyond the EVS limit', { storage: { size: Size.gibibytes(40000) } }, /invalid storage.size "40960000Mi"; allowed: a whole number of GiB from 1Gi to 32768Gi/],
    ['no credentials', { credentials: undefined as never }, /invalid credentials \(missing\); allowed: Credentials.fromSecret/],
    ['a bad credential key', { credentials: Credentials.fromSecret('memos-secrets', { keys: { NEO4J_PASSWORD: 'neo4j password' } }) }, /invalid credentials.keys.NEO4J_PASSWORD "neo4j password"; allowed: a Secret key/],
    ['a bad instance name', { instance: 'Memos_1' }, /invalid instance "Memos_1"; allowed: a DNS label/],
    ['an unpinned image', { image: 'docker.io/library/neo4j:latest' }, /invalid image "docker.io\/library\/neo4j:latest"; allowed: .*pinned to a tag other than 'latest'/],
    ['an unknown zone spread', { zoneSpread: 'always' as never }, /invalid zoneSpread "always"; allowed: required, preferred/],
    ['a bad node pool name', { nodePool: 'Pool_1' }, /invalid nodePool "Pool_1"; allowed: a DNS label/],
    ['a bad pull secret name', { imagePullSecrets: ['Bad Secret'] }, /invalid imagePullSecrets\[0\] "Bad Secret"; allowed: a DNS subdomain/],
    ['a bad monitoring namespace (Enterprise)', { ...CLUSTER, monitoringNamespace: 'Monitoring' }, /invalid monitoringNamespace "Monitoring"; allowed: a DNS label/],
    ['an upper-case cluster domain', { ...CLUSTER, clusterDomain: 'Cluster.Local' }, /Neo4j 'test\/Neo4j': invalid clusterDomain "Cluster.Local"; allowed: a DNS domain such as 'cluster.local'/],
    ['a cluster domain with a trailing dot', { ...CLUSTER, clusterDomain: 'cluster.local.' }, /invalid clusterDomain "cluster.local."; allowed: a DNS domain/],
    ['a cluster domain with a leading dot', { ...CLUSTER, clusterDomain: '.cluster.local' }, /invalid clusterDomain ".cluster.local"; allowed: a DNS domain/],
    ['a cluster domain as a URL', { ...CLUSTER, clusterDomain: 'https://cluster.local' }, /invalid clusterDomain "https:\/\/cluster.local"; allowed: a DNS domain/],
    ['a cluster domain with a port', { ...CLUSTER, clusterDomain: 'cluster.local:53' }, /invalid clusterDomain "cluster.local:53"; allowed: a DNS domain/],
    ['a cluster domain with an underscore', { ...CLUSTER, clusterDomain: 'cluster_local' }, /invalid clusterDomain "cluster_local"; allowed: a DNS domain/],
    ['an empty cluster domain', { ...CLUSTER, clusterDomain: '' }, /invalid clusterDomain ""; allowed: a DNS domain/],
    ['a cluster domain label over 63 characters', { clusterDomain: `${'a'.repeat(64)}.local` }, /invalid clusterDomain "a{64}\.local"; allowed: a DNS domain/],
    ['a cluster domain that makes the FQDN exceed 253', { ...CLUSTER, clusterDomain: Array(4).fill('d'.repeat(55)).join('.') },
      /invalid clusterDomain "d{55}\.[d.]+"; allowed: a DNS domain .*; at most 219 characters here, so that memos-neo4j-2-internals\.<namespace>\.svc\.<clusterDomain> stays within 253/],
    ['a cluster domain that is not a string', { clusterDomain: 42 as never }, /invalid clusterDomain 42; allowed: a DNS domain/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthNeo4j(props)).toThrow(message);
  });
});

describe('Neo4j as a standalone store: credentials and placement in, connection attributes out', () => {
  test('synthesizes alone in a plain Chart from credentials and placement only', () => {
    const { objects, pod } = synthNeo4j({ zoneSpread: ZoneSpread.PREFERRED, imagePullSecrets: ['swr-pull'] });
    expect(objects.map((o) => o.kind)).toEqual(['Service', 'Service', 'StatefulSet', 'PodDisruptionBudget']);
    expect(pod.imagePullSecrets).toEqual([{ name: 'swr-pull' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('defaults: one server, 4 CPU / 16Gi, a 100Gi disk, required zone spread, the SWR pull secret', () => {
    const { sts, pod, main } = synthNeo4j();
    expect(sts.spec.replicas).toBe(1);
    expect(main.resources).toEqual({ requests: { cpu: '4', memory: '16384Mi' }, limits: { cpu: '4', memory: '16384Mi' } });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    expect(pod.nodeSelector).toBeUndefined();
  });

  test('connection attributes: host, Bolt port, URI, user and the password key', () => {
    const { neo4j, objects } = synthNeo4j();
    expect(neo4j.host).toBe('memos-neo4j');
    expect(only(objects, 'Service', neo4j.host).spec.ports.map((p: any) => p.port)).toContain(neo4j.boltPort);
    expect(neo4j.boltPort).toBe(7687);
    expect(neo4j.boltPort).toBe(Neo4jPorts.BOLT);
    expect(neo4j.uri).toBe('bolt://memos-neo4j:7687');
    expect(neo4j.user).toBe('neo4j');
    expect([neo4j.password.secretName, neo4j.password.key]).toEqual(['memos-secrets', 'NEO4J_PASSWORD']);
    expect([neo4j.servers, neo4j.edition]).toEqual([1, Neo4jEdition.COMMUNITY]);
    expect(synthNeo4j(CLUSTER).neo4j.uri).toBe('neo4j://memos-neo4j:7687');
    expect(synthNeo4j(CLUSTER).neo4j.edition).toBe(Neo4jEdition.ENTERPRISE);
  });

  test('the password key follows the credentials: the pod reads the key the attribute names', () => {
    const credentials = Credentials.fromSecret('graph-secrets', { keys: { NEO4J_PASSWORD: 'neo4j-password' } });
    const { neo4j, env } = synthNeo4j({ credentials });
    expect([neo4j.password.secretName, neo4j.password.key]).toEqual(['graph-secrets', 'neo4j-password']);
    expect(env.AUTH_PASSWORD).toEqual({ secretKeyRef: { name: 'graph-secrets', key: 'neo4j-password', optional: false } });
  });

  test('the children are exposed for patching', () => {
    const { neo4j } = synthNeo4j();
    expect(neo4j.statefulSet.name).toBe('memos-neo4j');
    expect(neo4j.service.name).toBe('memos-neo4j');
    expect(neo4j.headlessService.name).toBe('memos-neo4j-headless');
    expect(neo4j.internalsServices).toEqual([]);
    expect(neo4j.disruptionBudget.name).toBe('memos-neo4j');
    expect(neo4j.serviceAccount).toBeUndefined();
    expect(neo4j.discoveryRole).toBeUndefined();
    expect(neo4j.metricsService).toBeUndefined();
    expect(neo4j.serviceMonitor).toBeUndefined();

    const cluster = synthNeo4j(CLUSTER).neo4j;
    expect(cluster.internalsServices.map((s) => s.name)).toEqual(['memos-neo4j-0-internals', 'memos-neo4j-1-internals', 'memos-neo4j-2-internals']);
    expect(cluster.serviceAccount?.name).toBe('memos-neo4j');
    expect(cluster.discoveryRole?.name).toBe('memos-neo4j-discovery');
    expect(cluster.metricsService?.name).toBe('memos-neo4j-metrics');
    expect(cluster.serviceMonitor?.name).toBe('memos-memos-neo4j');

    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const patched = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: CREDENTIALS });
    patched.statefulSet.metadata.addAnnotation('example.com/owner', 'graph-team');
    expect(only(Testing.synth(chart), 'StatefulSet').metadata.annotations).toEqual({ 'example.com/owner': 'graph-team' });
  });

  test('version, default images and ports are exposed', () => {
    expect(Neo4j.VERSION).toBe('5.26.6');
    expect(Neo4j.DEFAULT_IMAGE).toBe('docker.io/library/neo4j:5.26.6');
    expect(Neo4j.DEFAULT_ENTERPRISE_IMAGE).toBe('docker.io/library/neo4j:5.26.6-enterprise');
    expect([DEFAULT_NEO4J_IMAGE, DEFAULT_NEO4J_ENTERPRISE_IMAGE]).toEqual([Neo4j.DEFAULT_IMAGE, Neo4j.DEFAULT_ENTERPRISE_IMAGE]);
    expect([Neo4jPorts.HTTP, Neo4jPorts.BOLT, Neo4jPorts.DISCOVERY, Neo4jPorts.CLUSTER, Neo4jPorts.RAFT, Neo4jPorts.ROUTING, Neo4jPorts.BACKUP, Neo4jPorts.METRICS])
      .toEqual([7474, 7687, 5000, 6000, 7000, 7688, 6362, 2004]);
    expect(synthNeo4j({ image: 'swr.cn-north-4.myhuaweicloud.com/acme/neo4j:5.26.6' }).main.image).toBe('swr.cn-north-4.myhuaweicloud.com/acme/neo4j:5.26.6');
  });

  test('enum values are the strings the YAML and error messages use', () => {
    expect(Object.values(Neo4jEdition)).toEqual(['community', 'enterprise']);
    expect(Object.values(Neo4jLicenseAgreement)).toEqual(['commercial', 'evaluation']);
  });
});

describe('Neo4j password rules (NEO4J_AUTH=neo4j/<password>)', () => {
  const check = (password: string | undefined) => {
    const { pod } = synthNeo4j();
    const init = pod.initContainers[0];
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (password !== undefined) env.AUTH_PASSWORD = password;
    try {
      execFileSync(init.command[0], init.command.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: 0, stderr: '' };
    } catch (e: any) {
      return { code: e.status as number, stderr: String(e.stderr) };
    }
  };

  test('an init container checks the password from the Secret before Neo4j starts', () => {
    const { pod } = synthNeo4j();
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['check-password', 'copy-default-config']);
    expect(pod.initContainers[0]).toMatchObject({
      image: 'docker.io/library/neo4j:5.26.6',
      command: ['sh', '-c', expect.any(String)],
      env: [{ name: 'AUTH_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false } } }],
      securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true },
    });
    expect(pod.initContainers[0].volumeMounts).toBeUndefined();
  });

  test.each([
    ['a password with 8 characters', 'abcdefgh'],
    ['a long password with symbols', 'c0rrect horse $(battery) "staple" \\ `x`'],
  ])('accepts %s', (_name, password) => {
    expect(check(password)).toEqual({ code: 0, stderr: '' });
  });

  test.each([
    ['a password with a slash', 'correct/horse-battery', "contains '/'"],
    ['a password ending in /true', 'correct-horse/true', "contains '/'"],
    ['a password shorter than 8 characters', 'short12', 'has fewer than 8 characters'],
    ['an empty password', '', 'has fewer than 8 characters'],
    ["the password 'neo4j'", 'neo4j', 'has fewer than 8 characters'],
  ])('rejects %s, naming the Secret key and never the password', (_name, password, reason) => {
    const result = check(password);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Neo4j password in Secret key memos-secrets/NEO4J_PASSWORD');
    expect(result.stderr).toContain(reason);
    if (password.length > 0) expect(result.stderr).not.toContain(password);
  });

  test('the entrypoint rules the check mirrors', () => {
    // docker-entrypoint.sh set_initial_password: ^([^/]+)\/([^/]+)/?([tT][rR][uU][eE])?$
    const auth = /^([^/]+)\/([^/]+)\/?([tT][rR][uU][eE])?$/;
    expect(auth.exec('neo4j/correct/horse')).toBeNull();
    expect(auth.exec('neo4j/correct/true')?.[2]).toBe('correct'); // silently another password
    expect(auth.exec('neo4j/')).toBeNull();
  });
});

describe('graph backends in MemosChart', () => {
  test('the postgres backend: no Neo4j and no Qdrant objects, MemOS configured for postgres', () => {
    const objects = synthChart({
      size: MemosSize.MEDIUM,
      ...servicesFor(MemosSize.MEDIUM),
      storage: MemoryStorage.postgres({ host: 'gaussdb-memos.example.internal', database: 'memos', user: 'memos' }),
    });
    expect(objects.filter((o) => /neo4j|qdrant/.test(o.metadata.name))).toEqual([]);
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(data).toMatchObject({ NEO4J_BACKEND: 'postgres', POSTGRES_HOST: 'gaussdb-memos.example.internal', POSTGRES_PORT: '5432', POSTGRES_DB: 'memos', POSTGRES_USER: 'memos', MEMOS_SCHEMA: 'memos', POSTGRES_MAX_CONN: '20', EMBEDDING_DIMENSION: '1024' });
    expect(Object.keys(data).filter((k) => /^(NEO4J_(URI|USER|DB_NAME)|QDRANT_)/.test(k))).toEqual([]);
    const api = only(objects, 'Deployment', 'memos-api').spec.template.spec.containers[0];
    const secretEnv = api.env.filter((e: any) => e.valueFrom).map((e: any) => e.name);
    expect(secretEnv).toContain('POSTGRES_PASSWORD');
    expect(secretEnv).not.toContain('NEO4J_PASSWORD');
    expect(secretEnv).not.toContain('QDRANT_API_KEY');
    expect(validateManifests(objects)).toEqual([]);
  });

  test('an external Neo4j', () => {
    const objects = synthChart({
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.external({ uri: 'neo4j+s://graph.example.com:7687' }) }),
    });
    expect(objects.filter((o) => o.metadata.name.includes('neo4j'))).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data.NEO4J_URI).toBe('neo4j+s://graph.example.com:7687');
  });

  test('the in-cluster Neo4j: MemOS gets its URI; a single Community server is possible on medium', () => {
    const cluster = synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM) });
    expect(only(cluster, 'StatefulSet', 'memos-neo4j').spec.replicas).toBe(3);
    const neo4jEnv = only(cluster, 'StatefulSet', 'memos-neo4j').spec.template.spec.containers[0].env;
    const namespace = only(cluster, 'StatefulSet', 'memos-neo4j').metadata.namespace;
    expect(neo4jEnv.find((e: any) => e.name === 'NEO4J_server_cluster_advertised__address').value).toBe(`$(POD_NAME)-internals.${namespace}.svc.cluster.local:6000`);
    expect(only(cluster, 'ConfigMap', 'memos-config').data.NEO4J_URI).toBe('neo4j://memos-neo4j:7687');
    const single = synthChart({
      size: MemosSize.MEDIUM,
      ...servicesFor(MemosSize.MEDIUM),
      storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ servers: 1 }) }),
    });
    expect(only(single, 'StatefulSet', 'memos-neo4j').spec.template.spec.containers[0].image).toBe('docker.io/library/neo4j:5.26.6');
    expect(only(single, 'ConfigMap', 'memos-config').data.NEO4J_URI).toBe('bolt://memos-neo4j:7687');
  });

  // Both graph backends at once, Qdrant with postgres, or an external Neo4j next to the in-cluster
  // one can no longer be written: MemoryStorage is either neo4jAndQdrant or postgres.
  // The storage is built inside each test so that a factory error fails that test only.
  test.each([
    ['a cluster without licence acceptance', MemosSize.MEDIUM, () => MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster() }),
      /MemosChart 'test': invalid storage\.neo4j\.licenseAgreement \(missing\); allowed: 'commercial' or 'evaluation'/],
    ['a Community cluster', MemosSize.MEDIUM,
      () => MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ servers: 3, edition: Neo4jEdition.COMMUNITY, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL }) }),
      /MemosChart 'test': invalid storage\.neo4j\.edition "community"; allowed: 'enterprise' for a cluster/],
    ['a cluster of 2', MemosSize.SMALL, () => MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ servers: 2 }) }),
      /MemosChart 'test': invalid storage\.neo4j\.servers 2; allowed: 1 \(standalone\)/],
    ['a bad cluster domain', MemosSize.MEDIUM,
      () => MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL, clusterDomain: 'Cluster.Local' }) }),
      /MemosChart 'test': invalid storage\.neo4j\.clusterDomain "Cluster.Local"; allowed: a DNS domain/],
    ['a bad postgres identifier', MemosSize.SMALL, () => MemoryStorage.postgres({ host: 'pg', schema: 'Memos-Schema' }),
      /MemosChart 'test': invalid storage\.\S*schema "Memos-Schema"/],
  ])('rejects %s', (_name, size, storage, message) => {
    expect(() => synthChart({ size, ...servicesFor(size), storage: storage() })).toThrow(message);
  });
});

test('the entrypoint mapping used above matches the image script', () => {
  // sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\.\.|_|g', as in docker-entrypoint.sh
  const viaSed = execFileSync('sh', ['-c', "echo NEO4J_server_memory_heap_max__size | sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\\.\\.|_|g'"], { encoding: 'utf8' }).trim();
  expect(settingOf('NEO4J_server_memory_heap_max__size')).toBe(viaSed);
  expect(viaSed).toBe('server.memory.heap.max_size');
});
