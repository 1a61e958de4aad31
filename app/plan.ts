/**
 * `npm run plan [-- --env <name>] [--json]`: will each environment fit its node pools, and what
 * will it cost? The scheduling simulation of the library (CapacityPlan) on each environment's
 * synthesized objects, plus monthly cost lines from the price table, beside the seed's totals.
 */
import { parseArgs } from 'util';
import { ApiObject, App } from 'cdk8s';
import { CapacityReport, CapacityPlan, EverestClaimMetadata, EvsDiskType, LevelPlan, MemosChart, MemosSize, PriceTable, SituationResult } from '../index';
import { ENVIRONMENTS, MemosEnvironment } from './environments';

/** One monthly cost line. */
export interface CostLine {
  readonly item: string;
  /** CNY per month at the autoscalers' minimum (undefined: not priced). */
  readonly monthlyCny?: number;
  /** CNY per month at the autoscalers' maximum. */
  readonly monthlyCnyAtMax?: number;
  readonly source: string;
}

/** CPU cores and memory. */
export interface Resources {
  readonly cpu: number;
  readonly memoryGiB: number;
}

/** The plan of one environment, as `--json` prints it. */
export interface EnvironmentPlan {
  readonly environment: string;
  readonly size: string;
  readonly pools: {
    readonly name: string;
    readonly flavor: string;
    readonly zones: string[];
    readonly nodes: { readonly min: number; readonly max: number; readonly usedAtMinReplicas: number; readonly usedAtMaxReplicas: number };
    /** Per node, and on the nodes used at the minimum and maximum replicas. */
    readonly allocatable: { readonly perNode: Resources; readonly atMinReplicas: Resources; readonly atMaxReplicas: Resources };
    readonly requested: { readonly atMinReplicas: Resources; readonly atMaxReplicas: Resources };
    readonly headroomAtMinReplicas: Resources;
    /** Every pod meant for the pool finds a node at the minimum replicas: all nodes up, any one node lost, any one zone lost. */
    readonly fits: boolean;
    readonly fitsNodeLost: boolean;
    readonly fitsZoneLost: boolean;
    readonly fitsAtMaxReplicas: boolean;
  }[];
  readonly fits: boolean;
  readonly fitsNodeLost: boolean;
  readonly fitsZoneLost: boolean;
  readonly fitsAtMaxReplicas: boolean;
  readonly atMinReplicas: LevelPlan;
  readonly atMaxReplicas: LevelPlan;
  readonly cost: { readonly lines: CostLine[]; readonly monthlyCny: number; readonly monthlyCnyAtMax: number; readonly seedMonthlyCny: number; readonly versusSeed: string[] };
}

/** The seed's monthly totals (§4.1-4.3) and the lines this plan does not carry, with why. */
const SEED: Record<MemosSize, { total: number; notDeployed: string[]; obsGB: number }> = {
  [MemosSize.SMALL]: {
    total: 2600,
    obsGB: 50,
    notDeployed: [
      'RDS MySQL ¥100 and GaussDB PostgreSQL ¥250: MemOS keeps users and the graph in Neo4j here (its own pool)',
      'Qdrant ECS ¥200, Milvus ECS ¥400: replaced by the qdrant and milvus node pools and their EVS disks',
      'DeepSeek API ¥100: the LLM is billed by its provider, outside the cluster',
      'ELB ¥100 (5 Mbit/s public): the API Service is a private shared ELB (no EIP bandwidth)',
    ],
  },
  [MemosSize.MEDIUM]: {
    total: 9700,
    obsGB: 500,
    notDeployed: [
      'RDS MySQL ¥200: not used; the graph and users are in Neo4j',
      'ModelArts bge-m3 ¥500: the embedding server runs on the app pool',
      'DeepSeek API ¥800, APM + NAT ¥300: outside the cluster',
      'ELB ¥200 (20 Mbit/s public): the API Service is a private shared ELB',
      'Milvus: the seed prices 3 × s7.2xlarge.4; its distributed roles need 5 nodes here',
    ],
  },
  [MemosSize.LARGE]: {
    total: 45800,
    obsGB: 5120,
    notDeployed: [
      'RDS MySQL ¥400: not used',
      'ModelArts NPU inference ¥6,000: replaced by the Ascend 910B pool (priced the same, as a stand-in)',
      'DeepSeek API ¥8,000, APM + CPTS + NAT ¥1,000, ELB + CDN ¥2,000: outside the cluster, or a private ELB',
      'CCE nodes: 18 × s7.2xlarge.4 in the seed (one per API pod); 6-12 here, since the stores have their own pools',
      'Milvus: 5 × s7.2xlarge.8 in the seed; 7 × m7.2xlarge.8 here for the distributed roles',
    ],
  },
};

const round = (value: number) => Math.round(value);
const situationFits = (s: SituationResult) => s.fits;

/** Plans one environment (synthesized in memory; validation is not run, so an over-full one still plans). */
export function planEnvironment(environment: MemosEnvironment, prices: PriceTable = PriceTable.seed()): EnvironmentPlan {
  const app = new App({ outdir: 'unused' });
  const chart = new MemosChart(app, environment.name, environment);
  // The objects one by one: chart.toJson() would run the validation, which refuses a stack that does not fit.
  const manifests = chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c)).map((o) => o.toJson());
  const pools = chart.stack.nodePools;
  const report: CapacityReport = CapacityPlan.simulate(manifests, pools);
  const lines: CostLine[] = [];
  for (const shape of report.pools) {
    const price = prices.node(shape.flavor);
    const usedMin = report.atMin.pools.find((p) => p.pool === shape.name)!.nodesUsed;
    const usedMax = report.atMax.pools.find((p) => p.pool === shape.name)!.nodesUsed;
    lines.push({
      item: `node pool ${shape.name}: ${usedMin}${usedMax !== usedMin ? `-${usedMax}` : ''} × ${shape.flavor}`,
      monthlyCny: price ? usedMin * price.monthlyCny : undefined,
      monthlyCnyAtMax: price ? usedMax * price.monthlyCny : undefined,
      source: price?.source ?? 'not priced: add the flavor to the price table',
    });
  }
  const disks = new Map<string, number>();
  for (const o of manifests) {
    if (o.kind !== 'StatefulSet') continue;
    for (const claim of o.spec.volumeClaimTemplates ?? []) {
      const type = claim.metadata?.annotations?.[EverestClaimMetadata.DISK_VOLUME_TYPE] ?? EvsDiskType.SSD;
      const gib = Number(String(claim.spec.resources.requests.storage).replace(/Gi$/, ''));
      disks.set(type, (disks.get(type) ?? 0) + gib * (o.spec.replicas ?? 1));
    }
  }
  for (const [type, gib] of disks) {
    const price = prices.evs(type);
    lines.push({ item: `EVS ${type} disks: ${gib} GiB`, monthlyCny: price ? round(gib * price.monthlyCny) : undefined, monthlyCnyAtMax: price ? round(gib * price.monthlyCny) : undefined, source: price?.source ?? 'not priced' });
  }
  const preset = chart.stack.preset;
  if (!chart.stack.redis) {
    const price = prices.dcs(preset.redis.memoryGiB);
    lines.push({ item: `DCS for Redis ${preset.redis.memoryGiB} GB primary/standby`, monthlyCny: price?.monthlyCny, monthlyCnyAtMax: price?.monthlyCny, source: price?.source ?? 'not priced' });
  }
  const seed = SEED[environment.size];
  if (chart.stack.milvus?.etcd) {
    const obs = round(seed.obsGB * prices.props.obsPerGB.monthlyCny);
    lines.push({ item: `OBS standard ${seed.obsGB} GB (Milvus segments; the seed's figure)`, monthlyCny: obs, monthlyCnyAtMax: obs, source: prices.props.obsPerGB.source });
    lines.push({ item: 'DMS for Kafka (Milvus distributed)', source: 'not priced: the seed has no Kafka' });
  }
  const total = lines.reduce((sum, l) => sum + (l.monthlyCny ?? 0), 0);
  const totalMax = lines.reduce((sum, l) => sum + (l.monthlyCnyAtMax ?? 0), 0);
  return {
    environment: environment.name,
    size: environment.size,
    pools: report.pools.map((shape) => {
      const min = report.atMin.pools.find((p) => p.pool === shape.name)!;
      const max = report.atMax.pools.find((p) => p.pool === shape.name)!;
      return {
        name: shape.name,
        flavor: shape.flavor,
        zones: shape.zones,
        nodes: { min: shape.minNodes, max: shape.maxNodes, usedAtMinReplicas: min.nodesUsed, usedAtMaxReplicas: max.nodesUsed },
        allocatable: {
          perNode: { cpu: shape.allocatableCpu, memoryGiB: shape.allocatableMemoryGiB },
          atMinReplicas: { cpu: min.allocatableCpu, memoryGiB: min.allocatableMemoryGiB },
          atMaxReplicas: { cpu: max.allocatableCpu, memoryGiB: max.allocatableMemoryGiB },
        },
        fits: poolFits(report.atMin.allUp, shape.name),
        fitsNodeLost: poolFits(report.atMin.nodeLost, shape.name),
        fitsZoneLost: poolFits(report.atMin.zoneLost, shape.name),
        fitsAtMaxReplicas: poolFits(report.atMax.allUp, shape.name),
        requested: {
          atMinReplicas: { cpu: min.requestedCpu, memoryGiB: min.requestedMemoryGiB },
          atMaxReplicas: { cpu: max.requestedCpu, memoryGiB: max.requestedMemoryGiB },
        },
        headroomAtMinReplicas: { cpu: round2(min.allocatableCpu - min.requestedCpu), memoryGiB: round2(min.allocatableMemoryGiB - min.requestedMemoryGiB) },
      };
    }),
    fits: situationFits(report.atMin.allUp),
    fitsNodeLost: situationFits(report.atMin.nodeLost),
    fitsZoneLost: situationFits(report.atMin.zoneLost),
    fitsAtMaxReplicas: situationFits(report.atMax.allUp),
    atMinReplicas: report.atMin,
    atMaxReplicas: report.atMax,
    cost: { lines, monthlyCny: total, monthlyCnyAtMax: totalMax, seedMonthlyCny: seed.total, versusSeed: seed.notDeployed },
  };
}

/** No pod meant for `pool` is without a node in `s`. */
function poolFits(s: SituationResult, pool: string): boolean {
  return !s.unplaced.some((u) => u.pools.includes(pool));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const yes = (value: boolean) => (value ? 'yes' : 'NO');
const cny = (value: number | undefined) => (value === undefined ? '-' : `¥${value.toLocaleString('en-US')}`);

/** The plan as a table a person reads in ten seconds. */
export function formatPlan(plan: EnvironmentPlan): string {
  const out: string[] = [];
  out.push(`== ${plan.environment} (${plan.size}): fits ${yes(plan.fits)} · one node lost ${yes(plan.fitsNodeLost)} · one zone lost ${yes(plan.fitsZoneLost)} · at max replicas ${yes(plan.fitsAtMaxReplicas)}`);
  out.push('pool                      flavor                 nodes min/max  used@min  used@max  alloc/node        requested@min       headroom@min');
  for (const p of plan.pools) {
    out.push([
      p.name.padEnd(25),
      p.flavor.padEnd(22),
      `${p.nodes.min}/${p.nodes.max}`.padStart(13),
      String(p.nodes.usedAtMinReplicas).padStart(9),
      String(p.nodes.usedAtMaxReplicas).padStart(9),
      `${p.allocatable.perNode.cpu} CPU ${p.allocatable.perNode.memoryGiB} GiB`.padStart(18),
      `${p.requested.atMinReplicas.cpu} CPU ${p.requested.atMinReplicas.memoryGiB} GiB`.padStart(20),
      `${p.headroomAtMinReplicas.cpu} CPU ${p.headroomAtMinReplicas.memoryGiB} GiB`.padStart(19),
    ].join(' '));
  }
  const problems = (label: string, s: SituationResult) => {
    if (!s.fits) out.push(`${label}${s.lost ? ` (${s.lost})` : ''}: ${CapacityPlan.describe(s).join('; ')}`);
    for (const d of s.disruptionsBeyondBudget) out.push(`${label}${s.lost ? ` (${s.lost})` : ''}: ${d}`);
    if (s.downWithZone.length) out.push(`${label}${s.lost ? ` (${s.lost})` : ''}: degraded, ${s.downWithZone.length} pod(s) wait for the zone (their disks are there)`);
  };
  problems('node lost', plan.atMinReplicas.nodeLost);
  problems('zone lost', plan.atMinReplicas.zoneLost);
  if (!plan.fitsAtMaxReplicas) out.push(`warning: at max replicas ${CapacityPlan.describe(plan.atMaxReplicas.allUp).join('; ')}`);
  out.push(`monthly cost ${cny(plan.cost.monthlyCny)} (at max replicas ${cny(plan.cost.monthlyCnyAtMax)}) vs the seed's ${cny(plan.cost.seedMonthlyCny)}:`);
  for (const l of plan.cost.lines) out.push(`  ${l.item.padEnd(60)} ${cny(l.monthlyCny).padStart(9)}  ${l.source}`);
  for (const note of plan.cost.versusSeed) out.push(`  vs seed: ${note}`);
  return out.join('\n');
}

function main(): void {
  const { values } = parseArgs({ options: { env: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } } });
  const wanted = values.env ?? [];
  const unknown = wanted.filter((name) => !ENVIRONMENTS.some((e) => e.name === name));
  if (unknown.length) throw new Error(`--env: unknown environment(s) ${unknown.join(', ')}; allowed: ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
  const plans = ENVIRONMENTS.filter((e) => wanted.length === 0 || wanted.includes(e.name)).map((e) => planEnvironment(e));
  if (values.json) console.log(JSON.stringify({ environments: plans }, undefined, 2));
  else console.log(plans.map(formatPlan).join('\n\n'));
}

if (require.main === module) main();
