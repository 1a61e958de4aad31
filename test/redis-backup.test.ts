/**
 * RedisBackup: the synthesized CronJob and restore Job (fields, hardening, validation), and the
 * backup and restore run for real: the backup step (busybox sh + the real redis-cli and
 * redis-check-rdb) against a real redis-server with a password and AOF on, the upload container
 * (rclone 1.68.2) into a local S3 server (moto), then the restore Job's download and restore
 * containers into a fresh data folder, which a real redis-server with `appendonly yes` then starts
 * from.
 *
 * The runs need rclone and moto (.ci/backup-tools.sh), busybox, redis-server, redis-cli and
 * redis-check-rdb (Debian's redis-server and redis-tools); `.ci/run` sets MEMOS_INTEGRATION=required,
 * so CI fails instead of skipping.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { RedisBackup, RedisBackupProps } from '../constructs/redis-backup';
import { RedisServer } from '../constructs/redis-server';
import { Credentials } from '../src/credentials';
import {
  containersInOrder, freePort, missingBackupTools, podSpec, runContainer, RunResult, S3Server, SpecContainer, startS3, toolPath, which,
} from './support/backup';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();
const BUCKET = 'memos-backups';
const PASSWORD = 'test "redis" p@ss word';
const BACKUP_ID = '20261127T013000Z';

function synth(props: Partial<RedisBackupProps> = {}, backupId = BACKUP_ID) {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  const redis = new RedisServer(chart, 'Redis', { instance: 'memos', credentials: Credentials.fromSecret('memos-secrets'), memory: Size.gibibytes(2) });
  const backup = new RedisBackup(chart, 'Backup', { redis, location: { bucket: BUCKET, region: 'cn-north-4' }, ...props });
  const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
  backup.restore(restoreChart, 'Restore', backupId);
  const objects = Testing.synth(chart);
  const restoreObjects = Testing.synth(restoreChart);
  return {
    redis, backup, objects, restoreObjects,
    cronJob: objects.find((o) => o.kind === 'CronJob')!,
    job: restoreObjects.find((o) => o.kind === 'Job')!,
  };
}

const named = (object: any, name: string): any => containersInOrder(object).find((c) => c.name === name)!;

describe('RedisBackup (synthesized)', () => {
  test('a hardened CronJob: redis-cli --rdb from the server image as its user, then the upload', () => {
    const { cronJob, objects, redis } = synth();
    expect(cronJob.metadata.name).toBe('memos-redis-backup');
    expect(cronJob.spec).toMatchObject({
      schedule: '30 1 * * *', timeZone: 'Asia/Shanghai', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
    });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 1 });
    const pod = podSpec(cronJob);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, fsGroup: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['dump']);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['upload']);
    const dump = pod.initContainers[0];
    expect(dump.image).toBe(redis.image);
    expect(dump.command[2]).toContain('redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$file"');
    expect(dump.command[2]).toContain('redis-check-rdb');
    expect(dump.env).toEqual(expect.arrayContaining([
      { name: 'REDIS_HOST', value: 'memos-redis' },
      { name: 'REDIS_PORT', value: '6379' },
      { name: 'STAGING', value: '/backup' },
      { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MEMSCHEDULER_REDIS_PASSWORD', optional: false } } },
    ]));
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(c.resources.limits).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(c.volumeMounts).toContainEqual({ name: 'staging', mountPath: '/backup' });
    }
    // The staging disk: at least the server's memory, at least EVS's 10 GiB.
    expect(pod.volumes.find((v: any) => v.name === 'staging').ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe('10Gi');
    const upload = pod.containers[0];
    expect(upload.env).toContainEqual({ name: 'DEST', value: 'memos-backups/memos/memos/redis' });
    expect(upload.env).toContainEqual({ name: 'STORAGE_CLASS', value: 'STANDARD' });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('no secret value in the YAML: every credential is a secretKeyRef, never a literal or an argument', () => {
    const { cronJob, job } = synth();
    for (const object of [cronJob, job]) {
      for (const c of containersInOrder(object)) {
        for (const e of c.env ?? []) {
          if (/AUTH|PASSWORD|SECRET|ACCESS_KEY/.test(e.name)) {
            expect(e.value).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef?.name).toBe('memos-secrets');
          }
        }
        // redis-cli never gets the password on its command line (-a, --pass, --user).
        expect(c.command!.join(' ')).not.toMatch(/redis-cli[^\n]* (-a|--pass|--user|--askpass) /);
      }
    }
    const yaml = JSON.stringify([cronJob, job]);
    expect(yaml).not.toContain('requirepass');
    expect(yaml).not.toMatch(/"kind":"Secret"/);
  });

  test('the restore Job mounts the data volume of pod 0, after the download, with the hardening', () => {
    const { job, restoreObjects, redis } = synth();
    expect(redis.dataClaimName).toBe('data-memos-redis-0');
    expect(job.metadata.name).toBe(`memos-redis-restore-${BACKUP_ID.toLowerCase()}`);
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 0, ttlSecondsAfterFinished: 604800 });
    const pod = podSpec(job);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, fsGroup: 1000 });
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['download']);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['restore-dump']);
    const restore = pod.containers[0];
    expect(restore.image).toBe('docker.io/library/redis:7.2.7-alpine');
    const dataVolume = pod.volumes.find((v: any) => v.persistentVolumeClaim);
    expect(dataVolume).toEqual({ name: 'redis-data', persistentVolumeClaim: { claimName: 'data-memos-redis-0', readOnly: false } });
    expect(restore.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'redis-data', mountPath: '/data' }, { name: 'tmp', mountPath: '/tmp' }, { name: 'staging', mountPath: '/backup' },
    ]));
    // The download never sees the Redis volume.
    expect(pod.initContainers[0].volumeMounts.map((m: any) => m.name)).not.toContain('redis-data');
    expect(restore.env).toEqual(expect.arrayContaining([
      { name: 'DATA', value: '/data' }, { name: 'SOCK', value: '/tmp/redis.sock' }, { name: 'STATEFULSET', value: 'memos-redis' },
      { name: 'BACKUP_ID', value: BACKUP_ID },
    ]));
    // The local server holds the data set: the server's memory.
    expect(restore.resources).toMatchObject({ requests: { memory: '2048Mi' }, limits: { memory: '2048Mi' } });
    const script = restore.command[2];
    expect(script).toContain('redis-server --port 0 --unixsocket "$SOCK"');
    expect(script).toContain('--appendonly no');
    expect(script.indexOf('check_rdb "$STAGING/data/dump.rdb"')).toBeLessThan(script.indexOf('rm -rf "$DATA/appendonlydir"'));
    for (const c of containersInOrder(job) as any[]) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
      expect(c.resources.limits.memory).toBeDefined();
    }
    expect(validateManifests(restoreObjects)).toEqual([]);
    expect(policyViolations(restoreObjects)).toEqual([]);
  });

  test('the restore matches the server: --dir, appendonly yes and the default dbfilename and appenddirname', () => {
    const { objects } = synth();
    const sts = objects.find((o) => o.kind === 'StatefulSet')!;
    const start = sts.spec.template.spec.containers[0].command[2] as string;
    expect(start).toContain('--dir /data --appendonly yes');
    expect(start).not.toMatch(/dbfilename|appenddirname/);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(sts.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
  });

  test('the backup pods may reach the Redis port', () => {
    const { redis, backup } = synth();
    expect(backup.connections.name).toBe('redis-backup');
    expect(redis.connections._ingress.find((r) => r.peer === backup.connections)?.ports).toEqual(redis.clientPorts);
    expect(backup.connections._egress.find((r) => r.peer === redis.connections)?.ports).toEqual(redis.clientPorts);
  });

  test('schedule, storage class, timeout and image are props', () => {
    const { cronJob, job } = synth({ schedule: '15 3 * * *', timeout: Duration.hours(2), image: 'swr.cn-north-4.myhuaweicloud.com/mirror/redis:7.2.7-alpine' });
    expect(cronJob.spec.schedule).toBe('15 3 * * *');
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
    expect(named(cronJob, 'dump').image).toBe('swr.cn-north-4.myhuaweicloud.com/mirror/redis:7.2.7-alpine');
    expect(named(job, 'restore-dump').image).toBe('swr.cn-north-4.myhuaweicloud.com/mirror/redis:7.2.7-alpine');
    expect(job.spec.activeDeadlineSeconds).toBe(7200);
  });

  describe('invalid props', () => {
    test('redis must be the RedisServer construct', () => {
      const chart = new Chart(Testing.app(), 'memos');
      expect(() => new RedisBackup(chart, 'Backup', { redis: { host: 'r', port: 6379 } as any, location: { bucket: BUCKET, region: 'cn-north-4' } }))
        .toThrow(/RedisBackup 'memos\/Backup': invalid redis .*the in-cluster RedisServer construct/);
    });
    test('image must be pinned', () => {
      expect(() => synth({ image: 'redis:latest' })).toThrow(/RedisBackup 'memos\/Backup': invalid image "redis:latest"; allowed: an image pinned/);
    });
    test('location is required', () => {
      expect(() => synth({ location: undefined as any })).toThrow(/invalid location/);
    });
    test('runs closer than the timeout', () => {
      expect(() => synth({ schedule: '*/30 * * * *' })).toThrow(/invalid schedule "\*\/30 \* \* \* \*"; allowed: a schedule whose runs are at least timeout \(1 hour\) apart/);
    });
    test('backupId of restore', () => {
      expect(() => synth({}, 'latest')).toThrow(/RedisBackup 'memos\/Backup': invalid backupId "latest"; allowed: a backup id/);
    });
  });
});

const missing = missingBackupTools('redis-backup.test.ts (the RedisBackup scripts, run for real)', 'redis-server', 'redis-cli', 'redis-check-rdb');
const describeRuns = missing ? describe.skip : describe;

/** A real redis-server in `dir`, killed in afterAll (even when a test failed half-way). */
const servers: ChildProcess[] = [];
async function startRedis(dir: string, options: { password?: string; appendonly?: boolean } = {}): Promise<{ port: number; log: () => string; cli: (...args: string[]) => string; stop: () => Promise<void> }> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', options.appendonly === false ? 'no' : 'yes', '--save', ''];
  if (options.password) args.push('--requirepass', options.password);
  const child = spawn(which('redis-server')!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let log = '';
  child.stdout!.on('data', (d) => { log += d; });
  child.stderr!.on('data', (d) => { log += d; });
  const cli = (...cmd: string[]) => execFileSync(which('redis-cli')!, ['-p', String(port), ...cmd], {
    env: { ...process.env, REDISCLI_AUTH: options.password ?? '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log}`);
    try {
      if (cli('ping') === 'PONG') break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${port} within 30 s: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port, cli, log: () => log,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

describeRuns('RedisBackup (run for real)', () => {
  let s3: S3Server | undefined;
  let pathDir: string;
  let source: Awaited<ReturnType<typeof startRedis>>;
  let staging: string;
  let backupId: string;
  let closedPort: number;
  /** A copy of the first backup's dump (the upload empties the staging folder). */
  let goodDump: Buffer;
  const { cronJob } = missing ? { cronJob: undefined } : synth();

  beforeAll(async () => {
    pathDir = toolPath(path.join(temporaryFolder('redis-backup-bin-'), 'bin'), ['redis-server', 'redis-cli', 'redis-check-rdb']);
    s3 = await startS3([BUCKET]);
    source = await startRedis(temporaryFolder('redis-backup-source-'), { password: PASSWORD });
    closedPort = await freePort();
  }, 60_000);

  afterAll(async () => {
    for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await s3?.stop();
  });

  function run(container: SpecContainer, stagingDir: string, overrides: Record<string, string> = {}, password = PASSWORD): Promise<RunResult> {
    return runContainer(container, {
      pathDir,
      secrets: { 'memos-secrets/MEMSCHEDULER_REDIS_PASSWORD': password, 'memos-secrets/OBS_ACCESS_KEY_ID': s3!.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': s3!.secretAccessKey },
      overrides: {
        STAGING: stagingDir, RCLONE_CONFIG_OBS_ENDPOINT: s3!.endpoint, RCLONE_CACHE_DIR: path.join(stagingDir, '.rclone-cache'),
        REDIS_HOST: '127.0.0.1', REDIS_PORT: String(source.port), ...overrides,
      },
    });
  }
  const expectOk = (result: RunResult) => {
    if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  };

  /** The restore Job's download and restore containers into `data`, each result. */
  async function restoreInto(id: string, data: string, overrides: Record<string, string> = {}): Promise<{ download: RunResult; restore: RunResult }> {
    const { job } = synth({}, id);
    const dir = temporaryFolder('redis-restore-staging-');
    const sock = path.join(temporaryFolder('redis-restore-tmp-'), 'redis.sock');
    const download = await run(named(job, 'download'), dir);
    const restore = await run(named(job, 'restore-dump'), dir, { DATA: data, SOCK: sock, REDIS_PORT: String(closedPort), WAIT_SECONDS: '60', ...overrides });
    return { download, restore };
  }

  test('backup: the dump streamed with REDISCLI_AUTH, checked, uploaded with MANIFEST and COMPLETE', async () => {
    source.cli('set', 'greeting', 'hello world');
    source.cli('rpush', 'memos:queue', 'task-1', 'task-2', 'task-3');
    source.cli('hset', 'memos:user:1', 'name', 'Ada', 'lang', '中文');
    source.cli('set', 'ttl-key', 'v', 'EX', '86400');
    const many: string[] = [];
    for (let i = 0; i < 500; i++) many.push(`bulk:${i}`, `value-${i}`);
    source.cli('mset', ...many);
    staging = temporaryFolder('redis-backup-staging-');
    const dump = await run(named(cronJob, 'dump'), staging);
    expectOk(dump);
    expect(dump.stdout).toMatch(/RDB staged: \d+ bytes, 504 keys/);
    goodDump = fs.readFileSync(path.join(staging, 'data', 'dump.rdb'));
    expect(goodDump.subarray(0, 5).toString()).toBe('REDIS');
    const upload = await run(named(cronJob, 'upload'), staging);
    expectOk(upload);
    backupId = fs.readFileSync(path.join(staging, 'id'), 'utf8').trim();
    const listed = s3!.rclone(['lsf', '-R', `obs:${BUCKET}/memos/memos/redis/${backupId}`]).split('\n').filter(Boolean).sort();
    expect(listed).toEqual(['COMPLETE', 'MANIFEST', 'data/', 'data/dump.rdb']);
    // Written after the backup: a restore brings back the backup's state, not this.
    source.cli('set', 'after-backup', 'x');
  });

  test('backup: a wrong password fails loudly, nothing staged', async () => {
    const dir = temporaryFolder('redis-backup-badpass-');
    const result = await run(named(cronJob, 'dump'), dir, {}, 'wrong password');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('redis-cli --rdb from 127.0.0.1');
    expect(fs.existsSync(path.join(dir, 'data', 'dump.rdb')) && fs.statSync(path.join(dir, 'data', 'dump.rdb')).size > 0).toBe(false);
  });

  test('backup: a corrupted dump fails redis-check-rdb and nothing is left to upload', async () => {
    // A redis-cli that "streams" a truncated RDB.
    const fakeBin = toolPath(path.join(temporaryFolder('redis-backup-fake-'), 'bin'), ['redis-check-rdb']);
    const good = goodDump;
    const truncated = path.join(path.dirname(fakeBin), 'truncated.rdb');
    fs.writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
    fs.writeFileSync(path.join(fakeBin, 'redis-cli'), `#!${which('busybox')} sh\nwhile [ "$1" != --rdb ]; do shift; done\ncp ${truncated} "$2"\n`, { mode: 0o755 });
    const dir = temporaryFolder('redis-backup-corrupt-');
    const dump = await runContainer(named(cronJob, 'dump'), {
      pathDir: fakeBin, secrets: { 'memos-secrets/MEMSCHEDULER_REDIS_PASSWORD': PASSWORD }, overrides: { STAGING: dir, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(source.port) },
    });
    expect(dump.code).not.toBe(0);
    expect(dump.stderr).toContain('RDB ERROR DETECTED');
    expect(dump.stderr).toMatch(/redis-check-rdb reports .*dump\.rdb corrupted: nothing uploaded/);
  });

  test('restore: download, check, AOF rebuilt; redis-server with appendonly yes starts with the keys', async () => {
    const data = temporaryFolder('redis-restore-data-');
    // Leftovers of the old server: an AOF and an RDB that must be replaced.
    fs.mkdirSync(path.join(data, 'appendonlydir'));
    fs.writeFileSync(path.join(data, 'appendonlydir', 'appendonly.aof.manifest'), 'file appendonly.aof.9.base.rdb seq 9 type b\n');
    fs.writeFileSync(path.join(data, 'dump.rdb'), 'old');
    const { download, restore } = await restoreInto(backupId, data);
    expectOk(download);
    expectOk(restore);
    expect(restore.stdout).toContain(`Redis restored from backup ${backupId}: 504 keys`);
    expect(fs.readFileSync(path.join(data, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8')).toMatch(/type b/);
    expect(fs.readFileSync(path.join(data, 'dump.rdb')).subarray(0, 5).toString()).toBe('REDIS');

    const restored = await startRedis(data, { password: 'another', appendonly: true });
    try {
      expect(restored.cli('get', 'greeting')).toBe('hello world');
      expect(restored.cli('lrange', 'memos:queue', '0', '-1').split('\n')).toEqual(['task-1', 'task-2', 'task-3']);
      expect(restored.cli('hget', 'memos:user:1', 'lang')).toBe('中文');
      expect(Number(restored.cli('ttl', 'ttl-key'))).toBeGreaterThan(80000);
      expect(restored.cli('get', 'bulk:499')).toBe('value-499');
      expect(restored.cli('exists', 'after-backup')).toBe('0');
      expect(restored.cli('dbsize')).toBe('504');
      // Loaded from the rebuilt AOF, not from an empty new one.
      expect(restored.log()).not.toContain('Creating AOF base file');
      expect(restored.cli('config', 'get', 'appendonly').split('\n')).toEqual(['appendonly', 'yes']);
    } finally {
      await restored.stop();
    }
  });

  test('restore: refuses while Redis answers (StatefulSet not scaled to 0), the volume untouched', async () => {
    const data = temporaryFolder('redis-restore-live-');
    fs.writeFileSync(path.join(data, 'dump.rdb'), 'live data');
    const { download, restore } = await restoreInto(backupId, data, { REDIS_PORT: String(source.port) });
    expectOk(download);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toMatch(/Redis at 127\.0\.0\.1:\d+ is running \(PONG\): scale StatefulSet memos-redis to 0 first/);
    expect(fs.readdirSync(data)).toEqual(['dump.rdb']);
    expect(fs.readFileSync(path.join(data, 'dump.rdb'), 'utf8')).toBe('live data');
  });

  test('restore: a dump corrupted in the bucket fails the download; the restore step never touches the volume', async () => {
    // A second backup, then its dump overwritten in the bucket.
    const dir = temporaryFolder('redis-backup-second-');
    await new Promise((r) => setTimeout(r, 1100)); // a new backup id (seconds)
    expectOk(await run(named(cronJob, 'dump'), dir));
    expectOk(await run(named(cronJob, 'upload'), dir));
    const id = fs.readFileSync(path.join(dir, 'id'), 'utf8').trim();
    expect(id).not.toBe(backupId);
    const bad = path.join(temporaryFolder('redis-corrupt-'), 'dump.rdb');
    const good = goodDump;
    fs.writeFileSync(bad, Buffer.concat([good.subarray(0, 40), Buffer.from('garbage'), good.subarray(47)]));
    s3!.rclone(['copyto', bad, `obs:${BUCKET}/memos/memos/redis/${id}/data/dump.rdb`]);

    const data = temporaryFolder('redis-restore-corrupt-');
    fs.writeFileSync(path.join(data, 'keep.txt'), 'existing');
    const { download, restore } = await restoreInto(id, data);
    expect(download.code).not.toBe(0);
    expect(download.stderr).toContain('does not match its MANIFEST: corrupted, nothing restored');
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toContain('the backup was not verified: nothing restored');
    expect(fs.readdirSync(data)).toEqual(['keep.txt']);
    expect(fs.readFileSync(path.join(data, 'keep.txt'), 'utf8')).toBe('existing');
  });

  test('restore: a dump that passes its MANIFEST but fails redis-check-rdb stops before the volume', async () => {
    // As if the dump had been corrupted before the backup computed its MANIFEST.
    const { job } = synth({}, backupId);
    const dir = temporaryFolder('redis-restore-checked-');
    fs.mkdirSync(path.join(dir, 'data'));
    const good = goodDump;
    fs.writeFileSync(path.join(dir, 'data', 'dump.rdb'), good.subarray(0, Math.floor(good.length / 2)));
    fs.writeFileSync(path.join(dir, 'verified'), `${backupId}\n`);
    const data = temporaryFolder('redis-restore-checked-data-');
    fs.mkdirSync(path.join(data, 'appendonlydir'));
    fs.writeFileSync(path.join(data, 'appendonlydir', 'appendonly.aof.manifest'), 'old');
    const restore = await run(named(job, 'restore-dump'), dir, { DATA: data, SOCK: path.join(dir, 'redis.sock'), REDIS_PORT: String(closedPort) });
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toContain('RDB ERROR DETECTED');
    expect(restore.stderr).toMatch(/corrupted: nothing restored, .* untouched/);
    expect(fs.readFileSync(path.join(data, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8')).toBe('old');
  });

  test('restore: a missing backup id fails loudly in the download', async () => {
    const data = temporaryFolder('redis-restore-missing-');
    fs.writeFileSync(path.join(data, 'keep.txt'), 'existing');
    const { download, restore } = await restoreInto('20000101T000000Z', data);
    expect(download.code).not.toBe(0);
    expect(download.stderr).toContain('backup 20000101T000000Z of redis is missing or incomplete');
    expect(download.stderr).toContain(backupId);
    expect(restore.code).not.toBe(0);
    expect(fs.readdirSync(data)).toEqual(['keep.txt']);
  });
});
