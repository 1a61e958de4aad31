/**
 * `npm install` on a fresh clone leaves package-lock.json as committed: its root entry carries
 * what npm copies from package.json (version, license, engines, dependencies, peer and bundled
 * dependencies...), so a change there without `npm install` and the lock in the same commit fails
 * here instead of dirtying every clone. npm resolves the lock again in a copy of the two files,
 * offline (the lock-only mode writes what a full install writes, without node_modules).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { temporaryFolders } from './support/tmp';

const ROOT = path.resolve(__dirname, '..');
const temporaryFolder = temporaryFolders();

test('npm install does not rewrite package-lock.json', () => {
  const dir = temporaryFolder('memos-lockfile-');
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  const npm = spawnSync('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
  if (npm.status !== 0) throw new Error(`npm install --package-lock-only --offline failed:\n${npm.stderr}`);
  const committed = fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
  const rewritten = fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  if (rewritten !== committed) {
    const root = (text: string) => JSON.stringify(JSON.parse(text).packages[''], null, 2);
    // The root entry is where package.json and the lock drift apart; show it first.
    expect(root(rewritten)).toEqual(root(committed));
    expect('package-lock.json differs from what `npm install` writes: run `npm install` and commit package-lock.json').toBe('');
  }
}, 60_000);
