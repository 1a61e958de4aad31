/**
 * Rules the schemas cannot express, checked on every synthesized object of every environment:
 * no credentials in the output, hardened pods, pinned images, explicit resources, sane names.
 */
import { MEMOS_SECRET_ENV_VARS } from '../../src/memos';
import { describeObject } from './schema';

type Obj = Record<string, any>;

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'];
const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY)/i;
/** Names that look like credentials but are not. */
const NOT_CREDENTIALS: string[] = [];

export function podSpecOf(obj: Obj): Obj | undefined {
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.spec;
  if (obj.kind === 'Pod') return obj.spec;
  return WORKLOADS.includes(obj.kind) ? obj.spec?.template?.spec : undefined;
}

/** Labels controllers put on pods at run time, so they are absent from pod templates. */
const RUNTIME_POD_LABELS = ['statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'pod-template-hash', 'controller-revision-hash'];

function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const static_ = Object.entries(matchLabels ?? {}).filter(([k]) => !RUNTIME_POD_LABELS.includes(k));
  const runtime = Object.keys(matchLabels ?? {}).length - static_.length;
  return (static_.length > 0 || runtime > 0) && static_.every(([k, v]) => labels?.[k] === v);
}

/** Rules between objects: what an HPA, a PDB or a Service points at must exist and fit. */
function relationViolations(objects: readonly Obj[]): string[] {
  const out: string[] = [];
  const workloads = objects.filter((o) => WORKLOADS.includes(o.kind));
  const sameNamespace = (a: Obj, b: Obj) => (a.metadata?.namespace ?? '') === (b.metadata?.namespace ?? '');
  for (const obj of objects) {
    const id = describeObject(obj);
    if (obj.kind === 'HorizontalPodAutoscaler') {
      const ref = obj.spec?.scaleTargetRef ?? {};
      const target = workloads.find((w) => w.kind === ref.kind && w.metadata?.name === ref.name && sameNamespace(w, obj));
      if (!target) out.push(`${id}: scale target ${ref.kind}/${ref.name} does not exist`);
      else if (target.spec?.replicas !== undefined) out.push(`${id}: target ${ref.kind}/${ref.name} fixes replicas; the HPA and the manifest would fight`);
    }
    if (obj.kind === 'PodDisruptionBudget') {
      const covered = workloads.filter((w) => sameNamespace(w, obj) && selects(obj.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels));
      if (covered.length !== 1) out.push(`${id}: selects the pods of ${covered.length} workloads (expected exactly 1)`);
    }
    if (obj.kind === 'Service' && obj.spec?.type !== 'ExternalName') {
      const backends = workloads.filter((w) => sameNamespace(w, obj) && selects(obj.spec?.selector, w.spec?.template?.metadata?.labels));
      if (backends.length === 0) out.push(`${id}: selects no pods`);
    }
  }
  return out;
}

/** Every rule an object breaks, as `Kind/ns/name: message`. */
export function policyViolations(objects: readonly Obj[]): string[] {
  const out: string[] = relationViolations(objects);
  for (const obj of objects) {
    const id = describeObject(obj);
    const fail = (message: string) => out.push(`${id}: ${message}`);

    if (obj.kind === 'Secret') fail('Secrets must not be synthesized: reference an existing Secret by name and key');
    if (obj.kind === 'ConfigMap') {
      for (const key of Object.keys(obj.data ?? {})) {
        if ((MEMOS_SECRET_ENV_VARS as readonly string[]).includes(key) || CREDENTIAL_NAME.test(key)) fail(`ConfigMap key ${key} looks like a credential`);
      }
    }
    if (obj.kind === 'Service' && obj.spec?.loadBalancerIP !== undefined) fail('spec.loadBalancerIP is discarded by CCE (cce_10_0385): never emit it');
    const name: string = obj.metadata?.name ?? '';
    if (!name) fail('no metadata.name');
    if (['Service', 'Namespace'].includes(obj.kind) && name.length > 63) fail(`name longer than 63 characters`);
    for (const [key, value] of Object.entries({ ...obj.metadata?.labels, ...obj.metadata?.annotations })) {
      if (typeof value !== 'string') fail(`label or annotation ${key} is not a string`);
    }

    const pod = podSpecOf(obj);
    if (!pod) continue;
    const podContext = pod.securityContext ?? {};
    if (pod.automountServiceAccountToken !== false && !pod.serviceAccountName) {
      fail('mounts the default service account token');
    }
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const where = `container ${container.name}`;
      const ctx = container.securityContext ?? {};
      const setting = (key: string) => ctx[key] ?? podContext[key];
      if (setting('runAsNonRoot') !== true) fail(`${where}: runAsNonRoot is not true`);
      if (typeof setting('runAsUser') !== 'number' || setting('runAsUser') === 0) fail(`${where}: no non-zero runAsUser (an image running as root would be refused)`);
      if (ctx.readOnlyRootFilesystem !== true) fail(`${where}: root filesystem is writable`);
      if (ctx.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation is not false`);
      if (ctx.privileged === true) fail(`${where}: privileged`);
      if (!(ctx.capabilities?.drop ?? []).includes('ALL')) fail(`${where}: capabilities not dropped`);
      if ((setting('seccompProfile') ?? {}).type !== 'RuntimeDefault') fail(`${where}: seccomp profile is not RuntimeDefault`);
      const image: string = container.image ?? '';
      if (!/@sha256:[0-9a-f]{64}$/.test(image) && (!/:[\w][\w.-]*$/.test(image.slice(image.lastIndexOf('/') + 1)) || image.endsWith(':latest'))) {
        fail(`${where}: image ${image} is not pinned`);
      }
      for (const resource of ['cpu', 'memory']) {
        if (container.resources?.requests?.[resource] === undefined) fail(`${where}: no ${resource} request`);
        if (container.resources?.limits?.[resource] === undefined) fail(`${where}: no ${resource} limit`);
      }
      for (const env of container.env ?? []) {
        if (env.value !== undefined && CREDENTIAL_NAME.test(env.name) && !NOT_CREDENTIALS.includes(env.name)) fail(`${where}: credential ${env.name} given as a literal value`);
      }
    }
  }
  return out;
}

/**
 * No credential in any ConfigMap (dist/ is committed): no key names one, no value holds one.
 * Scripts may name the variables a Secret fills (`$NEO4J_PASSWORD`), never assign one a value.
 */
export function expectNoCredentialsInConfigMaps(objects: readonly Obj[]): void {
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
      expect(key).not.toMatch(/PASSWORD|SECRET|ACCESS_?KEY/i);
      if (key.endsWith('.sh')) expect(value).not.toMatch(/(PASSWORD|SECRET|ACCESS_?KEY(_?ID)?)\s*[=:]\s*['"]?[A-Za-z0-9+/]{4,}/i);
      else expect(value).not.toMatch(/PASSWORD|SECRET|ACCESS_?KEY/i);
    }
  }
}
