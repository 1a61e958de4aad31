import { podSpecOf } from './support/policy';
import { Chart, Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../app/environments';
import { MemosChart } from '../charts/memos-chart';
import { NetworkIsolation } from '../charts/network-isolation';
import { MemosSize } from '../charts/presets';
import { MemoryStorage, RedisQueue } from '../charts/backends';
import { NetworkPolicies } from '../constructs/network-policies';
import { Connections } from '../src/network';
import { connectionAllowed, connectionMatrix, PodGroup, podGroups, POD_ADDRESS } from './support/network';
import { validateManifests } from './support/schema';
import { only } from './support/synth';

type Obj = Record<string, any>;

/** Prometheus of CCE's monitoring add-on, and a client outside the cluster (behind the ELB). */
const PROMETHEUS: PodGroup = { name: 'prometheus', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, address: POD_ADDRESS, ports: [] };
const OUTSIDE: PodGroup = { name: 'outside', namespace: 'elsewhere', labels: {}, address: '100.64.0.1', ports: [] };

function synthEnvironment(name: string): { chart: MemosChart; objects: Obj[] } {
  const environment = ENVIRONMENTS.find((e) => e.name === name)!;
  const chart = new MemosChart(Testing.app(), name, environment);
  return { chart, objects: Testing.synth(chart) };
}

/** The components of a stack, from its NetworkPolicies construct. */
function componentsOf(chart: MemosChart): Connections[] {
  const policies = chart.stack.networkPolicies!;
  return (policies as any)._connections as Connections[];
}

/**
 * What the construct graph says: every connection recorded on a component, expanded to the pods
 * its selectors pick and their container ports.
 */
function graphMatrix(components: Connections[], groups: PodGroup[]): string[] {
  const podsOf = (c: Connections) => groups.filter((g) => Object.entries(c.selector).every(([k, v]) => g.labels[k] === v));
  const expected = new Set<string>();
  const add = (source: PodGroup, target: PodGroup, port: string) => {
    if (!target.ports.includes(port)) throw new Error(`${source.name} -> ${target.name}:${port}: no container listens there`);
    expected.add(`${source.name} -> ${target.name}:${port}`);
  };
  for (const c of components) {
    for (const target of podsOf(c)) {
      for (const rule of c._ingress) for (const source of podsOf(rule.peer)) for (const p of rule.ports) add(source, target, `${p.port}/${p.protocol ?? 'TCP'}`);
      if (c._allPortsInternally) for (const source of podsOf(c)) for (const port of target.ports) add(source, target, port);
      for (const r of c._fromNamespaces) if (r.namespaceName === PROMETHEUS.namespace) for (const p of r.ports) add(PROMETHEUS, target, `${p.port}/${p.protocol ?? 'TCP'}`);
      // Open to sources whose own egress is not restricted: the pods of this namespace still need an egress rule.
      for (const p of c._fromAnywhere) for (const source of [PROMETHEUS, OUTSIDE]) add(source, target, `${p.port}/${p.protocol ?? 'TCP'}`);
    }
  }
  return [...expected].sort();
}

/** Service names a pod's settings, arguments and environment mention, with the port when given. */
function referencedServices(objects: Obj[], workload: Obj): { service: Obj; port?: number }[] {
  const spec = podSpecOf(workload)!;
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const texts: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    texts.push(...(c.command ?? []), ...(c.args ?? []));
    for (const e of c.env ?? []) if (typeof e.value === 'string') texts.push(e.value);
    for (const from of c.envFrom ?? []) if (from.configMapRef) texts.push(...Object.values(configMaps.get(from.configMapRef.name) ?? {}) as string[]);
  }
  const found: { service: Obj; port?: number }[] = [];
  for (const service of objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === workload.metadata.namespace)) {
    const name = service.metadata.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`(?<![a-z0-9-])${name}(?![a-z0-9-])(?:\\.[a-z0-9.-]*)?(?::(\\d+))?`, 'g');
    for (const text of texts) for (const m of text.matchAll(pattern)) found.push({ service, port: m[1] ? Number(m[1]) : undefined });
  }
  return found;
}

describe.each(ENVIRONMENTS.map((e) => e.name))('environment %s', (name) => {
  const { chart, objects } = synthEnvironment(name);
  const groups = podGroups(objects);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');

  test('the connection matrix of the policies is exactly the construct graph: every wired pair allowed, every other pair denied', () => {
    const computed = connectionMatrix(objects, [...groups, PROMETHEUS, OUTSIDE], groups);
    expect(computed).toEqual(graphMatrix(componentsOf(chart), groups));
  });

  test('every pod is selected by a policy of its own, besides the default deny', () => {
    for (const group of groups) {
      const own = policies.filter((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length > 0
        && Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => group.labels[k] === v));
      // A distributed Milvus's proxies have a second policy: what only the proxies admit (clients on 19530).
      expect([group.name, own.length]).toEqual([group.name, group.name === 'Deployment/memos-milvus-proxy' ? 2 : 1]);
    }
    expect(only(objects, 'NetworkPolicy', 'memos-default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('every Service a pod is configured with is reachable from it on the referenced port', () => {
    const missing: string[] = [];
    for (const workload of objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))) {
      const source = groups.find((g) => g.name === `${workload.kind}/${workload.metadata.name}`)!;
      for (const { service, port } of referencedServices(objects, workload)) {
        const targets = groups.filter((g) => g.namespace === service.metadata.namespace
          && Object.entries(service.spec.selector ?? {}).every(([k, v]) => g.labels[k] === v));
        const servicePorts = (service.spec.ports as Obj[]).filter((p) => port === undefined || p.port === port);
        for (const target of targets) {
          const ok = servicePorts.some((p) => connectionAllowed(policies, source, target, `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`));
          if (!ok) missing.push(`${source.name} -> ${service.metadata.name}${port ? `:${port}` : ''} (${target.name})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('Prometheus reaches every endpoint a ServiceMonitor scrapes, and nothing else', () => {
    const scraped = new Set<string>();
    for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
      const namespaces: string[] = monitor.spec.namespaceSelector.matchNames;
      const services = objects.filter((o) => o.kind === 'Service' && namespaces.includes(o.metadata.namespace)
        && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
      expect(services.length).toBeGreaterThan(0);
      for (const service of services) {
        for (const endpoint of monitor.spec.endpoints) {
          const port = (service.spec.ports as Obj[]).find((p) => p.name === endpoint.port)!;
          for (const target of groups.filter((g) => Object.entries(service.spec.selector).every(([k, v]) => g.labels[k] === v))) {
            scraped.add(`prometheus -> ${target.name}:${port.targetPort}/TCP`);
          }
        }
      }
    }
    // The API (or the gateway in front of it) is open to every source: the ELB's traffic.
    const fromPrometheus = connectionMatrix(objects, [PROMETHEUS], groups).filter((c) => c !== 'prometheus -> Deployment/memos-gateway:8080/TCP');
    expect(fromPrometheus).toEqual([...scraped].sort());
  });

  test('the stores admit only their clients and their own peers', () => {
    const matrix = connectionMatrix(objects, [...groups, PROMETHEUS, OUTSIDE], groups);
    // Job names end in a hash of their template.
    const into = (prefix: string) => [...new Set(matrix.filter((c) => c.split(' -> ')[1].startsWith(prefix)).map((c) => c.split(' -> ')[0].replace(/-[0-9a-f]{6}$/, '')))].sort();
    if (groups.some((g) => g.name === 'StatefulSet/memos-qdrant')) {
      expect(into('StatefulSet/memos-qdrant:')).toEqual(['CronJob/memos-qdrant-backup', 'Deployment/memos-api', 'Deployment/memos-scheduler', 'Job/memos-qdrant-collection', 'Job/memos-smoke-test', 'StatefulSet/memos-qdrant', 'prometheus']);
    }
    expect(into('StatefulSet/memos-neo4j:').filter((s) => s !== 'prometheus')).toEqual(
      // The Community backup (small) mounts the server's disk instead; the Enterprise one uses the backup and Bolt ports.
      // The smoke test on HTTP; a cluster's enable-servers Job on Bolt.
      name === 'small' ? ['Deployment/memos-api', 'Deployment/memos-scheduler', 'Job/memos-smoke-test']
        : ['CronJob/memos-neo4j-backup', 'Deployment/memos-api', 'Deployment/memos-scheduler', 'Job/memos-neo4j-enable', 'Job/memos-smoke-test', 'StatefulSet/memos-neo4j']);
    // Milvus: its backup and the smoke test alone from outside its roles (MemOS does not use it).
    expect(into('Deployment/memos-milvus-proxy:').concat(into('StatefulSet/memos-milvus-standalone:')).filter((s) => !/milvus-(proxy|mixcoord|querynode|datanode|streamingnode|standalone)$|^prometheus$/.test(s)))
      .toEqual(['CronJob/memos-milvus-backup', 'Job/memos-smoke-test']);
    // From outside the namespace only the front door is reachable.
    expect(matrix.filter((c) => c.startsWith('outside -> '))).toEqual(['outside -> Deployment/memos-gateway:8080/TCP']);
    // memos-api: from the gateway, and the smoke test's /health.
    expect(into('Deployment/memos-api:')).toEqual(['Deployment/memos-gateway', 'Job/memos-smoke-test']);
  });

  test('the policies pass strict schema validation', () => {
    expect(validateManifests(policies)).toEqual([]);
  });
});

test('small: the design, written down by hand, is what the policies allow inside the namespace', () => {
  // Independent of the construct graph: a wrong wire in the graph would change this list.
  const { objects } = synthEnvironment('small');
  const groups = podGroups(objects);
  expect(connectionMatrix(objects, groups, groups).map((c) => c.replace(/-[0-9a-f]{6}(?=:| )/, ''))).toEqual([
    // The backups: Milvus's gRPC and management (the GC pause), Qdrant's REST on every node. The
    // Neo4j Community backup mounts the server's disk and talks to the Kubernetes API only.
    'CronJob/memos-milvus-backup -> StatefulSet/memos-milvus-standalone:19530/TCP',
    'CronJob/memos-milvus-backup -> StatefulSet/memos-milvus-standalone:9091/TCP',
    'CronJob/memos-qdrant-backup -> StatefulSet/memos-qdrant:6333/TCP',
    'Deployment/memos-api -> Deployment/memos-embedding:8080/TCP',
    'Deployment/memos-api -> StatefulSet/memos-neo4j:7687/TCP',
    'Deployment/memos-api -> StatefulSet/memos-qdrant:6333/TCP',
    'Deployment/memos-gateway -> Deployment/memos-api:8000/TCP',
    'Deployment/memos-scheduler -> Deployment/memos-embedding:8080/TCP',
    'Deployment/memos-scheduler -> StatefulSet/memos-neo4j:7687/TCP',
    'Deployment/memos-scheduler -> StatefulSet/memos-qdrant:6333/TCP',
    'Job/memos-qdrant-collection -> StatefulSet/memos-qdrant:6333/TCP',
    // The smoke test: memos-api's /health, the gateway, and each store's client port it checks.
    'Job/memos-smoke-test -> Deployment/memos-api:8000/TCP',
    'Job/memos-smoke-test -> Deployment/memos-gateway:8080/TCP',
    'Job/memos-smoke-test -> StatefulSet/memos-milvus-standalone:19530/TCP',
    'Job/memos-smoke-test -> StatefulSet/memos-neo4j:7474/TCP',
    'Job/memos-smoke-test -> StatefulSet/memos-qdrant:6333/TCP',
    // Milvus's roles among themselves (standalone: one pod), Qdrant's peers.
    'StatefulSet/memos-milvus-standalone -> StatefulSet/memos-milvus-standalone:19530/TCP',
    'StatefulSet/memos-milvus-standalone -> StatefulSet/memos-milvus-standalone:9091/TCP',
    'StatefulSet/memos-qdrant -> StatefulSet/memos-qdrant:6333/TCP',
    'StatefulSet/memos-qdrant -> StatefulSet/memos-qdrant:6334/TCP',
    'StatefulSet/memos-qdrant -> StatefulSet/memos-qdrant:6335/TCP',
  ]);
  // Egress beyond the namespace: DNS, DCS on its port in the VPC, the LLM API on 443, nothing else.
  const api = only(objects, 'NetworkPolicy', 'memos-api').spec.egress;
  expect(api.filter((r: Obj) => !r.to?.some((p: Obj) => p.podSelector))).toEqual([
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }], ports: [53, 53, 5353, 5353].map((port, i) => ({ protocol: i % 2 ? 'UDP' : 'TCP', port })) },
    { to: [{ ipBlock: { cidr: '192.168.0.0/16' } }], ports: [{ protocol: 'TCP', port: 6379 }] },
    { ports: [{ protocol: 'TCP', port: 443 }] },
  ]);
});

describe('external destinations', () => {
  const egressOf = (objects: Obj[], policy: string) => only(objects, 'NetworkPolicy', policy).spec.egress as Obj[];

  test('a kind the environment narrows gets its CIDRs on the port its settings name; the others any address on theirs', () => {
    const chart = new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL,
      queue: RedisQueue.dcs({ host: 'redis.dcs.example', port: 6380 }),
      network: NetworkIsolation.enforced({ external: { dcs: ['192.168.10.0/24'] } }),
    });
    const egress = egressOf(Testing.synth(chart), 'memos-api');
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '192.168.10.0/24' } }], ports: [{ protocol: 'TCP', port: 6380 }] });
    expect(egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 443 }] });
    expect(egress.some((r) => r.ports?.some((p: Obj) => p.port === 6379))).toBe(false);
  });

  test('PostgreSQL is reached on its port only, and Qdrant/Neo4j not at all', () => {
    const chart = new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL,
      storage: MemoryStorage.postgres({ host: 'rds.example', port: 5433 }),
      network: NetworkIsolation.enforced({ external: { postgres: ['192.168.20.0/24'] } }),
    });
    const objects = Testing.synth(chart);
    expect(egressOf(objects, 'memos-scheduler')).toContainEqual({ to: [{ ipBlock: { cidr: '192.168.20.0/24' } }], ports: [{ protocol: 'TCP', port: 5433 }] });
    expect(objects.some((o) => o.kind === 'NetworkPolicy' && /qdrant|neo4j/.test(o.metadata.name))).toBe(false);
  });

  test('a Neo4j cluster may call the Kubernetes API for discovery, on the ports given', () => {
    const objects = synthEnvironment('medium').objects;
    expect(egressOf(objects, 'memos-neo4j')).toContainEqual({ to: [{ ipBlock: { cidr: '192.168.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 5444 }] });
  });

  test('NetworkIsolation.none() writes no policy', () => {
    const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.dcs.example' }), network: NetworkIsolation.none() });
    expect(Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('denyOtherPods: false leaves other pods of the namespace alone', () => {
    const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, network: NetworkIsolation.enforced({ denyOtherPods: false }) });
    expect(Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('default-deny'))).toEqual([]);
  });

  test.each([
    ['not an address', ['redis.dcs.example'], /network\.external\.dcs\[0\].*an IPv4 CIDR/],
    ['host bits set', ['192.168.1.5/24'], /network\.external\.dcs\[0\].*192\.168\.1\.0\/24/],
    ['an empty list', [], /network\.external\.dcs.*non-empty list/],
    ['octet out of range', ['300.1.1.0/24'], /network\.external\.dcs\[0\]/],
  ])('a CIDR list with %s is rejected at synth, naming the prop', (_what, cidrs, error) => {
    expect(() => new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.dcs.example' }), network: NetworkIsolation.enforced({ external: { dcs: cidrs } }),
    })).toThrow(error);
  });

  test('two components of one name are rejected', () => {
    const chart = new Chart(Testing.app(), 'test');
    const a = new Connections({ name: 'same', selector: { app: 'a' } });
    const b = new Connections({ name: 'same', selector: { app: 'b' } });
    expect(() => new NetworkPolicies(chart, 'Policies', { instance: 'memos', connections: [a, b] })).toThrow(/connections.*distinct names/);
  });
});

describe('priority classes', () => {
  test.each(ENVIRONMENTS.map((e) => e.name))('%s: stores outrank stateless pods, and may preempt them; stateless pods never preempt', (name) => {
    const { objects } = synthEnvironment(name);
    const classes = new Map(objects.filter((o) => o.kind === 'PriorityClass').map((o) => [o.metadata.name, o]));
    expect([...classes.keys()]).toEqual(['memos-memos-stores', 'memos-memos-services']);
    expect(classes.get('memos-memos-stores')).toMatchObject({ value: 1000000, preemptionPolicy: 'PreemptLowerPriority', globalDefault: false });
    expect(classes.get('memos-memos-services')).toMatchObject({ value: 100000, preemptionPolicy: 'Never', globalDefault: false });
    // Cluster-scoped, and written before any pod names them.
    expect([...classes.values()].every((c) => c.metadata.namespace === undefined)).toBe(true);
    const firstPod = objects.findIndex((o) => podGroups([o]).length > 0);
    expect(Math.max(...[...classes.values()].map((c) => objects.indexOf(c)))).toBeLessThan(firstPod);
    const stores = /^(StatefulSet\/memos-(neo4j|qdrant|redis|milvus-etcd|milvus-standalone)|Deployment\/memos-milvus-)/;
    for (const o of objects.filter((x) => podGroups([x]).length > 0)) {
      const expected = stores.test(`${o.kind}/${o.metadata.name}`) ? 'memos-memos-stores' : 'memos-memos-services';
      expect([o.metadata.name, podSpecOf(o)!.priorityClassName]).toEqual([o.metadata.name, expected]);
    }
  });

  test('existing classes can be named instead', () => {
    const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, priorityClasses: { stores: 'platform-data', services: 'platform-apps' } });
    const objects = Testing.synth(chart);
    expect(objects.filter((o) => o.kind === 'PriorityClass')).toEqual([]);
    expect(only(objects, 'StatefulSet', 'memos-qdrant').spec.template.spec.priorityClassName).toBe('platform-data');
    expect(only(objects, 'Deployment', 'memos-gateway').spec.template.spec.priorityClassName).toBe('platform-apps');
  });
});
