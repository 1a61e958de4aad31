/**
 * `npm run grow-volumes` (app/grow-volumes.ts): the claims to grow and steps.sh planned from two
 * manifest sets (a synth of `small`, and a copy with grown claim templates), the refusals, steps.sh
 * run for real against a stub kubectl, and the command line on temporary repositories.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS } from '../app/environments';
import { GrowthRefused, Io, canonicalQuantity, main, planVolumeGrowth } from '../app/grow-volumes';
import { K8sObject, diffEnvironment, parseManifest } from '../app/manifest-diff';
import { MANIFEST_FILE, renderEnvironments } from '../app/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

type Mutable = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

let baseYaml: string;
let base: K8sObject[];

beforeAll(() => {
  const small = ENVIRONMENTS.find((e) => e.name === 'small')!;
  baseYaml = renderEnvironments([small]).get('small')!.yaml;
  base = parseManifest(baseYaml);
});

/** A deep copy of `objects` with `edit` applied to the StatefulSet `name`. */
function withStatefulSet(objects: readonly K8sObject[], name: string, edit: (s: Mutable) => void): K8sObject[] {
  const copy: Mutable[] = JSON.parse(JSON.stringify(objects));
  const target = copy.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name);
  if (!target) throw new Error(`no StatefulSet ${name}`);
  edit(target);
  return copy as K8sObject[];
}

const template = (s: Mutable, name: string): Mutable => {
  const found = s.spec.volumeClaimTemplates.find((t: Mutable) => t.metadata.name === name);
  if (!found) throw new Error(`no claim template ${name} in ${s.metadata.name}`);
  return found;
};

const setSize = (name: string, size: string) => (s: Mutable) => { template(s, name).spec.resources.requests.storage = size; };

/** The committed side: small's synth with Qdrant at 3 replicas (to have several ordinals). */
const before = () => withStatefulSet(base, 'memos-qdrant', (s) => { s.spec.replicas = 3; });

/** The new side: Milvus's volume 200Gi → 300Gi, Qdrant's storage volume 100Gi → 150Gi (snapshots unchanged). */
const grown = (objects = before()) => withStatefulSet(
  withStatefulSet(objects, 'memos-milvus-standalone', setSize('milvus-data', '300Gi')),
  'memos-qdrant', setSize('qdrant-storage', '150Gi'),
);

const statefulSet = (objects: readonly K8sObject[], name: string) => objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name) as Mutable;

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Mutable);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrowthRefused) return error.message;
    throw error;
  }
  throw new Error('not refused');
}

// ---------------------------------------------------------------------------------------------

describe('planVolumeGrowth', () => {
  test('the base synth has what the tests rely on', () => {
    expect(template(statefulSet(base, 'memos-milvus-standalone'), 'milvus-data').spec.resources.requests.storage).toBe('200Gi');
    expect(template(statefulSet(base, 'memos-qdrant'), 'qdrant-storage').spec.resources.requests.storage).toBe('100Gi');
    expect(statefulSet(base, 'memos-qdrant').spec.volumeClaimTemplates.map((t: Mutable) => t.metadata.name)).toEqual(['qdrant-storage', 'qdrant-snapshots']);
  });

  test('claims: exactly the existing ones, <template>-<sts>-<ordinal>, for every ordinal and grown template, at the new size', () => {
    const plan = planVolumeGrowth('small', before(), grown());
    expect(plan.statefulSets.map((s) => [s.namespace, s.name, s.replicas, s.volumes.map((v) => [v.template, v.from, v.to, v.claims])])).toEqual([
      ['memos', 'memos-milvus-standalone', 1, [['milvus-data', '200Gi', '300Gi', ['milvus-data-memos-milvus-standalone-0']]]],
      ['memos', 'memos-qdrant', 3, [['qdrant-storage', '100Gi', '150Gi', ['qdrant-storage-memos-qdrant-0', 'qdrant-storage-memos-qdrant-1', 'qdrant-storage-memos-qdrant-2']]]],
    ]);
    const claims = docs(plan.files.get('small/claims.yaml')!);
    expect(claims).toEqual([
      ['milvus-data-memos-milvus-standalone-0', '300Gi'],
      ['qdrant-storage-memos-qdrant-0', '150Gi'],
      ['qdrant-storage-memos-qdrant-1', '150Gi'],
      ['qdrant-storage-memos-qdrant-2', '150Gi'],
    ].map(([name, storage]) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'memos' }, spec: { resources: { requests: { storage } } } })));
    // One merge patch per claim, the same object, one document each.
    for (const claim of claims) {
      const patch = docs(plan.files.get(`small/patches/${claim.metadata.name}.yaml`)!);
      expect(patch).toEqual([claim]);
    }
    expect([...plan.files.keys()].sort()).toEqual([
      'small/claims.yaml',
      ...claims.map((c) => `small/patches/${c.metadata.name}.yaml`),
      'small/steps.sh',
    ].sort());
  });

  test('the new StatefulSets keep their claim template names, so the re-created StatefulSet adopts the old claims', () => {
    const after = grown();
    const plan = planVolumeGrowth('small', before(), after);
    for (const s of plan.statefulSets) {
      const names = (o: readonly K8sObject[]) => statefulSet(o, s.name).spec.volumeClaimTemplates.map((t: Mutable) => t.metadata.name);
      expect(s.volumeClaimTemplates).toEqual(names(after));
      expect(s.volumeClaimTemplates).toEqual(names(before()));
      // What the StatefulSet controller names the claim of ordinal i: <template>-<sts>-<i>.
      for (const v of s.volumes) expect(v.claims).toEqual(v.claims.map((_, i) => `${v.template}-${statefulSet(after, s.name).metadata.name}-${i}`));
    }
  });

  test('the replicas are those of the committed StatefulSet, whatever the new one says', () => {
    for (const replicas of [1, 5]) {
      const after = withStatefulSet(grown(), 'memos-qdrant', (s) => { s.spec.replicas = replicas; });
      const qdrant = planVolumeGrowth('small', before(), after).statefulSets.find((s) => s.name === 'memos-qdrant')!;
      expect(qdrant.replicas).toBe(3);
      expect(qdrant.volumes[0].claims).toEqual([0, 1, 2].map((i) => `qdrant-storage-memos-qdrant-${i}`));
    }
    // spec.ordinals.start shifts the ordinals.
    const shifted = (objects: K8sObject[]) => withStatefulSet(objects, 'memos-qdrant', (s) => { s.spec.ordinals = { start: 2 }; });
    const qdrant = planVolumeGrowth('small', shifted(before()), shifted(grown())).statefulSets.find((s) => s.name === 'memos-qdrant')!;
    expect(qdrant.volumes[0].claims).toEqual([2, 3, 4].map((i) => `qdrant-storage-memos-qdrant-${i}`));
  });

  test('no template change, or the same size spelled differently: nothing planned, no files', () => {
    expect(planVolumeGrowth('small', before(), before())).toEqual({ environment: 'small', statefulSets: [], files: new Map() });
    const respelled = withStatefulSet(before(), 'memos-qdrant', setSize('qdrant-storage', '102400Mi'));
    expect(planVolumeGrowth('small', before(), respelled).files.size).toBe(0);
    // Other changes of a StatefulSet are not this command's business (npm run diff lists them).
    const image = withStatefulSet(before(), 'memos-qdrant', (s) => { s.spec.template.spec.containers[0].image = 'qdrant/qdrant:v9'; });
    expect(planVolumeGrowth('small', before(), image).files.size).toBe(0);
  });

  test('a shrinking volume is refused, naming the StatefulSet and the template', () => {
    const message = refusal(() => planVolumeGrowth('small', before(), withStatefulSet(grown(), 'memos-neo4j', setSize('data', '50Gi'))));
    expect(message).toContain("small: StatefulSet memos/memos-neo4j, volume claim template 'data': shrinks 100Gi → 50Gi");
    expect(message).toMatch(/PVCs never shrink/);
    // Only that: the growths elsewhere are not reported as problems.
    expect(message.split('\n')).toHaveLength(1);
  });

  test('a new storage class is refused, even with a growth, naming the StatefulSet and the template', () => {
    const after = withStatefulSet(grown(), 'memos-qdrant', (s) => { template(s, 'qdrant-storage').spec.storageClassName = 'csi-disk'; });
    const message = refusal(() => planVolumeGrowth('small', before(), after));
    expect(message).toContain("small: StatefulSet memos/memos-qdrant, volume claim template 'qdrant-storage': storage class csi-disk-topology → csi-disk");
  });

  test('new access modes, a new disk type or a renamed template are refused, each named', () => {
    const modes = withStatefulSet(grown(), 'memos-milvus-standalone', (s) => { template(s, 'milvus-data').spec.accessModes = ['ReadWriteMany']; });
    expect(refusal(() => planVolumeGrowth('small', before(), modes))).toContain(`StatefulSet memos/memos-milvus-standalone, volume claim template 'milvus-data': access modes ["ReadWriteOnce"] → ["ReadWriteMany"]`);

    const disk = withStatefulSet(grown(), 'memos-qdrant', (s) => { template(s, 'qdrant-snapshots').metadata.annotations['everest.io/disk-volume-type'] = 'SAS'; });
    expect(refusal(() => planVolumeGrowth('small', before(), disk))).toContain(`StatefulSet memos/memos-qdrant, volume claim template 'qdrant-snapshots': metadata.annotations["everest.io/disk-volume-type"] changes (SSD → SAS)`);

    const renamed = withStatefulSet(grown(), 'memos-milvus-standalone', (s) => { template(s, 'milvus-data').metadata.name = 'data'; });
    const message = refusal(() => planVolumeGrowth('small', before(), renamed));
    expect(message).toContain("small: StatefulSet memos/memos-milvus-standalone: volume claim template 'milvus-data' removed, template 'data' added");
    expect(message).toContain('EMPTY');
  });

  test('npm run diff points to this command for a StatefulSet volume growth', () => {
    const diff = diffEnvironment('small', before(), grown());
    const growth = diff.breaking.filter((b) => b.path.endsWith('.spec.resources.requests.storage'));
    expect(growth).toHaveLength(2);
    for (const change of growth) expect(change.procedure.join('\n')).toContain('npm run grow-volumes');
  });

  test('canonicalQuantity: as the API server prints a capacity', () => {
    expect(canonicalQuantity('300Gi')).toBe('300Gi');
    expect(canonicalQuantity('1024Gi')).toBe('1Ti');
    expect(canonicalQuantity('1536Mi')).toBe('1536Mi');
    expect(canonicalQuantity('2048Mi')).toBe('2Gi');
    expect(canonicalQuantity('100G')).toBe('100G'); // not a whole number of Ki: as written
  });
});

// ---------------------------------------------------------------------------------------------
// steps.sh

describe('steps.sh', () => {
  const script = () => planVolumeGrowth('small', before(), grown(), { manifest: baseYaml }).files.get('small/steps.sh')!;

  test('is valid bash, strict, and in order: check, patch, wait, orphan-delete, apply', () => {
    const text = script();
    const dir = temporaryFolder('memos-grow-syntax-');
    fs.writeFileSync(path.join(dir, 'steps.sh'), text);
    const checked = spawnSync('bash', ['-n', path.join(dir, 'steps.sh')], { encoding: 'utf8' });
    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    expect(text.split('\n')).toContain('set -euo pipefail');
    const at = (line: string) => {
      const index = text.split('\n').indexOf(line);
      expect({ line, index }).toEqual({ line, index: expect.any(Number) });
      if (index < 0) throw new Error(`missing line: ${line}`);
      return index;
    };
    const order = [
      'kubectl get -f "$here/claims.yaml"',
      'kubectl -n memos patch pvc milvus-data-memos-milvus-standalone-0 --type merge --patch-file "$here/patches/milvus-data-memos-milvus-standalone-0.yaml"',
      'kubectl -n memos patch pvc qdrant-storage-memos-qdrant-2 --type merge --patch-file "$here/patches/qdrant-storage-memos-qdrant-2.yaml"',
      "kubectl -n memos wait --for=jsonpath='{.status.capacity.storage}'=300Gi pvc/milvus-data-memos-milvus-standalone-0 --timeout=10m",
      "kubectl -n memos wait --for=jsonpath='{.status.capacity.storage}'=150Gi pvc/qdrant-storage-memos-qdrant-2 --timeout=10m",
      'kubectl -n memos delete statefulset memos-milvus-standalone --cascade=orphan --ignore-not-found',
      'kubectl -n memos delete statefulset memos-qdrant --cascade=orphan --ignore-not-found',
      'kubectl apply -f "$manifest"',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toContain(`manifest=dist/small/${MANIFEST_FILE}`);
    expect(text).toContain(`expected=${createHash('sha256').update(baseYaml).digest('hex')}`);
    expect(text).not.toContain('qdrant-snapshots-memos-qdrant');
  });

  /** The plan written below `root/grow/`, a dist/small manifest, and a stub kubectl that logs its arguments. */
  function stage(manifest: string): { root: string; log: string; run: (env?: NodeJS.ProcessEnv) => ReturnType<typeof spawnSync> } {
    const root = temporaryFolder('memos-grow-run-');
    for (const [file, content] of planVolumeGrowth('small', before(), grown(), { manifest: baseYaml }).files) {
      fs.mkdirSync(path.dirname(path.join(root, 'grow', file)), { recursive: true });
      fs.writeFileSync(path.join(root, 'grow', file), content);
    }
    fs.mkdirSync(path.join(root, 'dist', 'small'), { recursive: true });
    fs.writeFileSync(path.join(root, 'dist', 'small', MANIFEST_FILE), manifest);
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    const log = path.join(root, 'kubectl.log');
    // Fails like kubectl when asked to patch with a file that is not there, or `get -f` a missing file.
    fs.writeFileSync(path.join(bin, 'kubectl'), [
      '#!/usr/bin/env bash',
      `echo "$*" >> ${JSON.stringify(log)}`,
      'prev=""; for a in "$@"; do if [ "$prev" = "--patch-file" ] || [ "$prev" = "-f" ]; then [ -f "$a" ] || { echo "no file $a" >&2; exit 1; }; fi; prev="$a"; done',
      'if [ -n "${KUBECTL_FAIL_ON:-}" ] && [[ "$*" == *"$KUBECTL_FAIL_ON"* ]]; then exit 1; fi',
      '',
    ].join('\n'), { mode: 0o755 });
    const run = (env: NodeJS.ProcessEnv = {}) => spawnSync('bash', ['grow/small/steps.sh'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` } });
    return { root, log, run };
  }

  const logged = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);

  test('run against a stub kubectl: every claim patched with its file, then waited for, then the StatefulSets replaced', () => {
    const { root, log, run } = stage(baseYaml);
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const calls = logged(log).map((line) => line.replace(root, '<root>'));
    const claims = ['milvus-data-memos-milvus-standalone-0', 'qdrant-storage-memos-qdrant-0', 'qdrant-storage-memos-qdrant-1', 'qdrant-storage-memos-qdrant-2'];
    const size = (claim: string) => (claim.startsWith('milvus') ? '300Gi' : '150Gi');
    expect(calls).toEqual([
      'get -f <root>/grow/small/claims.yaml',
      ...claims.map((c) => `-n memos patch pvc ${c} --type merge --patch-file <root>/grow/small/patches/${c}.yaml`),
      ...claims.map((c) => `-n memos wait --for=jsonpath={.status.capacity.storage}=${size(c)} pvc/${c} --timeout=10m`),
      '-n memos delete statefulset memos-milvus-standalone --cascade=orphan --ignore-not-found',
      '-n memos delete statefulset memos-qdrant --cascade=orphan --ignore-not-found',
      `apply -f dist/small/${MANIFEST_FILE}`,
      '-n memos rollout status statefulset/memos-milvus-standalone --timeout=30m',
      '-n memos rollout status statefulset/memos-qdrant --timeout=30m',
    ]);
  });

  test('a dist/ that is not the planned manifest: stops before calling kubectl', () => {
    const { log, run } = stage(`${baseYaml}# edited\n`);
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is not the manifest this plan was made for');
    expect(logged(log)).toEqual([]);
  });

  test('a failed wait stops it before any StatefulSet is deleted', () => {
    const { log, run } = stage(baseYaml);
    const result = run({ KUBECTL_FAIL_ON: 'pvc/qdrant-storage-memos-qdrant-1' });
    expect(result.status).not.toBe(0);
    const calls = logged(log);
    expect(calls[calls.length - 1]).toContain('pvc/qdrant-storage-memos-qdrant-1');
    expect(calls.some((c) => c.includes('delete') || c.startsWith('apply'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The command line.

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => { out += t; }, err: (t) => { err += t; }, stdout: () => out, stderr: () => err };
}

/** A folder with dist/small/memos.k8s.yaml holding `objects`; not a git repository. */
function repository(objects: readonly K8sObject[]): string {
  const root = temporaryFolder('memos-grow-cli-');
  fs.mkdirSync(path.join(root, 'dist', 'small'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'small', MANIFEST_FILE), manifestOf(objects));
  return root;
}

const manifestOf = (objects: readonly K8sObject[]) => objects.map((o) => stringify(o)).join('---\n');
const freshOf = (objects: readonly K8sObject[]) => new Map([['small', manifestOf(objects)]]);

function git(root: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('npm run grow-volumes', () => {
  test.each([
    ['an unknown option', ['--size', '300Gi'], /Unknown option '--size'/],
    ['a positional argument', ['small'], /Unexpected argument 'small'/],
    ['--out without a value', ['--out'], /--out/],
    ['an empty --out', ['--out', ''], /--out must name a folder/],
    ['an unknown environment', ['--env', 'huge'], /unknown environment "huge"; allowed: small/],
    ['a --ref outside a git repository', ['--ref', 'HEAD'], /--ref "HEAD" is not a commit/],
  ])('%s: exit 2, usage printed, nothing written', (_, args, message) => {
    const root = repository(before());
    const io = capture();
    expect(main([...args], { root, fresh: freshOf(grown()), io })).toBe(2);
    expect(io.stderr()).toMatch(message);
    expect(io.stderr()).toContain('usage: npm run grow-volumes');
    expect(fs.readdirSync(root)).toEqual(['dist']);
  });

  test('a non-empty --out folder is refused (exit 2) and left as it was', () => {
    const root = repository(before());
    fs.mkdirSync(path.join(root, 'grow-volumes'));
    fs.writeFileSync(path.join(root, 'grow-volumes', 'keep.txt'), 'mine');
    const io = capture();
    expect(main([], { root, fresh: freshOf(grown()), io })).toBe(2);
    expect(io.stderr()).toMatch(/grow-volumes exists and is not an empty folder/);
    expect(fs.readdirSync(path.join(root, 'grow-volumes'))).toEqual(['keep.txt']);
  });

  test('no growth: exit 0, says so, writes nothing', () => {
    const root = repository(before());
    const io = capture();
    expect(main([], { root, fresh: freshOf(before()), io })).toBe(0);
    expect(io.stdout()).toContain('No volume growth in small: nothing written.');
    expect(fs.readdirSync(root)).toEqual(['dist']);
  });

  test('a shrink: exit 1, the refusal named, nothing written', () => {
    const root = repository(before());
    const io = capture();
    expect(main([], { root, fresh: freshOf(withStatefulSet(grown(), 'memos-qdrant', setSize('qdrant-snapshots', '10Gi'))), io })).toBe(1);
    expect(io.stderr()).toContain("refused: small: StatefulSet memos/memos-qdrant, volume claim template 'qdrant-snapshots': shrinks 50Gi → 10Gi");
    expect(io.stderr()).toContain('nothing written');
    expect(fs.readdirSync(root)).toEqual(['dist']);
  });

  test('a growth: the plan written to --out (default grow-volumes/), steps.sh executable', () => {
    const root = repository(before());
    const io = capture();
    const fresh = freshOf(grown());
    expect(main([], { root, fresh, io })).toBe(0);
    const out = path.join(root, 'grow-volumes');
    expect(fs.readdirSync(out)).toEqual(['small']);
    expect(fs.readdirSync(path.join(out, 'small')).sort()).toEqual(['claims.yaml', 'patches', 'steps.sh']);
    expect(fs.readdirSync(path.join(out, 'small', 'patches'))).toHaveLength(4);
    expect(fs.statSync(path.join(out, 'small', 'steps.sh')).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(path.join(out, 'small', 'steps.sh'), 'utf8')).toContain(`expected=${createHash('sha256').update(fresh.get('small')!).digest('hex')}`);
    expect(io.stdout()).toContain('small: StatefulSet memos/memos-milvus-standalone, volume milvus-data: 200Gi → 300Gi; claims: milvus-data-memos-milvus-standalone-0');
    // dist/ still holds the old manifest: the output says to synth first.
    expect(io.stdout()).toContain('bash grow-volumes/small/steps.sh   # after npm run synth');
    // No staging folder left behind.
    expect(fs.readdirSync(root).sort()).toEqual(['dist', 'grow-volumes']);
  });

  test('--ref: compares with dist/ at a commit; --out elsewhere', () => {
    const root = repository(before());
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'old volumes');
    // The working tree already holds the new manifest (after npm run synth).
    fs.writeFileSync(path.join(root, 'dist', 'small', MANIFEST_FILE), freshOf(grown()).get('small')!);
    const out = path.join(temporaryFolder('memos-grow-out-'), 'plan');
    const io = capture();
    expect(main(['--ref', 'HEAD', '--env', 'small', '--out', out], { root, fresh: freshOf(grown()), io })).toBe(0);
    expect(io.stdout()).toContain('Comparing a fresh synth with dist/ at HEAD');
    expect(io.stdout()).not.toContain('after npm run synth');
    expect(docs(fs.readFileSync(path.join(out, 'small', 'claims.yaml'), 'utf8')).map((c) => c.metadata.name)).toEqual([
      'milvus-data-memos-milvus-standalone-0', 'qdrant-storage-memos-qdrant-0', 'qdrant-storage-memos-qdrant-1', 'qdrant-storage-memos-qdrant-2',
    ]);
    // Against the working tree (already grown): no growth.
    const again = capture();
    expect(main(['--out', path.join(out, 'again')], { root, fresh: freshOf(grown()), io: again })).toBe(0);
    expect(again.stdout()).toContain('No volume growth');
  });
});
