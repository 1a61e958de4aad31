import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { MemosChart } from '../charts/memos-chart';
import { MemosPresets, MemosSize } from '../charts/presets';
import { MemoryStorage, Neo4jBackend } from '../charts/backends';
import { AcceleratorType } from '../index';
import { Neo4jLicenseAgreement } from '../constructs/neo4j';
import { ENVIRONMENTS } from '../app/environments';
import { MEMOS_SERVER_ENV_VARS } from '../src/memos';
import { renderEnvironments } from '../app/synth';
import { CceNodeFlavor, NodeFlavor } from '../src/node-pools';
import { expectNoCredentialsInConfigMaps, podSpecOf, policyViolations } from './support/policy';
import { parseManifests, validateManifests } from './support/schema';
import { CLUSTER_SERVICES, only } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

const rendered = renderEnvironments(ENVIRONMENTS);
const objectsOf = (name: string) => parseManifests(rendered.get(name)!.yaml);

test('the shipped environments are the seed sizes', () => {
  expect(ENVIRONMENTS.map((e) => [e.name, e.size])).toEqual([['small', MemosSize.SMALL], ['medium', MemosSize.MEDIUM], ['large', MemosSize.LARGE]]);
});

describe.each(ENVIRONMENTS.map((e) => e.name))('environment %s', (name) => {
  test('every object passes strict schema validation', () => {
    expect(validateManifests(objectsOf(name))).toEqual([]);
  });

  test('every object follows the policy (no credentials, hardened, pinned, sized)', () => {
    expect(policyViolations(objectsOf(name))).toEqual([]);
  });

  test('MemOS containers get only variables MemOS reads', () => {
    const objects = objectsOf(name);
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data]));
    for (const obj of objects) {
      for (const c of podSpecOf(obj)?.containers ?? []) {
        if (!String(c.image).includes('/memos/memos:')) continue;
        const names = [
          ...(c.env ?? []).map((e: { name: string }) => e.name),
          ...(c.envFrom ?? []).flatMap((f: { configMapRef?: { name: string } }) => Object.keys(configMaps.get(f.configMapRef?.name) ?? {})),
        ];
        expect(names.length).toBeGreaterThan(20);
        for (const envName of names) expect(MEMOS_SERVER_ENV_VARS).toContain(envName);
      }
    }
  });

  test('memos-api: hardened Deployment under an HPA on CPU 70% and redis_queue_depth 100, seed replica range', () => {
    const objects = objectsOf(name);
    const preset = MemosPresets.of(ENVIRONMENTS.find((e) => e.name === name)!.size);
    const deployment = only(objects, 'Deployment', 'memos-api');
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(deployment.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    const hpa = only(objects, 'HorizontalPodAutoscaler', 'memos-api');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([preset.api.minReplicas, preset.api.maxReplicas]);
    expect(hpa.spec.metrics.map((m: any) => m.resource?.target ?? { [m.external.metric.name]: m.external.target })).toEqual([
      { type: 'Utilization', averageUtilization: 70 },
      { redis_queue_depth: { type: 'AverageValue', averageValue: 100 } },
    ]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
  });

  test('the gateway: LoadBalancer Service on a private CCE ELB with a valid class, and a PDB; memos-api only ClusterIP', () => {
    const objects = objectsOf(name);
    expect(only(objects, 'Service', 'memos-api').spec.type).toBe('ClusterIP');
    expect(only(objects, 'PodDisruptionBudget', 'memos-gateway').spec.maxUnavailable).toBe(1);
    const service = only(objects, 'Service', 'memos-gateway');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(JSON.parse(service.metadata.annotations['kubernetes.io/elb.health-check-option'])).toMatchObject({ protocol: 'HTTP', path: '/healthz' });
    expect(['union', 'performance']).toContain(service.metadata.annotations['kubernetes.io/elb.class']);
    expect(JSON.parse(service.metadata.annotations['kubernetes.io/elb.autocreate']).type).toBe('inner');
    expect(only(objects, 'PodDisruptionBudget', 'memos-api').spec.maxUnavailable).toBe(1);
  });

  test('the queue-depth pipeline: exporter, ServiceMonitor, recording rule; the add-on adapter objects are left alone', () => {
    const objects = objectsOf(name);
    expect(only(objects, 'Deployment', 'memos-queue-exporter')).toBeDefined();
    expect(only(objects, 'ServiceMonitor', 'memos-memos-queue-depth').spec.endpoints[0].port).toBe('metrics');
    expect(only(objects, 'PrometheusRule', 'memos-memos-queue-depth').spec.groups[0].rules[0].record).toBe('memos:redis_queue_depth:sum');
    expect(objects.filter((o) => o.metadata.name === 'user-adapter-config' || o.kind === 'APIService')).toEqual([]);
  });

  test('MemOS starts once its Qdrant collection exists, created by a Job for the whole cluster', () => {
    const objects = objectsOf(name);
    const [job] = objects.filter((o) => o.kind === 'Job');
    // The name carries a hash of the template: a changed Job is a new Job (templates are immutable).
    expect(job.metadata.name).toMatch(/^memos-qdrant-collection-[0-9a-f]{6}$/);
    const env = job.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'COLLECTION', value: 'neo4j_vec_db' });
    expect(env).toContainEqual({ name: 'VECTOR_SIZE', value: only(objects, 'ConfigMap', 'memos-config').data.EMBEDDING_DIMENSION });
    expect(env).toContainEqual({ name: 'NODES', value: String(only(objects, 'StatefulSet', 'memos-qdrant').spec.replicas) });
    for (const workload of ['memos-api', 'memos-scheduler']) {
      expect(only(objects, 'Deployment', workload).spec.template.spec.initContainers.map((c: { name: string }) => c.name)).toContain('wait-qdrant-collection');
    }
  });

  test('mem-scheduler: seed replicas, consuming the same DCS Redis as memos-api', () => {
    const objects = objectsOf(name);
    const preset = MemosPresets.of(ENVIRONMENTS.find((e) => e.name === name)!.size);
    const scheduler = only(objects, 'Deployment', 'memos-scheduler');
    expect(scheduler.spec.replicas).toBe(preset.scheduler.replicas);
    const consumer = scheduler.spec.template.spec.containers[0];
    const api = only(objects, 'Deployment', 'memos-api').spec.template.spec.containers[0];
    expect(consumer.envFrom).toEqual(api.envFrom);
    expect(consumer.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'true' });
    expect(api.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'true' });
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(data.MEMSCHEDULER_USE_REDIS_QUEUE).toBe('true');
    expect(data.MEMSCHEDULER_REDIS_HOST).toBe(`memos-${name}.dcs.example`);
    expect(objects.filter((o) => o.metadata.name === 'memos-redis')).toEqual([]);
  });

  test('Qdrant: preset node count, EVS volume templates, PDB, anti-affinity, probes; MemOS points at it', () => {
    const objects = objectsOf(name);
    const preset = MemosPresets.of(ENVIRONMENTS.find((e) => e.name === name)!.size);
    const qdrant = only(objects, 'StatefulSet', 'memos-qdrant');
    expect(qdrant.spec.replicas).toBe(preset.qdrant.replicas);
    expect(qdrant.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'csi-disk-topology', resources: { requests: { storage: `${preset.qdrant.storageGiB}Gi` } } });
    expect(qdrant.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    const main = qdrant.spec.template.spec.containers[0];
    expect([main.readinessProbe.httpGet.path, main.livenessProbe.httpGet.path]).toEqual(['/readyz', '/livez']);
    expect(only(objects, 'PodDisruptionBudget', 'memos-qdrant').spec.maxUnavailable).toBe(1);
    expect(only(objects, 'ConfigMap', 'memos-config').data.QDRANT_URL).toBe('http://memos-qdrant:6333');
  });

  test('Neo4j: standalone in small, a cluster with discovery RBAC in medium and large; PVCs and PDB', () => {
    const objects = objectsOf(name);
    const preset = MemosPresets.of(ENVIRONMENTS.find((e) => e.name === name)!.size);
    const neo4j = only(objects, 'StatefulSet', 'memos-neo4j');
    expect(neo4j.spec.replicas).toBe(preset.neo4j.replicas);
    expect(neo4j.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${preset.neo4j.storageGiB}Gi`);
    expect(only(objects, 'PodDisruptionBudget', 'memos-neo4j').spec.maxUnavailable).toBe(1);
    const clustered = preset.neo4j.replicas >= 3;
    // The cluster's discovery Role, or the Community backup's Role (it stops and starts the server).
    expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.name)).toEqual([clustered ? 'memos-neo4j-discovery' : 'memos-neo4j-backup']);
    expect(neo4j.spec.template.spec.containers[0].image).toBe(`docker.io/library/neo4j:5.26.6${clustered ? '-enterprise' : ''}`);
    expect(only(objects, 'ConfigMap', 'memos-config').data.NEO4J_URI).toBe(`${clustered ? 'neo4j' : 'bolt'}://memos-neo4j:7687`);
  });

  test('Milvus: standalone StatefulSet with a volume in small, distributed on OBS and Kafka in medium and large', () => {
    const objects = objectsOf(name);
    const preset = MemosPresets.of(ENVIRONMENTS.find((e) => e.name === name)!.size);
    if (preset.milvus.replicas === 1) {
      const sts = only(objects, 'StatefulSet', 'memos-milvus-standalone');
      expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${preset.milvus.storageGiB}Gi`);
    } else {
      expect(only(objects, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(preset.milvus.replicas);
      expect(only(objects, 'StatefulSet', 'memos-milvus-etcd').spec.replicas).toBe(3);
      for (const c of ['proxy', 'mixcoord', 'datanode', 'streamingnode']) expect(only(objects, 'Deployment', `memos-milvus-${c}`).spec.replicas).toBe(2);
    }
    expectNoCredentialsInConfigMaps(objects);
    expect(rendered.get(name)!.yaml).not.toMatch(/stringData|kind: Secret/);
  });

  test('embedding: CPU in small and medium, Ascend 910B in large pinned to the NPU pool; MemOS points at it', () => {
    const objects = objectsOf(name);
    const environment = ENVIRONMENTS.find((e) => e.name === name)!;
    const pod = only(objects, 'Deployment', 'memos-embedding').spec.template.spec;
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect([data.MOS_EMBEDDER_API_BASE, data.MOS_EMBEDDER_MODEL, data.EMBEDDING_DIMENSION]).toEqual(['http://memos-embedding:8080/v1', 'bge-m3', '1024']);
    if (MemosPresets.of(environment.size).embedding.accelerator === AcceleratorType.ASCEND) {
      const pool = environment.nodePools!.find((p) => p.flavor.npuChip !== undefined)!;
      expect(pod.containers[0].resources.requests['huawei.com/ascend-1980']).toBe(1);
      expect(pod.containers[0].resources.limits['huawei.com/ascend-1980']).toBe(1);
      expect(pod.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': pool.name });
      expect(pod.tolerations).toEqual(pool.taints!.map((t) => ({ key: t.key, operator: 'Exists', effect: t.effect })));
      expect(data.MOS_RERANKER_BACKEND).toBe('http_bge');
    } else {
      expect(pod.containers[0].image).toContain('text-embeddings-inference:cpu');
      expect(data.MOS_RERANKER_BACKEND).toBe('cosine_local');
    }
  });

  test('matches the snapshot', () => {
    expect(rendered.get(name)!.yaml).toMatchSnapshot();
  });
});

describe('size presets follow the seed (section 4)', () => {
  test('replicas and clustering', () => {
    const summary = Object.fromEntries(MemosPresets.sizes().map((size) => MemosPresets.of(size)).map((p) => [p.size, {
      api: [p.api.minReplicas, p.api.maxReplicas],
      scheduler: p.scheduler.replicas,
      qdrant: p.qdrant.replicas,
      milvus: p.milvus.replicas,
      neo4j: p.neo4j.replicas,
      appNodes: [p.nodePools.app.nodes, p.nodePools.app.maxNodes],
      embedding: p.embedding.accelerator,
    }]));
    expect(summary).toEqual({
      // §4.1 3 nodes; §4.2 CA 6-10; large: 6-12 with the stores on their own pools (presets.ts).
      small: { api: [3, 10], scheduler: 1, qdrant: 1, milvus: 1, neo4j: 1, appNodes: [3, 6], embedding: 'cpu' },
      medium: { api: [6, 10], scheduler: 1, qdrant: 3, milvus: 3, neo4j: 3, appNodes: [6, 10], embedding: 'cpu' },
      large: { api: [15, 20], scheduler: 3, qdrant: 5, milvus: 5, neo4j: 5, appNodes: [6, 12], embedding: 'ascend' },
    });
  });

  test('storage per server and node sizes', () => {
    expect(MemosPresets.sizes().map((size) => MemosPresets.of(size)).map((p) => [p.qdrant.storageGiB, p.milvus.storageGiB, p.neo4j.storageGiB, p.redis.memoryGiB])).toEqual([
      [100, 200, 100, 1], [300, 500, 300, 2], [1024, 1024, 500, 8],
    ]);
    // The seed's ECS flavors per store (§4.1-4.3), s7.2xlarge.8 as m7.2xlarge.8 (s7 has no ratio 8).
    expect(MemosPresets.sizes().map((size) => MemosPresets.of(size).nodePools).map((p) => [p.app.flavor, p.neo4j.flavor, p.qdrant.flavor, p.milvus.flavor])).toEqual([
      [CceNodeFlavor.S7_2XLARGE_4, CceNodeFlavor.S7_XLARGE_4, CceNodeFlavor.S7_LARGE_4, CceNodeFlavor.S7_XLARGE_4],
      [CceNodeFlavor.S7_2XLARGE_4, CceNodeFlavor.S7_XLARGE_4, CceNodeFlavor.S7_XLARGE_4, CceNodeFlavor.S7_2XLARGE_4],
      [CceNodeFlavor.S7_2XLARGE_4, CceNodeFlavor.S7_2XLARGE_4, CceNodeFlavor.S7_2XLARGE_4, CceNodeFlavor.M7_2XLARGE_8],
    ]);
    expect(NodeFlavor.of(MemosPresets.of(MemosSize.SMALL).nodePools.app.flavor)).toMatchObject({ vcpus: 8, memoryGiB: 32 });
  });

  test('a store with a node to itself gets what the node leaves for pods, rounded down to 0.5', () => {
    // s7.large.4: 2000m - 70m reserved - 300m Everest = 1630m; s7.xlarge.4: 4000 - 80 - 300 = 3620m.
    expect([MemosPresets.of(MemosSize.SMALL).qdrant.cpu, MemosPresets.of(MemosSize.SMALL).qdrant.memoryGiB]).toEqual([1.5, 5.5]);
    expect([MemosPresets.of(MemosSize.SMALL).neo4j.cpu, MemosPresets.of(MemosSize.SMALL).neo4j.memoryGiB]).toEqual([3.5, 12.5]);
    expect([MemosPresets.of(MemosSize.LARGE).qdrant.cpu, MemosPresets.of(MemosSize.LARGE).qdrant.memoryGiB]).toEqual([7.5, 26.5]);
  });

  test('every pool maximum leaves a spare node slot in each of its zones', () => {
    for (const size of MemosPresets.sizes()) {
      for (const pool of Object.values(MemosPresets.of(size).nodePools)) expect(pool.maxNodes).toBeGreaterThanOrEqual(pool.nodes + pool.zones);
    }
  });
});

test('a chart in a user app synthesizes with app.synth()', () => {
  const app = new App({ outdir: temporaryFolder('memos-') });
  new MemosChart(app, 'prod', {
    size: MemosSize.MEDIUM,
    namespace: 'memos-prod',
    ...CLUSTER_SERVICES,
    storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL }) }),
  });
  app.synth();
  expect(fs.readdirSync(app.outdir)).toEqual(['prod.k8s.yaml']);
  expect(validateManifests(parseManifests(fs.readFileSync(path.join(app.outdir, 'prod.k8s.yaml'), 'utf8')))).toEqual([]);
});
