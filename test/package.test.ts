/**
 * The published package: the public API compiles with jsii (so Python users can use it through
 * cdk8s's Python bindings), API.md generated from it by jsii-docgen is current, and the tarball
 * holds the library layers only: no app code, no placeholder environments, no tests. Everything
 * is built in a temporary copy of the package, so the working tree (and the lib/ and .jsii that
 * `npm run build` made there) is left alone.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** What the package is made of: sources, its manifest and what `files` ships besides lib/. */
const PACKAGE_SOURCES = ['index.ts', 'src', 'constructs', 'charts', 'imports', 'package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'API.md', 'docs'];

describe('the published package', () => {
  let tmp: string;
  let pkg: string;
  let compileOutput: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-package-'));
    pkg = path.join(tmp, 'package');
    fs.mkdirSync(pkg);
    for (const entry of PACKAGE_SOURCES) fs.cpSync(path.join(ROOT, entry), path.join(pkg, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    // What `npm run compile` does, without silencing the reserved-word warnings, to list them below.
    compileOutput = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii'), [], {
      cwd: pkg,
      encoding: 'utf8',
      // These machines run Node 20, past jsii's support window (users run 22 and 24).
      env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    });
  }, 120_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('jsii compiles it with no errors, and warns only of the known reserved words', () => {
    expect(compileOutput).toMatch(/Errors: 0 \|/);
    const warnings = [...compileOutput.matchAll(/^(\S+?):\d+:\d+ - warning (JSII\d+): "(\w+)" is a reserved word/gm)].map(([, file, code, word]) => `${code} ${word} ${file}`);
    expect(compileOutput.match(/ - warning /g)?.length ?? 0).toBe(warnings.length);
    // jsii renames these in the languages that reserve them (Python: `for_`); `namespace` is cdk8s's
    // own prop name, the others come from the generated CRD bindings and from `Credentials.ref`.
    expect(warnings.sort()).toEqual([
      'JSII5018 for imports/prometheusrule-monitoring.coreos.com.ts',
      'JSII5018 namespace charts/memos-chart.ts',
      'JSII5018 namespace constructs/memos-alerts.ts',
      'JSII5018 operator imports/servicemonitor-monitoring.coreos.com.ts',
      'JSII5018 params imports/servicemonitor-monitoring.coreos.com.ts',
      'JSII5018 ref src/credentials.ts',
      'JSII5018 type imports/servicemonitor-monitoring.coreos.com.ts',
    ]);
  });

  test('the assembly has the public API, a Python target and nothing of the app', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(pkg, '.jsii'), 'utf8'));
    const types = Object.keys(assembly.types);
    for (const name of ['MemosStack', 'MemosChart', 'Credentials', 'RedisQueue', 'MemoryStorage', 'Qdrant', 'Neo4j', 'Milvus', 'EmbeddingServer', 'RedisServer', 'MemosPresets']) {
      expect(types).toContain(`cdk8s-memos-cce.${name}`);
    }
    expect(types.filter((t) => /Environment|synth/i.test(t))).toEqual([]);
    expect(assembly.targets.python).toEqual({ distName: 'cdk8s-memos-cce', module: 'cdk8s_memos_cce' });
  });

  test('API.md is current (run `npm run build` after changing the public API)', () => {
    const fresh = path.join(tmp, 'API.md');
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-docgen'), ['-o', fresh], { cwd: pkg, encoding: 'utf8' });
    const committed = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8');
    expect(committed === fs.readFileSync(fresh, 'utf8')).toBe(true);
  }, 60_000);

  test('the tarball holds the library layers and its docs, and no app, test or placeholder environment', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8' }));
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    for (const expected of ['package.json', 'README.md', 'LICENSE', 'API.md', 'docs/architecture.md', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'lib/src/credentials.js', 'lib/constructs/qdrant.js', 'lib/charts/memos-stack.js', 'lib/imports/servicemonitor-monitoring.coreos.com.js']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /^(app|test|dist|lib\/app|lib\/test)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const code = files.filter((f) => f.startsWith('lib/')).map((f) => fs.readFileSync(path.join(pkg, f), 'utf8')).join('\n');
    expect(code).not.toMatch(/memos-(small|medium|large)\.dcs\.example|\bENVIRONMENTS\b|synthEnvironments|renderEnvironments/);
  });
});
