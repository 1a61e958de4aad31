/**
 * The pure half of `npm run diff` (app/diff.ts): parse two manifests, match their objects, list the
 * changed field paths, and classify the changes Kubernetes rejects or that lose data, each with
 * the safe procedure. No I/O here: app/diff.ts reads dist/, git and MIGRATIONS.md.
 */
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object from a manifest. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** A step of a field path: an object key, a list item by its name, or a list index. */
export type PathSegment = string | { readonly item: string } | number;

/** One difference between two versions of an object, at its deepest distinct path. */
export interface FieldChange {
  readonly path: readonly PathSegment[];
  readonly op: 'changed' | 'added' | 'removed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** A change Kubernetes rejects, or one that deletes pods or data all at once. */
export interface BreakingChange {
  /** `<env>/<Kind>/<namespace>/<name>` (cluster-scoped: `<env>/<Kind>/<name>`), as MIGRATIONS.md spells it. */
  readonly object: string;
  /** The field path (e.g. `spec.selector`), or `removed` for an object removed. */
  readonly path: string;
  /** What happens, in one sentence. */
  readonly reason: string;
  /** The safe procedure: shell commands and comment lines (`# ...`). */
  readonly procedure: readonly string[];
}

/** One object that differs between the baseline and the fresh synth. */
export interface ObjectDiff {
  readonly status: 'added' | 'removed' | 'changed' | 'replaced';
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** For `replaced` (a Job whose template hash changed): the baseline's name. */
  readonly previousName?: string;
  /** For `changed` and `replaced`: what differs (metadata.name excluded for `replaced`). */
  readonly changes: readonly FieldChange[];
  readonly breaking: readonly BreakingChange[];
  /** Short remarks that are not breaking (e.g. "rolls its pods"). */
  readonly notes: readonly string[];
}

/** The diff of one environment. */
export interface EnvironmentDiff {
  readonly environment: string;
  /** The environment exists on only one side. */
  readonly environmentStatus: 'both' | 'added' | 'removed';
  readonly objects: readonly ObjectDiff[];
  readonly breaking: readonly BreakingChange[];
}

/** Characters of the template hash that src/kubernetes.ts (nameJobByTemplate) appends to Job names. */
const JOB_HASH = /^(.+)-[0-9a-f]{6}$/;

/** The objects of a multi-document YAML manifest (empty documents skipped); throws on invalid YAML or objects. */
export function parseManifest(text: string, source = 'manifest'): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new Error(`${source}: document #${index + 1}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string'
      || !isPlainObject(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new Error(`${source}: document #${index + 1} is not a Kubernetes object (apiVersion, kind and metadata.name)`);
    }
    objects.push(value as unknown as K8sObject);
  }
  return objects;
}

/** `<env>/<Kind>/<namespace>/<name>`, or `<env>/<Kind>/<name>` for a cluster-scoped object. */
export function objectId(environment: string, object: { kind: string; namespace?: string; name: string }): string {
  return [environment, object.kind, ...(object.namespace ? [object.namespace] : []), object.name].join('/');
}

/** `a.b[item].c["x.y/z"][0]`: keys joined by dots, named list items and indexes in brackets. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'object') out += `[${segment.item}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Every difference between `before` and `after`, named lists (containers, env, volumes, ...) matched by name. */
export function diffValues(before: unknown, after: unknown, path: PathSegment[] = []): FieldChange[] {
  const out: FieldChange[] = [];
  collect(before, after, path, out);
  return out;
}

function collect(before: unknown, after: unknown, path: PathSegment[], out: FieldChange[]): void {
  if (deepEqual(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      if (!(key in after)) out.push({ path: [...path, key], op: 'removed', before: before[key] });
      else if (!(key in before)) out.push({ path: [...path, key], op: 'added', after: after[key] });
      else collect(before[key], after[key], [...path, key], out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const beforeNames = itemNames(before);
    const afterNames = itemNames(after);
    if (beforeNames && afterNames && (before.length > 0 || after.length > 0)) {
      for (const [i, name] of beforeNames.entries()) {
        const j = afterNames.indexOf(name);
        if (j < 0) out.push({ path: [...path, { item: name }], op: 'removed', before: before[i] });
        else collect(before[i], after[j], [...path, { item: name }], out);
      }
      for (const [j, name] of afterNames.entries()) {
        if (!beforeNames.includes(name)) out.push({ path: [...path, { item: name }], op: 'added', after: after[j] });
      }
      return;
    }
    if (before.length === after.length && before.some((v) => typeof v === 'object' && v !== null)) {
      for (let i = 0; i < before.length; i++) collect(before[i], after[i], [...path, i], out);
      return;
    }
  }
  out.push({ path, op: 'changed', before, after });
}

/** The unique names of a list whose items all carry `name` (or `metadata.name`); undefined otherwise. */
function itemNames(list: unknown[]): string[] | undefined {
  const names: string[] = [];
  for (const item of list) {
    if (!isPlainObject(item)) return undefined;
    const name = typeof item.name === 'string' ? item.name : isPlainObject(item.metadata) && typeof item.metadata.name === 'string' ? item.metadata.name : undefined;
    if (name === undefined || names.includes(name)) return undefined;
    names.push(name);
  }
  return names;
}

/** Compares the baseline and fresh objects of one environment (either side undefined: the environment is new or gone). */
export function diffEnvironment(environment: string, baseline: readonly K8sObject[] | undefined, fresh: readonly K8sObject[] | undefined): EnvironmentDiff {
  const before = baseline ?? [];
  const after = fresh ?? [];
  const beforeByKey = new Map(before.map((o) => [identity(o), o]));
  const afterByKey = new Map(after.map((o) => [identity(o), o]));
  const removed = before.filter((o) => !afterByKey.has(identity(o)));
  const added = after.filter((o) => !beforeByKey.has(identity(o)));

  // Jobs named `<name>-<template hash>`: a new hash is the same Job, replaced.
  const replacedBy = new Map<K8sObject, K8sObject>();
  const unhashed = (objects: K8sObject[]) => {
    const groups = new Map<string, K8sObject[]>();
    for (const o of objects) {
      const base = o.kind === 'Job' ? JOB_HASH.exec(o.metadata.name)?.[1] : undefined;
      if (base === undefined) continue;
      const key = `${apiGroup(o)}|${o.metadata.namespace ?? ''}|${base}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    return groups;
  };
  const removedJobs = unhashed(removed);
  for (const [key, news] of unhashed(added)) {
    const olds = removedJobs.get(key);
    if (olds?.length === 1 && news.length === 1) replacedBy.set(olds[0], news[0]);
  }
  const replacements = new Set(replacedBy.values());

  const objects: ObjectDiff[] = [];
  for (const o of after) {
    const previous = beforeByKey.get(identity(o));
    if (previous) {
      const changes = diffValues(previous, o);
      if (changes.length === 0) continue;
      const breaking = breakingChanges(environment, previous, o, changes);
      objects.push({ status: 'changed', ...describe(o), changes, breaking, notes: notesFor(o, changes) });
    } else if (replacements.has(o)) {
      const old = [...replacedBy].find(([, n]) => n === o)![0];
      const changes = diffValues({ ...old, metadata: { ...old.metadata, name: o.metadata.name } }, o);
      objects.push({ status: 'replaced', ...describe(o), previousName: old.metadata.name, changes, breaking: [], notes: ['a new template makes a new Job (the name carries its hash): it runs once; the old one goes with its TTL or when pruned'] });
    } else {
      objects.push({ status: 'added', ...describe(o), changes: [], breaking: [], notes: [] });
    }
  }
  for (const o of removed) {
    if (replacedBy.has(o)) continue;
    objects.push({ status: 'removed', ...describe(o), changes: [], breaking: removalBreaks(environment, o), notes: [] });
  }
  return {
    environment,
    environmentStatus: baseline === undefined ? 'added' : fresh === undefined ? 'removed' : 'both',
    objects,
    breaking: objects.flatMap((o) => o.breaking),
  };
}

function describe(o: K8sObject): { kind: string; namespace?: string; name: string } {
  return { kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name };
}

/** API group (not version), kind, namespace and name: what makes an object the same object. */
function identity(o: K8sObject): string {
  return `${apiGroup(o)}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

function apiGroup(o: K8sObject): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
}

function notesFor(o: K8sObject, changes: readonly FieldChange[]): string[] {
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet'];
  if (workloads.includes(o.kind) && changes.some((c) => c.path[0] === 'spec' && c.path[1] === 'template')) {
    return ['pod template changed: its pods are replaced one by one (rolling update)'];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// What Kubernetes rejects, and what to do instead.

/** The StatefulSet spec fields an update may change (apps/v1 validation); every other one is forbidden. */
const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** The breaking changes among `changes` (from `before` to `after`, the same object). */
export function breakingChanges(environment: string, before: K8sObject, after: K8sObject, changes: readonly FieldChange[]): BreakingChange[] {
  const id = objectId(environment, describe(after));
  const found = new Map<string, BreakingChange>();
  const add = (path: string, reason: string, procedure: string[]) => {
    if (!found.has(path)) found.set(path, { object: id, path, reason, procedure });
  };
  const ctx = { environment, object: after, ns: after.metadata.namespace, name: after.metadata.name };
  const specChanges = changes.filter((c) => c.path[0] === 'spec' && c.path.length >= 2);

  switch (`${apiGroup(after)}/${after.kind}`) {
    case 'apps/StatefulSet':
      for (const change of specChanges) {
        const field = change.path[1] as string;
        if (STATEFULSET_MUTABLE.includes(field)) continue;
        if (field === 'volumeClaimTemplates') statefulSetVolumeChange(ctx, change, add);
        else statefulSetFieldChange(ctx, field, add);
      }
      break;
    case 'apps/Deployment':
    case 'apps/DaemonSet':
    case 'apps/ReplicaSet':
      if (specChanges.some((c) => c.path[1] === 'selector')) {
        add('spec.selector', `Kubernetes rejects a change to a ${after.kind}'s spec.selector (immutable).`, [
          `# Delete and re-create: its pods stop until the new ones are Ready (downtime).`,
          kubectl(ctx.ns, `delete ${after.kind.toLowerCase()} ${ctx.name}`),
          reapply(environment),
          `# Without downtime instead: ship the new selector under a new ${after.kind} name, then remove the old one.`,
        ]);
      }
      break;
    case 'batch/Job':
      for (const field of ['selector', 'template', 'completions', 'completionMode']) {
        if (!specChanges.some((c) => c.path[1] === field)) continue;
        add(`spec.${field}`, `Kubernetes rejects a change to a Job's spec.${field} (immutable); the Job keeps its name, so it is not replaced.`, [
          `# Delete the old Job and apply the new one (it runs again):`,
          kubectl(ctx.ns, `delete job ${ctx.name}`),
          reapply(environment),
        ]);
      }
      break;
    case '/Service':
      serviceChanges(ctx, before, after, specChanges, add);
      break;
    case '/PersistentVolumeClaim':
      for (const change of specChanges) claimChange(ctx, change, add);
      break;
    case '/ConfigMap':
    case '/Secret':
      if (before.immutable === true && changes.some((c) => ['data', 'binaryData', 'stringData', 'immutable'].includes(c.path[0] as string))) {
        add('data', `Kubernetes rejects changes to a ${after.kind} marked immutable.`, [
          `# Delete and re-create it, then restart the pods that read it (or give the new content a new name):`,
          kubectl(ctx.ns, `delete ${after.kind.toLowerCase()} ${ctx.name}`),
          reapply(environment),
        ]);
      }
      break;
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      if (changes.some((c) => c.path[0] === 'roleRef')) {
        add('roleRef', `Kubernetes rejects a change to a ${after.kind}'s roleRef (immutable).`, [
          `# Delete and re-create it (its subjects lack the permissions in between):`,
          kubectl(ctx.ns, `delete ${after.kind.toLowerCase()} ${ctx.name}`),
          reapply(environment),
        ]);
      }
      break;
    case 'scheduling.k8s.io/PriorityClass':
      for (const field of ['value', 'preemptionPolicy']) {
        if (!changes.some((c) => c.path[0] === field)) continue;
        add(field, `Kubernetes rejects a change to a PriorityClass's ${field} (immutable).`, [
          `# Delete and re-create it at once: pods created while it is missing are rejected, running pods keep their old priority.`,
          kubectl(undefined, `delete priorityclass ${ctx.name}`),
          reapply(environment),
        ]);
      }
      break;
    default:
      // PodDisruptionBudget, HPA, CronJob, NetworkPolicy, ...: updates are accepted.
      break;
  }
  return [...found.values()];
}

interface Context {
  readonly environment: string;
  readonly object: K8sObject;
  readonly ns?: string;
  readonly name: string;
}
type Add = (path: string, reason: string, procedure: string[]) => void;

function statefulSetFieldChange(ctx: Context, field: string, add: Add): void {
  const path = `spec.${field}`;
  const orphan = [
    `# Delete the StatefulSet but not its pods (--cascade=orphan), then re-apply: the new one adopts the pods; PVCs are kept.`,
    kubectl(ctx.ns, `delete statefulset ${ctx.name} --cascade=orphan`),
    reapply(ctx.environment),
  ];
  if (field === 'selector') {
    add(path, "Kubernetes rejects a change to a StatefulSet's spec.selector (immutable).", [
      ...orphan,
      `# The orphaned pods do not match the new selector: delete them one at a time, highest ordinal first, waiting`,
      `# for each to be Ready again; the new StatefulSet re-creates each with the same name and the same PVCs.`,
      kubectl(ctx.ns, `delete pod ${ctx.name}-<ordinal>`),
    ]);
  } else if (field === 'serviceName') {
    add(path, "Kubernetes rejects a change to a StatefulSet's spec.serviceName (immutable); the pods' DNS names depend on it.", [
      ...orphan,
      `# The adopted pods keep their old DNS subdomain until restarted:`,
      kubectl(ctx.ns, `rollout restart statefulset ${ctx.name}`),
    ]);
  } else {
    add(path, `Kubernetes rejects a change to a StatefulSet's spec.${field} (only ${STATEFULSET_MUTABLE.join(', ')} may change).`, orphan);
  }
}

function statefulSetVolumeChange(ctx: Context, change: FieldChange, add: Add): void {
  const template = change.path[2];
  if (typeof template !== 'object') {
    add('spec.volumeClaimTemplates', "Kubernetes rejects any change to a StatefulSet's volumeClaimTemplates.", orphanKeepingClaims(ctx));
    return;
  }
  const claims = `${template.item}-${ctx.name}-<ordinal>`;
  const base = formatPath(change.path.slice(0, 3));
  if (change.path.length === 3) {
    add(base, change.op === 'added'
      ? `Kubernetes rejects any change to a StatefulSet's volumeClaimTemplates: a new volume '${template.item}' (new, EMPTY PVCs ${claims}).`
      : `Kubernetes rejects any change to a StatefulSet's volumeClaimTemplates: volume '${template.item}' removed (its PVCs ${claims} and their data stay, unused).`, [
      ...orphanKeepingClaims(ctx),
      ...(change.op === 'added'
        ? [`# The pods get the new volume when re-created by the rolling update; if the data moved from another volume, restore it (docs/backup.md).`]
        : [`# Delete the PVCs ${claims} once their data is no longer needed.`]),
    ]);
    return;
  }
  const rest = formatPath(change.path.slice(3));
  if (rest === 'spec.resources.requests.storage') {
    const path = `${base}.spec.resources.requests.storage`;
    const from = quantity(change.before);
    const to = quantity(change.after);
    if (from !== undefined && to !== undefined && to > from) {
      add(path, `Kubernetes rejects any change to a StatefulSet's volumeClaimTemplates (volume '${template.item}' grows ${String(change.before)} → ${String(change.after)}).`, [
        `# \`npm run grow-volumes\` writes these steps as a script, each PVC by name (docs/upgrades.md#growing-a-volume); by hand:`,
        `# 1. Grow each existing PVC (EVS disks expand online; the pods keep running):`,
        `${kubectl(ctx.ns, 'get pvc -o name')} | grep -E '^persistentvolumeclaim/${template.item}-${ctx.name}-[0-9]+$' \\`,
        `  | xargs -I{} ${kubectl(ctx.ns, `patch {} --type merge -p '{"spec":{"resources":{"requests":{"storage":"${String(change.after)}"}}}}'`)}`,
        `# 2. Wait until each shows the new capacity (${kubectl(ctx.ns, 'get pvc')}), then`,
        ...orphanKeepingClaims(ctx).map((line, i) => (i === 0 ? line.replace(/^# /, '# 3. ') : line)),
      ]);
    } else {
      add(path, `PVCs cannot shrink: volume '${template.item}' goes ${String(change.before)} → ${String(change.after)}; Kubernetes rejects the StatefulSet change and would reject shrinking its PVCs.`, [
        `# Keep the size; or back up the store (docs/backup.md), create it under a new StatefulSet name (new, smaller PVCs),`,
        `# restore into it, switch the clients, then delete the old StatefulSet and its PVCs ${claims}.`,
      ]);
    }
    return;
  }
  const path = formatPath(change.path.slice(0, Math.min(change.path.length, 5)));
  const dataBound = ['spec.storageClassName', 'spec.accessModes', 'spec.volumeMode', 'metadata.annotations'].some((p) => path.startsWith(`${base}.${p}`));
  add(path, `Kubernetes rejects any change to a StatefulSet's volumeClaimTemplates (${path.slice(base.length + 1)} of volume '${template.item}').`, [
    ...orphanKeepingClaims(ctx),
    ...(dataBound
      ? [`# Existing PVCs ${claims} keep their old ${path.slice(base.length + 1)}: only new replicas get the new one.`,
        `# To move the data itself: back up (docs/backup.md), scale to 0, delete the PVCs, scale up, restore.`]
      : [`# Existing PVCs ${claims} keep their old values; only new replicas get the new ones.`]),
  ]);
}

function orphanKeepingClaims(ctx: Context): string[] {
  return [
    `# Delete the StatefulSet but not its pods or PVCs (--cascade=orphan), then re-apply: the new one adopts them.`,
    kubectl(ctx.ns, `delete statefulset ${ctx.name} --cascade=orphan`),
    reapply(ctx.environment),
  ];
}

function serviceChanges(ctx: Context, before: K8sObject, after: K8sObject, specChanges: readonly FieldChange[], add: Add): void {
  const spec = (o: K8sObject) => (isPlainObject(o.spec) ? o.spec : {});
  const recreate = [
    `# Delete and re-create the Service: its name resolves to nothing in between (for a LoadBalancer, CCE also`,
    `# re-creates the ELB listener; keep the ELB id annotation so the same ELB is used).`,
    kubectl(ctx.ns, `delete service ${ctx.name}`),
    reapply(ctx.environment),
  ];
  if (specChanges.some((c) => c.path[1] === 'clusterIP' || c.path[1] === 'clusterIPs')) {
    const show = (o: K8sObject) => (spec(o).clusterIP === undefined ? 'allocated' : String(spec(o).clusterIP));
    add('spec.clusterIP', `Kubernetes rejects a change to a Service's spec.clusterIP (${show(before)} → ${show(after)}; headless is clusterIP None).`, recreate);
  }
  const typeBefore = spec(before).type ?? 'ClusterIP';
  const typeAfter = spec(after).type ?? 'ClusterIP';
  const headless = spec(before).clusterIP === 'None' || spec(after).clusterIP === 'None';
  if (typeBefore !== typeAfter && (headless || typeBefore === 'ExternalName' || typeAfter === 'ExternalName')) {
    add('spec.type', `A Service type change ${String(typeBefore)} → ${String(typeAfter)} ${headless ? 'on a headless Service' : 'to or from ExternalName'} cannot be applied in place.`, recreate);
  }
}

function claimChange(ctx: Context, change: FieldChange, add: Add): void {
  const rest = formatPath(change.path.slice(1));
  if (rest === 'volumeAttributesClassName') return;
  if (rest === 'resources.requests.storage') {
    const from = quantity(change.before);
    const to = quantity(change.after);
    if (from !== undefined && to !== undefined && to > from) return; // EVS expands online
    add('spec.resources.requests.storage', `PVCs cannot shrink (${String(change.before)} → ${String(change.after)}).`, [
      `# Keep the size; or create a new, smaller PVC under a new name, copy or restore the data into it (docs/backup.md),`,
      `# point the workload at it, then delete ${ctx.name}.`,
    ]);
    return;
  }
  const field = typeof change.path[1] === 'string' ? change.path[1] : rest;
  add(`spec.${field}`, `Kubernetes rejects a change to a bound PVC's spec.${field} (immutable); deleting the PVC deletes its data.`, [
    `# Create a PVC under a new name with the new ${field}, copy or restore the data into it (docs/backup.md),`,
    `# point the workload at it, and only then delete ${ctx.name}.`,
  ]);
}

/** Objects whose removal deletes data (or everything): StatefulSets, PVCs, Namespaces. */
function removalBreaks(environment: string, o: K8sObject): BreakingChange[] {
  const id = objectId(environment, describe(o));
  const ns = o.metadata.namespace;
  const name = o.metadata.name;
  switch (o.kind) {
    case 'StatefulSet':
      return [{
        object: id, path: 'removed',
        reason: 'A StatefulSet removed: its pods are deleted; its PVCs stay (and keep the data) unless the retention policy deletes them. A renamed store starts EMPTY.',
        procedure: [
          `# If the store moved (renamed, another topology): back up first (docs/backup.md) and restore into the new one.`,
          `# Pruning deletes the pods; keep the old PVCs until the data is verified elsewhere, then delete them:`,
          `${kubectl(ns, 'get pvc -o name')} | grep -E '^persistentvolumeclaim/.*-${name}-[0-9]+$'`,
        ],
      }];
    case 'PersistentVolumeClaim':
      return [{
        object: id, path: 'removed',
        reason: 'A PVC removed: pruning it deletes the volume and, with the usual Delete reclaim policy, the EVS disk and its data.',
        procedure: [
          `# Back up or copy the data first (docs/backup.md). To keep the volume instead, do not prune it: with Argo CD,`,
          `# annotate it argocd.argoproj.io/sync-options: Prune=false before syncing; with kubectl, do not use --prune.`,
        ],
      }];
    case 'Namespace':
      return [{
        object: id, path: 'removed',
        reason: 'A Namespace removed: deleting it deletes everything inside, PVCs and their EVS disks included.',
        procedure: [
          `# Back up every store first (docs/backup.md). If everything moved to a new namespace, restore there, verify, and`,
          `# only then delete the old one:`,
          kubectl(undefined, `delete namespace ${name}`),
        ],
      }];
    default:
      return [];
  }
}

function kubectl(namespace: string | undefined, command: string): string {
  return namespace ? `kubectl -n ${namespace} ${command}` : `kubectl ${command}`;
}

function reapply(environment: string): string {
  return `kubectl apply -f dist/${environment}/memos.k8s.yaml   # or: sync the Argo CD Application`;
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1, 'n': 1e-9, 'u': 1e-6, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** A Kubernetes quantity ("200Gi", "1.5T", 1024) as a number; undefined if it is none. */
export function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:[eE]([0-9]+))?([a-zA-Z]*)$/.exec(value.trim());
  if (!match || !(match[3] in QUANTITY_SUFFIX)) return undefined;
  return Number(match[1]) * 10 ** Number(match[2] ?? 0) * QUANTITY_SUFFIX[match[3]];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
