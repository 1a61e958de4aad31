/**
 * The library from Python: test/python/synth_small.py builds the shipped `small` environment
 * with the Python API (the wheel jsii-pacmak builds) and must print exactly the committed
 * dist/small/memos.k8s.yaml. Proves the jsii bindings carry every prop, enum and struct the
 * TypeScript app uses.
 *
 * Needs the virtualenv that `.ci/python-roundtrip.sh` prepares (after `npm run build`): Python
 * cdk8s, cdk8s-plus-28 and constructs at the npm versions, plus the freshly built wheel. It is
 * $MEMOS_PYTHON_VENV, else `${XDG_CACHE_HOME:-~/.cache}/cdk8s-memos-cce/py311-venv`. The test
 * downloads nothing. `.ci/run` sets MEMOS_INTEGRATION=required, so CI fails instead of skipping
 * when the virtualenv is missing.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingFor } from './support/integration';

const venv = process.env.MEMOS_PYTHON_VENV
  ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cdk8s-memos-cce', 'py311-venv');
const python = path.join(venv, 'bin', 'python');
const root = path.join(__dirname, '..');

/** Whether the virtualenv has the wheel of this package. */
function wheelInstalled(): boolean {
  if (!fs.existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import cdk8s_memos_cce'], { stdio: 'pipe', env: pythonEnv() });
    return true;
  } catch {
    return false;
  }
}

function pythonEnv(): NodeJS.ProcessEnv {
  // The jsii runtime prints a banner on stderr when this Node is past its end of life; not ours to show.
  return { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0] };
}

const missing = missingFor('python.integration.test.ts (the library from Python)', [
  { name: `cdk8s_memos_cce in the virtualenv ${venv}`, present: wheelInstalled(), install: 'npm run compile && bash .ci/python-roundtrip.sh' },
]);

(missing ? describe.skip : describe)('the library from Python (jsii bindings)', () => {
  test('the installed wheel was built from the current assembly (.jsii of `npm run build`)', () => {
    const assemblyFile = path.join(root, '.jsii');
    if (!fs.existsSync(assemblyFile)) throw new Error('no .jsii: run `npm run build` (then .ci/python-roundtrip.sh)');
    const site = execFileSync(python, ['-c', 'import cdk8s_memos_cce._jsii as j, os; print(os.path.dirname(j.__file__))'], { env: pythonEnv(), encoding: 'utf8' }).trim();
    const tarball = fs.readdirSync(site).find((f) => f.endsWith('.jsii.tgz'));
    const installed = JSON.parse(execFileSync('tar', ['-xzOf', path.join(site, tarball!), 'package/.jsii'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    const current = JSON.parse(fs.readFileSync(assemblyFile, 'utf8'));
    if (installed.fingerprint !== current.fingerprint) throw new Error('the wheel in the virtualenv is stale: run .ci/python-roundtrip.sh');
    expect(installed.fingerprint).toBe(current.fingerprint);
  });

  test('the README shows synth_small.py as it is', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /## Python quick start[\s\S]*?```python\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(fs.readFileSync(path.join(root, 'test', 'python', 'synth_small.py'), 'utf8'));
  });

  test('synth_small.py prints exactly dist/small/memos.k8s.yaml', () => {
    const printed = execFileSync(python, [path.join(root, 'test', 'python', 'synth_small.py')], {
      cwd: root,
      env: pythonEnv(),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const committed = fs.readFileSync(path.join(root, 'dist', 'small', 'memos.k8s.yaml'), 'utf8');
    if (printed !== committed) {
      const a = committed.split('\n');
      const b = printed.split('\n');
      const first = a.findIndex((line, i) => line !== b[i]);
      const at = first === -1 ? Math.min(a.length, b.length) : first;
      throw new Error(`Python synth differs from dist/small/memos.k8s.yaml at line ${at + 1}:\n`
        + `  committed: ${JSON.stringify(a.slice(at, at + 3))}\n  python:    ${JSON.stringify(b.slice(at, at + 3))}`);
    }
    expect(printed).toBe(committed);
  });
});
