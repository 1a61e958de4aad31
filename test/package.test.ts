/**
 * The published package: the public API compiles with jsii (so Python users can use it through
 * cdk8s's Python bindings), API.md generated from it by jsii-docgen is current, and the tarball
 * holds the library layers only: no app code, no placeholder environments, no tests.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

describe('the published package', () => {
  let tmp: string;
  let compileOutput: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-package-'));
    compileOutput = execFileSync('npm', ['run', '--silent', 'compile'], { cwd: ROOT, encoding: 'utf8' });
  }, 120_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('jsii compiles it with no errors and no warnings', () => {
    expect(compileOutput).toMatch(/Errors: 0 \| Warnings: 0 /);
  });

  test('the assembly has the public API, a Python target and nothing of the app', () => {
    const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
    const types = Object.keys(assembly.types);
    for (const name of ['MemosStack', 'MemosChart', 'Credentials', 'RedisQueue', 'MemoryStorage', 'Qdrant', 'Neo4j', 'Milvus', 'EmbeddingServer', 'RedisServer', 'MemosPresets']) {
      expect(types).toContain(`cdk8s-memos-cce.${name}`);
    }
    expect(types.filter((t) => /Environment|synth/i.test(t))).toEqual([]);
    expect(assembly.targets.python).toEqual({ distName: 'cdk8s-memos-cce', module: 'cdk8s_memos_cce' });
  });

  test('API.md is current (run `npm run build` after changing the public API)', () => {
    const fresh = path.join(tmp, 'API.md');
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-docgen'), ['-o', fresh], { cwd: ROOT, encoding: 'utf8' });
    const committed = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8');
    expect(committed === fs.readFileSync(fresh, 'utf8')).toBe(true);
  }, 60_000);

  test('the tarball holds the library layers and its docs, and no app, test or placeholder environment', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }));
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    for (const expected of ['package.json', 'README.md', 'LICENSE', 'API.md', 'docs/architecture.md', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'lib/src/credentials.js', 'lib/constructs/qdrant.js', 'lib/charts/memos-stack.js', 'lib/imports/servicemonitor-monitoring.coreos.com.js']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /^(app|test|dist|lib\/app|lib\/test)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const code = files.filter((f) => f.startsWith('lib/')).map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    expect(code).not.toMatch(/memos-(small|medium|large)\.dcs\.example|\bENVIRONMENTS\b|synthEnvironments|renderEnvironments/);
  });
});
