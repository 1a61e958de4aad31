import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { CceNodeLabels } from './cce';
import type { PodOverrides } from './pod-overrides';
import { invalidProp, requireDnsLabel, requireDnsSubdomain } from './validation';

/**
 * Kubernetes conventions shared by every construct: recommended labels, Pod Security Admission
 * labels and the hardened security contexts.
 */

/**
 * kube-score's per-object exception annotation (comma-separated check ids); the reason is written
 * beside each use, and the run-wide exceptions in `.ci/scanners/kube-score.args`.
 * @internal
 */
export const KUBE_SCORE_IGNORE = 'kube-score/ignore';

/**
 * checkov's per-object exception annotation: `CKV_K8S_nn=<reason>`.
 * @internal
 */
export const CHECKOV_SKIP = 'checkov.io/skip1';

/**
 * Argo CD resource-hook annotations of a post-deploy Job: run after every sync, the previous run
 * deleted first (Argo CD docs, "Resource Hooks": `argocd.argoproj.io/hook`, `hook-delete-policy`).
 * Plain `kubectl apply` ignores them and runs the Job at once.
 * @internal
 */
export const ARGO_CD_POST_SYNC_HOOK: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/hook': 'PostSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
};

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
 * Rolls a workload's pods when `content` changes (a file mounted by subPath, which the kubelet never
 * refreshes): the pod template carries `checksum/<what>`, the content's SHA-256.
 * @internal
 */
export function rollPodsOnChange(workload: kplus.Deployment | kplus.StatefulSet, what: string, content: string): void {
  workload.podMetadata.addAnnotation(`checksum/${what}`, createHash('sha256').update(content).digest('hex'));
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
const AFFINITIES = new WeakMap<kplus.AbstractPod, Record<string, any>>();
const TOLERATIONS = new WeakMap<kplus.AbstractPod, Record<string, unknown>[]>();

/**
 * Sets one kind of affinity (`nodeAffinity`, `podAffinity`, `podAntiAffinity`) on the pod, next to
 * the kinds other helpers set: one patch owns the `affinity` object and each call adds its part,
 * so two features never overwrite each other. A second node affinity is merged with the first
 * ({@link mergeNodeAffinity}); setting a pod (anti-)affinity twice is a bug.
 * @internal
 */
export function addAffinity(workload: kplus.AbstractPod, kind: 'nodeAffinity' | 'podAffinity' | 'podAntiAffinity', value: any): void {
  let affinity = AFFINITIES.get(workload);
  if (!affinity) {
    affinity = {};
    AFFINITIES.set(workload, affinity);
    // The patch holds this object; parts added later are in it when the patch is applied.
    ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/affinity`, affinity));
  }
  if (kind === 'nodeAffinity' && affinity.nodeAffinity !== undefined) {
    affinity.nodeAffinity = mergeNodeAffinity(affinity.nodeAffinity, value);
    return;
  }
  if (kind in affinity) throw new Error(`${workload.node.path}: ${kind} is set twice`);
  affinity[kind] = value;
}

/**
 * Two node affinities that must both hold: the required terms are ANDed (each pair of terms
 * becomes one term with the expressions and fields of both, since terms are ORed within one
 * affinity), the preferred terms are added up.
 * @internal
 */
export function mergeNodeAffinity(a: any, b: any): any {
  const required = (x: any): any[] | undefined => x?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const ra = required(a);
  const rb = required(b);
  const terms = ra && rb
    ? ra.flatMap((ta: any) => rb.map((tb: any) => {
      const matchExpressions = [...(ta.matchExpressions ?? []), ...(tb.matchExpressions ?? [])];
      const matchFields = [...(ta.matchFields ?? []), ...(tb.matchFields ?? [])];
      return { ...(matchExpressions.length ? { matchExpressions } : {}), ...(matchFields.length ? { matchFields } : {}) };
    }))
    : ra ?? rb;
  const preferred = [...(a?.preferredDuringSchedulingIgnoredDuringExecution ?? []), ...(b?.preferredDuringSchedulingIgnoredDuringExecution ?? [])];
  return {
    ...(terms ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } : {}),
    ...(preferred.length ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
}

/**
 * Adds tolerations to the pod, after those other features added: one patch owns the list, so a
 * node pool's taints and a user's tolerations both end up in it. An identical toleration is kept once.
 * @internal
 */
export function addTolerations(workload: kplus.AbstractPod, tolerations: readonly Record<string, unknown>[]): void {
  let list = TOLERATIONS.get(workload);
  if (!list) {
    list = [];
    TOLERATIONS.set(workload, list);
    ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/tolerations`, list));
  }
  for (const t of tolerations) {
    if (!list.some((existing) => JSON.stringify(existing) === JSON.stringify(t))) list.push(t);
  }
}

/** The tolerations of a node pool's taints. */
function taintTolerations(taints: readonly { key: string; value?: string; effect: string }[]): Record<string, unknown>[] {
  return taints.map((t) => ({
    key: t.key,
    operator: t.value === undefined ? 'Exists' : 'Equal',
    ...(t.value === undefined ? {} : { value: t.value }),
    effect: t.effect,
  }));
}

/**
 * Schedule only on one CCE node pool (`cce.cloud.com/cce-nodepool`, cce_10_0004).
 * @internal
 */
export function requireNodePool(scope: IConstruct, workload: PodWorkload | kplus.Job | kplus.CronJob, pool: string): void {
  const name = requireDnsLabel(scope, 'nodePool', pool);
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/nodeSelector`, { [CceNodeLabels.NODE_POOL]: name }));
}

/**
 * The RuntimeDefault seccomp profile at the pod level too (cdk8s-plus-28 models it per container
 * only): checkov reads a CronJob's pod-level profile (CKV_K8S_31).
 * @internal
 */
export function setPodSeccompRuntimeDefault(workload: kplus.AbstractPod): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
}

/**
 * The JSON path of a workload's pod spec.
 * @internal
 */
export function podSpecPath(workload: kplus.AbstractPod): string {
  if (workload instanceof kplus.CronJob) return '/spec/jobTemplate/spec/template/spec';
  if (workload instanceof kplus.Pod) return '/spec';
  return '/spec/template/spec';
}

/**
 * Schedule only on one CCE node pool and tolerate its taints.
 * @internal
 */
export function placeOnNodePool(scope: IConstruct, workload: PodWorkload | kplus.Job | kplus.CronJob, pool: { readonly name: string; readonly taints?: { key: string; value?: string; effect: string }[] }): void {
  requireNodePool(scope, workload, pool.name);
  if (pool.taints?.length) addTolerations(workload, taintTolerations(pool.taints));
}

/**
 * The pod's PriorityClass.
 * @internal
 */
export function setPriorityClass(workload: PodWorkload | kplus.Job | kplus.CronJob, name: string): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/priorityClassName`, name));
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
  /**
   * Additions to the pods (tolerations, node affinity, priority class, env, volumes, sidecars,
   * labels, annotations), merged with what the construct sets.
   * @default - none
   */
  readonly pod?: PodOverrides;
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

/**
 * Every object name below `scope` fits Kubernetes' limits: Service names are DNS-1035 labels (63),
 * a StatefulSet's name goes into its pods' `controller-revision-hash` label with an 11-character
 * suffix (52), a Job's name gets a template hash and becomes a pod label, everything else is a DNS
 * subdomain (253). A name too long is reported as `property` (the prop the names derive from).
 * @internal
 */
export function requireNamesFit(scope: IConstruct, property: string, value: string): void {
  const limits: Record<string, [number, string]> = {
    Service: [63, 'a Service name is a DNS label'],
    StatefulSet: [52, "a StatefulSet's pods carry `<name>-<10-character hash>` as a label"],
    CronJob: [52, "a CronJob's Jobs are named `<name>-<11 digits>`"],
    Job: [63 - JOB_HASH_LENGTH - 1, "a Job's pods carry its name, with a hash of its template appended, as a label"],
  };
  for (const child of scope.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const [limit, why] = limits[child.kind] ?? [253, 'an object name is a DNS subdomain'];
    if (child.name.length > limit) {
      invalidProp(scope, property, value, `a shorter name: the ${child.kind} '${child.name}' it names has ${child.name.length} characters, and ${why} of at most ${limit}`);
    }
  }
}
