/**
 * The in-cluster Redis start-up script and readiness probe, run for real: the synthesized
 * `sh -c` command starts redis-server with a password that holds quotes, spaces, backslashes and
 * `$`, never on the command line, and the probe authenticates with it.
 *
 * Needs redis-server and redis-cli (Debian: redis-server); `.ci/run` installs them and sets
 * MEMOS_INTEGRATION=required.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { debianTool, missingFor } from './support/integration';
import { only, synthChart } from './support/synth';
import { temporaryFolders } from './support/tmp';
import { MemosSize } from '../charts/presets';
import { RedisQueue } from '../charts/backends';

const hasRedis = !missingFor('redis-server.integration.test.ts (the Redis start-up script, run for real)', [debianTool('redis-server'), debianTool('redis-cli')]);
const temporaryFolder = temporaryFolders();

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

(hasRedis ? describe : describe.skip)('in-cluster Redis, started by the synthesized script', () => {
  const password = 'p"a ss\\w0rd $HOME \'x\'';
  // Made in beforeAll, not while jest collects the tests (a skipped suite never runs its afterAll).
  let dir = '';
  const objects = synthChart({ size: MemosSize.SMALL, queue: RedisQueue.inCluster() });
  const redis = only(objects, 'StatefulSet', 'memos-redis').spec.template.spec.containers[0];
  let port = 0;
  let server: ChildProcess | undefined;

  const localize = (script: string) => script
    .replace(/\/run\/redis/g, path.join(dir, 'run'))
    .replace(/--dir \/data/, `--dir ${path.join(dir, 'data')}`)
    .replace(/--port 6379/, `--port ${port} --bind 127.0.0.1`)
    .replace(/redis-cli -h 127\.0\.0\.1/, `redis-cli -h 127.0.0.1 -p ${port}`);
  const probe = (pass: string) => {
    try {
      execFileSync('sh', ['-c', localize(redis.readinessProbe.exec.command[2])], { env: { PATH: process.env.PATH, REDIS_PASSWORD: pass }, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    dir = temporaryFolder('memos-redis-');
    port = await freePort();
    fs.mkdirSync(path.join(dir, 'run'));
    fs.mkdirSync(path.join(dir, 'data'));
    expect(redis.command.slice(0, 2)).toEqual(['sh', '-c']);
    // Its own process group, so the shell and redis-server go together at the end.
    server = spawn('sh', ['-c', localize(redis.command[2])], { env: { PATH: process.env.PATH, REDIS_PASSWORD: password }, stdio: 'ignore', detached: true });
    const deadline = Date.now() + 10000;
    while (!probe(password)) {
      if (Date.now() > deadline) throw new Error('redis did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    try {
      if (server?.pid) process.kill(-server.pid, 'SIGKILL');
    } catch {
      // its group is already gone
    }
  });

  test('the readiness probe passes with the Secret password and fails with another', () => {
    expect(probe(password)).toBe(true);
    expect(probe('wrong')).toBe(false);
  });

  test('the password is in a private config file, not on the command line', () => {
    const conf = path.join(dir, 'run', 'redis.conf');
    expect(fs.statSync(conf).mode & 0o077).toBe(0);
    expect(fs.readFileSync(conf, 'utf8')).not.toContain('w0rd');
    expect(redis.command.join(' ')).not.toContain('requirepass "$REDIS_PASSWORD"');
  });

  test('persistence on, noeviction, maxmemory at 75% of the memory limit', () => {
    const config = (key: string) => execFileSync('redis-cli', ['-p', String(port), '--no-auth-warning', '-a', password, 'CONFIG', 'GET', key], { encoding: 'utf8' }).trim().split('\n')[1];
    expect(config('appendonly')).toBe('yes');
    expect(config('appendfsync')).toBe('everysec');
    expect(config('maxmemory-policy')).toBe('noeviction');
    expect(config('maxmemory')).toBe(String(768 * 1024 * 1024));
  });
});
