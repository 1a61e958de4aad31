/**
 * The pods a set of Kubernetes manifests asks the scheduler for, read from the synthesized
 * objects (so anything added through escape hatches counts too): how many of each workload at the
 * autoscaler's minimum and maximum, what each pod requests, and the scheduling rules it carries.
 * Plain data in, plain data out; the simulation (scheduling-simulation.ts) places them.
 * @internal
 */

/** Resources in scheduler units: CPU in millicores, memory in bytes, extended resources as counts. */
export interface ResourceAmounts {
  cpuMillis: number;
  memoryBytes: number;
  /** Extended resources such as `huawei.com/ascend-1980`. */
  extended: Record<string, number>;
}

/** A label selector as Kubernetes writes it. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A required pod anti-affinity term. */
export interface AntiAffinityTerm {
  selector: LabelSelectorSpec;
  topologyKey: string;
}

/** A `DoNotSchedule` topology spread constraint (`ScheduleAnyway` ones never block). */
export interface SpreadConstraint {
  selector: LabelSelectorSpec;
  topologyKey: string;
  maxSkew: number;
}

/** A toleration as Kubernetes writes it. */
export interface TolerationSpec {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** One workload's pod template, as the scheduler sees it. */
export interface WorkloadPods {
  /** `Deployment/memos-api`. */
  id: string;
  kind: string;
  name: string;
  /** Pods with all replicas at the autoscaler's minimum (or the fixed count). */
  minReplicas: number;
  /** Pods at the autoscaler's maximum (or the fixed count). */
  maxReplicas: number;
  /** True for DaemonSets: one pod on every node that admits it. */
  perNode: boolean;
  /** Effective requests of one pod: max(sum of containers, largest init container). */
  requests: ResourceAmounts;
  labels: Record<string, string>;
  nodeSelector: Record<string, string>;
  /** Required node affinity: a node must match one term (each term: all expressions). */
  nodeAffinity: { key: string; operator: string; values?: string[] }[][];
  tolerations: TolerationSpec[];
  antiAffinity: AntiAffinityTerm[];
  spread: SpreadConstraint[];
  /** Pods the PodDisruptionBudget lets go at once, if a PDB selects the workload. */
  maxUnavailable?: number;
  /**
   * Pods keep zonal volumes (a StatefulSet's claims on EVS disks): once placed, a pod can only
   * move within its zone.
   */
  zonalVolumes: boolean;
}

const CPU = /^([0-9.]+)(m?)$/;
const MEMORY = /^([0-9.]+(?:e[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$/;
const MEMORY_UNITS: Record<string, number> = {
  '': 1, 'm': 1e-3, 'k': 1e3, 'K': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** A CPU quantity (`500m`, `2`, `0.5`, 2) in millicores. */
export function cpuMillis(quantity: unknown): number {
  if (typeof quantity === 'number') return Math.ceil(quantity * 1000);
  const match = CPU.exec(String(quantity ?? '0'));
  if (!match) throw new Error(`unreadable CPU quantity ${JSON.stringify(quantity)}`);
  return Math.ceil(match[2] ? Number(match[1]) : Number(match[1]) * 1000);
}

/** A memory quantity (`512Mi`, `1G`, 1024) in bytes. */
export function memoryBytes(quantity: unknown): number {
  if (typeof quantity === 'number') return quantity;
  const match = MEMORY.exec(String(quantity ?? '0'));
  if (!match) throw new Error(`unreadable memory quantity ${JSON.stringify(quantity)}`);
  return Math.ceil(Number(match[1]) * MEMORY_UNITS[match[2] ?? '']);
}

function containerRequests(container: any): ResourceAmounts {
  const requests = { ...(container?.resources?.limits ?? {}), ...(container?.resources?.requests ?? {}) };
  const extended: Record<string, number> = {};
  for (const [name, value] of Object.entries(requests)) {
    if (name.includes('/')) extended[name] = Number(value);
  }
  return { cpuMillis: cpuMillis(requests.cpu ?? 0), memoryBytes: memoryBytes(requests.memory ?? 0), extended };
}

/** The scheduler's view of a pod's requests: the sum of its containers, or its largest init container if more. */
export function podRequests(podSpec: any): ResourceAmounts {
  const sum: ResourceAmounts = { cpuMillis: 0, memoryBytes: 0, extended: {} };
  for (const container of podSpec?.containers ?? []) {
    const r = containerRequests(container);
    sum.cpuMillis += r.cpuMillis;
    sum.memoryBytes += r.memoryBytes;
    for (const [k, v] of Object.entries(r.extended)) sum.extended[k] = (sum.extended[k] ?? 0) + v;
  }
  for (const container of podSpec?.initContainers ?? []) {
    const r = containerRequests(container);
    sum.cpuMillis = Math.max(sum.cpuMillis, r.cpuMillis);
    sum.memoryBytes = Math.max(sum.memoryBytes, r.memoryBytes);
    for (const [k, v] of Object.entries(r.extended)) sum.extended[k] = Math.max(sum.extended[k] ?? 0, v);
  }
  return sum;
}

/** Whether `labels` match `selector` (matchLabels and the four set operators). */
export function selectorMatches(selector: LabelSelectorSpec | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((e) => expressionMatches(e, labels));
}

/** One node-selector or label-selector expression against a label set. */
export function expressionMatches(expression: { key: string; operator: string; values?: string[] }, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
  const value = labels[expression.key];
  switch (expression.operator) {
    case 'In': return has && (expression.values ?? []).includes(value);
    case 'NotIn': return !has || !(expression.values ?? []).includes(value);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number(value) > Number(expression.values?.[0]);
    case 'Lt': return has && Number(value) < Number(expression.values?.[0]);
    default: throw new Error(`unknown selector operator ${expression.operator}`);
  }
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'ReplicaSet']);

/**
 * The workloads of `objects` (synthesized manifests), with their replica range: an HPA's
 * min/max where one targets the workload, else `spec.replicas` (1 when unset; a Job's
 * parallelism). Suspended Jobs and CronJobs are left out: they hold no node while idle.
 */
export function workloadPods(objects: readonly any[]): WorkloadPods[] {
  const hpas = new Map<string, { min: number; max: number }>();
  const pdbs: { selector: LabelSelectorSpec; maxUnavailable?: number; minAvailable?: number }[] = [];
  for (const o of objects) {
    if (o?.kind === 'HorizontalPodAutoscaler') {
      const ref = o.spec?.scaleTargetRef ?? {};
      hpas.set(`${ref.kind}/${ref.name}`, { min: o.spec?.minReplicas ?? 1, max: o.spec?.maxReplicas });
    } else if (o?.kind === 'PodDisruptionBudget') {
      pdbs.push({ selector: o.spec?.selector ?? {}, maxUnavailable: o.spec?.maxUnavailable, minAvailable: o.spec?.minAvailable });
    }
  }
  const result: WorkloadPods[] = [];
  for (const object of objects) {
    // A CronJob counts as the Job it starts: one run's pods, wherever they may land.
    const o = object?.kind === 'CronJob' && !object.spec?.suspend
      ? { kind: 'Job', metadata: object.metadata, spec: object.spec?.jobTemplate?.spec } : object;
    if (!WORKLOAD_KINDS.has(o?.kind) || (o.kind === 'Job' && o.spec?.suspend)) continue;
    const template = o.spec?.template ?? {};
    const spec = template.spec ?? {};
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    const id = `${object.kind}/${o.metadata?.name}`;
    const hpa = hpas.get(id);
    const fixed = o.kind === 'Job' ? (o.spec?.parallelism ?? 1) : (o.spec?.replicas ?? 1);
    const minReplicas = hpa ? hpa.min : fixed;
    const maxReplicas = hpa ? hpa.max : fixed;
    const affinity = spec.affinity ?? {};
    const pdb = pdbs.find((p) => selectorMatches(p.selector, labels));
    result.push({
      id,
      kind: o.kind,
      name: o.metadata?.name,
      minReplicas,
      maxReplicas,
      perNode: o.kind === 'DaemonSet',
      requests: podRequests(spec),
      labels,
      nodeSelector: spec.nodeSelector ?? {},
      nodeAffinity: (affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
        .map((term: any) => term.matchExpressions ?? []),
      tolerations: spec.tolerations ?? [],
      antiAffinity: (affinity.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
        .map((t: any) => ({ selector: t.labelSelector ?? {}, topologyKey: t.topologyKey })),
      spread: (spec.topologySpreadConstraints ?? [])
        .filter((c: any) => c.whenUnsatisfiable === 'DoNotSchedule')
        .map((c: any) => ({ selector: c.labelSelector ?? {}, topologyKey: c.topologyKey, maxSkew: c.maxSkew ?? 1 })),
      maxUnavailable: pdb ? pdbMaxUnavailable(pdb, minReplicas) : undefined,
      // EVS disks live in one zone (cce-platform.md §3); SFS and OBS claims would not pin, but
      // the stacks here only claim EVS.
      zonalVolumes: o.kind === 'StatefulSet' && (o.spec?.volumeClaimTemplates ?? []).length > 0,
    });
  }
  return result;
}

function pdbMaxUnavailable(pdb: { maxUnavailable?: number | string; minAvailable?: number | string }, replicas: number): number {
  const absolute = (value: number | string, roundUp: boolean) => typeof value === 'string' && value.endsWith('%')
    ? (roundUp ? Math.ceil : Math.floor)(replicas * Number(value.slice(0, -1)) / 100)
    : Number(value);
  if (pdb.maxUnavailable !== undefined) return absolute(pdb.maxUnavailable, true);
  if (pdb.minAvailable !== undefined) return Math.max(0, replicas - absolute(pdb.minAvailable, true));
  return replicas;
}
