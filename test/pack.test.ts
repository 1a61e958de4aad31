/**
 * The tarball works in someone else's app: `npm pack` of the built library (lib/ and .jsii from
 * `npm run compile`, which `.ci/run` runs before the tests), installed with its peers and
 * TypeScript into a fresh folder, offline from the npm cache; the README's consumer examples
 * (every ```ts block of "Use it as a library in your own cdk8s app", read from README.md here so
 * they cannot drift) compiled there with `tsc --strict` and run. They must synthesize exactly the
 * YAML the same programs give against the repository's sources.
 *
 * Offline: after `npm ci` the cache holds the tarballs but not the registry's package documents,
 * which `npm install <name>@<version>` needs. So the app gets a package-lock.json made from this
 * repository's (the peers at the versions of package.json's devDependencies, TypeScript at ours)
 * plus the tarball's entry, and `npm ci --offline` installs from it.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { temporaryFolders } from './support/tmp';

const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const LOCK = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
const temporaryFolder = temporaryFolders();

/** The ```ts blocks of one README section, in order. */
function readmeExamples(heading: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Sources newer than the compiled library: lib/ would not be what the repository holds. */
function newerThanLib(): string[] {
  const built = fs.statSync(path.join(ROOT, '.jsii')).mtimeMs;
  const sources = ['index.ts', ...['src', 'constructs', 'charts', 'imports'].flatMap((dir) =>
    fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)))];
  return sources.filter((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > built);
}

/** This repository's lock entries of `name` and of what is below it (its bundled dependencies). */
function lockEntries(name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(LOCK.packages as Record<string, Record<string, unknown>>)) {
    if (key !== `node_modules/${name}` && !key.startsWith(`node_modules/${name}/`)) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    out[key] = rest;
  }
  if (!out[`node_modules/${name}`]) throw new Error(`${name} is not in package-lock.json`);
  return out;
}

describe('the packed library in a fresh cdk8s app', () => {
  const examples = readmeExamples('Use it as a library in your own cdk8s app');
  const peers: Record<string, string> = {
    ...Object.fromEntries(Object.keys(PKG.peerDependencies).map((name) => [name, PKG.devDependencies[name]])),
    typescript: PKG.devDependencies.typescript,
  };
  let app = '';
  let tarball = '';
  let packedFiles: string[] = [];
  let bundled: string[] = [];

  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'lib', 'index.js')) || !fs.existsSync(path.join(ROOT, '.jsii'))) {
      throw new Error('lib/index.js or .jsii is missing: run `npm run compile` (or `npm run build`) first; this test packs the built library');
    }
    const stale = newerThanLib();
    if (stale.length) throw new Error(`lib/ is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}: run \`npm run compile\``);

    const dir = temporaryFolder('memos-pack-');
    // --ignore-scripts: prepack would run `npm run build` (jsii and API.md) in the working tree.
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }));
    tarball = path.join(dir, pack.filename);
    packedFiles = pack.files.map((f: { path: string }) => f.path);
    bundled = pack.bundled;

    app = path.join(dir, 'app');
    fs.mkdirSync(app);
    const spec = `file:../${pack.filename}`;
    const dependencies = { ...peers, [PKG.name]: spec };
    const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    const packages: Record<string, unknown> = {
      '': { name: 'consumer', version: '1.0.0', dependencies },
      [`node_modules/${PKG.name}`]: {
        version: PKG.version, resolved: spec, integrity, license: PKG.license,
        dependencies: PKG.dependencies, bundleDependencies: PKG.bundledDependencies, peerDependencies: PKG.peerDependencies, engines: PKG.engines,
      },
    };
    for (const name of PKG.bundledDependencies) {
      for (const [key, entry] of Object.entries(lockEntries(name))) packages[`node_modules/${PKG.name}/${key}`] = { ...(entry as object), inBundle: true };
    }
    for (const name of Object.keys(peers)) Object.assign(packages, lockEntries(name));
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }, null, 2));
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
    const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8' });
    if (install.status !== 0) {
      throw new Error(`npm ci --offline failed (are the peers in the npm cache? \`npm ci\` in the repository puts them there):\n${install.stderr}`);
    }
    examples.forEach((source, i) => fs.writeFileSync(path.join(app, `main${i + 1}.ts`), source));
  }, 120_000);

  test('the README section has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  test('the tarball bundles croner, and the installed package resolves it from its own node_modules', () => {
    expect(PKG.bundledDependencies).toEqual(['croner']);
    expect(bundled).toEqual(['croner']);
    expect(packedFiles).toContain('node_modules/croner/package.json');
    const resolved = execFileSync(process.execPath, ['-e', `process.stdout.write(require.resolve('croner', { paths: [require('path').dirname(require.resolve('${PKG.name}'))] }))`], { cwd: app, encoding: 'utf8' });
    expect(path.relative(app, resolved)).toMatch(new RegExp(`^node_modules/${PKG.name}/node_modules/croner/`));
  });

  test('the peers are satisfied (npm ls) and the package entry points resolve through `exports`', () => {
    const ls = spawnSync('npm', ['ls', '--all', '--offline'], { cwd: app, encoding: 'utf8' });
    expect([ls.status, ls.stderr]).toEqual([0, '']);
    const entries = execFileSync(process.execPath, ['-e', [
      `const r = (s) => require('path').relative(process.cwd(), require.resolve(s));`,
      `let deep; try { require.resolve('${PKG.name}/lib/src/cce'); deep = 'resolved'; } catch (e) { deep = e.code; }`,
      `console.log(JSON.stringify({ main: r('${PKG.name}'), jsii: r('${PKG.name}/.jsii'), manifest: r('${PKG.name}/package.json'), deep }));`,
    ].join('\n')], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(entries)).toEqual({
      main: `node_modules/${PKG.name}/lib/index.js`,
      jsii: `node_modules/${PKG.name}/.jsii`,
      manifest: `node_modules/${PKG.name}/package.json`,
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  // Node16 resolution reads `exports` (types, require); Node10 (cdk8s init's tsconfig) reads `types`.
  test.each(['node16', 'node10'])('the examples compile with tsc --strict, module resolution %s', (resolution) => {
    const args = resolution === 'node16' ? ['--module', 'node16', '--moduleResolution', 'node16'] : ['--module', 'commonjs', '--moduleResolution', 'node10'];
    const outDir = path.join(app, `out-${resolution}`);
    const tsc = spawnSync(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '--strict', '--target', 'ES2022', ...args, '--outDir', outDir,
      ...examples.map((_, i) => `main${i + 1}.ts`)], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  test('the compiled examples synthesize what the same programs give against the sources', () => {
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    examples.forEach((source, i) => {
      // Against the tarball: the compiled example, run in its own folder (app.synth() writes dist/ there).
      const packed = path.join(app, `run-${i + 1}`);
      fs.mkdirSync(packed);
      execFileSync(process.execPath, [path.join(app, 'out-node16', `main${i + 1}.js`)], { cwd: packed, encoding: 'utf8' });
      // Against the sources: the same program with the package name pointing at index.ts.
      const reference = temporaryFolder('memos-pack-reference-');
      const link = path.join(reference, 'node_modules');
      fs.symlinkSync(path.join(ROOT, 'node_modules'), link, 'dir');
      const program = path.join(reference, 'main.ts');
      fs.writeFileSync(program, source.split(`from '${PKG.name}'`).join(`from ${JSON.stringify(path.join(ROOT, 'index'))}`));
      try {
        execFileSync(tsx, [program], { cwd: reference, encoding: 'utf8' });
      } finally {
        fs.unlinkSync(link); // before the folder is removed, so nothing below the link is ever touched
      }

      const files = fs.readdirSync(path.join(packed, 'dist')).sort();
      expect(files).toEqual(fs.readdirSync(path.join(reference, 'dist')).sort());
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const yaml = fs.readFileSync(path.join(packed, 'dist', file), 'utf8');
        expect([file, yaml === fs.readFileSync(path.join(reference, 'dist', file), 'utf8')]).toEqual([file, true]);
        const objects = YAML.parseAllDocuments(yaml).map((d) => d.toJS());
        // The objects a MemOS stack is made of: the API, the scheduler and its stores.
        const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
        for (const expected of ['Deployment/memos-api', 'HorizontalPodAutoscaler/memos-api', 'Deployment/memos-scheduler', 'ConfigMap/memos-config', 'Deployment/memos-gateway']) {
          expect(names).toContain(expected);
        }
      }
    });
    // The first example's patch reached the Deployment.
    const first = YAML.parseAllDocuments(fs.readFileSync(path.join(app, 'run-1', 'dist', 'platform.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const api = first.find((o) => o.kind === 'Deployment' && o.metadata.name === 'memos-api');
    expect(api.metadata.labels.team).toBe('platform');
    expect(api.metadata.namespace).toBe('memos');
  }, 60_000);
});
