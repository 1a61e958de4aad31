/**
 * The Qdrant backup and restore, run for real: the CronJob's snapshot step (busybox sh + curl)
 * against a stub Qdrant of three nodes, its upload container (rclone 1.68.2) into a local S3
 * server (moto), then the restore Job's download and restore containers back into an empty stub
 * Qdrant. The shared upload, pruning and download rules are exercised here too: checksums,
 * COMPLETE last, retention that never drops the newest complete backup, corrupted, incomplete
 * and missing backups failing before the store is touched.
 *
 * Needs rclone and moto (.ci/backup-tools.sh), busybox and curl (Debian); `.ci/run` sets
 * MEMOS_INTEGRATION=required, so CI fails instead of skipping.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Qdrant } from '../constructs/qdrant';
import { QdrantBackup } from '../constructs/qdrant-backup';
import { Credentials } from '../src/credentials';
import {
  containersInOrder, freePort, missingBackupTools, rcloneEnv, runContainer, RunResult, S3Server, SpecContainer, startS3, toolPath,
} from './support/backup';
import { temporaryFolders } from './support/tmp';

const missing = missingBackupTools('qdrant-backup.integration.test.ts', 'curl');
const temporaryFolder = temporaryFolders();
const BUCKET = 'memos-backups';
const NODES = 3;
const API_KEY = 'test-qdrant-key';

function synth(backupId = '20261127T020000Z', retentionDays = 7) {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  const qdrant = new Qdrant(chart, 'Qdrant', { instance: 'memos', replicas: NODES, credentials: Credentials.fromSecret('memos-secrets') } as any);
  const backup = new QdrantBackup(chart, 'Backup', { qdrant, location: { bucket: BUCKET, region: 'cn-north-4' }, retentionDays });
  const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
  backup.restore(restoreChart, 'Restore', backupId);
  const cronJob = chart.toJson().find((o) => o.kind === 'CronJob');
  const job = restoreChart.toJson().find((o) => o.kind === 'Job');
  return { cronJob, job };
}

/** One stub Qdrant for every node: the node is told apart by the Host header (curl's `resolve` sends all to 127.0.0.1). */
class StubQdrant {
  public readonly collections = new Map<string, Map<string, Buffer>>();
  public readonly snapshots = new Map<string, Buffer>();
  public readonly seen: { node: string; method: string; url: string }[] = [];
  public readonly uploads: { node: string; collection: string; priority: string | null; checksum: string | null; content: Buffer }[] = [];
  public down = new Set<string>();
  public corruptDownloads = false;
  public omitChecksum = false;
  public cutDownloads = false;
  private server?: http.Server;
  public port = 0;

  constructor(data: Record<string, Record<string, string>>) {
    for (let i = 0; i < NODES; i++) this.collections.set(`node-${i}`, new Map());
    for (const [node, collections] of Object.entries(data)) {
      for (const [name, content] of Object.entries(collections)) this.collections.get(node)!.set(name, Buffer.from(content));
    }
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const host = (req.headers.host ?? '').split(':')[0];
    const node = `node-${/^memos-qdrant-(\d+)\.memos-qdrant-headless$/.exec(host)?.[1] ?? '?'}`;
    const url = new URL(req.url!, 'http://x');
    this.seen.push({ node, method: req.method!, url: req.url! });
    const json = (status: number, result: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify({ result, status: 'ok', time: 0.001 })); };
    if (req.headers['api-key'] !== API_KEY) return json(401, null);
    const collections = this.collections.get(node);
    if (!collections || this.down.has(node)) { res.writeHead(502); res.end(); return; }
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && url.pathname === '/collections') return json(200, { collections: [...collections.keys()].map((name) => ({ name })) });
    if (req.method === 'POST' && (m = /^\/collections\/([^/]+)\/snapshots$/.exec(url.pathname))) {
      const content = collections.get(m[1]);
      if (!content) return json(404, null);
      const name = `${m[1]}-${node}-${this.snapshots.size}.snapshot`;
      const snapshot = Buffer.concat([Buffer.from(`snapshot of ${m[1]} on ${node}\n`), content]);
      this.snapshots.set(`${node}/${name}`, snapshot);
      return json(200, { name, creation_time: '2026-11-27T02:00:00', size: snapshot.length, ...(this.omitChecksum ? {} : { checksum: sha256(snapshot) }) });
    }
    if ((m = /^\/collections\/([^/]+)\/snapshots\/([^/]+)$/.exec(url.pathname)) && m[2] !== 'upload') {
      const key = `${node}/${m[2]}`;
      const snapshot = this.snapshots.get(key);
      if (!snapshot) return json(404, null);
      if (req.method === 'GET' && this.cutDownloads) {
        // Headers and half the body, then the connection drops: curl still reports status 200.
        res.writeHead(200, { 'content-length': String(snapshot.length) });
        res.write(snapshot.subarray(0, Math.floor(snapshot.length / 2)));
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      if (req.method === 'GET') { res.writeHead(200); res.end(this.corruptDownloads ? Buffer.concat([snapshot, Buffer.from('x')]) : snapshot); return; }
      if (req.method === 'DELETE') { this.snapshots.delete(key); return json(200, true); }
    }
    if (req.method === 'POST' && (m = /^\/collections\/([^/]+)\/snapshots\/upload$/.exec(url.pathname))) {
      const content = multipartFile(req.headers['content-type'] ?? '', body);
      const checksum = url.searchParams.get('checksum');
      if (checksum !== null && checksum !== sha256(content)) return json(400, { error: 'checksum mismatch' });
      this.uploads.push({ node, collection: m[1], priority: url.searchParams.get('priority'), checksum, content });
      collections.set(m[1], content);
      return json(200, true);
    }
    if (req.method === 'GET' && (m = /^\/collections\/([^/]+)$/.exec(url.pathname))) {
      return collections.has(m[1]) ? json(200, { status: 'green', points_count: 1 }) : json(404, null);
    }
    json(404, null);
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The `snapshot` part of a multipart/form-data body (what curl -F sends). */
function multipartFile(contentType: string, body: Buffer): Buffer {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) throw new Error('not multipart');
  const start = body.indexOf('\r\n\r\n') + 4;
  const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
  return body.subarray(start, end);
}

const describeRuns = missing ? describe.skip : describe;

describeRuns('Qdrant backup and restore through OBS (moto), for real', () => {
  let s3: S3Server;
  let bin: string;
  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    bin = toolPath(temporaryFolder('qdrant-backup-bin-'), ['curl']);
  }, 60_000);
  afterAll(async () => { await s3?.stop(); });

  /** A HOME whose .curlrc sends every node's name to the stub, as cluster DNS would. */
  function curlHome(port: number): string {
    const home = temporaryFolder('qdrant-backup-home-');
    const lines = Array.from({ length: NODES }, (_, i) => `resolve = memos-qdrant-${i}.memos-qdrant-headless:${port}:127.0.0.1`);
    fs.writeFileSync(path.join(home, '.curlrc'), `${lines.join('\n')}\n`);
    return home;
  }

  async function run(container: SpecContainer, staging: string, overrides: Record<string, string> = {}): Promise<RunResult> {
    return runContainer(container, {
      pathDir: bin,
      secrets: { 'memos-secrets/QDRANT_API_KEY': API_KEY, 'memos-secrets/OBS_ACCESS_KEY_ID': s3.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': s3.secretAccessKey },
      overrides: { STAGING: staging, RCLONE_CONFIG_OBS_ENDPOINT: s3.endpoint, ...overrides },
    });
  }

  /** Runs the CronJob's pod: the snapshot step, then the upload; returns the backup id. */
  async function backUp(qdrant: StubQdrant, retentionDays = 7): Promise<{ id: string; snapshot: RunResult; upload: RunResult }> {
    const { cronJob } = synth(undefined, retentionDays);
    const [snapshotStep, upload] = containersInOrder(cronJob);
    const staging = temporaryFolder('qdrant-backup-staging-');
    const snapshot = await run(snapshotStep, staging, { PORT: String(qdrant.port), HOME: curlHome(qdrant.port) });
    if (snapshot.code !== 0) return { id: '', snapshot, upload: { code: -1, stdout: '', stderr: 'not run' } };
    const id = fs.readFileSync(path.join(staging, 'id'), 'utf8').trim();
    return { id, snapshot, upload: await run(upload, staging) };
  }

  async function restore(qdrant: StubQdrant, backupId: string): Promise<{ download: RunResult; restore?: RunResult; staging: string }> {
    const { job } = synth(backupId);
    const [download, restoreStep] = containersInOrder(job);
    expect([download.name, restoreStep.name]).toEqual(['download', 'restore-snapshots']);
    const staging = temporaryFolder('qdrant-restore-staging-');
    const downloaded = await run(download, staging);
    // The kubelet runs the next container only after this one exits 0; the restore step also
    // refuses on its own (tested below).
    if (downloaded.code !== 0) return { download: downloaded, staging };
    return { download: downloaded, restore: await run(restoreStep, staging, { PORT: String(qdrant.port), HOME: curlHome(qdrant.port) }), staging };
  }

  const DATA = { 'node-0': { neo4j_vec_db: 'vectors 0', other: 'o0' }, 'node-1': { neo4j_vec_db: 'vectors 1' }, 'node-2': { neo4j_vec_db: 'vectors 2' } };

  test('a backup snapshots every collection on every node, uploads them with a MANIFEST and COMPLETE, and deletes the snapshots from the nodes', async () => {
    const qdrant = new StubQdrant(DATA);
    await qdrant.start();
    try {
      const { id, snapshot, upload } = await backUp(qdrant);
      expect(snapshot.code).toBe(0);
      if (upload.code !== 0) console.log(upload.stdout, upload.stderr);
      expect(upload).toMatchObject({ code: 0 });
      expect(id).toMatch(/^\d{8}T\d{6}Z$/);
      const prefix = `obs:${BUCKET}/memos/memos/qdrant/${id}`;
      const files = s3.rclone(['lsf', '-R', '--files-only', prefix]).trim().split('\n').sort();
      expect(files).toEqual(['COMPLETE', 'MANIFEST', 'data/peer-0/neo4j_vec_db.snapshot', 'data/peer-0/other.snapshot',
        'data/peer-1/neo4j_vec_db.snapshot', 'data/peer-2/neo4j_vec_db.snapshot', 'data/peers.txt']);
      expect(s3.rclone(['cat', `${prefix}/data/peer-1/neo4j_vec_db.snapshot`])).toBe('snapshot of neo4j_vec_db on node-1\nvectors 1');
      const manifest = s3.rclone(['cat', `${prefix}/MANIFEST`]);
      expect(manifest).toContain(`${sha256(Buffer.from('snapshot of neo4j_vec_db on node-2\nvectors 2'))}  peer-2/neo4j_vec_db.snapshot`);
      expect(s3.rclone(['cat', `${prefix}/COMPLETE`])).toMatch(new RegExp(`^id=${id}\nstore=qdrant\nfiles=5\n`));
      // Every snapshot was deleted from its node after its download was checked.
      expect(qdrant.snapshots.size).toBe(0);
      expect(qdrant.seen.filter((s) => s.method === 'DELETE').map((s) => s.node).sort()).toEqual(['node-0', 'node-0', 'node-1', 'node-2']);
      // Restore into an empty Qdrant of three nodes: each node gets its own snapshots back.
      const empty = new StubQdrant({});
      await empty.start();
      try {
        const { download, restore: restored } = await restore(empty, id);
        expect(download).toMatchObject({ code: 0 });
        if (restored!.code !== 0) console.log(restored!.stdout, restored!.stderr);
        expect(restored).toMatchObject({ code: 0 });
        expect(empty.uploads.map((u) => [u.node, u.collection, u.priority]).sort()).toEqual([
          ['node-0', 'neo4j_vec_db', 'snapshot'], ['node-0', 'other', 'snapshot'], ['node-1', 'neo4j_vec_db', 'snapshot'], ['node-2', 'neo4j_vec_db', 'snapshot']]);
        expect(empty.collections.get('node-2')!.get('neo4j_vec_db')!.toString()).toBe('snapshot of neo4j_vec_db on node-2\nvectors 2');
        for (const u of empty.uploads) expect(u.checksum).toBe(sha256(u.content));
      } finally {
        await empty.stop();
      }
    } finally {
      await qdrant.stop();
    }
  }, 120_000);

  test('a snapshot whose download does not match Qdrant\'s checksum fails the backup, and nothing is uploaded', async () => {
    const qdrant = new StubQdrant(DATA);
    qdrant.corruptDownloads = true;
    await qdrant.start();
    try {
      const before = s3.rclone(['lsf', `obs:${BUCKET}/memos/memos/qdrant/`]);
      const { snapshot } = await backUp(qdrant);
      expect(snapshot.code).not.toBe(0);
      expect(snapshot.stderr).toMatch(/node 0: snapshot .* has SHA-256 [0-9a-f]{64}, Qdrant reported [0-9a-f]{64}/);
      expect(s3.rclone(['lsf', `obs:${BUCKET}/memos/memos/qdrant/`])).toBe(before);
    } finally {
      await qdrant.stop();
    }
  }, 60_000);

  test.each([
    ['a download cut short (curl exits non-zero though the status line said 200)', (q: StubQdrant) => { q.cutDownloads = true; }, /node 0: downloading snapshot .* failed \(HTTP 000\): curl failed \(exit 18\)/],
    ['a snapshot without a checksum', (q: StubQdrant) => { q.omitChecksum = true; }, /node 0: Qdrant reported no checksum for snapshot .*: the download cannot be checked/],
  ])('%s fails the backup, and nothing is uploaded', async (_what, breakIt, message) => {
    const qdrant = new StubQdrant(DATA);
    breakIt(qdrant);
    await qdrant.start();
    try {
      const before = s3.rclone(['lsf', `obs:${BUCKET}/memos/memos/qdrant/`]);
      const { snapshot } = await backUp(qdrant);
      expect(snapshot.code).not.toBe(0);
      expect(snapshot.stderr).toMatch(message);
      expect(s3.rclone(['lsf', `obs:${BUCKET}/memos/memos/qdrant/`])).toBe(before);
    } finally {
      await qdrant.stop();
    }
  }, 60_000);

  test('a wrong API key fails the backup with the HTTP status, and the key is never printed', async () => {
    const qdrant = new StubQdrant(DATA);
    await qdrant.start();
    try {
      const { cronJob } = synth();
      const [snapshotStep] = containersInOrder(cronJob);
      const result = await runContainer(snapshotStep, {
        pathDir: bin, secrets: { 'memos-secrets/QDRANT_API_KEY': 'wrong-key' },
        overrides: { STAGING: temporaryFolder('qdrant-backup-staging-'), PORT: String(qdrant.port), HOME: curlHome(qdrant.port) },
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('answered HTTP 401');
      expect(result.stdout + result.stderr).not.toContain('wrong-key');
    } finally {
      await qdrant.stop();
    }
  }, 60_000);

  describe('restores that must fail before Qdrant is touched', () => {
    let qdrant: StubQdrant;
    let id: string;
    beforeAll(async () => {
      qdrant = new StubQdrant(DATA);
      await qdrant.start();
      ({ id } = await backUp(qdrant));
    }, 60_000);
    afterAll(async () => { await qdrant?.stop(); });

    async function expectUntouched(backupId: string, pattern: RegExp, tamper?: () => void, nodes?: (q: StubQdrant) => void) {
      const target = new StubQdrant({});
      nodes?.(target);
      await target.start();
      try {
        tamper?.();
        const { download, restore: restored } = await restore(target, backupId);
        const output = `${download.stderr}${restored?.stderr ?? ''}`;
        expect(download.code !== 0 || (restored && restored.code !== 0)).toBe(true);
        expect(output).toMatch(pattern);
        expect(target.uploads).toEqual([]);
      } finally {
        await target.stop();
      }
    }

    test('a backup that does not exist: the complete ones are listed', async () => {
      await expectUntouched('20200101T000000Z', new RegExp(`backup 20200101T000000Z of qdrant is missing or incomplete[\\s\\S]*${id}`));
    }, 60_000);

    test('a backup without COMPLETE (an upload that died half-way)', async () => {
      const prefix = `obs:${BUCKET}/memos/memos/qdrant`;
      s3.rclone(['copyto', `${prefix}/${id}/MANIFEST`, `${prefix}/20261101T020000Z/MANIFEST`]);
      await expectUntouched('20261101T020000Z', /missing or incomplete/);
    }, 60_000);

    test('a corrupted file in the bucket', async () => {
      const copy = '20261102T020000Z';
      const prefix = `obs:${BUCKET}/memos/memos/qdrant`;
      s3.rclone(['copy', `${prefix}/${id}`, `${prefix}/${copy}`]);
      await expectUntouched(copy, /does not match its MANIFEST: corrupted, nothing restored/, () => {
        const file = path.join(temporaryFolder('corrupt-'), 'x');
        fs.writeFileSync(file, 'snapshot of neo4j_vec_db on node-1\nvectorZ 1');
        s3.rclone(['copyto', file, `${prefix}/${copy}/data/peer-1/neo4j_vec_db.snapshot`]);
      });
    }, 60_000);

    test('a file missing from the bucket', async () => {
      const copy = '20261103T020000Z';
      const prefix = `obs:${BUCKET}/memos/memos/qdrant`;
      s3.rclone(['copy', `${prefix}/${id}`, `${prefix}/${copy}`]);
      await expectUntouched(copy, /does not match its MANIFEST/, () => s3.rclone(['deletefile', `${prefix}/${copy}/data/peer-0/other.snapshot`]));
    }, 60_000);

    test('a node that does not answer: no node is restored', async () => {
      await expectUntouched(id, /node 2 .* every node must be up before a restore\. Nothing restored\./, undefined, (q) => q.down.add('node-2'));
    }, 60_000);

    test('the restore step refuses to run without a verified download', async () => {
      const { job } = synth(id);
      const restoreStep = containersInOrder(job)[1];
      const staging = temporaryFolder('qdrant-restore-unverified-');
      fs.mkdirSync(path.join(staging, 'data'));
      const target = new StubQdrant({});
      await target.start();
      try {
        const result = await run(restoreStep, staging, { PORT: String(target.port), HOME: curlHome(target.port) });
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('the backup was not verified: nothing restored');
        expect(target.seen).toEqual([]);
      } finally {
        await target.stop();
      }
    }, 60_000);
  });

  test('pruning drops backups older than the retention, complete or not, and never the newest complete one', async () => {
    const qdrant = new StubQdrant(DATA);
    await qdrant.start();
    const bucket = 'memos-prune';
    const isolated = await startS3([bucket]);
    try {
      const prefix = `obs:${bucket}/memos/memos/qdrant`;
      const put = (key: string, text = 'x') => {
        const file = path.join(temporaryFolder('prune-'), 'f');
        fs.writeFileSync(file, text);
        isolated.rclone(['copyto', file, `${prefix}/${key}`]);
      };
      // 40 and 30 days old and complete, 20 days old without COMPLETE, 2 days old and complete, a foreign folder.
      const daysAgo = (d: number) => new Date(Date.now() - d * 86400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const [d40, d30, d20, d2] = [40, 30, 20, 2].map(daysAgo);
      for (const id of [d40, d30, d2]) { put(`${id}/data/f`); put(`${id}/MANIFEST`); put(`${id}/COMPLETE`); }
      put(`${d20}/data/f`);
      put('notes/readme.txt');
      const { cronJob } = synth(undefined, 7);
      const [snapshotStep, upload] = containersInOrder(cronJob);
      const staging = temporaryFolder('prune-staging-');
      const env = { RCLONE_CONFIG_OBS_ENDPOINT: isolated.endpoint, DEST: `${bucket}/memos/memos/qdrant` };
      const secrets = { 'memos-secrets/QDRANT_API_KEY': API_KEY, 'memos-secrets/OBS_ACCESS_KEY_ID': isolated.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': isolated.secretAccessKey };
      expect(await runContainer(snapshotStep, { pathDir: bin, secrets, overrides: { STAGING: staging, PORT: String(qdrant.port), HOME: curlHome(qdrant.port) } })).toMatchObject({ code: 0 });
      const result = await runContainer(upload, { pathDir: bin, secrets, overrides: { STAGING: staging, ...env } });
      expect(result).toMatchObject({ code: 0 });
      const id = fs.readFileSync(path.join(staging, 'id'), 'utf8').trim();
      const left = isolated.rclone(['lsf', '--dirs-only', `${prefix}/`]).trim().split('\n').map((d) => d.replace(/\/$/, '')).sort();
      expect(left).toEqual([d2, id, 'notes'].sort());
      expect(result.stdout).toContain(`pruning obs:${bucket}/memos/memos/qdrant/${d40}`);

      // With nothing newer, the newest complete backup stays however old it is.
      const lone = `${bucket}/memos/memos/lone`;
      for (const f of ['data/f', 'MANIFEST', 'COMPLETE']) {
        const file = path.join(temporaryFolder('prune-'), 'f');
        fs.writeFileSync(file, 'x');
        isolated.rclone(['copyto', file, `obs:${lone}/${d40}/${f}`]);
      }
      const failing = await runContainer(upload, {
        pathDir: bin, secrets, overrides: { STAGING: temporaryFolder('prune-empty-'), ...env, DEST: lone },
      });
      // An empty staging folder: the upload fails and prunes nothing.
      expect(failing.code).not.toBe(0);
      expect(failing.stderr).toContain('wrote no backup id');
      expect(isolated.rclone(['lsf', '--dirs-only', `obs:${lone}/`]).trim()).toBe(`${d40}/`);
    } finally {
      await qdrant.stop();
      await isolated.stop();
    }
  }, 120_000);

  test('the replica bucket gets the same backup and the same pruning', async () => {
    const qdrant = new StubQdrant(DATA);
    await qdrant.start();
    const replica = await startS3(['memos-backups-cn-east-3']);
    try {
      const app = new App();
      const chart = new Chart(app, 'memos', { namespace: 'memos' });
      const q = new Qdrant(chart, 'Qdrant', { instance: 'memos', replicas: NODES, credentials: Credentials.fromSecret('memos-secrets') } as any);
      new QdrantBackup(chart, 'Backup', {
        qdrant: q, location: { bucket: BUCKET, region: 'cn-north-4' },
        replica: { bucket: 'memos-backups-cn-east-3', region: 'cn-east-3' },
      });
      const cronJob = chart.toJson().find((o) => o.kind === 'CronJob');
      const [snapshotStep, upload] = containersInOrder(cronJob);
      expect(upload.env!.find((e) => e.name === 'RCLONE_CONFIG_REPLICA_ENDPOINT')!.value).toBe('https://obs.cn-east-3.myhuaweicloud.com');
      const staging = temporaryFolder('replica-staging-');
      const secrets = { 'memos-secrets/QDRANT_API_KEY': API_KEY, 'memos-secrets/OBS_ACCESS_KEY_ID': s3.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': s3.secretAccessKey };
      expect(await runContainer(snapshotStep, { pathDir: bin, secrets, overrides: { STAGING: staging, PORT: String(qdrant.port), HOME: curlHome(qdrant.port) } })).toMatchObject({ code: 0 });
      const replicaEnv = rcloneEnv(replica, 'replica');
      const result = await runContainer(upload, { pathDir: bin, secrets, overrides: { STAGING: staging, RCLONE_CONFIG_OBS_ENDPOINT: s3.endpoint, ...replicaEnv } });
      expect(result).toMatchObject({ code: 0 });
      const id = fs.readFileSync(path.join(staging, 'id'), 'utf8').trim();
      const listing = (server: S3Server, bucket: string) => server.rclone(['lsf', '-R', '--files-only', `obs:${bucket}/memos/memos/qdrant/${id}`]).trim().split('\n').sort();
      expect(listing(replica, 'memos-backups-cn-east-3')).toEqual(listing(s3, BUCKET));
    } finally {
      await qdrant.stop();
      await replica.stop();
    }
  }, 120_000);
});
