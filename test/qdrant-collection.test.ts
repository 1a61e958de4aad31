/**
 * QdrantCollection: the synthesized Job, its validation, and its script run for real — under
 * dash and under busybox `sh` with busybox's own sed/grep/tr/tail (the curl image is Alpine, so
 * that is what runs on the cluster), with the system's curl, against a stub Qdrant on 127.0.0.1
 * that answers with the REST shapes of qdrant-client 1.14.3's `http/models/models.py`
 * (ClusterStatusOneOf1, CollectionExistence, CollectionInfo).
 *
 * Needs curl (and busybox for the busybox runs); `.ci/run` installs busybox and sets
 * MEMOS_INTEGRATION=required, so CI fails instead of skipping when they are missing. The TLS runs
 * (a stub serving HTTPS with a certificate from a throw-away CA) also need the `openssl` command
 * to make that CA, and are skipped without it.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { QdrantCollection, QdrantCollectionProps, QdrantDistance } from '../constructs/qdrant-collection';
import { Qdrant } from '../constructs/qdrant';
import { Credentials, SecretKeyRef } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

type Obj = Record<string, any>;

const API_KEY = SecretKeyRef.of('memos-secrets', 'QDRANT_API_KEY');
const BASE: QdrantCollectionProps = {
  instance: 'memos',
  qdrant: { host: 'memos-qdrant', port: 6333, apiKey: API_KEY },
  nodes: 3,
  collectionName: 'neo4j_vec_db',
  vectorSize: 1024,
};

function build(props: Partial<QdrantCollectionProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const collection = new QdrantCollection(chart, 'Collection', { ...BASE, ...props });
  return { chart, collection };
}

function synthJob(props: Partial<QdrantCollectionProps> = {}) {
  const { chart, collection } = build(props);
  const objects = Testing.synth(chart);
  const job = only(objects, 'Job');
  return { collection, objects, job, pod: job.spec.template.spec, main: job.spec.template.spec.containers[0] };
}

function envOf(container: Obj): Record<string, Obj> {
  return Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e]));
}

describe('QdrantCollection: the Job', () => {
  test('a hardened, bounded Job that passes the schemas and the pod policy', () => {
    const { objects, job, pod, main } = synthJob();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/memos-qdrant-collection']);
    expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'qdrant-collection', 'app.kubernetes.io/instance': 'memos' });
    expect(job.spec).toMatchObject({ backoffLimit: 10, activeDeadlineSeconds: 21600, ttlSecondsAfterFinished: 86400 });
    expect(job.spec.podFailurePolicy).toEqual({
      rules: [{ action: 'FailJob', onExitCodes: { containerName: 'create-collection', operator: 'In', values: [2] }, onPodConditions: [] }],
    });
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, imagePullSecrets: [{ name: 'default-secret' }] });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101 });
    expect(main.image).toBe('docker.io/curlimages/curl:8.16.0');
    expect(main.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(main.securityContext).toMatchObject({
      runAsNonRoot: true, runAsUser: 100, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    });
    expect(main.resources).toEqual({
      requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '1Gi' },
    });
    expect(main.volumeMounts ?? []).toEqual([]);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('creates what the client would, plus explicit sharding: env of the script', () => {
    const env = envOf(synthJob().main);
    expect(env.QDRANT_URL.value).toBe('http://memos-qdrant:6333');
    expect(env.QDRANT_API_KEY.valueFrom).toEqual({ secretKeyRef: { name: 'memos-secrets', key: 'QDRANT_API_KEY', optional: false } });
    expect(Object.fromEntries(['COLLECTION', 'NODES', 'VECTOR_SIZE', 'DISTANCE', 'SHARD_NUMBER', 'REPLICATION_FACTOR', 'WRITE_CONSISTENCY_FACTOR']
      .map((name) => [name, env[name].value]))).toEqual({
      COLLECTION: 'neo4j_vec_db', NODES: '3', VECTOR_SIZE: '1024', DISTANCE: 'Cosine', SHARD_NUMBER: '3', REPLICATION_FACTOR: '2', WRITE_CONSISTENCY_FACTOR: '1',
    });
  });

  test('defaults follow the node count: shards = nodes, 2 replicas from 3 nodes, else 1', () => {
    const numbers = (nodes: number) => {
      const { collection } = build({ nodes });
      return [collection.shardNumber, collection.replicationFactor, collection.writeConsistencyFactor];
    };
    expect(numbers(1)).toEqual([1, 1, 1]);
    expect(numbers(3)).toEqual([3, 2, 1]);
    expect(numbers(5)).toEqual([5, 2, 1]);
    const { collection } = build({ nodes: 5, shardNumber: 10, replicationFactor: 3, writeConsistencyFactor: 2, distance: QdrantDistance.DOT });
    expect([collection.shardNumber, collection.replicationFactor, collection.writeConsistencyFactor]).toEqual([10, 3, 2]);
  });

  test('from a Qdrant construct: its host, port, key and node count; no key, no header', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const qdrant = new Qdrant(chart, 'Qdrant', { instance: 'memos', credentials: Credentials.fromSecret('memos-secrets'), replicas: 3, apiKey: false });
    new QdrantCollection(chart, 'Collection', {
      instance: 'memos', qdrant: { host: qdrant.host, port: qdrant.port, apiKey: qdrant.apiKey }, nodes: qdrant.replicas, collectionName: 'neo4j_vec_db', vectorSize: 768,
    });
    const objects = Testing.synth(chart);
    const env = envOf(only(objects, 'Job').spec.template.spec.containers[0]);
    expect(env.QDRANT_URL.value).toBe('http://memos-qdrant:6333');
    expect(env.QDRANT_API_KEY).toBeUndefined();
    expect([env.NODES.value, env.VECTOR_SIZE.value]).toEqual(['3', '768']);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('placement: pull secrets, image, resources and timeout', () => {
    const { job, pod, main } = synthJob({
      imagePullSecrets: ['my-registry'], image: 'swr.cn-north-4.myhuaweicloud.com/mirror/curl:8.16.0',
      resources: { cpu: kplus.Cpu.millis(200), memory: Size.mebibytes(128) }, timeout: Duration.minutes(30),
    });
    expect(pod.imagePullSecrets).toEqual([{ name: 'my-registry' }]);
    expect(main.image).toBe('swr.cn-north-4.myhuaweicloud.com/mirror/curl:8.16.0');
    expect(main.resources.limits).toMatchObject({ cpu: '200m', memory: '128Mi' });
    expect(job.spec.activeDeadlineSeconds).toBe(1800);
  });

  test('addWaitInitContainer: a hardened init container that waits for the collection', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const collection = new QdrantCollection(chart, 'Collection', BASE);
    const deployment = new kplus.Deployment(chart, 'Client', { metadata: { name: 'client' }, securityContext: { user: 1000, group: 1000 } });
    deployment.addContainer({ name: 'app', image: 'docker.io/library/busybox:1.36', securityContext: { user: 1000, group: 1000 } });
    collection.addWaitInitContainer(deployment);
    const init = only(Testing.synth(chart), 'Deployment').spec.template.spec.initContainers;
    expect(init.map((c: Obj) => c.name)).toEqual(['wait-qdrant-collection']);
    expect(init[0]).toMatchObject({
      image: 'docker.io/curlimages/curl:8.16.0', command: ['/bin/sh', '-c', expect.stringContaining('/exists')],
      securityContext: { runAsNonRoot: true, runAsUser: 100, readOnlyRootFilesystem: true },
    });
    const env = envOf(init[0]);
    expect([env.QDRANT_URL.value, env.COLLECTION.value, env.QDRANT_API_KEY.valueFrom.secretKeyRef.key]).toEqual(['http://memos-qdrant:6333', 'neo4j_vec_db', 'QDRANT_API_KEY']);
  });
});

describe('QdrantCollection: TLS', () => {
  const tls = TlsCertificate.fromSecret('memos-qdrant-tls');

  test('https URL, the CA alone mounted read-only and named for curl; schemas and pod policy pass', () => {
    const { objects, pod, main } = synthJob({ tls });
    const env = envOf(main);
    expect([env.QDRANT_URL.value, env.QDRANT_CA_CERT.value]).toEqual(['https://memos-qdrant:6333', '/etc/qdrant-ca/ca.crt']);
    expect(main.volumeMounts).toEqual([{ name: 'qdrant-collection-ca', mountPath: '/etc/qdrant-ca', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'qdrant-collection-ca', secret: { secretName: 'memos-qdrant-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]);
    expect(main.command[2]).toContain('shift 2\n  set -- --cacert "$QDRANT_CA_CERT" "$@"\n');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('from a Qdrant with tls: its https scheme and certificate; the init container gets the CA too', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const qdrant = new Qdrant(chart, 'Qdrant', { instance: 'memos', credentials: Credentials.fromSecret('memos-secrets'), replicas: 3, tls });
    const collection = new QdrantCollection(chart, 'Collection', {
      instance: 'memos', qdrant: { host: qdrant.host, port: qdrant.port, apiKey: qdrant.apiKey }, tls: qdrant.tls, nodes: qdrant.replicas, collectionName: 'neo4j_vec_db', vectorSize: 768,
    });
    const deployment = new kplus.Deployment(chart, 'Client', { metadata: { name: 'client' }, securityContext: { user: 1000, group: 1000 } });
    deployment.addContainer({ name: 'app', image: 'docker.io/library/busybox:1.36', securityContext: { user: 1000, group: 1000 } });
    collection.addWaitInitContainer(deployment);
    const objects = Testing.synth(chart);
    const jobEnv = envOf(only(objects, 'Job').spec.template.spec.containers[0]);
    expect(jobEnv.QDRANT_URL.value).toBe(qdrant.url);
    const client = only(objects, 'Deployment').spec.template.spec;
    const init = client.initContainers[0];
    expect([envOf(init).QDRANT_URL.value, envOf(init).QDRANT_CA_CERT.value]).toEqual(['https://memos-qdrant:6333', '/etc/qdrant-ca/ca.crt']);
    expect(init.volumeMounts).toEqual([{ name: 'qdrant-collection-ca', mountPath: '/etc/qdrant-ca', readOnly: true }]);
    expect(client.volumes.map((v: Obj) => v.name)).toEqual(['qdrant-collection-ca']);
    expect(client.containers[0].volumeMounts ?? []).toEqual([]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('without tls: http, no CA variable, no volume', () => {
    const { pod, main } = synthJob();
    expect(envOf(main).QDRANT_CA_CERT).toBeUndefined();
    expect(pod.volumes ?? []).toEqual([]);
    expect(main.command[2]).not.toContain('cacert');
  });

  test.each([
    ['a Secret name', 'memos-qdrant-tls' as never, /QdrantCollection 'test\/Collection': invalid tls "memos-qdrant-tls"; allowed: TlsCertificate.fromSecret/],
    ['a bad Secret name', TlsCertificate.fromSecret('Qdrant TLS'), /invalid tls.secretName "Qdrant TLS"; allowed: a DNS subdomain/],
  ])('rejects tls as %s', (_name, value, message) => {
    expect(() => build({ tls: value })).toThrow(message);
  });
});

describe('QdrantCollection: validation', () => {
  const cases: [string, Partial<QdrantCollectionProps>, RegExp][] = [
    ['instance', { instance: 'Memos' }, /invalid instance "Memos"; allowed: a DNS label/],
    ['qdrant.host as a URL', { qdrant: { host: 'http://memos-qdrant:6333' } }, /invalid qdrant.host "http:\/\/memos-qdrant:6333"; allowed: a host name or IPv4 address/],
    ['qdrant.port', { qdrant: { host: 'memos-qdrant', port: 0 } }, /invalid qdrant.port 0; allowed: an integer from 1 to 65535/],
    ['qdrant.apiKey as the key itself', { qdrant: { host: 'memos-qdrant', apiKey: 'sk-secret' as never } }, /invalid qdrant.apiKey "\(not shown\)"; allowed: SecretKeyRef.of/],
    ['nodes', { nodes: 0 }, /invalid nodes 0; allowed: an integer from 1 to 100/],
    ['collectionName with a slash', { collectionName: 'a/b' }, /invalid collectionName "a\/b"; allowed: 1 to 255 letters, digits, '_' or '-'/],
    ['collectionName empty', { collectionName: '' }, /invalid collectionName ""/],
    ['vectorSize 0', { vectorSize: 0 }, /invalid vectorSize 0; allowed: an integer from 1 to 65536/],
    ['vectorSize too large', { vectorSize: 65537 }, /invalid vectorSize 65537/],
    ['vectorSize as a string', { vectorSize: '1024' as never }, /invalid vectorSize "1024"/],
    ['distance as MemOS spells it', { distance: 'cosine' as never }, /invalid distance "cosine"; allowed: Cosine, Euclid, Dot, Manhattan/],
    ['shardNumber', { shardNumber: 0 }, /invalid shardNumber 0; allowed: an integer from 1 to 1000/],
    ['replicationFactor above nodes', { replicationFactor: 4 }, /invalid replicationFactor 4; allowed: an integer from 1 to 3/],
    ['writeConsistencyFactor above replicationFactor', { writeConsistencyFactor: 3 }, /invalid writeConsistencyFactor 3; allowed: an integer from 1 to 2/],
    ['image unpinned', { image: 'docker.io/curlimages/curl:latest' }, /invalid image "docker.io\/curlimages\/curl:latest"; allowed: an image pinned/],
    ['imagePullSecrets', { imagePullSecrets: ['Bad_Name'] }, /invalid imagePullSecrets\[0\] "Bad_Name"/],
    ['resources.cpu as a string', { resources: { cpu: '100m' as never, memory: Size.mebibytes(64) } }, /invalid resources.cpu "100m"/],
    ['timeout below a minute', { timeout: Duration.seconds(10) }, /invalid timeout .*; allowed: a Duration of at least a minute/],
  ];
  test.each(cases)('rejects %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
    expect(() => build(props)).toThrow(/^QdrantCollection 'test\/Collection': invalid /);
  });
});

// ---------------------------------------------------------------------------------------------
// The script, run for real against a stub Qdrant.

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const curl = which('curl');
const busybox = which('busybox');
const missing = [curl ? '' : 'curl', busybox ? '' : 'busybox'].filter(Boolean);
if (missing.length && process.env.MEMOS_INTEGRATION === 'required') {
  throw new Error(`MEMOS_INTEGRATION=required but missing: ${missing.join(', ')}`);
}
if (missing.length) console.log(`qdrant-collection script tests: skipping the runs that need ${missing.join(', ')}`);
const openssl = which('openssl');
if (!openssl) console.log('qdrant-collection script tests: skipping the TLS runs (no openssl command to make a test CA)');

interface TestPki { readonly dir: string; readonly caFile: string; readonly key: string; readonly cert: string }
/**
 * A throw-away CA and a server certificate it signs for 127.0.0.1 (cert-manager's Secret shape:
 * `ca.crt`, `tls.crt`, `tls.key`); `otherCaFile` is an unrelated CA.
 */
function makePki(): TestPki & { otherCaFile: string } {
  const dir = temporaryFolder('qdrant-pki-');
  const ssl = (...args: string[]) => execFileSync(openssl!, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => ssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ca('ca');
  ca('other-ca');
  ssl('req', ...ec, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=memos-qdrant');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:memos-qdrant,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '2', '-extfile', 'ext.cnf');
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  return { dir, caFile: path.join(dir, 'ca.crt'), otherCaFile: path.join(dir, 'other-ca.crt'), key: read('tls.key'), cert: read('tls.crt') };
}

/** A PATH with only busybox applets and curl, as in the Alpine-based curl image. */
function busyboxPath(): string {
  const dir = temporaryFolder('busybox-');
  for (const applet of ['sh', 'sed', 'grep', 'tr', 'tail', 'sleep', 'cat', 'printf', 'wc', 'head']) fs.symlinkSync(busybox!, path.join(dir, applet));
  fs.symlinkSync(curl!, path.join(dir, 'curl'));
  return dir;
}

interface Shell { readonly name: string; readonly sh: string; readonly path: string }
const shells: Shell[] = [];
if (curl) shells.push({ name: 'dash', sh: '/bin/sh', path: process.env.PATH ?? '' });
if (curl && busybox) {
  const dir = busyboxPath();
  shells.push({ name: 'busybox', sh: path.join(dir, 'sh'), path: dir });
}

interface Seen { method: string; url: string; apiKey?: string; body: string }
type Reply = { status: number; body: unknown; pretty?: boolean };

/** A stub Qdrant: `answer` maps each request to a reply; every request is recorded. With `tls`, it serves HTTPS. */
async function stubQdrant(
  answer: (req: Seen, seen: Seen[]) => Reply, tls?: { key: string; cert: string },
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const handler: http.RequestListener = (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const request: Seen = { method: req.method!, url: req.url!, apiKey: req.headers['api-key'] as string | undefined, body };
      seen.push(request);
      const reply = answer(request, seen);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body, null, reply.pretty ? 2 : undefined));
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen, close };
}

const ok = (result: unknown): Reply => ({ status: 200, body: { result, status: 'ok', time: 0.0001 } });

/** `GET /cluster` of an enabled cluster with `joined` peers (the answering peer included). */
function cluster(joined: number, leader: number | null = 1): Reply {
  const peers = Object.fromEntries(Array.from({ length: joined }, (_, i) => [String(i + 1), { uri: `http://memos-qdrant-${i}.memos-qdrant-headless:6335/` }]));
  return ok({
    status: 'enabled', peer_id: 1, peers,
    raft_info: { term: 2, commit: 17, pending_operations: 0, leader, role: leader === 1 ? 'Leader' : 'Follower', is_voter: true },
    consensus_thread_status: { consensus_thread_status: 'working', last_update: '2025-11-27T12:00:00Z' },
    message_send_failures: joined < 3 ? { 'http://memos-qdrant-2.memos-qdrant-headless:6335/': { count: 3, latest_error: 'transport error: "uri": unreachable' } } : {},
  });
}

/** `GET /collections/<name>` with these params. */
function collectionInfo(params: { size: number; distance: string; shards: number; replicas: number; consistency: number }): Reply {
  return ok({
    status: 'green', optimizer_status: 'ok', indexed_vectors_count: 0, points_count: 0, segments_count: 6,
    config: {
      params: {
        vectors: { size: params.size, distance: params.distance },
        shard_number: params.shards, replication_factor: params.replicas, write_consistency_factor: params.consistency, on_disk_payload: true,
      },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
      optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, flush_interval_sec: 5 },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      quantization_config: null,
    },
    // A payload field named like the keys the script reads must not confuse it.
    payload_schema: { memory_type: { data_type: 'keyword', points: 0 }, vectors: { data_type: 'keyword', params: { type: 'keyword' }, points: 0 } },
  });
}

const MATCHING = { size: 1024, distance: 'Cosine', shards: 3, replicas: 2, consistency: 1 };

/**
 * Runs a synthesized container's script with its env (Secret values replaced by a test key),
 * `overrides` on top. With `stopAfterMs`, a script still running then is killed and reported
 * with code -1 (else it fails the test after 30 seconds).
 */
async function run(
  shell: Shell, container: Obj, qdrantUrl: string, overrides: Record<string, string> = {}, stopAfterMs?: number,
): Promise<{ code: number; output: string }> {
  const env: Record<string, string> = { PATH: shell.path };
  for (const e of container.env as Obj[]) env[e.name] = e.value ?? 'test-api-key';
  env.QDRANT_URL = qdrantUrl;
  env.POLL_SECONDS = '0';
  Object.assign(env, overrides);
  return new Promise((resolve, reject) => {
    const child = spawn(shell.sh, ['-c', container.command[2]], { env, cwd: '/' });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      if (stopAfterMs === undefined) reject(new Error(`script did not finish:\n${output}`));
    }, stopAfterMs ?? 30000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, output }); });
  });
}

const jobContainer = (props: Partial<QdrantCollectionProps> = {}) => synthJob(props).main;
const summary = (seen: Seen[]) => seen.map((r) => `${r.method} ${r.url}`);

const describeRuns = shells.length ? describe.each(shells) : describe.skip.each([{ name: 'no shell with curl' } as Shell]);
describeRuns('QdrantCollection: the script under $name', (shell) => {
  test('waits until every peer has joined and a leader is elected, then creates the collection with the right body', async () => {
    let clusterCalls = 0;
    let created = false;
    const stub = await stubQdrant((req) => {
      if (req.url === '/cluster') {
        clusterCalls += 1;
        return [cluster(1, null), cluster(2), cluster(3, null), cluster(3)][Math.min(clusterCalls - 1, 3)];
      }
      if (req.url === '/collections/neo4j_vec_db/exists') return ok({ exists: created });
      if (req.method === 'PUT') { created = true; return ok(true); }
      if (req.url === '/collections/neo4j_vec_db') return collectionInfo(MATCHING);
      return { status: 404, body: { status: { error: 'Not found' } } };
    });
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(summary(stub.seen)).toEqual([
        'GET /cluster', 'GET /cluster', 'GET /cluster', 'GET /cluster',
        'GET /collections/neo4j_vec_db/exists', 'PUT /collections/neo4j_vec_db?timeout=60',
        'GET /collections/neo4j_vec_db/exists', 'GET /collections/neo4j_vec_db',
      ]);
      const put = stub.seen.find((r) => r.method === 'PUT')!;
      expect(JSON.parse(put.body)).toEqual({
        vectors: { size: 1024, distance: 'Cosine' }, shard_number: 3, replication_factor: 2, write_consistency_factor: 1,
      });
      expect(stub.seen.every((r) => r.apiKey === 'test-api-key')).toBe(true);
      expect(output).toContain('waiting for Qdrant peers: 1 of 3 joined');
      expect(output).toContain('waiting for Qdrant peers: 3 of 3 joined, leader elected: no');
      expect(output).not.toContain('test-api-key');
    } finally {
      await stub.close();
    }
  });

  test('waits while Qdrant is not up yet (connection refused, 503)', async () => {
    let calls = 0;
    const stub = await stubQdrant((req) => {
      if (req.url === '/cluster') { calls += 1; return calls < 2 ? { status: 503, body: { status: { error: 'starting' } } } : cluster(3); }
      if (req.url.endsWith('/exists')) return ok({ exists: true });
      return collectionInfo(MATCHING);
    });
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain('waiting for Qdrant at');
    } finally {
      await stub.close();
    }
  });

  test('collection present with the same vectors: no PUT, success (also with pretty-printed JSON)', async () => {
    const stub = await stubQdrant((req) => {
      const reply = req.url === '/cluster' ? cluster(3) : req.url.endsWith('/exists') ? ok({ exists: true }) : collectionInfo(MATCHING);
      return { ...reply, pretty: true };
    });
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(summary(stub.seen)).toEqual(['GET /cluster', 'GET /collections/neo4j_vec_db/exists', 'GET /collections/neo4j_vec_db']);
      expect(output).toContain('collection neo4j_vec_db is ready: vectors {size: 1024, distance: Cosine}');
      expect(output).not.toContain('WARNING');
    } finally {
      await stub.close();
    }
  });

  test.each([
    ['another size', { ...MATCHING, size: 768 }, 'size: 768, distance: Cosine'],
    ['another distance', { ...MATCHING, distance: 'Dot' }, 'size: 1024, distance: Dot'],
  ])('collection present with %s: exit 2, no PUT', async (_name, params, shown) => {
    const stub = await stubQdrant((req) => req.url === '/cluster' ? cluster(3) : req.url.endsWith('/exists') ? ok({ exists: true }) : collectionInfo(params));
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 2 });
      expect(output).toContain(`ERROR: collection neo4j_vec_db exists with vectors {${shown}}, not {size: 1024, distance: Cosine}`);
      expect(stub.seen.some((r) => r.method === 'PUT')).toBe(false);
    } finally {
      await stub.close();
    }
  });

  test('collection created earlier with one shard (the race this Job prevents): success with a warning', async () => {
    const stub = await stubQdrant((req) => req.url === '/cluster' ? cluster(3) : req.url.endsWith('/exists') ? ok({ exists: true }) : collectionInfo({ ...MATCHING, shards: 1 }));
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain('WARNING: collection neo4j_vec_db has shard_number 1, replication_factor 2, write_consistency_factor 1; asked for 3, 2, 1');
    } finally {
      await stub.close();
    }
  });

  test('a PUT that loses a race to another client ("already exists") is accepted after reading it back', async () => {
    let created = false;
    const stub = await stubQdrant((req) => {
      if (req.url === '/cluster') return cluster(3);
      if (req.url.endsWith('/exists')) return ok({ exists: created });
      if (req.method === 'PUT') { created = true; return { status: 400, body: { status: { error: 'Wrong input: Collection `neo4j_vec_db` already exists!' } } }; }
      return collectionInfo(MATCHING);
    });
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(output).toContain('was created meanwhile');
    } finally {
      await stub.close();
    }
  });

  test('a rejected API key fails (exit 1, retried by the Job backoff)', async () => {
    const stub = await stubQdrant(() => ({ status: 401, body: { status: { error: 'Must provide an API key or an Authorization bearer token' } } }));
    try {
      const { code, output } = await run(shell, jobContainer(), stub.url);
      expect({ code, output }).toMatchObject({ code: 1 });
      expect(output).toContain('Qdrant rejected the API key (HTTP 401)');
    } finally {
      await stub.close();
    }
  });

  test('a standalone Qdrant (cluster disabled) counts as one node', async () => {
    let created = false;
    const stub = await stubQdrant((req) => {
      if (req.url === '/cluster') return ok({ status: 'disabled' });
      if (req.url.endsWith('/exists')) return ok({ exists: created });
      if (req.method === 'PUT') { created = true; return ok(true); }
      return collectionInfo({ ...MATCHING, shards: 1, replicas: 1 });
    });
    try {
      const { code, output } = await run(shell, jobContainer({ nodes: 1, qdrant: { host: 'memos-qdrant' } }), stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      const put = stub.seen.find((r) => r.method === 'PUT')!;
      expect(JSON.parse(put.body)).toEqual({ vectors: { size: 1024, distance: 'Cosine' }, shard_number: 1, replication_factor: 1, write_consistency_factor: 1 });
      expect(put.apiKey).toBeUndefined();
    } finally {
      await stub.close();
    }
  });

  test('the init container waits until the collection exists, then exits 0', async () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const collection = new QdrantCollection(chart, 'Collection', BASE);
    const deployment = new kplus.Deployment(chart, 'Client', { metadata: { name: 'client' } });
    deployment.addContainer({ name: 'app', image: 'docker.io/library/busybox:1.36' });
    collection.addWaitInitContainer(deployment);
    const init = only(Testing.synth(chart), 'Deployment').spec.template.spec.initContainers[0];
    let calls = 0;
    const stub = await stubQdrant(() => { calls += 1; return ok({ exists: calls >= 3 }); });
    try {
      const { code, output } = await run(shell, init, stub.url);
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(summary(stub.seen)).toEqual(Array(3).fill('GET /collections/neo4j_vec_db/exists'));
      expect(output).toContain('waiting for Qdrant collection neo4j_vec_db');
    } finally {
      await stub.close();
    }
  });
});

const tlsShells = openssl ? shells : [];
const describeTlsRuns = tlsShells.length ? describe.each(tlsShells) : describe.skip.each([{ name: 'no shell with curl and openssl' } as Shell]);
describeTlsRuns('QdrantCollection: the script over TLS under $name', (shell) => {
  const pki = openssl ? makePki() : undefined;
  const tls = TlsCertificate.fromSecret('memos-qdrant-tls');

  test('verifies the server with the mounted CA (--cacert) and creates the collection over https', async () => {
    let created = false;
    const stub = await stubQdrant((req) => {
      if (req.url === '/cluster') return cluster(3);
      if (req.url.endsWith('/exists')) return ok({ exists: created });
      if (req.method === 'PUT') { created = true; return ok(true); }
      return collectionInfo(MATCHING);
    }, pki);
    try {
      const container = jobContainer({ tls });
      expect(envOf(container).QDRANT_URL.value).toBe('https://memos-qdrant:6333');
      expect(stub.url).toMatch(/^https:/);
      // The stub's certificate names 127.0.0.1; the CA file stands in for the mounted ca.crt.
      const { code, output } = await run(shell, container, stub.url, { QDRANT_CA_CERT: pki!.caFile });
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(summary(stub.seen)).toEqual([
        'GET /cluster', 'GET /collections/neo4j_vec_db/exists', 'PUT /collections/neo4j_vec_db?timeout=60',
        'GET /collections/neo4j_vec_db/exists', 'GET /collections/neo4j_vec_db',
      ]);
      expect(stub.seen.every((r) => r.apiKey === 'test-api-key')).toBe(true);
    } finally {
      await stub.close();
    }
  });

  test('a certificate from another CA is refused: no request reaches Qdrant, the script keeps waiting', async () => {
    const stub = await stubQdrant(() => cluster(3), pki);
    try {
      const { code, output } = await run(shell, jobContainer({ tls }), stub.url, { QDRANT_CA_CERT: pki!.otherCaFile, POLL_SECONDS: '0.2' }, 2000);
      expect(code).toBe(-1);
      expect(stub.seen).toEqual([]);
      expect(output).toContain('waiting for Qdrant at');
      expect(output).toMatch(/certificate/i);
    } finally {
      await stub.close();
    }
  });

  test('the init container waits over https with the CA', async () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const collection = new QdrantCollection(chart, 'Collection', { ...BASE, tls });
    const deployment = new kplus.Deployment(chart, 'Client', { metadata: { name: 'client' } });
    deployment.addContainer({ name: 'app', image: 'docker.io/library/busybox:1.36' });
    collection.addWaitInitContainer(deployment);
    const init = only(Testing.synth(chart), 'Deployment').spec.template.spec.initContainers[0];
    let calls = 0;
    const stub = await stubQdrant(() => { calls += 1; return ok({ exists: calls >= 2 }); }, pki);
    try {
      const { code, output } = await run(shell, init, stub.url, { QDRANT_CA_CERT: pki!.caFile });
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(summary(stub.seen)).toEqual(Array(2).fill('GET /collections/neo4j_vec_db/exists'));
    } finally {
      await stub.close();
    }
  });
});
