/**
 * A small model of kube-scheduler and the cluster autoscaler, enough to answer "does this fit":
 * pods are placed one by one, largest first, on nodes of the pools that admit them (node selector,
 * required node affinity, taints), within each node's allocatable, honouring required pod
 * anti-affinity (both ways) and `DoNotSchedule` topology spread. Among running nodes the least
 * allocated wins (kube-scheduler's default `LeastAllocated` scoring); a pool's next node (up to
 * its maximum) is started only when no running node takes the pod, as the cluster autoscaler does.
 *
 * Each pool's nodes are slots spread over its zones in turn (slot i in zone i mod n); the first
 * `minNodes` slots are running. A lost node stays a topology domain (a NotReady node keeps its
 * labels and Kubernetes ignores its taints when counting spread), still counts towards the pool's
 * maximum, and its pods must find room elsewhere. A lost zone's nodes are gone from the cluster.
 * @internal
 */
import { CceNodeLabels } from './cce';
import { expressionMatches, ResourceAmounts, selectorMatches, TolerationSpec, WorkloadPods } from './workload-pods';

const HOSTNAME_KEY = CceNodeLabels.HOSTNAME;

/** A pod to place: workload index, name, and the zone its volumes pin it to (if placed before). */
export type SimPod = [number, string, string?];

/** A node slot of a pool. */
export interface SimNode {
  name: string;
  pool: string;
  zone: string;
  /** Labels incl. hostname and zone. */
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  /** What pods may request (capacity minus reservations and per-node DaemonSets). */
  allocatable: ResourceAmounts;
  /** Running from the start (the pool's minimum). */
  running: boolean;
}

/** A pod that found no node, and why. */
export interface Unplaced {
  pod: string;
  workload: string;
  /** Pools whose nodes admit the pod (selectors, taints). */
  pools: string[];
  reason: string;
  /** Missing CPU (millicores) on the closest node, when resources are the reason. */
  cpuShortMillis: number;
  /** Missing memory (bytes) on the closest node, when resources are the reason. */
  memoryShortBytes: number;
  /** Down because its volumes are in a lost zone (not a capacity shortfall). */
  zonal?: boolean;
}

/** A placement: which pods run where. */
export interface Placement {
  /** Per node slot: requested resources, pod count per workload, and whether it runs / is lost. */
  used: ResourceAmounts[];
  counts: Int32Array[];
  running: boolean[];
  lost: boolean[];
  /** Pods per node slot. */
  pods: SimPod[][];
  unplaced: Unplaced[];
  /** Zones whose nodes are gone from the cluster. */
  removedZones: Set<string>;
}

interface Prepared {
  nodes: SimNode[];
  workloads: WorkloadPods[];
  /** admits[w][n]: node n admits workload w (selectors, affinity, taints). */
  admits: boolean[][];
  /** antiMatches[w][t] = workloads matched by term t of w. */
  antiMatches: number[][][];
  /** spreadMatches[w][c] = workloads matched by spread constraint c of w. */
  spreadMatches: number[][][];
  /** domain[keyIndex][n]: the node's value of the topology key, or undefined. */
  keys: string[];
  domain: (string | undefined)[][];
}

function tolerates(tolerations: TolerationSpec[], taint: { key: string; value?: string; effect: string }): boolean {
  if (taint.effect === 'PreferNoSchedule') return true;
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === '') return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

function admits(workload: WorkloadPods, node: SimNode): boolean {
  for (const [key, value] of Object.entries(workload.nodeSelector)) if (node.labels[key] !== value) return false;
  if (workload.nodeAffinity.length > 0 && !workload.nodeAffinity.some((term) => term.every((e) => expressionMatches(e, node.labels)))) return false;
  return node.taints.every((taint) => tolerates(workload.tolerations, taint));
}

/** Precomputes what does not change while pods move: admission and selector matches. */
export function prepare(nodes: SimNode[], workloads: WorkloadPods[]): Prepared {
  const keys: string[] = [HOSTNAME_KEY, CceNodeLabels.ZONE];
  for (const w of workloads) for (const t of [...w.antiAffinity, ...w.spread]) if (!keys.includes(t.topologyKey)) keys.push(t.topologyKey);
  const matched = (selector: any) => workloads.map((other, i) => selectorMatches(selector, other.labels) ? i : -1).filter((i) => i >= 0);
  return {
    nodes,
    workloads,
    admits: workloads.map((w) => nodes.map((n) => admits(w, n))),
    antiMatches: workloads.map((w) => w.antiAffinity.map((t) => matched(t.selector))),
    spreadMatches: workloads.map((w) => w.spread.map((c) => matched(c.selector))),
    keys,
    domain: keys.map((key) => nodes.map((n) => (key === HOSTNAME_KEY ? n.name : n.labels[key]))),
  };
}

/** An empty placement: the pools' minimum nodes running. */
export function emptyPlacement(p: Prepared): Placement {
  return {
    used: p.nodes.map(() => ({ cpuMillis: 0, memoryBytes: 0, extended: {} })),
    counts: p.nodes.map(() => new Int32Array(p.workloads.length)),
    running: p.nodes.map((n) => n.running),
    lost: p.nodes.map(() => false),
    pods: p.nodes.map(() => []),
    unplaced: [],
    removedZones: new Set(),
  };
}

export function clonePlacement(s: Placement): Placement {
  return {
    used: s.used.map((u) => ({ cpuMillis: u.cpuMillis, memoryBytes: u.memoryBytes, extended: { ...u.extended } })),
    counts: s.counts.map((c) => c.slice()),
    running: [...s.running],
    lost: [...s.lost],
    pods: s.pods.map((list) => [...list]),
    unplaced: [...s.unplaced],
    removedZones: new Set(s.removedZones),
  };
}

function fitsResources(p: Prepared, s: Placement, n: number, r: ResourceAmounts): boolean {
  const a = p.nodes[n].allocatable;
  const u = s.used[n];
  if (u.cpuMillis + r.cpuMillis > a.cpuMillis || u.memoryBytes + r.memoryBytes > a.memoryBytes) return false;
  for (const [name, amount] of Object.entries(r.extended)) if ((u.extended[name] ?? 0) + amount > (a.extended[name] ?? 0)) return false;
  return true;
}

/** Pods matching `workloads` in the topology domain `value` of key `k` (lost nodes' pods are gone). */
function countInDomain(p: Prepared, s: Placement, k: number, value: string | undefined, workloads: number[]): number {
  if (value === undefined) return 0;
  let count = 0;
  const domain = p.domain[k];
  for (let n = 0; n < p.nodes.length; n++) {
    if (domain[n] !== value || !s.running[n]) continue;
    for (const w of workloads) count += s.counts[n][w];
  }
  return count;
}

/** Whether a node still counts as existing: running (lost nodes too, unless their zone was removed). */
function exists(p: Prepared, s: Placement, n: number): boolean {
  return s.running[n] && !s.removedZones.has(p.nodes[n].zone);
}

/** Why workload `w` may not go to node `n` by anti-affinity or spread; undefined when it may. */
function ruleBlocks(p: Prepared, s: Placement, w: number, n: number): string | undefined {
  const workload = p.workloads[w];
  for (const [t, term] of workload.antiAffinity.entries()) {
    const k = p.keys.indexOf(term.topologyKey);
    if (countInDomain(p, s, k, p.domain[k][n], p.antiMatches[w][t]) > 0) return `required anti-affinity on ${term.topologyKey}`;
  }
  // Symmetric: pods already there whose own anti-affinity excludes this one.
  for (let other = 0; other < p.workloads.length; other++) {
    for (const [t, term] of p.workloads[other].antiAffinity.entries()) {
      if (!p.antiMatches[other][t].includes(w)) continue;
      const k = p.keys.indexOf(term.topologyKey);
      if (countInDomain(p, s, k, p.domain[k][n], [other]) > 0) return `required anti-affinity of ${p.workloads[other].name} on ${term.topologyKey}`;
    }
  }
  for (const [c, constraint] of workload.spread.entries()) {
    const k = p.keys.indexOf(constraint.topologyKey);
    const target = p.domain[k][n];
    if (target === undefined) return `no ${constraint.topologyKey} label`;
    // Domains: values of the key on existing nodes that admit the pod (a lost node stays a domain).
    const domains = new Map<string, number>();
    for (let m = 0; m < p.nodes.length; m++) {
      const value = p.domain[k][m];
      if (value === undefined || !p.admits[w][m] || !exists(p, s, m)) continue;
      if (!domains.has(value)) domains.set(value, 0);
      if (!s.lost[m]) for (const matched of p.spreadMatches[w][c]) domains.set(value, domains.get(value)! + s.counts[m][matched]);
    }
    if (!domains.has(target)) domains.set(target, countInDomain(p, s, k, target, p.spreadMatches[w][c]));
    const min = Math.min(...domains.values());
    const self = p.spreadMatches[w][c].includes(w) ? 1 : 0;
    if (domains.get(target)! + self - min > constraint.maxSkew) {
      return `topology spread on ${constraint.topologyKey} (maxSkew ${constraint.maxSkew}; ${[...domains].map(([d, v]) => `${d}: ${v}`).join(', ')})`;
    }
  }
  return undefined;
}

/** Free share of a node after adding `r`: kube-scheduler's LeastAllocated score. */
function leastAllocatedScore(p: Prepared, s: Placement, n: number, r: ResourceAmounts): number {
  const a = p.nodes[n].allocatable;
  const u = s.used[n];
  return ((a.cpuMillis - u.cpuMillis - r.cpuMillis) / a.cpuMillis + (a.memoryBytes - u.memoryBytes - r.memoryBytes) / a.memoryBytes) / 2;
}

function usable(p: Prepared, s: Placement, n: number): boolean {
  return !s.lost[n] && !s.removedZones.has(p.nodes[n].zone);
}

function assign(p: Prepared, s: Placement, w: number, n: number, pod: string): void {
  const pinned = p.workloads[w].zonalVolumes ? p.nodes[n].zone : undefined;
  const r = p.workloads[w].requests;
  const u = s.used[n];
  u.cpuMillis += r.cpuMillis;
  u.memoryBytes += r.memoryBytes;
  for (const [name, amount] of Object.entries(r.extended)) u.extended[name] = (u.extended[name] ?? 0) + amount;
  s.counts[n][w]++;
  s.pods[n].push([w, pod, pinned]);
  s.running[n] = true;
}

/**
 * Places one pod: the least allocated running node that takes it, else the pool's next slot that
 * does (the autoscaler starting a node), else records why not. Slots beyond a pool's maximum
 * minus its lost nodes are never started.
 */
export function placePod(p: Prepared, s: Placement, [w, pod, zone]: SimPod, startable: (n: number) => boolean): boolean {
  const r = p.workloads[w].requests;
  if (zone !== undefined && s.removedZones.has(zone)) {
    const pools = [...new Set(p.nodes.filter((_, n) => p.admits[w][n]).map((node) => node.pool))];
    s.unplaced.push({ pod, workload: p.workloads[w].id, pools, reason: `its volumes are in the lost zone ${zone}`, cpuShortMillis: 0, memoryShortBytes: 0, zonal: true });
    return false;
  }
  const inZone = (n: number) => zone === undefined || p.nodes[n].zone === zone;
  let best = -1;
  let bestScore = -Infinity;
  for (let n = 0; n < p.nodes.length; n++) {
    if (!s.running[n] || !usable(p, s, n) || !inZone(n) || !p.admits[w][n] || !fitsResources(p, s, n, r) || ruleBlocks(p, s, w, n)) continue;
    const score = leastAllocatedScore(p, s, n, r);
    if (score > bestScore) { best = n; bestScore = score; }
  }
  if (best < 0) {
    for (let n = 0; n < p.nodes.length; n++) {
      if (s.running[n] || !usable(p, s, n) || !inZone(n) || !p.admits[w][n] || !startable(n) || !fitsResources(p, s, n, r) || ruleBlocks(p, s, w, n)) continue;
      best = n;
      break;
    }
  }
  if (best >= 0) {
    assign(p, s, w, best, pod);
    return true;
  }
  s.unplaced.push(explain(p, s, w, pod, (n) => inZone(n) && startable(n), zone));
  return false;
}

function explain(p: Prepared, s: Placement, w: number, pod: string, startable: (n: number) => boolean, zone?: string): Unplaced {
  const workload = p.workloads[w];
  const admitting = p.nodes.map((_, n) => n).filter((n) => p.admits[w][n]);
  const pools = [...new Set(admitting.map((n) => p.nodes[n].pool))];
  const base = { pod, workload: workload.id, pools, cpuShortMillis: 0, memoryShortBytes: 0 };
  if (admitting.length === 0) {
    return { ...base, reason: 'no node pool admits it (node selector, node affinity or taints)' };
  }
  const candidates = admitting.filter((n) => usable(p, s, n) && (zone === undefined || p.nodes[n].zone === zone) && (s.running[n] || startable(n)));
  if (candidates.length === 0) {
    return { ...base, reason: `every node it may use${zone ? ` in ${zone}, where its volumes are,` : ''} is lost or beyond its pool's maximum` };
  }
  const r = workload.requests;
  const roomy = candidates.filter((n) => fitsResources(p, s, n, r));
  if (roomy.length > 0) {
    return { ...base, reason: `no node with room satisfies its rules: ${ruleBlocks(p, s, w, roomy[0])}` };
  }
  // Resources: the node closest to taking it (smallest missing share of CPU plus memory).
  let closest = candidates[0];
  let closestMissing = Infinity;
  let cpuShort = 0;
  let memoryShort = 0;
  for (const n of candidates) {
    const a = p.nodes[n].allocatable;
    const u = s.used[n];
    const cpu = Math.max(0, u.cpuMillis + r.cpuMillis - a.cpuMillis);
    const memory = Math.max(0, u.memoryBytes + r.memoryBytes - a.memoryBytes);
    const missing = cpu / Math.max(1, a.cpuMillis) + memory / Math.max(1, a.memoryBytes);
    if (missing < closestMissing) { closest = n; closestMissing = missing; cpuShort = cpu; memoryShort = memory; }
  }
  const node = p.nodes[closest];
  const extendedShort = Object.entries(r.extended).filter(([name, amount]) => (s.used[closest].extended[name] ?? 0) + amount > (node.allocatable.extended[name] ?? 0)).map(([name]) => name);
  const parts = [
    cpuShort > 0 ? `${formatCpu(cpuShort)} CPU` : '',
    memoryShort > 0 ? `${formatGiB(memoryShort)} GiB memory` : '',
    ...extendedShort.map((name) => (name === 'pods' ? 'a pod slot (max-pods)' : `1 ${name}`)),
  ].filter(Boolean);
  return {
    ...base,
    cpuShortMillis: cpuShort,
    memoryShortBytes: memoryShort,
    reason: `short of ${parts.join(' and ')} on the closest node (${node.name}: ${formatCpu(node.allocatable.cpuMillis - s.used[closest].cpuMillis)} CPU, `
      + `${formatGiB(node.allocatable.memoryBytes - s.used[closest].memoryBytes)} GiB free of ${formatCpu(node.allocatable.cpuMillis)} CPU, ${formatGiB(node.allocatable.memoryBytes)} GiB allocatable)`,
  };
}

export function formatCpu(millis: number): string {
  return String(Math.round(millis) / 1000);
}

export function formatGiB(bytes: number): string {
  return (Math.round((bytes / 2 ** 30) * 100) / 100).toString();
}

/** Pods of every workload at `level`, largest first (CPU, then memory), workloads kept together. */
export function podsAt(workloads: WorkloadPods[], level: 'min' | 'max'): SimPod[] {
  const order = workloads.map((_, i) => i).filter((i) => !workloads[i].perNode).sort((a, b) => {
    const ra = workloads[a].requests;
    const rb = workloads[b].requests;
    return rb.cpuMillis - ra.cpuMillis || rb.memoryBytes - ra.memoryBytes || a - b;
  });
  const pods: SimPod[] = [];
  for (const w of order) {
    const count = level === 'min' ? workloads[w].minReplicas : workloads[w].maxReplicas;
    for (let i = 0; i < count; i++) pods.push([w, `${workloads[w].name}-${i}`]);
  }
  return pods;
}

/** Slots a pool may start: its maximum, minus lost nodes (they still count), minus removed zones' slots. */
export function startableWithin(p: Prepared, s: Placement, maxNodes: Map<string, number>): (n: number) => boolean {
  return (n: number) => {
    const pool = p.nodes[n].pool;
    let inUse = 0;
    for (let m = 0; m < p.nodes.length; m++) if (p.nodes[m].pool === pool && s.running[m]) inUse++;
    return inUse < (maxNodes.get(pool) ?? 0);
  };
}

/** Places every pod of `pods` into `s`, in order. */
export function placeAll(p: Prepared, s: Placement, pods: SimPod[], maxNodes: Map<string, number>): Placement {
  const startable = startableWithin(p, s, maxNodes);
  for (const pod of pods) placePod(p, s, pod, startable);
  return s;
}

/** Removes node `n` (lost): its pods are returned, largest first, for placing elsewhere. */
export function loseNode(p: Prepared, s: Placement, n: number): SimPod[] {
  s.lost[n] = true;
  const evicted = s.pods[n];
  s.pods[n] = [];
  s.counts[n].fill(0);
  s.used[n] = { cpuMillis: 0, memoryBytes: 0, extended: {} };
  return sortPods(p, evicted);
}

/** Removes every node of `zone` from the cluster; their pods are returned for placing elsewhere. */
export function loseZone(p: Prepared, s: Placement, zone: string): SimPod[] {
  s.removedZones.add(zone);
  const evicted: SimPod[] = [];
  for (let n = 0; n < p.nodes.length; n++) {
    if (p.nodes[n].zone !== zone) continue;
    evicted.push(...s.pods[n]);
    s.pods[n] = [];
    s.counts[n].fill(0);
    s.used[n] = { cpuMillis: 0, memoryBytes: 0, extended: {} };
  }
  return sortPods(p, evicted);
}

function sortPods(p: Prepared, pods: SimPod[]): SimPod[] {
  return [...pods].sort(([a], [b]) => {
    const ra = p.workloads[a].requests;
    const rb = p.workloads[b].requests;
    return rb.cpuMillis - ra.cpuMillis || rb.memoryBytes - ra.memoryBytes || a - b;
  });
}
