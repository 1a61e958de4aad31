import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS, MemosEnvironment } from '../app/environments';
import { DIRECTORY_MODE, failedSynthOutcome, FILE_MODE, MANIFEST_FILE, renderEnvironments, synthEnvironments } from '../app/synth';
import { MemosSize } from '../charts/presets';
import { ApiGateway } from '../charts/backends';
import { ElbClass } from '../src/cce';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

const ROOT = path.resolve(__dirname, '..');

function tempDir(): string {
  return temporaryFolder('memos-synth-');
}

/** Every file below `dir` (relative path → sha256), plus the names of everything in its parent. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  out['<siblings>'] = fs.readdirSync(path.dirname(dir)).sort().join(',');
  return out;
}

describe('synthEnvironments', () => {
  test('writes one manifest per environment', () => {
    const outdir = path.join(tempDir(), 'dist');
    const result = synthEnvironments(ENVIRONMENTS, outdir);
    expect(result.files.map((f) => f.file)).toEqual(['small/memos.k8s.yaml', 'medium/memos.k8s.yaml', 'large/memos.k8s.yaml']);
    expect(fs.readdirSync(outdir).sort()).toEqual(['large', 'medium', 'small']);
    expect(fs.readFileSync(path.join(outdir, 'small', MANIFEST_FILE), 'utf8')).toBe(renderEnvironments(ENVIRONMENTS).get('small')!.yaml);
    expect(result.files.map((f) => f.objects)).toEqual([69, 87, 94]);
  });

  test('replaces the previous output, removing stale files and leaving no staging folders', () => {
    const parent = tempDir();
    const outdir = path.join(parent, 'dist');
    fs.mkdirSync(path.join(outdir, 'removed-env'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'removed-env', MANIFEST_FILE), 'old');
    synthEnvironments([{ name: 'small', size: MemosSize.SMALL }], outdir);
    expect(fs.readdirSync(outdir)).toEqual(['small']);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  const invalid: [string, MemosEnvironment[], RegExp][] = [
    ['an unknown size', [{ name: 'small', size: MemosSize.SMALL }, { name: 'xl', size: 'xlarge' as never }], /MemosChart 'xl': invalid size "xlarge"; allowed: small, medium, large/],
    ['replicas below 1', [{ name: 'small', size: MemosSize.SMALL, api: { replicas: 0 } }], /MemosChart 'small': invalid api.replicas 0; allowed: an integer from 1 to 1000/],
    ['an ELB that cannot be created', [{ name: 'small', size: MemosSize.SMALL, gateway: ApiGateway.haproxy({ service: { elbClass: ElbClass.PERFORMANCE } }) }],
      /MemosChart 'small': invalid gateway.service.loadBalancer.availabilityZones/],
    ['a plain object for a backend choice', [{ name: 'small', size: MemosSize.SMALL, queue: { mode: 'dcs', host: 'redis.example' } as never }], /MemosChart 'small': invalid queue/],
    ['a duplicate name', [{ name: 'small', size: MemosSize.SMALL }, { name: 'small', size: MemosSize.LARGE }], /environment #2: invalid name "small"; allowed: a name no other environment uses/],
    ['a bad name', [{ name: 'Prod/EU', size: MemosSize.SMALL }], /environment #1: invalid name "Prod\/EU"; allowed: a DNS label/],
  ];
  test.each(invalid)('fails on %s and leaves the output byte-for-byte unchanged', (_name, environments, message) => {
    const outdir = path.join(tempDir(), 'dist');
    synthEnvironments(ENVIRONMENTS, outdir);
    const before = snapshotTree(outdir);
    expect(() => synthEnvironments(environments, outdir)).toThrow(message);
    expect(snapshotTree(outdir)).toEqual(before);
  });

  test('the output is 0755 folders and 0644 files whatever the umask, first write and replacement alike', () => {
    const outdir = path.join(tempDir(), 'dist');
    const modes = () => {
      const out: Record<string, string> = { '.': (fs.statSync(outdir).mode & 0o777).toString(8) };
      for (const env of fs.readdirSync(outdir)) {
        out[env] = (fs.statSync(path.join(outdir, env)).mode & 0o777).toString(8);
        out[`${env}/${MANIFEST_FILE}`] = (fs.statSync(path.join(outdir, env, MANIFEST_FILE)).mode & 0o777).toString(8);
      }
      return out;
    };
    const expected = { '.': '755', small: '755', [`small/${MANIFEST_FILE}`]: '644' };
    const umask = process.umask(0o077);
    try {
      synthEnvironments([{ name: 'small', size: MemosSize.SMALL }], outdir);
      expect(modes()).toEqual(expected);
      synthEnvironments([{ name: 'small', size: MemosSize.SMALL }], outdir);
      expect(modes()).toEqual(expected);
    } finally {
      process.umask(umask);
    }
    expect([DIRECTORY_MODE, FILE_MODE]).toEqual([0o755, 0o644]);
  });

  test('a failure with no previous output creates nothing', () => {
    const parent = tempDir();
    expect(() => synthEnvironments([{ name: 'x', size: 'x' as never }], path.join(parent, 'dist'))).toThrow(/invalid size/);
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});

/** The entry point, fed an invalid environment ('huge') through a tiny wrapper module. */
const brokenApp = (): string => {
  const wrapper = path.join(tempDir(), 'bad-app.ts');
  fs.writeFileSync(wrapper, [
    `const environments = require(${JSON.stringify(path.join(ROOT, 'app', 'environments'))});`,
    "environments.ENVIRONMENTS.push({ name: 'huge', size: 'huge' });",
    `require(${JSON.stringify(path.join(ROOT, 'app', 'main'))});`,
  ].join('\n'));
  return wrapper;
};

describe('the app entry point (npm run synth)', () => {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');

  test('writes the shipped environments to CDK8S_OUTDIR, as synthEnvironments does', () => {
    const outdir = path.join(tempDir(), 'out');
    const stdout = execFileSync(tsx, ['app/main.ts'], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: outdir }, encoding: 'utf8' });
    expect(stdout).toContain(`${outdir}/small/memos.k8s.yaml: 69 objects`);
    const expected = renderEnvironments(ENVIRONMENTS);
    for (const [name, { yaml }] of expected) expect(fs.readFileSync(path.join(outdir, name, MANIFEST_FILE), 'utf8')).toBe(yaml);
  });

  test('exits non-zero with the error and leaves the output unchanged when an environment is invalid', () => {
    const outdir = path.join(tempDir(), 'out');
    synthEnvironments(ENVIRONMENTS, outdir);
    const before = snapshotTree(outdir);
    // The same entry point, fed a broken environment list through a tiny wrapper module.
    const wrapper = brokenApp();
    const run = spawnSync(tsx, [wrapper], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: outdir }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`synth failed; ${outdir}/ was left unchanged.`);
    expect(run.stderr).toContain(`MemosChart 'huge': invalid size "huge"; allowed: small, medium, large`);
    expect(snapshotTree(outdir)).toEqual(before);
  });
});

describe('npx cdk8s synth (cdk8s-cli runs the same app after deleting its output folder)', () => {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const cdk8s = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');

  /** A cdk8s project folder whose app is `app` (a file) and whose output is `out`, holding an old file. */
  function project(app: string): { dir: string; out: string } {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), `language: typescript\napp: ${tsx} ${app}\noutput: out\n`);
    fs.mkdirSync(path.join(dir, 'out', 'small'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'out', 'small', MANIFEST_FILE), 'old');
    return { dir, out: path.join(dir, 'out') };
  }
  const synth = (dir: string) => spawnSync(cdk8s, ['synth', '--no-check-upgrade'], { cwd: dir, encoding: 'utf8' });

  test('writes every environment', () => {
    const { dir, out } = project(path.join(ROOT, 'app', 'main.ts'));
    const run = synth(dir);
    expect([run.status, run.stderr]).toEqual([0, '']);
    for (const [name, { yaml }] of renderEnvironments(ENVIRONMENTS)) expect(fs.readFileSync(path.join(out, name, MANIFEST_FILE), 'utf8')).toBe(yaml);
  });

  test('on a failure says that cdk8s synth deleted the output folder, and how to get it back', () => {
    const wrapper = brokenApp();
    const { dir, out } = project(wrapper);
    const run = synth(dir);
    expect(run.status).not.toBe(0);
    expect(fs.existsSync(out)).toBe(false);
    expect(run.stderr).toContain('synth failed; cdk8s synth deleted out/ before running the app and nothing was written, so out/ is now missing. '
      + 'Restore the committed files with `git checkout -- out`, or run `npm run synth`, which replaces out/ only when every environment synthesizes.');
    expect(run.stderr).not.toContain('left unchanged');
    expect(run.stderr).toContain(`MemosChart 'huge': invalid size "huge"`);
  });
});

describe('failedSynthOutcome', () => {
  const cli = { CDK8S_OUTDIR: 'dist', CDK8S_RECORD_CONSTRUCT_METADATA: 'false' };
  test.each([
    ['npm run synth, dist/ there', true, {}, 'dist/ was left unchanged.'],
    ['npm run synth with CDK8S_OUTDIR, dist/ there', true, { CDK8S_OUTDIR: 'dist' }, 'dist/ was left unchanged.'],
    ['npm run synth, no dist/ yet', false, {}, 'nothing was written (dist/ did not exist and still does not).'],
    ['cdk8s synth --stdout (a fresh temporary folder)', true, cli, 'dist/ was left unchanged.'],
    ['cdk8s synth', false, cli, /^cdk8s synth deleted dist\/ before running the app .* `git checkout -- dist`/],
  ] as const)('%s', (_name, existed, env, expected) => {
    const outcome = failedSynthOutcome('dist', existed, env);
    if (typeof expected === 'string') expect(outcome).toBe(expected);
    else expect(outcome).toMatch(expected);
  });
});

test('the benchmark runs (one in-process copy of the large environment)', () => {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const out = execFileSync(tsx, ['app/bench.ts', '--in-process', '1', 'per-env'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  const result = JSON.parse(out);
  expect(result.objects).toBe(renderEnvironments(ENVIRONMENTS).get('large')!.objects);
  expect(result.ms).toBeGreaterThan(0);
  expect(result.maxRssMiB).toBeGreaterThan(0);
});
