import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { addAffinity, addTolerations, hardenedContainerSecurityContext, podSpecPath } from './kubernetes';
import { claimMounts } from './storage';
import { invalidProp, requireDnsLabel, requireDnsSubdomain, requireLabels } from './validation';

/** A volume mounted into a workload's main container by {@link PodOverrides.volumeMounts}. */
export interface PodVolumeMount {
  /** Absolute path in the container; not one the construct already mounts. */
  readonly path: string;
  /** The volume, e.g. `kplus.Volume.fromCsi(...)` for a CSI secrets store or `fromConfigMap(...)`. */
  readonly volume: kplus.Volume;
  /**
   * Mount it read-only.
   * @default true
   */
  readonly readOnly?: boolean;
  /**
   * A path inside the volume to mount instead of its root.
   * @default - the volume's root
   */
  readonly subPath?: string;
}

/**
 * Additions to a workload's pods, for what the construct does not model: the escape hatches of
 * the official charts (`tolerations`, `affinity`, `priorityClassName`, `extraEnv`,
 * `extraVolumes`/`extraVolumeMounts`, `sidecars`, `podLabels`, `podAnnotations`), so that a
 * tainted node pool, a log shipper or a CSI secrets mount needs no JSON patch.
 *
 * Where the construct or the stack sets the same field, the two merge: tolerations are added to
 * the node pool's, node affinity is ANDed with the construct's (an NPU pool's, say). Settings the
 * construct manages are refused (an env var it sets, a label of its selector, a path it mounts),
 * naming the prop.
 */
export interface PodOverrides {
  /**
   * Tolerations added to those the construct and the node pool set.
   * @default - none
   */
  readonly tolerations?: kplus.k8s.Toleration[];
  /**
   * Node affinity, ANDed with any the construct sets (required terms combined, preferred terms added).
   * @default - none
   */
  readonly nodeAffinity?: kplus.k8s.NodeAffinity;
  /**
   * The pods' PriorityClass, instead of the one the stack gives this workload.
   * @default - the stack's (MemosPriorityClasses), or none
   */
  readonly priorityClassName?: string;
  /**
   * Extra environment variables of the main container. Secrets by reference only
   * (`kplus.EnvValue.fromSecretValue`); a variable the construct sets is refused.
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };
  /**
   * Extra volumes mounted into the main container.
   * @default - none
   */
  readonly volumeMounts?: PodVolumeMount[];
  /**
   * Extra containers in each pod (a log shipper, a proxy). Without a `securityContext` of their
   * own they get the hardened one of the `restricted` Pod Security Standard (non-root UID 65534,
   * read-only root, no capabilities), which the namespace enforces; `resources` are required, so the
   * capacity check counts them.
   * @default - none
   */
  readonly sidecars?: kplus.ContainerProps[];
  /**
   * Extra labels on the pods (not on the workload). Labels of the construct's selector are refused.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Extra annotations on the pods, e.g. a log add-on's or a mesh's.
   * @default - none
   */
  readonly annotations?: { [key: string]: string };
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
/** UID of the hardened context given to sidecars without their own: `nobody`. */
const SIDECAR_UID = 65534;

/**
 * Applies `overrides` to `workload` (its first container is the main one), checking each part and
 * naming `property` (e.g. `pods.qdrant`) in errors. Call it once the construct has built the pod.
 * @internal
 */
export function applyPodOverrides(scope: IConstruct, property: string, workload: kplus.AbstractPod, overrides: PodOverrides | undefined, options: {
  /** Variables the pod gets another way (a ConfigMap through envFrom): refused like its own. */
  readonly managedEnv?: Iterable<string>;
} = {}): void {
  if (overrides === undefined) return;
  if (typeof overrides !== 'object' || overrides === null) invalidProp(scope, property, overrides, 'a PodOverrides object');
  const spec = podSpecPath(workload);
  const main = workload.containers[0];

  if (overrides.tolerations !== undefined) {
    if (!Array.isArray(overrides.tolerations)) invalidProp(scope, `${property}.tolerations`, overrides.tolerations, 'a list of tolerations');
    addTolerations(workload, overrides.tolerations.map((t, i) => {
      const at = `${property}.tolerations[${i}]`;
      const operator = t.operator ?? (t.value === undefined ? 'Exists' : 'Equal');
      if (!TOLERATION_OPERATORS.includes(operator)) invalidProp(scope, `${at}.operator`, t.operator, TOLERATION_OPERATORS.join(', '));
      if (operator === 'Exists' && t.value !== undefined) invalidProp(scope, `${at}.value`, t.value, "no value with operator 'Exists'");
      if (operator === 'Equal' && (t.key === undefined || t.key === '')) invalidProp(scope, `${at}.key`, t.key, "a taint key with operator 'Equal'");
      if (t.effect !== undefined && !TAINT_EFFECTS.includes(t.effect)) invalidProp(scope, `${at}.effect`, t.effect, TAINT_EFFECTS.join(', '));
      if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') invalidProp(scope, `${at}.tolerationSeconds`, t.tolerationSeconds, "only with effect 'NoExecute'");
      return kplus.k8s.toJson_Toleration({ ...t, operator })!;
    }));
  }

  if (overrides.nodeAffinity !== undefined) {
    const affinity = kplus.k8s.toJson_NodeAffinity(overrides.nodeAffinity)!;
    const terms = affinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (terms !== undefined && (!Array.isArray(terms) || terms.length === 0)) {
      invalidProp(scope, `${property}.nodeAffinity`, overrides.nodeAffinity, 'required node selector terms: at least one');
    }
    addAffinity(workload, 'nodeAffinity', affinity);
  }

  if (overrides.priorityClassName !== undefined) {
    const name = requireDnsSubdomain(scope, `${property}.priorityClassName`, overrides.priorityClassName);
    // After the stack's priority (it prioritizes before applying overrides): this one wins.
    ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${spec}/priorityClassName`, name));
  }

  if (overrides.env !== undefined) {
    if (main === undefined) invalidProp(scope, `${property}.env`, Object.keys(overrides.env), 'a workload with a container');
    const managed = new Set([...Object.keys(main.env.variables), ...(options.managedEnv ?? [])]);
    for (const [name, value] of Object.entries(overrides.env)) {
      const at = `${property}.env.${name}`;
      if (!ENV_NAME.test(name)) invalidProp(scope, `${property}.env`, name, 'environment variable names of letters, digits, \'_\', \'-\' and \'.\', not starting with a digit');
      if (managed.has(name)) invalidProp(scope, at, name, `a variable ${main.name} does not already set: the construct manages ${name} (use its prop)`);
      if (!(value instanceof kplus.EnvValue)) invalidProp(scope, at, value, 'a kplus.EnvValue, e.g. EnvValue.fromValue(...) or EnvValue.fromSecretValue(...)');
      main.env.addVariable(name, value);
    }
  }

  if (overrides.volumeMounts !== undefined) {
    if (main === undefined) invalidProp(scope, `${property}.volumeMounts`, overrides.volumeMounts.length, 'a workload with a container');
    const claims = claimMounts(workload);
    const paths = new Set([...main.mounts.map((m) => m.path), ...claims.filter((c) => c.containerIndex === 0).map((c) => c.mountPath)]);
    const volumeNames = new Set([...workload.volumes.map((v) => v.name), ...claims.map((c) => c.name)]);
    overrides.volumeMounts.forEach((m, i) => {
      const at = `${property}.volumeMounts[${i}]`;
      if (typeof m.path !== 'string' || !m.path.startsWith('/') || m.path.includes('..') || m.path.includes(':')) invalidProp(scope, `${at}.path`, m.path, "an absolute path without '..' or ':'");
      if ([...paths].some((p) => p === m.path || m.path.startsWith(`${p}/`) || p.startsWith(`${m.path}/`))) {
        invalidProp(scope, `${at}.path`, m.path, `a path outside those ${main.name} already mounts: ${[...paths].sort().join(', ')}`);
      }
      if (!(m.volume instanceof kplus.Volume)) invalidProp(scope, `${at}.volume`, m.volume, 'a kplus.Volume');
      if (volumeNames.has(m.volume.name)) invalidProp(scope, `${at}.volume`, m.volume.name, `a volume name the pod does not use yet: ${[...volumeNames].sort().join(', ')}`);
      paths.add(m.path);
      volumeNames.add(m.volume.name);
      main.mount(m.path, m.volume, { readOnly: m.readOnly ?? true, ...(m.subPath === undefined ? {} : { subPath: m.subPath }) });
    });
  }

  if (overrides.sidecars !== undefined) {
    const names = new Set([...workload.containers, ...workload.initContainers].map((c) => c.name));
    overrides.sidecars.forEach((sidecar, i) => {
      const at = `${property}.sidecars[${i}]`;
      const name = requireDnsLabel(scope, `${at}.name`, sidecar.name);
      if (names.has(name)) invalidProp(scope, `${at}.name`, name, `a container name the pod does not use yet: ${[...names].sort().join(', ')}`);
      if (typeof sidecar.image !== 'string' || sidecar.image.length === 0) invalidProp(scope, `${at}.image`, sidecar.image, 'an image reference');
      const resources = sidecar.resources;
      if (!resources?.cpu || !resources?.memory) {
        invalidProp(scope, `${at}.resources`, resources === undefined ? undefined : Object.keys(resources), 'CPU and memory requests and limits (kplus.ContainerResources), so that the capacity check counts the sidecar');
      }
      names.add(name);
      workload.addContainer({ securityContext: hardenedContainerSecurityContext(SIDECAR_UID), ...sidecar });
    });
  }

  if (overrides.labels !== undefined) {
    const labels = requireLabels(scope, `${property}.labels`, overrides.labels);
    const selector = workload instanceof kplus.Deployment || workload instanceof kplus.StatefulSet ? workload.matchLabels : {};
    for (const [key, value] of Object.entries(labels)) {
      if (key in selector) invalidProp(scope, `${property}.labels`, key, `a label outside the pods' selector (${Object.keys(selector).sort().join(', ')})`);
      workload.podMetadata.addLabel(key, value);
    }
  }

  if (overrides.annotations !== undefined) {
    if (typeof overrides.annotations !== 'object' || overrides.annotations === null) invalidProp(scope, `${property}.annotations`, overrides.annotations, 'a map of annotation keys to string values');
    for (const [key, value] of Object.entries(overrides.annotations)) {
      if (typeof value !== 'string' || !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) {
        invalidProp(scope, `${property}.annotations`, key, 'annotation keys of the form [prefix/]name with string values');
      }
      workload.podMetadata.addAnnotation(key, value);
    }
  }
}
