/**
 * `npm run grow-volumes -- [--ref <git ref>] [--env <name>]... [--out <dir>]`: the volume-growth
 * procedure of docs/upgrades.md#growing-a-volume as files. Compares a fresh synth of every
 * environment with the committed manifests (`dist/` in the working tree or, with --ref, `dist/` at
 * that commit, as `npm run diff` does) and, for every StatefulSet whose volume claim templates only
 * grew, writes to --out (default `grow-volumes/`, below the repository root), per environment:
 *
 * - `<env>/claims.yaml`: the PersistentVolumeClaims to grow (`<template>-<sts>-<ordinal>` for the
 *   ordinals of the committed StatefulSet's replicas), each with its new size;
 * - `<env>/patches/<claim>.yaml`: the same, one claim per file: the JSON merge patch that
 *   `kubectl patch pvc <claim> --type merge --patch-file <file>` applies (its metadata.name makes the
 *   API server reject it on any other claim);
 * - `<env>/steps.sh`: checks that dist/<env> is the new manifest and every claim exists, patches
 *   each claim, waits for its new capacity, deletes each StatefulSet keeping its pods and claims
 *   (`--cascade=orphan`) and applies `dist/<env>/memos.k8s.yaml`, whose StatefulSets adopt them.
 *
 * Refused (exit 1, nothing written): a volume that shrinks, and any other change of a claim
 * template (storage class, disk type, access modes, name, ...). No growth: exit 0, nothing written.
 * Usage or input error: exit 2, nothing written.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { stringify } from 'yaml';
import { Baseline, UsageError, gitBaseline, workingTreeBaseline } from './diff';
import { ENVIRONMENTS } from './environments';
import { FieldChange, K8sObject, diffValues, formatPath, parseManifest, quantity } from './manifest-diff';
import { FILE_MODE, MANIFEST_FILE, renderEnvironments, writeTreeAtomically } from './synth';

const USAGE = 'usage: npm run grow-volumes [-- --ref <git ref>] [--env <environment>]... [--out <dir>]';

/** The default output folder, relative to the repository root. */
export const DEFAULT_OUT = 'grow-volumes';

/** Mode of the generated steps.sh. */
const SCRIPT_MODE = 0o755;

/** A template change this command cannot carry out: exit code 1. */
export class GrowthRefused extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** One volume claim template that grows. */
export interface GrownVolume {
  /** The claim template's name (metadata.name), the same on both sides. */
  readonly template: string;
  /** The committed size. */
  readonly from: string;
  /** The new size. */
  readonly to: string;
  /** The existing claims to grow: `<template>-<sts>-<ordinal>`. */
  readonly claims: readonly string[];
}

/** One StatefulSet whose volumes grow. */
export interface GrownStatefulSet {
  readonly namespace?: string;
  readonly name: string;
  /** spec.replicas of the committed StatefulSet (absent: 1). */
  readonly replicas: number;
  /** The claim template names of the new StatefulSet (the same as the committed ones: it adopts the claims). */
  readonly volumeClaimTemplates: readonly string[];
  readonly volumes: readonly GrownVolume[];
}

/** What {@link planVolumeGrowth} found in one environment. */
export interface EnvironmentGrowth {
  readonly environment: string;
  readonly statefulSets: readonly GrownStatefulSet[];
  /** File path (relative to the output folder, below `<environment>/`) → content; empty when nothing grows. */
  readonly files: ReadonlyMap<string, string>;
}

/** Options of {@link planVolumeGrowth}. */
export interface PlanOptions {
  /** The new manifest's text: steps.sh then refuses to run unless dist/<env>/memos.k8s.yaml is exactly it. */
  readonly manifest?: string;
}

/**
 * The growth of one environment's volumes from `before` (the committed objects) to `after` (the
 * fresh synth), and the files that carry it out. Pure. Throws {@link GrowthRefused}, listing every
 * problem, when a claim template changes in any other way than growing.
 */
export function planVolumeGrowth(environment: string, before: readonly K8sObject[], after: readonly K8sObject[], options: PlanOptions = {}): EnvironmentGrowth {
  const problems: string[] = [];
  const statefulSets: GrownStatefulSet[] = [];
  const committed = new Map(before.filter(isStatefulSet).map((o) => [key(o), o]));
  for (const fresh of after.filter(isStatefulSet)) {
    const old = committed.get(key(fresh));
    if (!old) continue; // a new StatefulSet: new claims, nothing to grow
    const grown = statefulSetGrowth(environment, old, fresh, problems);
    if (grown) statefulSets.push(grown);
  }
  if (problems.length > 0) throw new GrowthRefused(problems);
  const files = new Map<string, string>();
  if (statefulSets.length > 0) {
    const claims = statefulSets.flatMap((s) => s.volumes.flatMap((v) => v.claims.map((claim) => claimObject(s.namespace, claim, v.to))));
    files.set(`${environment}/claims.yaml`, claims.map((c) => stringify(c)).join('---\n'));
    for (const claim of claims) files.set(`${environment}/patches/${claim.metadata.name}.yaml`, stringify(claim));
    files.set(`${environment}/steps.sh`, stepsScript(environment, statefulSets, options.manifest));
  }
  return { environment, statefulSets, files };
}

function statefulSetGrowth(environment: string, old: K8sObject, fresh: K8sObject, problems: string[]): GrownStatefulSet | undefined {
  const namespace = fresh.metadata.namespace;
  const name = fresh.metadata.name;
  const where = `${environment}: StatefulSet ${namespace ? `${namespace}/` : ''}${name}`;
  const templatesOf = (o: K8sObject) => (isPlainObject(o.spec) && Array.isArray(o.spec.volumeClaimTemplates) ? o.spec.volumeClaimTemplates : []);
  const changes = diffValues(templatesOf(old), templatesOf(fresh), ['spec', 'volumeClaimTemplates']);
  if (changes.length === 0) return undefined;

  const byTemplate = new Map<string, FieldChange[]>();
  const added: string[] = [];
  const removed: string[] = [];
  for (const change of changes) {
    const template = change.path[2];
    if (typeof template !== 'object') {
      problems.push(`${where}: its volume claim templates change in a way that cannot be matched by name (${formatPath(change.path)}); grow-volumes only grows existing volumes (see npm run diff).`);
      return undefined;
    }
    if (change.path.length === 3) (change.op === 'added' ? added : removed).push(template.item);
    else byTemplate.set(template.item, [...(byTemplate.get(template.item) ?? []), change]);
  }
  if (added.length > 0 || removed.length > 0) {
    const what = [...removed.map((t) => `template '${t}' removed`), ...added.map((t) => `template '${t}' added`)].join(', ');
    problems.push(`${where}: volume claim ${what}: the claims are named after their template, so a renamed or new template gives the pods new, EMPTY volumes `
      + '(and a removed one leaves its claims unused); grow-volumes only grows existing volumes (see npm run diff and docs/upgrades.md).');
  }

  const replicas = replicasOf(old);
  const start = isPlainObject(old.spec) && isPlainObject(old.spec.ordinals) && Number.isInteger(old.spec.ordinals.start) ? old.spec.ordinals.start as number : 0;
  const volumes: GrownVolume[] = [];
  for (const [template, list] of byTemplate) {
    const prefix = `${where}, volume claim template '${template}'`;
    let grown: GrownVolume | undefined;
    for (const change of list) {
      const field = formatPath(change.path.slice(3));
      if (field === 'spec.resources.requests.storage' && change.op === 'changed') {
        const from = quantity(change.before);
        const to = quantity(change.after);
        if (from === undefined || to === undefined) {
          problems.push(`${prefix}: storage ${show(change.before)} → ${show(change.after)} is not a pair of Kubernetes quantities.`);
        } else if (to < from) {
          problems.push(`${prefix}: shrinks ${show(change.before)} → ${show(change.after)}; PVCs never shrink (nor do EVS disks). Keep the size, or back up, `
            + 'create the store under a new StatefulSet name and restore (docs/upgrades.md#growing-a-volume).');
        } else if (to > from) {
          grown = {
            template, from: String(change.before), to: String(change.after),
            claims: Array.from({ length: replicas }, (_, i) => `${template}-${name}-${start + i}`),
          };
        }
        // The same size spelled differently (1Ti, 1024Gi): no change.
      } else if (field === 'spec.storageClassName') {
        problems.push(`${prefix}: storage class ${show(change.before)} → ${show(change.after)}; existing claims keep their class, only new replicas would get the new one, `
          + 'and EVS cannot convert a disk. Move the data instead (docs/upgrades.md#a-new-storage-class-or-disk-type-for-a-store).');
      } else if (field.startsWith('spec.accessModes')) {
        problems.push(`${prefix}: access modes ${show(accessModes(old, template))} → ${show(accessModes(fresh, template))}; a bound claim's access modes cannot change. `
          + 'Move the data instead (docs/upgrades.md#a-new-storage-class-or-disk-type-for-a-store).');
      } else {
        problems.push(`${prefix}: ${field} changes (${show(change.before)} → ${show(change.after)}); grow-volumes only carries out a growth of spec.resources.requests.storage `
          + 'with nothing else changed in the template (see npm run diff for the procedure).');
      }
    }
    if (grown) volumes.push(grown);
  }
  if (volumes.length === 0) return undefined;
  const names = templatesOf(fresh).map((t) => (isPlainObject(t) && isPlainObject(t.metadata) ? String(t.metadata.name) : ''));
  return { ...(namespace ? { namespace } : {}), name, replicas, volumeClaimTemplates: names, volumes };
}

function replicasOf(o: K8sObject): number {
  const replicas = isPlainObject(o.spec) ? o.spec.replicas : undefined;
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1;
}

function accessModes(o: K8sObject, template: string): unknown {
  const templates = isPlainObject(o.spec) && Array.isArray(o.spec.volumeClaimTemplates) ? o.spec.volumeClaimTemplates : [];
  const found = templates.find((t) => isPlainObject(t) && isPlainObject(t.metadata) && t.metadata.name === template);
  return isPlainObject(found) && isPlainObject(found.spec) ? found.spec.accessModes : undefined;
}

function claimObject(namespace: string | undefined, name: string, storage: string) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { resources: { requests: { storage } } },
  };
}

// ---------------------------------------------------------------------------------------------
// steps.sh

function stepsScript(environment: string, statefulSets: readonly GrownStatefulSet[], manifest: string | undefined): string {
  const manifestPath = `dist/${environment}/${MANIFEST_FILE}`;
  const k = (namespace: string | undefined, command: string) => `kubectl ${namespace ? `-n ${quote(namespace)} ` : ''}${command}`;
  const lines: string[] = [
    '#!/usr/bin/env bash',
    `# Grows the volumes of environment ${environment}; written by \`npm run grow-volumes\` (docs/upgrades.md#growing-a-volume).`,
    '# Run it from the repository root, with kubectl pointing at the cluster of this environment and',
    `# ${manifestPath} holding the new manifests (npm run synth). It can be run again after a failure.`,
    ...statefulSets.flatMap((s) => s.volumes.map((v) => `#   StatefulSet ${s.namespace ? `${s.namespace}/` : ''}${s.name}, volume ${v.template}: ${v.from} → ${v.to} (${v.claims.length} claim${v.claims.length === 1 ? '' : 's'})`)),
    '# Claims of ordinals beyond the committed replicas (left from a scale-down) are not grown.',
    'set -euo pipefail',
    '',
    'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `manifest=${quote(manifestPath)}`,
    '',
    '# 0. Check before changing anything: the new manifest is there, and every claim exists.',
    'if [ ! -f "$manifest" ]; then',
    '  echo "$manifest not found: run this script from the repository root" >&2',
    '  exit 1',
    'fi',
  ];
  if (manifest !== undefined) {
    lines.push(
      `expected=${sha256(manifest)}`,
      'if command -v sha256sum >/dev/null 2>&1; then actual="$(sha256sum "$manifest" | cut -d" " -f1)"; else actual="$(shasum -a 256 "$manifest" | cut -d" " -f1)"; fi',
      'if [ "$actual" != "$expected" ]; then',
      '  echo "$manifest is not the manifest this plan was made for: run npm run synth (or check out the commit it was made for)" >&2',
      '  exit 1',
      'fi',
    );
  }
  lines.push('kubectl get -f "$here/claims.yaml"', '');
  lines.push('# 1. Grow each claim (EVS disks expand online; the pods keep running).');
  for (const s of statefulSets) {
    for (const v of s.volumes) {
      for (const claim of v.claims) lines.push(k(s.namespace, `patch pvc ${quote(claim)} --type merge --patch-file "$here/patches/${claim}.yaml"`));
    }
  }
  lines.push('', '# 2. Wait until each claim reports its new capacity (the file system is resized on the node of its pod).');
  for (const s of statefulSets) {
    for (const v of s.volumes) {
      for (const claim of v.claims) {
        lines.push(k(s.namespace, `wait --for=jsonpath='{.status.capacity.storage}'=${quote(canonicalQuantity(v.to))} pvc/${quote(claim)} --timeout=10m`));
      }
    }
  }
  lines.push('', '# 3. Delete each StatefulSet object, keeping its pods and claims (--cascade=orphan).');
  for (const s of statefulSets) lines.push(k(s.namespace, `delete statefulset ${quote(s.name)} --cascade=orphan --ignore-not-found`));
  lines.push('', '# 4. Apply the new manifests: the re-created StatefulSets adopt the running pods and their grown claims.');
  lines.push('kubectl apply -f "$manifest"');
  for (const s of statefulSets) lines.push(k(s.namespace, `rollout status statefulset/${quote(s.name)} --timeout=30m`));
  lines.push('', `echo "Volumes of ${environment} grown."`, '');
  return lines.join('\n');
}

const BINARY_SUFFIXES = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'];

/**
 * A size with a binary suffix as the API server prints it: the largest binary suffix that divides it
 * ("1024Gi" → "1Ti"), since `kubectl wait --for=jsonpath` compares text. Other sizes are kept as
 * written.
 */
export function canonicalQuantity(size: string): string {
  const bytes = quantity(size);
  if (!/^[0-9.]+[KMGTPE]i$/.test(size.trim()) || bytes === undefined || !Number.isSafeInteger(bytes) || bytes <= 0) return size;
  for (const [i, suffix] of BINARY_SUFFIXES.entries()) {
    const unit = 2 ** (10 * (BINARY_SUFFIXES.length - i));
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** A word for bash: bare when it is plain, single-quoted otherwise. */
function quote(word: string): string {
  return /^[A-Za-z0-9._\/=:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isStatefulSet(o: K8sObject): boolean {
  return o.kind === 'StatefulSet' && o.apiVersion.startsWith('apps/');
}

function key(o: K8sObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// The command line.

/** Where {@link main} writes its messages. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Options of {@link main}, for tests. */
export interface MainOptions {
  /** The repository: its dist/ (and git history for --ref); relative --out folders are below it. */
  readonly root?: string;
  /** The fresh manifests, environment → YAML (default: `renderEnvironments(ENVIRONMENTS)`). */
  readonly fresh?: ReadonlyMap<string, string>;
  readonly io?: Io;
}

const PROCESS_IO: Io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** Runs the command line; returns the exit code: 0 (written, or no growth), 1 (refused), 2 (usage or input error). */
export function main(args: string[] = process.argv.slice(2), options: MainOptions = {}): number {
  const io = options.io ?? PROCESS_IO;
  const root = path.resolve(options.root ?? path.resolve(__dirname, '..'));
  let values: { ref?: string; env?: string[]; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { ref: { type: 'string' }, env: { type: 'string', multiple: true }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`${message(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${USAGE}\n\nWrites, for every StatefulSet whose volumes grow between dist/ (or dist/ at a git ref) and a fresh synth, the claims\nto grow and a steps.sh that grows them, orphan-deletes the StatefulSet and applies dist/<env> (docs/upgrades.md#growing-a-volume).\nOutput: --out (default ${DEFAULT_OUT}/, below the repository root), which must not exist or be empty.\nExit code: 0 written or no growth, 1 a change it cannot carry out (a volume shrinks, a template's class, access modes or name change), 2 usage error.\n`);
    return 0;
  }
  try {
    if (values.out !== undefined && values.out.trim() === '') throw new UsageError('--out must name a folder');
    const out = path.resolve(root, values.out ?? DEFAULT_OUT);
    if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
      throw new UsageError(`${out} exists and is not an empty folder: remove it, or choose another with --out`);
    }
    const baseline: Baseline = values.ref !== undefined ? gitBaseline(root, values.ref) : workingTreeBaseline(root);
    const wanted = values.env;
    const known = new Set([...(options.fresh?.keys() ?? ENVIRONMENTS.map((e) => e.name)), ...baseline.environments]);
    for (const name of wanted ?? []) {
      if (!known.has(name)) throw new UsageError(`unknown environment ${JSON.stringify(name)}; allowed: ${[...known].join(', ')}`);
    }
    const fresh = options.fresh ?? new Map([...renderEnvironments(ENVIRONMENTS.filter((e) => !wanted || wanted.includes(e.name)))].map(([name, { yaml }]) => [name, yaml]));
    const names = [...fresh.keys()].filter((name) => baseline.environments.includes(name) && (!wanted || wanted.includes(name)));

    const plans: EnvironmentGrowth[] = [];
    const problems: string[] = [];
    for (const name of names) {
      const manifest = fresh.get(name)!;
      const before = parseInput(baseline.read(name)!, `${baseline.label}: ${name}/${MANIFEST_FILE}`);
      const after = parseInput(manifest, `fresh synth: ${name}`);
      try {
        plans.push(planVolumeGrowth(name, before, after, { manifest }));
      } catch (error) {
        if (!(error instanceof GrowthRefused)) throw error;
        problems.push(...error.problems);
      }
    }

    const lines = [`Comparing a fresh synth with ${baseline.label}.`, ''];
    if (problems.length > 0) {
      io.out(lines.join('\n'));
      io.err(`${problems.map((p) => `refused: ${p}`).join('\n')}\n${problems.length} volume change${problems.length > 1 ? 's' : ''} grow-volumes cannot carry out: nothing written.\n`);
      return 1;
    }
    const growing = plans.filter((p) => p.statefulSets.length > 0);
    if (growing.length === 0) {
      lines.push(`No volume growth in ${names.length > 0 ? names.join(', ') : 'any environment'}: nothing written.`, '');
      io.out(lines.join('\n'));
      return 0;
    }
    for (const plan of growing) {
      for (const s of plan.statefulSets) {
        for (const v of s.volumes) {
          lines.push(`${plan.environment}: StatefulSet ${s.namespace ? `${s.namespace}/` : ''}${s.name}, volume ${v.template}: ${v.from} → ${v.to}; claims: ${v.claims.join(', ') || '(none: 0 replicas)'}`);
        }
      }
    }
    const files = new Map(growing.flatMap((p) => [...p.files]));
    const target = writeTreeAtomically(out, files);
    for (const file of files.keys()) {
      if (file.endsWith('/steps.sh')) fs.chmodSync(path.join(target, file), SCRIPT_MODE);
      else fs.chmodSync(path.join(target, file), FILE_MODE);
    }
    const shown = path.relative(root, target) || '.';
    lines.push('', `Wrote ${shown}/ (per environment: claims.yaml, patches/<claim>.yaml, steps.sh). Next, from the repository root, with kubectl pointing at each environment's cluster:`);
    for (const plan of growing) {
      const current = path.join(root, 'dist', plan.environment, MANIFEST_FILE);
      const stale = !fs.existsSync(current) || fs.readFileSync(current, 'utf8') !== fresh.get(plan.environment);
      lines.push(`  bash ${path.join(shown, plan.environment, 'steps.sh')}${stale ? `   # after npm run synth: dist/${plan.environment} is not the fresh synth yet (steps.sh checks)` : ''}`);
    }
    lines.push('');
    io.out(lines.join('\n'));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    io.err(`grow-volumes failed: ${message(error)}\n`);
    return 2;
  }
}

function parseInput(text: string, source: string): K8sObject[] {
  try {
    return parseManifest(text, source);
  } catch (error) {
    throw new UsageError(message(error));
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) process.exitCode = main();
