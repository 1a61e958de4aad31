/**
 * The upgrade guard (`npm run diff`, app/diff.ts): breaking changes found with their procedures,
 * acknowledged through MIGRATIONS.md, harmless changes listed; against a working-tree dist/ and
 * against a git ref of a temporary repository; one end-to-end run on this repository.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { MIGRATIONS_FILE, UsageError, main, parseMigrations, runDiff, useColor } from '../app/diff';
import { K8sObject, diffEnvironment, diffValues, formatPath, quantity } from '../app/manifest-diff';
import { MANIFEST_FILE, renderEnvironments } from '../app/synth';
import { ENVIRONMENTS } from '../app/environments';
import { temporaryFolders } from './support/tmp';

const ROOT = path.resolve(__dirname, '..');
const temporaryFolder = temporaryFolders();

// ---------------------------------------------------------------------------------------------
// A small stack in the shape the library synthesizes.

const labels = { 'app.kubernetes.io/name': 'qdrant', 'app.kubernetes.io/instance': 'memos' };

function stack(): K8sObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'memos' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'memos-config', namespace: 'memos' }, data: { LOG_LEVEL: 'info', 'memos.env': 'A=1\nB=2\nC=3\n' } },
    {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'memos-qdrant', namespace: 'memos' },
      spec: {
        replicas: 3, serviceName: 'memos-qdrant-headless', podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: { ...labels } },
        template: { metadata: { labels: { ...labels } }, spec: { containers: [{ name: 'qdrant', image: 'qdrant/qdrant:v1.15.0', env: [{ name: 'QDRANT__LOG_LEVEL', value: 'INFO' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'qdrant-storage' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'csi-disk-topology', resources: { requests: { storage: '50Gi' } } } }],
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'memos-api', namespace: 'memos' },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'memos-api' } },
        template: { metadata: { labels: { 'app.kubernetes.io/name': 'memos-api' } }, spec: { containers: [{ name: 'api', image: 'memos:2.0.31', env: [{ name: 'MOS_TOP_K', value: '5' }, { name: 'MOS_ENABLE_REORGANIZE', value: 'false' }] }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'memos-qdrant-headless', namespace: 'memos' }, spec: { clusterIP: 'None', selector: { ...labels }, ports: [{ name: 'http', port: 6333 }] } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'memos-scratch', namespace: 'memos' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'csi-disk', resources: { requests: { storage: '10Gi' } } } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'memos-qdrant', namespace: 'memos' }, spec: { maxUnavailable: 1, selector: { matchLabels: { ...labels } } } },
    {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'memos-qdrant-collection-343c31', namespace: 'memos' },
      spec: { backoffLimit: 10, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'create-collection', image: 'busybox:1.36', args: ['--vectors', '1024'] }] } } },
    },
  ];
}

type Mutable = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `stack()` with `edit` applied to a deep copy of the object `kind/name`. */
function edited(kind: string, name: string, edit: (o: Mutable) => void, objects = stack()): K8sObject[] {
  const copy: Mutable[] = JSON.parse(JSON.stringify(objects));
  const target = copy.find((o) => o.kind === kind && o.metadata.name === name);
  if (!target) throw new Error(`no ${kind}/${name}`);
  edit(target);
  return copy as K8sObject[];
}

function manifest(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** A folder with dist/small/memos.k8s.yaml (and MIGRATIONS.md if given); not a git repository. */
function distFolder(objects: readonly K8sObject[], migrations?: string): string {
  const root = temporaryFolder('memos-diff-');
  fs.mkdirSync(path.join(root, 'dist', 'small'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'small', MANIFEST_FILE), manifest(objects));
  if (migrations !== undefined) fs.writeFileSync(path.join(root, MIGRATIONS_FILE), migrations);
  return root;
}

function git(root: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Commits `files` (path → content; undefined deletes) to the repository at `root`. */
function commit(root: string, files: Record<string, string | undefined>, message: string): void {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, file);
    if (content === undefined) fs.rmSync(full, { force: true });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
  }
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
}

function gitRepository(): string {
  const root = temporaryFolder('memos-diff-git-');
  git(root, 'init', '-q');
  return root;
}

const fresh = (objects: readonly K8sObject[]) => new Map([['small', manifest(objects)]]);

const SIZE_PATH = 'spec.volumeClaimTemplates[qdrant-storage].spec.resources.requests.storage';
const ACK_SIZE = `- ack: small/StatefulSet/memos/memos-qdrant ${SIZE_PATH}`;
const ACK_SELECTOR = '- ack: small/StatefulSet/memos/memos-qdrant spec.selector';

const grownAndReselected = () => edited('StatefulSet', 'memos-qdrant', (s) => {
  s.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '100Gi';
  s.spec.selector.matchLabels['app.kubernetes.io/component'] = 'server';
  s.spec.template.metadata.labels['app.kubernetes.io/component'] = 'server';
});

/** A MIGRATIONS.md whose acknowledgements start at line 13 (line 4 is in a code block). */
const migrations = (...acks: string[]) => `# Migrations\n\n\`\`\`markdown\n- ack: small/StatefulSet/memos/memos-qdrant spec.serviceName\n\`\`\`\n\n## Changes\n\n### 0.2.0: Qdrant volumes and labels\n\nGrow the PVCs first, then orphan-delete.\n\n${acks.join('\n')}\n`;

// ---------------------------------------------------------------------------------------------

describe('breaking changes', () => {
  test("a StatefulSet's volume growth and selector change: listed with their procedures, exit 1", () => {
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(grownAndReselected()) });
    expect(result.exitCode).toBe(1);
    expect(result.breaking.map((b) => `${b.object} ${b.path}`)).toEqual([
      'small/StatefulSet/memos/memos-qdrant spec.selector',
      `small/StatefulSet/memos/memos-qdrant ${SIZE_PATH}`,
    ]);
    const out = result.output;
    expect(out).toContain('small: 1 changed, 0 added, 0 removed; 2 BREAKING not acknowledged');
    expect(out).toContain(`      ~ ${SIZE_PATH}: 50Gi → 100Gi`);
    expect(out).toContain(`    ! BREAKING ${SIZE_PATH}`);
    // Growth: patch each PVC, then orphan-delete and re-apply.
    expect(out).toContain("kubectl -n memos get pvc -o name | grep -E '^persistentvolumeclaim/qdrant-storage-memos-qdrant-[0-9]+$'");
    expect(out).toContain(`kubectl -n memos patch {} --type merge -p '{"spec":{"resources":{"requests":{"storage":"100Gi"}}}}'`);
    expect(out).toContain('kubectl -n memos delete statefulset memos-qdrant --cascade=orphan');
    expect(out).toContain('kubectl apply -f dist/small/memos.k8s.yaml');
    expect(out).toContain('    ! BREAKING spec.selector');
    expect(out).toContain('kubectl -n memos delete pod memos-qdrant-<ordinal>');
    expect(out).toContain(`        ${ACK_SIZE}`);
    expect(out).toContain(`        ${ACK_SELECTOR}`);
    expect(out).toContain('2 breaking changes not acknowledged');
    expect(out).not.toContain('\x1b[');
  });

  test('in colour the breaking lines are red', () => {
    const out = runDiff({ root: distFolder(stack()), fresh: fresh(grownAndReselected()), color: true }).output;
    expect(out).toContain(`\x1b[1;31m    ! BREAKING ${SIZE_PATH}\x1b[0m`);
    expect(out.replace(/\x1b\[[0-9;]*m/g, '')).toBe(runDiff({ root: distFolder(stack()), fresh: fresh(grownAndReselected()) }).output);
  });

  test.each([
    ['StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '20Gi'; }, SIZE_PATH, /PVCs cannot shrink/],
    ['StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.volumeClaimTemplates[0].spec.storageClassName = 'csi-disk'; }, 'spec.volumeClaimTemplates[qdrant-storage].spec.storageClassName', /keep their old spec\.storageClassName/],
    ['StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.volumeClaimTemplates[0].metadata.name = 'data'; }, 'spec.volumeClaimTemplates[data]', /new, EMPTY PVCs data-memos-qdrant-<ordinal>/],
    ['StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.serviceName = 'qdrant'; }, 'spec.serviceName', /rollout restart statefulset memos-qdrant/],
    ['StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.podManagementPolicy = 'Parallel'; }, 'spec.podManagementPolicy', /--cascade=orphan/],
    ['Deployment', 'memos-api', (o: Mutable) => { o.spec.selector.matchLabels.tier = 'api'; o.spec.template.metadata.labels.tier = 'api'; }, 'spec.selector', /delete deployment memos-api[\s\S]*downtime/],
    ['Job', 'memos-qdrant-collection-343c31', (o: Mutable) => { o.spec.completions = 2; }, 'spec.completions', /delete job memos-qdrant-collection-343c31/],
    ['Service', 'memos-qdrant-headless', (o: Mutable) => { delete o.spec.clusterIP; }, 'spec.clusterIP', /None → allocated[\s\S]*delete service memos-qdrant-headless/],
    ['PersistentVolumeClaim', 'memos-scratch', (o: Mutable) => { o.spec.storageClassName = 'csi-disk-topology'; }, 'spec.storageClassName', /new name/],
    ['PersistentVolumeClaim', 'memos-scratch', (o: Mutable) => { o.spec.accessModes = ['ReadWriteMany']; }, 'spec.accessModes', /immutable/],
    ['PersistentVolumeClaim', 'memos-scratch', (o: Mutable) => { o.spec.resources.requests.storage = '5Gi'; }, 'spec.resources.requests.storage', /PVCs cannot shrink/],
  ])('%s %s: %s', (kind, name, edit, expectedPath, procedure) => {
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(edited(kind, name, edit)) });
    expect(result.breaking.map((b) => b.path)).toContain(expectedPath);
    const change = result.breaking.find((b) => b.path === expectedPath)!;
    expect(`${change.reason}\n${change.procedure.join('\n')}`).toMatch(procedure);
    expect(result.exitCode).toBe(1);
  });

  test.each([
    ['growing a PVC (EVS expands online)', 'PersistentVolumeClaim', 'memos-scratch', (o: Mutable) => { o.spec.resources.requests.storage = '20Gi'; }],
    ['a PodDisruptionBudget', 'PodDisruptionBudget', 'memos-qdrant', (o: Mutable) => { o.spec.maxUnavailable = 2; o.spec.selector.matchLabels.x = 'y'; }],
    ["a StatefulSet's replicas and pod template", 'StatefulSet', 'memos-qdrant', (o: Mutable) => { o.spec.replicas = 5; o.spec.template.spec.containers[0].image = 'qdrant/qdrant:v1.16.0'; }],
    ['a ClusterIP Service becoming a LoadBalancer', 'Service', 'memos-scratch-svc', (o: Mutable) => { o.spec.type = 'LoadBalancer'; }],
  ])('not breaking: %s', (_what, kind, name, edit) => {
    const base = [...stack(), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'memos-scratch-svc', namespace: 'memos' }, spec: { ports: [{ port: 80 }] } }];
    const result = runDiff({ root: distFolder(base), fresh: fresh(edited(kind, name, edit, base)) });
    expect(result.breaking).toEqual([]);
    expect(result.output).toContain(`~ changed  ${kind} memos/${name}`);
    expect(result.exitCode).toBe(0);
  });

  test('removing a StatefulSet, a PVC or the Namespace is breaking; removing a Deployment is not', () => {
    const remaining = stack().filter((o) => !['StatefulSet', 'PersistentVolumeClaim', 'Namespace', 'Deployment'].includes(o.kind));
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(remaining) });
    expect(result.breaking.map((b) => `${b.object} ${b.path}`)).toEqual([
      'small/Namespace/memos removed',
      'small/StatefulSet/memos/memos-qdrant removed',
      'small/PersistentVolumeClaim/memos/memos-scratch removed',
    ]);
    expect(result.output).toContain('  - removed  Deployment memos/memos-api');
    expect(result.output).toContain('        - ack: small/Namespace/memos removed');
    expect(result.exitCode).toBe(1);
  });
});

describe('harmless changes', () => {
  test('an env value in a ConfigMap and in a container: listed as changed, exit 0', () => {
    let objects = edited('ConfigMap', 'memos-config', (c) => { c.data.LOG_LEVEL = 'debug'; c.data['memos.env'] = 'A=1\nB=20\nC=3\n'; });
    objects = edited('Deployment', 'memos-api', (d) => { d.spec.template.spec.containers[0].env[0].value = '10'; }, objects);
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(objects) });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain('small: 2 changed, 0 added, 0 removed; nothing breaking');
    expect(result.output).toContain('  ~ changed  ConfigMap memos/memos-config\n      ~ data.LOG_LEVEL: info → debug\n      ~ data["memos.env"]: line 2: B=2 → B=20');
    expect(result.output).toContain('  ~ changed  Deployment memos/memos-api\n      ~ spec.template.spec.containers[api].env[MOS_TOP_K].value: "5" → "10"');
    expect(result.output).toContain('note: pod template changed');
    expect(result.output).toContain('No breaking change.');
  });

  test('objects added and removed are listed', () => {
    const objects = [
      ...stack().filter((o) => o.kind !== 'PodDisruptionBudget'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'memos-extra', namespace: 'memos' }, data: { X: '1' } },
    ];
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(objects) });
    expect(result.output).toContain('small: 0 changed, 1 added, 1 removed; nothing breaking');
    expect(result.output).toContain('  + added    ConfigMap memos/memos-extra');
    expect(result.output).toContain('  - removed  PodDisruptionBudget memos/memos-qdrant');
    expect(result.exitCode).toBe(0);
  });

  test('a Job whose template hash changed is a replaced Job, not removed and added', () => {
    const objects = edited('Job', 'memos-qdrant-collection-343c31', (j) => {
      j.metadata.name = 'memos-qdrant-collection-9f0e1d';
      j.spec.template.spec.containers[0].args = ['--vectors', '768'];
    });
    const result = runDiff({ root: distFolder(stack()), fresh: fresh(objects) });
    expect(result.exitCode).toBe(0);
    expect(result.breaking).toEqual([]);
    expect(result.output).toContain('small: 1 changed (1 replaced Job), 0 added, 0 removed; nothing breaking');
    expect(result.output).toContain('  ~ replaced Job memos/memos-qdrant-collection-9f0e1d (was memos-qdrant-collection-343c31; template changed, harmless)');
    expect(result.output).toContain('      ~ spec.template.spec.containers[create-collection].args: ["--vectors","1024"] → ["--vectors","768"]');
    expect(result.output).not.toContain('added    Job');
    expect(result.output).not.toContain('removed  Job');
  });

  test('identical objects of one kind changed the same way are listed together', () => {
    const base = [...stack(), ...['a', 'b'].map((n) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `memos-${n}`, namespace: 'memos' }, spec: {} }))];
    const after = base.map((o) => (o.kind === 'NetworkPolicy' ? { ...o, metadata: { ...o.metadata, annotations: { 'argocd.argoproj.io/sync-wave': '-7' } } } : o));
    const result = runDiff({ root: distFolder(base), fresh: fresh(after) });
    expect(result.output).toContain('  ~ changed  NetworkPolicy ×2 memos/memos-a, memos/memos-b\n      + metadata.annotations["argocd.argoproj.io/sync-wave"]: "-7"\n');
    const removed = runDiff({ root: distFolder(base), fresh: fresh(base.filter((o) => o.kind !== 'NetworkPolicy')) });
    expect(removed.output).toContain('  - removed  NetworkPolicy ×2 memos/memos-a, memos/memos-b\n');
  });

  test('an environment on one side only: every object added or removed', () => {
    const root = distFolder(stack());
    const result = runDiff({ root, fresh: new Map([['small', manifest(stack())], ['medium', manifest(stack().slice(0, 2))]]) });
    expect(result.output).toContain('small: no changes');
    expect(result.output).toContain('medium (new environment): 0 changed, 2 added, 0 removed; nothing breaking');
    expect(result.exitCode).toBe(0);
    const gone = runDiff({ root, fresh: new Map() });
    expect(gone.output).toContain('small (environment removed): 0 changed, 0 added, 8 removed');
    expect(gone.output).toContain('  - removed  Namespace memos\n    ! BREAKING removed');
    expect(gone.output).toContain('  - removed  ConfigMap memos/memos-config\n');
    expect(gone.exitCode).toBe(1);
  });
});

describe('acknowledgements in MIGRATIONS.md', () => {

  test('every breaking change acknowledged: exit 0, shown as acknowledged', () => {
    const result = runDiff({ root: distFolder(stack(), migrations(ACK_SIZE, ACK_SELECTOR)), fresh: fresh(grownAndReselected()) });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`    ! BREAKING ${SIZE_PATH} (acknowledged: MIGRATIONS.md:13)`);
    expect(result.output).toContain('    ! BREAKING spec.selector (acknowledged: MIGRATIONS.md:14)');
    expect(result.output).toContain('2 breaking changes, all acknowledged in MIGRATIONS.md');
    expect(result.output).not.toContain('Safe procedure');
  });

  test('one of two acknowledged: exit 1; an acknowledgement in a code block does not count', () => {
    const moved = edited('StatefulSet', 'memos-qdrant', (s) => { s.spec.serviceName = 'qdrant'; }, grownAndReselected());
    const result = runDiff({ root: distFolder(stack(), migrations(ACK_SIZE, ACK_SELECTOR)), fresh: fresh(moved) });
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('small: 1 changed, 0 added, 0 removed; 1 BREAKING not acknowledged, 2 acknowledged');
    expect(result.output).toContain('        - ack: small/StatefulSet/memos/memos-qdrant spec.serviceName');
  });

  test('an acknowledgement that matches nothing is reported, and a malformed one is a usage error', () => {
    const result = runDiff({ root: distFolder(stack(), migrations('- ack: small/StatefulSet/memos/memos-qdrant spec.replicas')), fresh: fresh(stack()) });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain('note: MIGRATIONS.md:13 acknowledges small/StatefulSet/memos/memos-qdrant spec.replicas, which is no breaking change of this comparison');
    expect(() => runDiff({ root: distFolder(stack(), migrations('- ack: small/memos-qdrant spec.selector')), fresh: fresh(stack()) })).toThrow(/MIGRATIONS\.md:13: malformed acknowledgement/);
    expect(() => parseMigrations('- ack: small/StatefulSet/memos/x spec.selector # why')).toThrow(UsageError);
    expect(parseMigrations('* ack:   small/Namespace/memos   removed  ')).toEqual([{ object: 'small/Namespace/memos', path: 'removed', line: 1 }]);
  });
});

describe('against a git ref', () => {
  test('the committed dist/ at the ref is the baseline; acknowledgements present at that commit are spent', () => {
    const root = gitRepository();
    commit(root, { [`dist/small/${MANIFEST_FILE}`]: manifest(stack()) }, 'first');
    commit(root, { 'README.md': 'no dist change\n' }, 'second');

    // HEAD~1 (and HEAD) hold the old volumes: the growth is breaking until acknowledged.
    const grown = fresh(grownAndReselected());
    expect(runDiff({ root, ref: 'HEAD~1', fresh: grown }).exitCode).toBe(1);
    fs.writeFileSync(path.join(root, MIGRATIONS_FILE), migrations(ACK_SIZE, ACK_SELECTOR));
    const acknowledged = runDiff({ root, ref: 'HEAD~1', fresh: grown });
    expect(acknowledged.output).toMatch(/^Comparing a fresh synth with dist\/ at HEAD~1 \([0-9a-f]{7}\)\./);
    expect(acknowledged.exitCode).toBe(0);

    // Committed together with the new dist/: CI's `--ref HEAD~1` accepts it.
    commit(root, { [`dist/small/${MANIFEST_FILE}`]: manifest(grownAndReselected()), [MIGRATIONS_FILE]: migrations(ACK_SIZE, ACK_SELECTOR) }, 'grow qdrant');
    expect(runDiff({ root, ref: 'HEAD~1', fresh: grown }).exitCode).toBe(0);
    expect(runDiff({ root, ref: 'HEAD', fresh: grown }).output).toContain('small: no changes');

    // A later growth of the same field: the old acknowledgement is spent.
    const again = fresh(edited('StatefulSet', 'memos-qdrant', (s) => { s.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '200Gi'; }, grownAndReselected()));
    const spent = runDiff({ root, fresh: again });
    expect(spent.exitCode).toBe(1);
    expect(spent.output).toMatch(/The same acknowledgement was already in MIGRATIONS\.md at [0-9a-f]{7} \(it covered an earlier change\)/);
    // ... until acknowledged again, in a new section.
    fs.appendFileSync(path.join(root, MIGRATIONS_FILE), `\n### 0.3.0: Qdrant volumes 100Gi → 200Gi\n\n${ACK_SIZE}\n`);
    expect(runDiff({ root, fresh: again }).exitCode).toBe(0);
    expect(runDiff({ root, ref: 'HEAD', fresh: again }).exitCode).toBe(0);
  });

  test('a ref without dist/: every object is added; an unknown ref is a usage error', () => {
    const root = gitRepository();
    commit(root, { 'README.md': 'hello\n' }, 'no dist yet');
    const result = runDiff({ root, ref: 'HEAD', fresh: fresh(stack()) });
    expect(result.output).toContain('small (new environment): 0 changed, 8 added, 0 removed; nothing breaking');
    expect(result.exitCode).toBe(0);
    expect(() => runDiff({ root, ref: 'HEAD~1', fresh: fresh(stack()) })).toThrow(UsageError);
    expect(() => runDiff({ root, ref: '--output=x', fresh: fresh(stack()) })).toThrow(UsageError);
  });

  test('.ci/upgrade-guard.sh skips, saying why, without a parent commit or without dist/ there', () => {
    const root = gitRepository();
    fs.mkdirSync(path.join(root, '.ci'));
    fs.copyFileSync(path.join(ROOT, '.ci', 'upgrade-guard.sh'), path.join(root, '.ci', 'upgrade-guard.sh'));
    commit(root, {}, 'first');
    const run = () => spawnSync('bash', ['.ci/upgrade-guard.sh', 'HEAD~1'], { cwd: root, encoding: 'utf8' });
    let result = run();
    expect(result.stdout).toContain('upgrade guard skipped: HEAD~1 does not exist (no parent commit)');
    expect(result.status).toBe(0);
    commit(root, { 'README.md': 'hi\n' }, 'second');
    result = run();
    expect(result.stdout).toContain('upgrade guard skipped: HEAD~1 has no dist/');
    expect(result.status).toBe(0);
  });
});

describe('building blocks', () => {
  test('field paths name list items by name', () => {
    const changes = diffValues(
      { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }], tolerations: [{ key: 'k' }] }, metadata: { labels: { 'app.kubernetes.io/name': 'x' } } },
      { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '2' }, { name: 'Y', value: '3' }] }], tolerations: [{ key: 'j' }] }, metadata: { labels: { 'app.kubernetes.io/name': 'y' } } },
    );
    expect(changes.map((c) => `${c.op} ${formatPath(c.path)}`)).toEqual([
      'changed spec.containers[a].env[X].value',
      'added spec.containers[a].env[Y]',
      'changed spec.tolerations[0].key',
      'changed metadata.labels["app.kubernetes.io/name"]',
    ]);
  });

  test('quantities', () => {
    expect(quantity('100Gi')! > quantity('50Gi')!).toBe(true);
    expect(quantity('1Ti')).toBe(2 ** 40);
    expect(quantity('500M')).toBe(5e8);
    expect(quantity('lots')).toBeUndefined();
  });

  test('a changed Job under the same name is breaking (its template is immutable)', () => {
    const before = stack();
    const after = edited('Job', 'memos-qdrant-collection-343c31', (j) => { j.spec.template.spec.containers[0].image = 'busybox:1.37'; });
    expect(diffEnvironment('small', before, after).breaking.map((b) => b.path)).toEqual(['spec.template']);
  });

  test('colours: a terminal or FORCE_COLOR, never NO_COLOR', () => {
    expect(useColor({}, true)).toBe(true);
    expect(useColor({}, false)).toBe(false);
    expect(useColor({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(useColor({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(useColor({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
  });

  test('usage errors exit with 2', () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((message: string) => { errors.push(message); });
    try {
      expect(main(['--bogus'], ROOT)).toBe(2);
      expect(main(['stray'], ROOT)).toBe(2);
      expect(main(['--env', 'nowhere'], distFolder(stack()))).toBe(2);
      expect(main(['--ref', 'no-such-ref-anywhere'], ROOT)).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toContain('unknown environment "nowhere"');
    expect(errors.join('\n')).toContain('usage: npm run diff');
  });
});

describe('this repository', () => {
  test('`npx tsx app/diff.ts` compares the committed dist/ with a fresh synth: nothing breaking, exit 0', () => {
    const result = spawnSync('npx', ['tsx', 'app/diff.ts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Comparing a fresh synth with dist/ in the working tree.');
    // dist/ is what a fresh synth writes (CI checks it byte for byte): then there is nothing to list.
    for (const [name, { yaml }] of renderEnvironments(ENVIRONMENTS)) {
      const committed = fs.readFileSync(path.join(ROOT, 'dist', name, MANIFEST_FILE), 'utf8');
      if (committed === yaml) expect(result.stdout).toContain(`\n${name}: no changes\n`);
      else expect(result.stdout).toMatch(new RegExp(`\\n${name}: \\d+ changed`));
    }
    expect(result.stdout).toContain('No breaking change.');
  });
});
