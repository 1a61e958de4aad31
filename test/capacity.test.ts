/**
 * Issue 13: node pools, CCE's reservation, the scheduling simulation, the synth-time fit check and
 * `npm run plan`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-28';
import { ENVIRONMENTS, MemosEnvironment } from '../app/environments';
import { formatPlan, planEnvironment } from '../app/plan';
import { synthEnvironments } from '../app/synth';
import {
  CapacityPlan, CceAddOns, CceNodeFlavor, CceNodeReservation, MemosPresets, MemosSize, NodeFlavor, NodePool, RedisQueue,
} from '../index';
import { synthChart } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();
const ZONES = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];

/** A Deployment of `replicas` pods requesting `cpu` / `memory`, spread over zones with DoNotSchedule. */
function deployment(name: string, replicas: number, cpu: string, memory: string, extra: Record<string, unknown> = {}) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name, image: 'x', resources: { requests: { cpu, memory } } }],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
          ...extra,
        },
      },
    },
  };
}

const s7Pool = (minNodes: number, maxNodes: number): NodePool => ({
  name: 'app', flavor: NodeFlavor.of(CceNodeFlavor.S7_2XLARGE_4), minNodes, maxNodes, zones: ZONES,
});

describe('CCE node reservation (cce_10_0178)', () => {
  test('CPU: 6 % of the first core, 1 % of the second, 0.5 % of the next two, 0.25 % of the rest', () => {
    expect([1, 2, 4, 8, 16, 192].map((c) => CceNodeReservation.reservedCpuMillis(c))).toEqual([60, 70, 80, 90, 110, 550]);
  });

  test('memory rule v2: 400 + 25/GiB + 500 + 5/pod, plus the 100 MiB eviction threshold; default max-pods by memory', () => {
    expect(CceNodeReservation.reservedMemoryMiB(32, 80)).toBe(400 + 800 + 500 + 400 + 100);
    expect([4, 8, 16, 32, 64, 1536].map((m) => CceNodeReservation.defaultMaxPods(m))).toEqual([20, 40, 60, 80, 110, 110]);
  });

  test('a s7.2xlarge.4 node leaves 7.61 CPU and 26.95 GiB after the reservation and Everest\'s driver', () => {
    const a = CceNodeReservation.of(s7Pool(1, 1));
    // 8000m - 90m - 300m (everest-csi-driver); 32 GiB as the kubelet sees it (3852580/4194304 of it) - 2200 - 300 MiB.
    expect(a.allocatableCpuMillis).toBe(7610);
    expect(a.memoryMiB).toBe(30098);
    expect(a.allocatableMemoryMiB).toBe(30098 - 2200 - 300);
  });

  test('declared add-ons are taken off: a log collector on every node', () => {
    const a = CceNodeReservation.of({ ...s7Pool(1, 1), addOnPods: [...CceAddOns.perNodeDefaults(), CceAddOns.logCollector()] });
    expect([a.addOnCpuMillis, a.addOnMemoryMiB, a.allocatableCpuMillis]).toEqual([400, 500, 7510]);
  });
});

describe('the scheduling simulation, checked by hand on 3 nodes', () => {
  // Four 3-CPU / 4 GiB pods on 3 × s7.2xlarge.4 (7.61 CPU each): two fit a node, so 3 nodes hold
  // them (a, b, c, then a again by LeastAllocated's tie on the first node).
  const manifests = [deployment('web', 4, '3', '4Gi')];

  test('all up: 3 nodes, 12 of 22.83 CPU and 16 of 80.85 GiB requested', () => {
    const plan = CapacityPlan.simulate(manifests, [s7Pool(3, 3)]);
    expect(plan.atMin.allUp.fits).toBe(true);
    expect(plan.atMin.pools).toEqual([{
      pool: 'app', nodesUsed: 3, nodesAvailable: 3, allocatableCpu: 22.83, allocatableMemoryGiB: 80.85, requestedCpu: 12, requestedMemoryGiB: 16, pods: 4,
    }]);
    expect(plan.pools[0]).toMatchObject({ allocatableCpu: 7.61, allocatableMemoryGiB: 26.95, reservedCpu: 0.39 });
  });

  test('one node lost: its two pods may not move to other zones (spread keeps the lost zone as a domain)', () => {
    const plan = CapacityPlan.simulate(manifests, [s7Pool(3, 3)]);
    expect(plan.atMin.nodeLost.fits).toBe(false);
    expect(plan.atMin.nodeLost.lost).toBe('app-1');
    expect(plan.atMin.nodeLost.unplaced.map((u) => u.pod)).toEqual(['web-0', 'web-3']);
    expect(plan.atMin.nodeLost.unplaced[0].reason).toMatch(/topology spread on topology.kubernetes.io\/zone \(maxSkew 1; cn-north-4a: 0, cn-north-4b: 1, cn-north-4c: 1\)/);
    expect(plan.atMin.nodeLost.disruptionsBeyondBudget).toEqual([]);
  });

  test('one node lost, with a spare node slot per zone: the autoscaler starts one in the same zone', () => {
    const plan = CapacityPlan.simulate(manifests, [s7Pool(3, 6)]);
    expect(plan.atMin.nodeLost).toMatchObject({ fits: true, unplaced: [] });
    expect(plan.atMin.pools[0].nodesUsed).toBe(3);
  });

  test('one zone lost: the other two zones take the pods once the zone\'s nodes are gone', () => {
    const plan = CapacityPlan.simulate(manifests, [s7Pool(3, 6)]);
    expect(plan.atMin.zoneLost).toMatchObject({ fits: true, lost: 'cn-north-4a' });
  });

  test('a pod too large for any node names the pool, the pod and the shortfall', () => {
    const plan = CapacityPlan.simulate([deployment('big', 1, '8', '8Gi')], [s7Pool(1, 1)]);
    expect(plan.atMin.allUp.fits).toBe(false);
    expect(plan.atMin.allUp.unplaced[0]).toMatchObject({ pod: 'big-0', workload: 'Deployment/big', pools: ['app'], cpuShort: 0.39, memoryShortGiB: 0 });
    expect(CapacityPlan.describe(plan.atMin.allUp)).toEqual([
      'big-0 (Deployment/big) on pool app: short of 0.39 CPU on the closest node (app-1: 7.61 CPU, 26.95 GiB free of 7.61 CPU, 26.95 GiB allocatable)',
    ]);
  });

  test('required anti-affinity: a second pod needs a second node; an HPA\'s maximum is planned too', () => {
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } } };
    const db = deployment('db', 2, '1', '1Gi', anti);
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'db' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'db' }, minReplicas: 2, maxReplicas: 4 } };
    const pools: NodePool[] = [{ name: 'p', flavor: NodeFlavor.of(CceNodeFlavor.S7_XLARGE_4), minNodes: 1, maxNodes: 3, zones: ['z'] }];
    const plan = CapacityPlan.simulate([db, hpa], pools);
    expect(plan.atMin.pools[0].nodesUsed).toBe(2);
    expect(plan.atMax.allUp.unplaced.map((u) => u.pod)).toEqual(['db-3']);
    expect(plan.atMax.allUp.unplaced[0].reason).toMatch(/lost or beyond its pool's maximum|anti-affinity/);
  });

  test('pools are chosen by node selector and taints; NPUs count as a resource', () => {
    const npu = NodeFlavor.of(CceNodeFlavor.KAT2NE_48XLARGE_8);
    const pools: NodePool[] = [
      s7Pool(1, 1),
      { name: 'npu', flavor: npu, minNodes: 1, maxNodes: 1, zones: ['z'], taints: [{ key: 'accelerator/huawei-npu', effect: kplus.TaintEffect.NO_SCHEDULE }] },
    ];
    const model = deployment('model', 9, '1', '1Gi', {
      nodeSelector: { 'cce.cloud.com/cce-nodepool': 'npu' },
      tolerations: [{ key: 'accelerator/huawei-npu', operator: 'Exists', effect: 'NoSchedule' }],
      topologySpreadConstraints: [],
    });
    (model.spec.template.spec.containers[0].resources as any).limits = { 'huawei.com/ascend-1980': 1 };
    const plan = CapacityPlan.simulate([model, deployment('web', 1, '1', '1Gi', { topologySpreadConstraints: [] })], pools);
    // 8 NPUs on the one server: the ninth pod has none left; the web pod does not tolerate the taint.
    expect(plan.atMin.allUp.unplaced.map((u) => [u.pod, u.reason.split(' on the')[0]])).toEqual([['model-8', 'short of 1 huawei.com/ascend-1980']]);
    expect(plan.atMin.pools.map((p) => [p.pool, p.pods])).toEqual([['app', 1 + 0], ['npu', 8]]);
  });
});

describe('the stack on node pools', () => {
  const small = (extra: Record<string, unknown> = {}) => ({
    size: MemosSize.SMALL,
    queue: RedisQueue.dcs({ host: 'redis.example.com' }),
    ...MemosPresets.nodePools(MemosSize.SMALL, { prefix: 'p', zones: ZONES }),
    ...extra,
  });

  test('every workload is pinned to its pool and tolerates its taints', () => {
    const objects = synthChart(small());
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
    const pools = Object.fromEntries(workloads.map((o) => [o.metadata.name.replace(/-[0-9a-f]{6}$/, ''), o.spec.template.spec.nodeSelector?.['cce.cloud.com/cce-nodepool']]));
    expect(pools).toEqual({
      'memos-neo4j': 'p-neo4j', 'memos-qdrant': 'p-qdrant', 'memos-milvus-standalone': 'p-milvus',
      'memos-embedding': 'p-app', 'memos-api': 'p-app', 'memos-gateway': 'p-app', 'memos-scheduler': 'p-app', 'memos-queue-exporter': 'p-app', 'memos-qdrant-collection': 'p-app',
      'memos-smoke-test': 'p-app',
    });
    const qdrant = workloads.find((o) => o.metadata.name === 'memos-qdrant')!;
    expect(qdrant.spec.template.spec.tolerations).toEqual([{ key: 'memos.io/dedicated', operator: 'Equal', value: 'qdrant', effect: 'NoSchedule' }]);
    expect(workloads.find((o) => o.metadata.name === 'memos-api')!.spec.template.spec.tolerations).toBeUndefined();
  });

  test('placement moves a workload to another pool, and synth checks it fits there', () => {
    // Qdrant on the Neo4j pool takes its spare node: losing Neo4j's node leaves it nowhere to go
    // (3.5 CPU / 12.5 GiB; the survivor has 3.62 - 1.5 CPU and 12.74 - 5.5 GiB free).
    expect(() => synthChart(small({ placement: { defaultPool: 'p-app', qdrant: 'p-neo4j', neo4j: 'p-neo4j', milvus: 'p-milvus' } }))).toThrow(
      /nodePools: the stack does not fit at the autoscalers' minimum with node p-neo4j-1 lost[^]*memos-neo4j-0 \(StatefulSet\/memos-neo4j\) on pool p-neo4j: short of 1\.38 CPU and 5\.26 GiB memory/);
  });

  test.each([
    ['a placement naming no pool', { placement: { qdrant: 'nope' } }, /invalid placement\.qdrant "nope"; allowed: one of the nodePools: p-app, p-neo4j, p-qdrant, p-milvus/],
    ['npuNodePools beside nodePools', { npuNodePools: [{ name: 'npu' }] }, /invalid npuNodePools \["npu"\]; allowed: nothing with nodePools/],
    ['a pool without zones', { nodePools: [{ name: 'a', flavor: NodeFlavor.of(CceNodeFlavor.S7_2XLARGE_4), minNodes: 1, zones: [] }] }, /invalid nodePools\[0\]\.zones \[\]; allowed: one or more availability zones/],
    ['a maximum below the minimum', { nodePools: [{ name: 'a', flavor: NodeFlavor.of(CceNodeFlavor.S7_2XLARGE_4), minNodes: 3, maxNodes: 2, zones: ZONES }] }, /invalid nodePools\[0\]\.maxNodes 2/],
    ['two pools of one name', { nodePools: [s7Pool(1, 1), s7Pool(1, 1)] }, /invalid nodePools\[1\]\.name "app"; allowed: a name no other pool has/],
    ['a flavor given as a string', { nodePools: [{ ...s7Pool(1, 1), flavor: 's7.2xlarge.4' }] }, /invalid nodePools\[0\]\.flavor "s7.2xlarge.4"; allowed: NodeFlavor.of/],
  ])('%s is rejected', (_what, extra, message) => {
    expect(() => synthChart(small(extra) as any)).toThrow(message);
  });
});

describe('synth refuses an environment that does not fit', () => {
  test('one app node: synth names the pool, the pod and the shortfall, and leaves dist/ as it was', () => {
    const parent = temporaryFolder('memos-capacity-');
    const outdir = path.join(parent, 'dist');
    synthEnvironments(ENVIRONMENTS.filter((e) => e.name === 'small'), outdir);
    const before = fs.readFileSync(path.join(outdir, 'small', 'memos.k8s.yaml'), 'utf8');
    const preset = MemosPresets.nodePools(MemosSize.SMALL, { prefix: 'tight', zones: ZONES });
    const tight: MemosEnvironment = {
      name: 'tight',
      size: MemosSize.SMALL,
      queue: RedisQueue.dcs({ host: 'redis.example.com' }),
      nodePools: preset.nodePools.map((p) => (p.name === 'tight-app' ? { ...p, minNodes: 1, maxNodes: 2, zones: ZONES.slice(0, 1) } : p)),
      placement: preset.placement,
    };
    expect(() => synthEnvironments([...ENVIRONMENTS.filter((e) => e.name === 'small'), tight], outdir)).toThrow(
      /tight\/Default: nodePools: the stack does not fit at the autoscalers' minimum with (every node up|node tight-app-\d lost)[^]*memos-(api|embedding)-\d \(Deployment\/memos-(api|embedding)\) on pool tight-app: short of [0-9.]+ CPU/);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
    expect(fs.readFileSync(path.join(outdir, 'small', 'memos.k8s.yaml'), 'utf8')).toBe(before);
    expect(fs.readdirSync(outdir)).toEqual(['small']);
  });
});

describe('npm run plan', () => {
  const plans = ENVIRONMENTS.map((e) => planEnvironment(e));

  test('every shipped environment fits with one node lost, at the HPA minimum and maximum', () => {
    expect(plans.map((p) => [p.environment, p.fits, p.fitsNodeLost, p.fitsAtMaxReplicas])).toEqual([
      ['small', true, true, true], ['medium', true, true, true], ['large', true, true, true],
    ]);
  });

  test('small loses its single-server stores with their zone; the plan says so rather than hiding it', () => {
    const small = plans.find((p) => p.environment === 'small')!;
    expect(small.fitsZoneLost).toBe(false);
    expect(small.atMinReplicas.zoneLost.unplaced.map((u) => u.reason)).toContainEqual(expect.stringMatching(/^every pod of StatefulSet\/memos-(neo4j|qdrant|milvus-standalone) is down: its volumes are in the lost zone/));
  });

  test('costs: node pools at the nodes used, EVS by claim size, DCS; beside the seed\'s totals', () => {
    const small = plans.find((p) => p.environment === 'small')!;
    const cost = Object.fromEntries(small.cost.lines.map((l) => [l.item, l.monthlyCny]));
    // 3 × ¥450; s7.xlarge.4 = ¥400 - 200 GiB × ¥0.44; s7.large.4 = ¥200 - 100 GiB × ¥0.44.
    expect(cost['node pool memos-small-app: 3-6 × s7.2xlarge.4']).toBe(1350);
    expect(cost['node pool memos-small-qdrant: 1 × s7.large.4']).toBe(156);
    expect(cost['node pool memos-small-neo4j: 1 × s7.xlarge.4']).toBe(312);
    expect(cost['DCS for Redis 1 GB primary/standby']).toBe(80);
    expect(small.cost.seedMonthlyCny).toBe(2600);
    expect(small.cost.monthlyCny).toBe(small.cost.lines.reduce((sum, l) => sum + (l.monthlyCny ?? 0), 0));
    expect(plans.map((p) => p.cost.seedMonthlyCny)).toEqual([2600, 9700, 45800]);
  });

  test('the table and --json print the same numbers', () => {
    const json = JSON.parse(execFileSync(path.join(__dirname, '..', 'node_modules', '.bin', 'tsx'), ['app/plan.ts', '--json', '--env', 'small'], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }));
    expect(json.environments).toHaveLength(1);
    const pool = json.environments[0].pools[0];
    expect(Object.keys(pool)).toEqual(expect.arrayContaining(['flavor', 'nodes', 'allocatable', 'requested', 'fits', 'fitsNodeLost', 'fitsZoneLost']));
    expect(pool).toEqual(plans[0].pools[0]);
    const table = formatPlan(plans[0]);
    expect(table).toContain('== small (small): fits yes · one node lost yes');
    expect(table).toMatch(/memos-small-app +s7\.2xlarge\.4 +3\/6 +3 +6 +7\.61 CPU 26\.95 GiB/);
  });
});

test('a MemosStack in a plain Chart checks its fit in validation', () => {
  const { App, Chart } = require('cdk8s');
  const { MemosStack } = require('../index');
  const app = new App({ outdir: temporaryFolder('memos-plain-') });
  const chart = new Chart(app, 'plain', { namespace: 'memos' });
  const pools = MemosPresets.nodePools(MemosSize.SMALL, { prefix: 'p', zones: ZONES });
  new MemosStack(chart, 'Memos', {
    size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.example.com' }),
    nodePools: pools.nodePools.map((p) => (p.name === 'p-app' ? { ...p, minNodes: 1, maxNodes: 1 } : p)), placement: pools.placement,
  });
  expect(() => app.synthYaml()).toThrow(/Validation failed[^]*plain\/Memos: nodePools: the stack does not fit at the autoscalers' minimum with every node up[^]*on pool p-app: short of/);
});
