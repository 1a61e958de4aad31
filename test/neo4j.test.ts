import { execFileSync } from 'child_process';
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemosConfig } from '../constructs/memos-config';
import { Neo4j, neo4jMemorySettings, Neo4jProps } from '../constructs/neo4j';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { CLUSTER_SERVICES, only, synthChart } from './support/synth';

function synthNeo4j(props: Partial<Neo4jProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const config = new MemosConfig(chart, 'Config', { instance: 'memos' });
  const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', config, ...props });
  const objects = Testing.synth(chart).filter((o) => o.kind !== 'ConfigMap');
  const sts = only(objects, 'StatefulSet');
  const main = sts.spec.template.spec.containers[0];
  const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
  return { neo4j, objects, sts, pod: sts.spec.template.spec, main, env };
}

const CLUSTER = { servers: 3, licenseAgreement: 'evaluation' } as const;
const selector = { 'app.kubernetes.io/name': 'neo4j', 'app.kubernetes.io/instance': 'memos' };

/** The Neo4j 5.26 settings this construct may set (neo4j.com operations manual, configuration settings). */
const KNOWN_SETTINGS = [
  'server.default_listen_address', 'server.memory.heap.initial_size', 'server.memory.heap.max_size', 'server.memory.pagecache.size',
  'server.bolt.connection_keep_alive', 'server.metrics.csv.enabled', 'server.metrics.prometheus.enabled',
  'server.metrics.prometheus.endpoint', 'server.backup.listen_address', 'dbms.cluster.discovery.resolver_type', 'dbms.kubernetes.label_selector',
  'dbms.kubernetes.service_port_name', 'dbms.kubernetes.discovery.v2.service_port_name', 'dbms.cluster.minimum_initial_system_primaries_count',
  'initial.dbms.default_primaries_count', 'dbms.routing.enabled', 'dbms.routing.default_router', 'server.discovery.advertised_address',
  'server.cluster.advertised_address', 'server.cluster.raft.advertised_address', 'server.routing.advertised_address', 'server.bolt.advertised_address',
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
    expect(neo4jMemorySettings(16384)).toEqual({ heapMiB: 6144, pageCacheMiB: 6144 });
    expect(neo4jMemorySettings(4096)).toEqual({ heapMiB: 1536, pageCacheMiB: 1536 });
    expect(neo4jMemorySettings(256 * 1024).heapMiB).toBe(31 * 1024);
    const { env, main } = synthNeo4j({ resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) } });
    expect([env.NEO4J_server_memory_heap_initial__size, env.NEO4J_server_memory_heap_max__size, env.NEO4J_server_memory_pagecache_size]).toEqual(['9216m', '9216m', '9216m']);
    expect(main.resources).toEqual({ requests: { cpu: '6', memory: '24576Mi' }, limits: { cpu: '6', memory: '24576Mi' } });
  });

  test('a read-only root: the image config is copied to an emptyDir; logs, run and tmp are emptyDirs; data on EVS', () => {
    const { sts, pod, main } = synthNeo4j();
    expect(pod.initContainers[0]).toMatchObject({ name: 'copy-default-config', command: ['sh', '-c', 'cp -R /var/lib/neo4j/conf/. /conf-rw/'], volumeMounts: [{ name: 'conf', mountPath: '/conf-rw' }] });
    expect(pod.initContainers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(main.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/var/lib/neo4j/conf', '/logs', '/run', '/tmp', '/data']);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({ metadata: { name: 'data', annotations: { 'everest.io/disk-volume-type': 'SSD' } }, spec: { storageClassName: 'csi-disk-topology', resources: { requests: { storage: '100Gi' } } } });
  });

  test('probes on Bolt with a 30-minute startup budget; a 10-minute grace period', () => {
    const { pod, main } = synthNeo4j();
    expect(main.startupProbe).toEqual({ tcpSocket: { port: 7687 }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 360 });
    expect(main.readinessProbe.tcpSocket.port).toBe(7687);
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
      NEO4J_server_cluster_advertised__address: '$(POD_NAME)-internals:6000',
      NEO4J_server_bolt_advertised__address: '$(POD_NAME)-internals:7687',
    });
    const internals = objects.filter((o) => o.metadata.name.endsWith('-internals'));
    expect(internals.map((s) => [s.metadata.name, s.spec.selector['statefulset.kubernetes.io/pod-name'], s.spec.publishNotReadyAddresses]))
      .toEqual([0, 1, 2].map((i) => [`memos-neo4j-${i}-internals`, `memos-neo4j-${i}`, true]));
    expect(internals[0].metadata.labels['app.kubernetes.io/component']).toBe('neo4j-internals');
    expect(internals[0].spec.ports.map((p: any) => p.name)).toEqual(['tcp-http', 'tcp-bolt', 'tcp-discovery', 'tcp-tx', 'tcp-raft', 'tcp-routing', 'tcp-backup']);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
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
    expect(synthNeo4j({ servers: 5, licenseAgreement: 'commercial' }).env).toMatchObject({ NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes', NEO4J_initial_dbms_default__primaries__count: '5' });
    const single = synthNeo4j({ edition: 'enterprise', licenseAgreement: 'commercial' });
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
    ['Enterprise without licence acceptance', { edition: 'enterprise' }, /invalid licenseAgreement \(missing\); allowed: 'commercial' or 'evaluation'/],
    ['a Community cluster', { servers: 3, edition: 'community', licenseAgreement: 'commercial' }, /invalid edition "community"; allowed: 'enterprise' for a cluster/],
    ['an unknown licence answer', { edition: 'enterprise', licenseAgreement: 'yes' as never }, /invalid licenseAgreement "yes"; allowed: 'commercial' or 'evaluation'/],
    ['too little memory', { resources: { cpu: kplus.Cpu.units(1), memory: Size.gibibytes(1) } }, /invalid resources.memory "1024Mi"; allowed: at least 2Gi/],
    ['an unknown disk type', { storage: { diskType: 'NVMe' as never } }, /invalid storage.diskType "NVMe"/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthNeo4j(props)).toThrow(message);
  });
});

describe('graph backends in MemosChart', () => {
  test('the postgres backend: no Neo4j and no Qdrant objects, MemOS configured for postgres', () => {
    const objects = synthChart({ size: 'medium', milvus: CLUSTER_SERVICES.milvus, postgres: { host: 'gaussdb-memos.example.internal', database: 'memos', user: 'memos' } });
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

  test('an external Neo4j with neo4j: false', () => {
    const objects = synthChart({ size: 'small', neo4j: false, memos: { neo4j: { uri: 'neo4j+s://graph.example.com:7687' } } });
    expect(objects.filter((o) => o.metadata.name.includes('neo4j'))).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data.NEO4J_URI).toBe('neo4j+s://graph.example.com:7687');
  });

  test.each([
    ['both backends at once', { postgres: { host: 'pg' }, neo4j: { servers: 1 } }, /MemosChart 'test': invalid postgres "pg"; allowed: either postgres or neo4j as the graph backend, not both/],
    ['Qdrant with postgres', { postgres: { host: 'pg' }, qdrant: { replicas: 1 } }, /invalid qdrant \{"replicas":1\}; allowed: nothing with postgres/],
    ['memos.neo4j while Neo4j runs in-cluster', { memos: { neo4j: { uri: 'bolt://x:7687' } } }, /invalid memos.neo4j \{"uri":"bolt:\/\/x:7687"\}; allowed: nothing while the chart runs Neo4j in-cluster/],
    ['a bad postgres identifier', { postgres: { host: 'pg', schema: 'Memos-Schema' } }, /MemosConfig 'test\/Config': invalid postgres.schema "Memos-Schema"/],
  ] as const)('rejects %s', (_name, props, message) => {
    expect(() => synthChart({ size: 'small', ...props } as never)).toThrow(message);
  });

  test('MemosConfig rejects both backends too', () => {
    const chart = Testing.chart();
    expect(() => new MemosConfig(chart, 'C', { instance: 'memos', neo4j: {}, postgres: { host: 'pg' } })).toThrow(/MemosConfig 'test\/C': invalid postgres "pg"; allowed: either postgres or neo4j as the graph backend, not both/);
  });
});

test('the entrypoint mapping used above matches the image script', () => {
  // sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\.\.|_|g', as in docker-entrypoint.sh
  const viaSed = execFileSync('sh', ['-c', "echo NEO4J_server_memory_heap_max__size | sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\\.\\.|_|g'"], { encoding: 'utf8' }).trim();
  expect(settingOf('NEO4J_server_memory_heap_max__size')).toBe(viaSed);
  expect(viaSed).toBe('server.memory.heap.max_size');
});
