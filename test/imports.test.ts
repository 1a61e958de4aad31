/**
 * imports/ is what `npm run import` generates from the CRDs pinned in crds/ (cdk8s.yaml's
 * `imports:`), and crds/README.md's checksums are those of the files there.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { temporaryFolders } from './support/tmp';

const ROOT = path.resolve(__dirname, '..');
const temporaryFolder = temporaryFolders();

test('cdk8s.yaml imports every CRD from crds/, and only from there', () => {
  const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8'));
  const sources = (config.imports as string[]).map((spec) => spec.split(':=')[1]).sort();
  expect(sources).toEqual(fs.readdirSync(path.join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => `crds/${f}`).sort());
});

test('crds/README.md lists the SHA-256 of every CRD file', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'crds', 'README.md'), 'utf8');
  for (const file of fs.readdirSync(path.join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml'))) {
    const sum = createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'crds', file))).digest('hex');
    expect(readme).toContain(`${sum}  ${file}`);
  }
});

test('`npm run import` regenerates imports/ byte for byte', () => {
  // A copy of the project's import inputs, so nothing is written into the repository.
  const dir = temporaryFolder('memos-import-');
  fs.copyFileSync(path.join(ROOT, 'cdk8s.yaml'), path.join(dir, 'cdk8s.yaml'));
  fs.cpSync(path.join(ROOT, 'crds'), path.join(dir, 'crds'), { recursive: true });
  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['import', '--no-check-upgrade', '--output', 'imports'], { cwd: dir, encoding: 'utf8' });
  expect([run.status, run.stderr.replace(/^Importing resources, this may take a few moments\.\.\.\n/gm, '')]).toEqual([0, '']);
  const generated = fs.readdirSync(path.join(dir, 'imports')).sort();
  expect(generated).toEqual(fs.readdirSync(path.join(ROOT, 'imports')).sort());
  for (const file of generated) {
    expect([file, fs.readFileSync(path.join(dir, 'imports', file), 'utf8') === fs.readFileSync(path.join(ROOT, 'imports', file), 'utf8')]).toEqual([file, true]);
  }
}, 60_000);
