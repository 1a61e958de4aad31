import { CceNodeLabels } from './cce';
import { CceAddOns, CceNodeReservation, flavorExtendedResources, nodeAllocatable, NodePool } from './node-pools';
import {
  clonePlacement, emptyPlacement, formatCpu, formatGiB, loseNode, loseZone, placeAll, podsAt, prepare, SimNode, SimPod, Unplaced,
} from './scheduling-simulation';
import { workloadPods, WorkloadPods } from './workload-pods';

/** Load levels the plan checks. */
export enum ReplicaLevel {
  /** Every autoscaler at its minimum (fixed counts as they are). */
  MIN = 'min',
  /** Every autoscaler at its maximum. */
  MAX = 'max',
}

/** A pod that found no node. */
export interface UnplacedPod {
  /** Pod, `<workload name>-<index>`. */
  readonly pod: string;
  /** Workload, `Kind/name`. */
  readonly workload: string;
  /** Pools whose nodes admit the pod. */
  readonly pools: string[];
  /** Why it found no node, with the shortfall. */
  readonly reason: string;
  /** Missing CPU on the closest node, cores (0 when CPU is not short). */
  readonly cpuShort: number;
  /** Missing memory on the closest node, GiB (0 when memory is not short). */
  readonly memoryShortGiB: number;
}

/** One situation (all nodes up, the worst single node lost, the worst zone lost). */
export interface SituationResult {
  /** Every pod found a node. */
  readonly fits: boolean;
  /** The node or zone lost (the worst one), if any. */
  readonly lost?: string;
  /** Pods without a node. */
  readonly unplaced: UnplacedPod[];
  /** Workloads that lose more pods at once than their PodDisruptionBudget allows (involuntary, so only reported). */
  readonly disruptionsBeyondBudget: string[];
  /**
   * Pods down with a lost zone because their volumes (EVS disks) are in it, while other pods of
   * their workload still run: degraded, not a shortfall. A workload with every pod there is in `unplaced`.
   */
  readonly downWithZone: string[];
}

/** One pool at one load level, all nodes up. */
export interface PoolUsage {
  /** Pool name. */
  readonly pool: string;
  /** Nodes running: the pool's minimum, or more if the pods need them. */
  readonly nodesUsed: number;
  /** The autoscaler's maximum. */
  readonly nodesAvailable: number;
  /** Allocatable CPU of the running nodes, cores. */
  readonly allocatableCpu: number;
  /** Allocatable memory of the running nodes, GiB. */
  readonly allocatableMemoryGiB: number;
  /** CPU requested by the pods on them, cores. */
  readonly requestedCpu: number;
  /** Memory requested by the pods on them, GiB. */
  readonly requestedMemoryGiB: number;
  /** Pods on the pool. */
  readonly pods: number;
}

/** The plan at one load level. */
export interface LevelPlan {
  /** The level. */
  readonly level: ReplicaLevel;
  /** Pods of the manifests at this level. */
  readonly pods: number;
  /** Per pool, all nodes up. */
  readonly pools: PoolUsage[];
  /** All nodes up. */
  readonly allUp: SituationResult;
  /** The worst single node lost. */
  readonly nodeLost: SituationResult;
  /** The worst zone lost. */
  readonly zoneLost: SituationResult;
}

/** A node pool's shape in the plan. */
export interface PoolShape {
  /** Pool name. */
  readonly name: string;
  /** ECS flavor. */
  readonly flavor: string;
  /** Autoscaler minimum. */
  readonly minNodes: number;
  /** Autoscaler maximum. */
  readonly maxNodes: number;
  /** Zones. */
  readonly zones: string[];
  /** Allocatable CPU per node, cores. */
  readonly allocatableCpu: number;
  /** Allocatable memory per node, GiB. */
  readonly allocatableMemoryGiB: number;
  /** CPU CCE reserves per node (kubelet, OS) plus per-node add-on pods, cores. */
  readonly reservedCpu: number;
  /** Memory hidden by the OS, reserved by CCE, the eviction threshold and per-node add-on pods, GiB. */
  readonly reservedMemoryGiB: number;
}

/** The capacity plan of a set of manifests on a set of node pools. */
export interface CapacityReport {
  /** The pools. */
  readonly pools: PoolShape[];
  /** Autoscalers at their minimum. */
  readonly atMin: LevelPlan;
  /** Autoscalers at their maximum. */
  readonly atMax: LevelPlan;
}

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const round2 = (value: number) => Math.round(value * 100) / 100;

/** Scheduling simulation of synthesized manifests on CCE node pools (see docs/capacity.md). */
export class CapacityPlan {
  /**
   * Simulates the pods of `manifests` (Kubernetes objects as JSON, e.g. `chart.toJson()`) on
   * `pools` at the autoscalers' minimum and maximum, with every node up, the worst single node
   * lost and the worst zone lost.
   */
  public static simulate(manifests: any[], pools: NodePool[]): CapacityReport {
    const workloads = [...workloadPods(manifests), ...addOnWorkloads(pools)];
    // max-pods as a resource: every pod takes one slot.
    for (const w of workloads) w.requests.extended.pods = 1;
    const nodes = nodeSlots(pools);
    const prepared = prepare(nodes, workloads);
    const maxNodes = new Map(pools.map((p) => [p.name, p.maxNodes ?? p.minNodes]));
    const level = (which: ReplicaLevel): LevelPlan => {
      const pods = podsAt(workloads, which);
      const allUp = placeAll(prepared, emptyPlacement(prepared), pods, maxNodes);
      const usage = pools.map((pool) => poolUsage(pool, nodes, allUp));
      // Worst single node: every running node in turn.
      let nodeLost: SituationResult | undefined;
      for (let n = 0; n < nodes.length; n++) {
        if (!allUp.running[n]) continue;
        const trial = clonePlacement(allUp);
        trial.unplaced = [];
        const evicted = loseNode(prepared, trial, n);
        placeAll(prepared, trial, evicted, maxNodes);
        const result = situation(trial.unplaced, nodes[n].name, disruptions(evicted, workloads), workloads, which);
        if (!nodeLost || worse(result, nodeLost)) nodeLost = result;
      }
      let zoneLost: SituationResult | undefined;
      for (const zone of [...new Set(nodes.map((node) => node.zone))]) {
        const trial = clonePlacement(allUp);
        trial.unplaced = [];
        const evicted = loseZone(prepared, trial, zone);
        placeAll(prepared, trial, evicted, maxNodes);
        const result = situation(trial.unplaced, zone, disruptions(evicted, workloads), workloads, which);
        if (!zoneLost || worse(result, zoneLost)) zoneLost = result;
      }
      const allUpResult = situation(allUp.unplaced, undefined, [], workloads, which);
      return {
        level: which,
        pods: pods.length,
        pools: usage,
        allUp: allUpResult,
        // A pod that finds no node with all nodes up finds none with fewer either.
        nodeLost: allUpResult.fits ? nodeLost ?? allUpResult : allUpResult,
        zoneLost: allUpResult.fits ? zoneLost ?? allUpResult : allUpResult,
      };
    };
    return {
      pools: pools.map(poolShape),
      atMin: level(ReplicaLevel.MIN),
      atMax: level(ReplicaLevel.MAX),
    };
  }

  /** One line per pod that found no node in `result`, for an error message. */
  public static describe(result: SituationResult): string[] {
    return result.unplaced.map((u) => `${u.pod} (${u.workload}) on pool ${u.pools.join('/') || '-'}: ${u.reason}`);
  }

  private constructor() {}
}

function poolShape(pool: NodePool): PoolShape {
  const a = nodeAllocatable(pool);
  return {
    name: pool.name,
    flavor: pool.flavor.name,
    minNodes: pool.minNodes,
    maxNodes: pool.maxNodes ?? pool.minNodes,
    zones: [...pool.zones],
    allocatableCpu: a.allocatableCpuMillis / 1000,
    allocatableMemoryGiB: round2(a.allocatableMemoryMiB / 1024),
    reservedCpu: (a.reservedCpuMillis + a.addOnCpuMillis) / 1000,
    reservedMemoryGiB: round2((pool.flavor.memoryGiB * 1024 - a.allocatableMemoryMiB) / 1024),
  };
}

/** Every pool's node slots: the maximum, spread over its zones in turn; the minimum running. */
function nodeSlots(pools: NodePool[]): SimNode[] {
  const nodes: SimNode[] = [];
  for (const pool of pools) {
    const a = nodeAllocatable(pool);
    const max = pool.maxNodes ?? pool.minNodes;
    const perNodeAddOns = (pool.addOnPods ?? CceAddOns.perNodeDefaults()).filter((addOn) => addOn.replicas === undefined).length;
    for (let i = 0; i < max; i++) {
      const zone = pool.zones[i % pool.zones.length];
      const name = `${pool.name}-${i + 1}`;
      nodes.push({
        name,
        pool: pool.name,
        zone,
        labels: {
          ...pool.labels,
          [CceNodeLabels.NODE_POOL]: pool.name,
          [CceNodeLabels.HOSTNAME]: name,
          [CceNodeLabels.ZONE]: zone,
          [CceNodeLabels.ARCH]: pool.flavor.architecture,
          [CceNodeLabels.OS]: 'linux',
          [CceNodeLabels.INSTANCE_TYPE]: pool.flavor.name,
          ...(pool.flavor.npuChip ? { [CceNodeLabels.NPU]: '' } : {}),
        },
        taints: (pool.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: String(t.effect) })),
        allocatable: {
          cpuMillis: a.allocatableCpuMillis,
          memoryBytes: a.allocatableMemoryMiB * MIB,
          extended: { ...flavorExtendedResources(pool.flavor), pods: (pool.maxPods ?? CceNodeReservation.defaultMaxPods(pool.flavor.memoryGiB)) - perNodeAddOns },
        },
        running: i < pool.minNodes,
      });
    }
  }
  return nodes;
}

/** Add-on Deployments declared on a pool, as workloads pinned to it. */
function addOnWorkloads(pools: NodePool[]): WorkloadPods[] {
  return pools.flatMap((pool) => (pool.addOnPods ?? []).filter((a) => a.replicas !== undefined).map((a): WorkloadPods => ({
    id: `add-on/${a.name}`,
    kind: 'add-on',
    name: a.name,
    minReplicas: a.replicas!,
    maxReplicas: a.replicas!,
    perNode: false,
    requests: { cpuMillis: a.cpuMillis, memoryBytes: a.memoryMiB * MIB, extended: {} },
    labels: { 'cce.add-on': a.name },
    nodeSelector: { [CceNodeLabels.NODE_POOL]: pool.name },
    nodeAffinity: [],
    tolerations: [{ operator: 'Exists' }],
    antiAffinity: [],
    spread: [],
    zonalVolumes: false,
  })));
}

function poolUsage(pool: NodePool, nodes: SimNode[], placement: ReturnType<typeof emptyPlacement>): PoolUsage {
  let used = 0;
  let cpu = 0;
  let memory = 0;
  let pods = 0;
  let allocatableCpu = 0;
  let allocatableMemory = 0;
  nodes.forEach((node, n) => {
    if (node.pool !== pool.name || !placement.running[n]) return;
    used++;
    cpu += placement.used[n].cpuMillis;
    memory += placement.used[n].memoryBytes;
    pods += placement.pods[n].length;
    allocatableCpu += node.allocatable.cpuMillis;
    allocatableMemory += node.allocatable.memoryBytes;
  });
  return {
    pool: pool.name,
    nodesUsed: used,
    nodesAvailable: pool.maxNodes ?? pool.minNodes,
    allocatableCpu: allocatableCpu / 1000,
    allocatableMemoryGiB: round2(allocatableMemory / GIB),
    requestedCpu: cpu / 1000,
    requestedMemoryGiB: round2(memory / GIB),
    pods,
  };
}

function disruptions(evicted: SimPod[], workloads: WorkloadPods[]): string[] {
  const lost = new Map<number, number>();
  for (const [w] of evicted) lost.set(w, (lost.get(w) ?? 0) + 1);
  return [...lost].filter(([w, count]) => workloads[w].maxUnavailable !== undefined && count > workloads[w].maxUnavailable!)
    .map(([w, count]) => `${workloads[w].id} loses ${count} pods at once (its PodDisruptionBudget allows ${workloads[w].maxUnavailable})`);
}

function situation(all: Unplaced[], lost: string | undefined, beyondBudget: string[], workloads: WorkloadPods[], level: ReplicaLevel): SituationResult {
  // Pods held in a lost zone by their disks: a shortfall only when the whole workload is there.
  const zonalByWorkload = new Map<string, Unplaced[]>();
  for (const u of all.filter((x) => x.zonal)) zonalByWorkload.set(u.workload, [...(zonalByWorkload.get(u.workload) ?? []), u]);
  const unplaced = all.filter((u) => !u.zonal);
  const downWithZone: string[] = [];
  for (const [id, pods] of zonalByWorkload) {
    const workload = workloads.find((w) => w.id === id)!;
    const replicas = level === ReplicaLevel.MIN ? workload.minReplicas : workload.maxReplicas;
    if (pods.length >= replicas) {
      unplaced.push({ ...pods[0], pod: pods.map((x) => x.pod).join(', '), reason: `every pod of ${id} is down: ${pods[0].reason}` });
    } else {
      downWithZone.push(...pods.map((x) => `${x.pod} (${x.reason})`));
    }
  }
  return {
    fits: unplaced.length === 0,
    ...(lost !== undefined ? { lost } : {}),
    downWithZone,
    unplaced: unplaced.map((u) => ({
      pod: u.pod,
      workload: u.workload,
      pools: u.pools,
      reason: u.reason,
      cpuShort: Number(formatCpu(u.cpuShortMillis)),
      memoryShortGiB: Number(formatGiB(u.memoryShortBytes)),
    })),
    disruptionsBeyondBudget: beyondBudget,
  };
}

function worse(a: SituationResult, b: SituationResult): boolean {
  if (a.unplaced.length !== b.unplaced.length) return a.unplaced.length > b.unplaced.length;
  return a.disruptionsBeyondBudget.length > b.disruptionsBeyondBudget.length;
}
