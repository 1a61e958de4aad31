import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { CceNodeLabels } from './cce';
import { invalidProp, requireDnsLabel, requireDnsSubdomain } from './validation';

/**
 * Kubernetes conventions shared by every construct: recommended labels, Pod Security Admission
 * labels and the hardened security contexts.
 */

/** Value of `app.kubernetes.io/part-of` on every object. */
export const PART_OF = 'memos';

/** Value of `app.kubernetes.io/managed-by` on every object. */
export const MANAGED_BY = 'cdk8s-memos-cce';

/**
 * The labels that select one component's pods. They never change for the life of a deployment:
 * Deployment and StatefulSet selectors are immutable, so they must not depend on construct paths.
 * @internal
 */
export function selectorLabels(instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': instance,
  };
}

/**
 * Selector labels plus the descriptive recommended labels.
 * @internal
 */
export function componentLabels(instance: string, component: string, version?: string): Record<string, string> {
  return {
    ...selectorLabels(instance, component),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}

/** Pod Security Admission levels (cce_10_0466; clusters >= v1.25). */
export enum PodSecurityLevel {
  /** No restrictions. */
  PRIVILEGED = 'privileged',
  /** Known privilege escalations prevented. */
  BASELINE = 'baseline',
  /** Hardened: non-root, no capabilities, seccomp, read-only where the workloads allow. */
  RESTRICTED = 'restricted',
}

/**
 * Namespace labels that enforce, audit and warn at one Pod Security level.
 * @internal
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = level;
    labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return labels;
}

/**
 * Pod security context for a non-root workload whose image runs as `uid`.
 * @internal
 */
export function hardenedPodSecurityContext(uid: number, gid = uid): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: gid,
    fsGroup: gid,
    // Only walk the volume when its root has the wrong group: fast restarts on large volumes.
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/**
 * Container security context meeting the `restricted` Pod Security Standard: non-root with an
 * explicit UID (pitfall 8 of cdk8s-notes.md), read-only root, no privilege escalation, all
 * capabilities dropped, seccomp RuntimeDefault.
 * @internal
 */
export function hardenedContainerSecurityContext(uid: number, gid = uid): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: gid,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/**
 * A Deployment or StatefulSet: the workloads the helpers below patch.
 * @internal
 */
export type PodWorkload = kplus.Deployment | kplus.StatefulSet;

/**
 * Sets the pod's image pull secrets (kplus models only one) after validating each name.
 * CCE's SWR secret (`default-secret`) is the usual one.
 * @internal
 */
export function setImagePullSecrets(scope: IConstruct, workload: PodWorkload, names: readonly string[]): void {
  const checked = names.map((name, i) => requireDnsSubdomain(scope, `imagePullSecrets[${i}]`, name));
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/imagePullSecrets', checked.map((name) => ({ name }))));
}

/** How strictly pods are spread across availability zones. */
export enum ZoneSpread {
  /** Pods stay Pending rather than pile into one zone (`DoNotSchedule`). */
  REQUIRED = 'required',
  /** Best effort (`ScheduleAnyway`). */
  PREFERRED = 'preferred',
}

/**
 * Spreads a workload's pods evenly across availability zones and, best effort, across nodes
 * (topologySpreadConstraints; kplus has no API for them). `matchLabelKeys: [pod-template-hash]`
 * counts each ReplicaSet on its own, so a rollout does not skew the spread; StatefulSet pods
 * carry no such label and are counted together, which is what they need.
 * @internal
 */
export function spreadAcrossZones(workload: PodWorkload, selector: Record<string, string>, zoneSpread: ZoneSpread): void {
  const constraint = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    ...(workload instanceof kplus.Deployment ? { matchLabelKeys: ['pod-template-hash'] } : {}),
  });
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
    constraint(CceNodeLabels.ZONE, zoneSpread === ZoneSpread.REQUIRED ? 'DoNotSchedule' : 'ScheduleAnyway'),
    constraint(CceNodeLabels.HOSTNAME, 'ScheduleAnyway'),
  ]));
}

/**
 * A PodDisruptionBudget letting one pod go at a time. Pods that never became ready may always
 * be evicted, so a stuck rollout does not block node drains (`unhealthyPodEvictionPolicy`).
 * @internal
 */
export function addDisruptionBudget(scope: Construct, id: string, options: { name: string; labels: Record<string, string>; selector: Record<string, string> }): kplus.k8s.KubePodDisruptionBudget {
  return new kplus.k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name: options.name, labels: options.labels },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: options.selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

/**
 * Never two pods of the workload on one node (required pod anti-affinity on the hostname).
 * @internal
 */
export function requireSeparateNodes(workload: PodWorkload, selector: Record<string, string>): void {
  addAffinity(workload, 'podAntiAffinity', {
    requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: CceNodeLabels.HOSTNAME }],
  });
}

/** The pod affinity of each workload, as patched so far (kplus has no API for required anti-affinity by label). */
const AFFINITIES = new WeakMap<PodWorkload, Record<string, unknown>>();

/**
 * Sets one kind of affinity (`nodeAffinity`, `podAffinity`, `podAntiAffinity`) on the pod, next to
 * the kinds other helpers set: one patch owns the `affinity` object and each call adds its part,
 * so two features never overwrite each other. Setting the same kind twice is a bug.
 * @internal
 */
export function addAffinity(workload: PodWorkload, kind: 'nodeAffinity' | 'podAffinity' | 'podAntiAffinity', value: unknown): void {
  let affinity = AFFINITIES.get(workload);
  if (!affinity) {
    affinity = {};
    AFFINITIES.set(workload, affinity);
    // The patch holds this object; parts added later are in it when the patch is applied.
    ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/affinity', affinity));
  }
  if (kind in affinity) throw new Error(`${workload.node.path}: ${kind} is set twice`);
  affinity[kind] = value;
}

/**
 * Schedule only on one CCE node pool (`cce.cloud.com/cce-nodepool`, cce_10_0004).
 * @internal
 */
export function requireNodePool(scope: IConstruct, workload: PodWorkload, pool: string): void {
  const name = requireDnsLabel(scope, 'nodePool', pool);
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', { [CceNodeLabels.NODE_POOL]: name }));
}

/**
 * No service-link variables (`<SERVICE>_PORT=tcp://...`) in the pod: applications that read
 * their configuration from the environment (MemOS, Milvus) could mistake them for settings.
 * @internal
 */
export function disableServiceLinks(workload: PodWorkload): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/enableServiceLinks', false));
}

/** Placement and image pulling, shared by every workload construct. */
export interface WorkloadPlacementProps {
  /**
   * Zone spreading of the pods.
   * @default ZoneSpread.REQUIRED
   */
  readonly zoneSpread?: ZoneSpread;
  /**
   * Image pull secrets (existing Secrets in the namespace).
   * @default ['default-secret'] (created by CCE for SWR)
   */
  readonly imagePullSecrets?: string[];
}

/** Where the monitoring objects of a workload go. */
export interface MonitoredProps {
  /**
   * Namespace of CCE's Cloud Native Cluster Monitoring add-on (ServiceMonitors, rules).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
}

/**
 * Selects pods by their stable selector labels: a Service, or a workload created with
 * `select: false` (kplus would otherwise select by its path-derived address label).
 * @internal
 */
export function selectPods(target: PodWorkload | kplus.Service, selector: Record<string, string>): void {
  if (target instanceof kplus.Service) {
    for (const [key, value] of Object.entries(selector)) target.selectLabel(key, value);
  } else {
    target.select(kplus.LabelSelector.of({ labels: selector }));
  }
}

/** CPU and memory of a pod whose requests equal its limits (Guaranteed QoS). */
export interface PodSize {
  /** CPU, request = limit. */
  readonly cpu: kplus.Cpu;
  /** Memory, request = limit. */
  readonly memory: Size;
}

/**
 * Probe timing: seconds between probes, seconds before one times out, failures before acting.
 * @internal
 */
export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

function probeOptions(timing: ProbeTiming) {
  return {
    periodSeconds: Duration.seconds(timing.periodSeconds),
    timeoutSeconds: Duration.seconds(timing.timeoutSeconds),
    failureThreshold: timing.failureThreshold,
  };
}

/**
 * `GET path` on `port`.
 * @internal
 */
export function httpProbe(path: string, port: number, timing: ProbeTiming): kplus.Probe {
  return kplus.Probe.fromHttpGet(path, { port, ...probeOptions(timing) });
}

/**
 * A TCP connect to `port`.
 * @internal
 */
export function tcpProbe(port: number, timing: ProbeTiming): kplus.Probe {
  return kplus.Probe.fromTcpSocket({ port, ...probeOptions(timing) });
}

/** Millicores of a kplus Cpu (`Cpu.units(2)` is `2`, `Cpu.millis(500)` is `500m`). */
function millicores(cpu: kplus.Cpu): number {
  const amount = String(cpu.amount);
  return amount.endsWith('m') ? Number(amount.slice(0, -1)) : Number(amount) * 1000;
}

const CPU_HINT = 'a Cpu (Cpu.units(n) or Cpu.millis(n)), not a string';
const SIZE_HINT = 'a Size (Size.gibibytes(n) or Size.mebibytes(n)), not a string';

/**
 * Container resources a caller gave: CPU and memory of the right types (JavaScript and Python
 * callers can pass strings), requests no larger than limits.
 * @internal
 */
export function requireContainerResources(scope: IConstruct, property: string, resources: kplus.ContainerResources | undefined): void {
  if (resources === undefined) return;
  const pairs: [string, { request?: unknown; limit?: unknown } | undefined, (v: unknown) => boolean, string, (v: any) => number][] = [
    ['cpu', resources.cpu, (v) => v instanceof kplus.Cpu, CPU_HINT, millicores],
    ['memory', resources.memory, (v) => v instanceof Size, SIZE_HINT, (v: Size) => v.toMebibytes({ rounding: SizeRoundingBehavior.NONE })],
    ['ephemeralStorage', resources.ephemeralStorage, (v) => v instanceof Size, SIZE_HINT, (v: Size) => v.toMebibytes({ rounding: SizeRoundingBehavior.NONE })],
  ];
  for (const [name, pair, isType, hint, amount] of pairs) {
    if (pair === undefined) continue;
    for (const bound of ['request', 'limit'] as const) {
      if (pair[bound] !== undefined && !isType(pair[bound])) invalidProp(scope, `${property}.${name}.${bound}`, pair[bound], hint);
    }
    if (pair.request !== undefined && pair.limit !== undefined && amount(pair.request) > amount(pair.limit)) {
      invalidProp(scope, `${property}.${name}.request`, describeQuantity(pair.request), `at most the limit, ${describeQuantity(pair.limit)}: a request above the limit is rejected by the API server`);
    }
  }
}

/**
 * A PodSize a caller gave (requests = limits), of the right types.
 * @internal
 */
export function requirePodSize(scope: IConstruct, property: string, size: PodSize | undefined): void {
  if (size === undefined) return;
  if (!(size.cpu instanceof kplus.Cpu)) invalidProp(scope, `${property}.cpu`, size.cpu, CPU_HINT);
  if (!(size.memory instanceof Size)) invalidProp(scope, `${property}.memory`, size.memory, SIZE_HINT);
}

function describeQuantity(value: unknown): string {
  if (value instanceof kplus.Cpu) return String(value.amount);
  if (value instanceof Size) return `${value.toMebibytes({ rounding: SizeRoundingBehavior.NONE })}Mi`;
  return String(value);
}

/** Bytes of a Kubernetes quantity string such as `512Mi`, `1Gi` or `2G`. */
function quantityBytes(quantity: string): number {
  const match = /^([0-9.]+)([KMGTPE]i?)?$/.exec(quantity);
  if (!match) throw new Error(`not a storage quantity: ${quantity}`);
  const units: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (units[match[2] ?? ''] ?? NaN);
}

/**
 * Gives every container of the pods below `scope` that has none an ephemeral-storage request and
 * limit, so kubelet evicts a runaway writer predictably and the scheduler counts the disk: the
 * request is 256Mi plus half the size limits of the disk-backed emptyDirs the container mounts,
 * the limit 1Gi (logs and the writable layer) plus all of them. Runs on the finished objects, so it sees every volume a construct added.
 * @internal
 */
export function boundEphemeralStorage(scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof kplus.AbstractPod)) continue;
    const api = ApiObject.of(child);
    const json = api.toJson();
    const base = child instanceof kplus.Pod ? '/spec' : '/spec/template/spec';
    const spec = child instanceof kplus.Pod ? json.spec : json.spec?.template?.spec;
    const diskVolumes = new Map<string, number>();
    for (const volume of spec?.volumes ?? []) {
      if (volume.emptyDir && volume.emptyDir.medium !== 'Memory') diskVolumes.set(volume.name, volume.emptyDir.sizeLimit ? quantityBytes(String(volume.emptyDir.sizeLimit)) : 0);
    }
    for (const field of ['initContainers', 'containers']) {
      (spec?.[field] ?? []).forEach((container: any, i: number) => {
        const resources = container.resources ?? {};
        if (resources.requests?.['ephemeral-storage'] !== undefined || resources.limits?.['ephemeral-storage'] !== undefined) return;
        const mountedMi = Math.ceil((container.volumeMounts ?? []).reduce((sum: number, m: any) => sum + (diskVolumes.get(m.name) ?? 0), 0) / 2 ** 20);
        // The scheduler counts requests: half the emptyDirs are expected to fill (caches do).
        const requestMi = 256 + Math.ceil(mountedMi / 2);
        const limitMi = 1024 + mountedMi;
        const path = `${base}/${field}/${i}/resources`;
        // The L1 mapper behind the patch reads every value as a Quantity; keys stay sorted as elsewhere.
        const withStorage = (existing: Record<string, unknown> | undefined, value: string) => Object.fromEntries(
          Object.entries({ ...existing, 'ephemeral-storage': value }).sort(([a], [b]) => a.localeCompare(b))
            .map(([key, v]) => [key, typeof v === 'number' ? kplus.k8s.Quantity.fromNumber(v) : kplus.k8s.Quantity.fromString(String(v))]));
        api.addJsonPatch(JsonPatch.add(path, {
          ...resources,
          limits: withStorage(resources.limits, `${limitMi}Mi`),
          requests: withStorage(resources.requests, `${requestMi}Mi`),
        }));
      });
    }
  }
}

/**
 * Appends a hash of a Job's pod template to its name. A Job's template is immutable: re-applying a
 * changed Job under the same name fails until the finished one is deleted, so a changed Job gets a
 * new name (and runs again) instead. Call it last, when the template is final.
 * @internal
 */
export function nameJobByTemplate(job: kplus.Job): string {
  const api = ApiObject.of(job);
  const json = api.toJson();
  const hash = createHash('sha256').update(JSON.stringify(json.spec.template)).digest('hex').slice(0, JOB_HASH_LENGTH);
  const name = `${json.metadata.name}-${hash}`;
  api.addJsonPatch(JsonPatch.replace('/metadata/name', name));
  return name;
}

/** Characters of the template hash `nameJobByTemplate` appends (after a '-'). */
export const JOB_HASH_LENGTH = 6;
