/**
 * MemosSmokeTest: the Job's shape, every validation error, and its script run for real under
 * busybox `sh` with curl against local stubs of MemOS behind the gateway, Qdrant, Neo4j, Milvus
 * and Redis (Node servers started here), including failures: a wrong key, a service down, a
 * search that never finds the marker.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { MemosSmokeTest, MemosSmokeTestProps } from '../constructs/memos-smoke-test';
import { SecretKeyRef } from '../src/credentials';
import { freePort, which } from './support/backup';
import { debianTool, missingFor } from './support/integration';
import { validateManifests } from './support/schema';
import { temporaryFolders } from './support/tmp';

type Obj = Record<string, any>;

const temporaryFolder = temporaryFolders();

const FULL: MemosSmokeTestProps = {
  instance: 'memos',
  memosUrl: 'http://memos-api:8000',
  gatewayUrl: 'http://memos-gateway:8080',
  testUser: 'smoke-user',
  apiKeySecret: SecretKeyRef.of('memos-smoke', 'api-key'),
  qdrant: { url: 'http://memos-qdrant:6333', apiKeySecret: SecretKeyRef.of('memos-secrets', 'QDRANT_API_KEY') },
  neo4j: { url: 'http://memos-neo4j:7474', passwordSecret: SecretKeyRef.of('memos-secrets', 'NEO4J_PASSWORD') },
  milvus: { url: 'http://memos-milvus:19530', passwordSecret: SecretKeyRef.of('memos-secrets', 'MILVUS_PASSWORD') },
  redis: { host: 'memos-redis', passwordSecret: SecretKeyRef.of('memos-secrets', 'MEMSCHEDULER_REDIS_PASSWORD') },
};

function synth(props: MemosSmokeTestProps): { objects: Obj[]; job: Obj; configMap: Obj; smoke: MemosSmokeTest } {
  const chart = Testing.chart();
  const smoke = new MemosSmokeTest(chart, 'Smoke', props);
  const objects = Testing.synth(chart);
  const job = objects.find((o) => o.kind === 'Job')!;
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  return { objects, job, configMap, smoke };
}

describe('MemosSmokeTest manifests', () => {
  const { objects, job, configMap, smoke } = synth(FULL);
  const pod = job.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e]));

  test('a Job and the ConfigMap of its script, both <instance>-smoke-test, valid for Kubernetes 1.28 and 1.33', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/memos-smoke-test', 'Job/memos-smoke-test']);
    expect(validateManifests(objects)).toEqual([]);
    expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'smoke-test', 'app.kubernetes.io/instance': 'memos' });
    expect(job.spec.template.metadata.labels).toMatchObject(smoke.connections.selector);
  });

  test('an Argo CD PostSync hook, re-created on each sync, run once with a deadline and removed after a day', () => {
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(600);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(pod.restartPolicy).toBe('Never');
  });

  test('runs the ConfigMap script with sh from a read-only mount', () => {
    expect(container.command).toEqual(['/bin/sh', '/smoke-test/smoke-test.sh']);
    expect(configMap.data['smoke-test.sh']).toMatch(/^set -eu\n/);
    const mount = container.volumeMounts.find((m: Obj) => m.mountPath === '/smoke-test');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.configMap).toMatchObject({ name: 'memos-smoke-test', defaultMode: 0o444 });
    expect(container.image).toBe('docker.io/curlimages/curl:8.16.0');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
  });

  test('hardened: curl_user (100/101), read-only root with an emptyDir /tmp, no capabilities, seccomp, no token, small resources', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    const tmp = container.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: Obj) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(container.resources.requests).toMatchObject({ cpu: '100m', memory: '64Mi' });
    expect(container.resources.limits).toMatchObject({ memory: '64Mi' });
  });

  test('credentials only as secretKeyRef, the rest as values', () => {
    expect(env.GATEWAY_API_KEY.valueFrom.secretKeyRef).toEqual({ name: 'memos-smoke', key: 'api-key', optional: false });
    expect(env.QDRANT_API_KEY.valueFrom.secretKeyRef).toMatchObject({ name: 'memos-secrets', key: 'QDRANT_API_KEY' });
    expect(env.NEO4J_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ name: 'memos-secrets', key: 'NEO4J_PASSWORD' });
    expect(env.MILVUS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ name: 'memos-secrets', key: 'MILVUS_PASSWORD' });
    expect(env.REDIS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ name: 'memos-secrets', key: 'MEMSCHEDULER_REDIS_PASSWORD' });
    for (const e of container.env as Obj[]) expect(e.value === undefined).toBe(/KEY|PASSWORD/.test(e.name));
    expect(env.MEMOS_URL.value).toBe('http://memos-api:8000');
    expect(env.GATEWAY_URL.value).toBe('http://memos-gateway:8080');
    expect(env.TEST_USER.value).toBe('smoke-user');
    expect(env.NEO4J_USER.value).toBe('neo4j');
    expect(env.NEO4J_DATABASE.value).toBe('neo4j');
    expect(env.MILVUS_USER.value).toBe('root');
    expect(env.REDIS_HOST.value).toBe('memos-redis');
    expect(env.REDIS_PORT.value).toBe('6379');
    expect(env.SEARCH_TIMEOUT.value).toBe('180');
    // 600 s deadline - 180 s search - 120 s for the checks.
    expect(env.READY_TIMEOUT.value).toBe('300');
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  test('no secret value in the YAML: only Secret names and keys', () => {
    const yaml = JSON.stringify(objects);
    for (const value of Object.values(SECRETS)) expect(yaml).not.toContain(value);
    expect(yaml).not.toMatch(/stringData|"data":\{"(?!smoke-test\.sh)/);
  });

  test('lists its checks in order; only the configured ones get settings', () => {
    expect(smoke.checks).toEqual(['memos-health', 'gateway-add', 'gateway-search', 'qdrant-ready', 'qdrant-collections', 'neo4j', 'milvus', 'redis']);
    const only = synth({ instance: 'prod', qdrant: { url: 'https://q.example.com' }, timeout: Duration.minutes(2), ttlAfterFinished: Duration.hours(1) });
    expect(only.smoke.checks).toEqual(['qdrant-ready', 'qdrant-collections']);
    const names = (only.job.spec.template.spec.containers[0].env as Obj[]).map((e) => e.name).sort();
    expect(names).toEqual(['CONNECT_TIMEOUT', 'QDRANT_URL', 'REQUEST_TIMEOUT', 'TMPDIR']);
    expect(only.job.metadata.name).toBe('prod-smoke-test');
    expect(only.job.spec.activeDeadlineSeconds).toBe(120);
    expect(only.job.spec.ttlSecondsAfterFinished).toBe(3600);
  });
});

describe('MemosSmokeTest validation', () => {
  const ref = SecretKeyRef.of('s', 'k');
  const cases: [string, Partial<MemosSmokeTestProps> & Obj, RegExp][] = [
    ['instance', { instance: 'Bad_Name' }, /invalid instance "Bad_Name"; allowed: a DNS label/],
    ['no check', { memosUrl: undefined }, /invalid memosUrl \(missing\); allowed: at least one check/],
    ['memosUrl with a path', { memosUrl: 'http://memos-api:8000/health' }, /invalid memosUrl "http:\/\/memos-api:8000\/health"; allowed: a base URL/],
    ['memosUrl with a trailing slash', { memosUrl: 'http://memos-api:8000/' }, /invalid memosUrl .*allowed: a base URL/],
    ['memosUrl scheme', { memosUrl: 'ftp://memos-api' }, /invalid memosUrl "ftp:\/\/memos-api"/],
    ['memosUrl host', { memosUrl: 'http://bad_host:8000' }, /invalid memosUrl host "bad_host"; allowed: a host name/],
    ['memosUrl port', { memosUrl: 'http://memos-api:70000' }, /invalid memosUrl port 70000; allowed: an integer from 1 to 65535/],
    ['gatewayUrl missing', { testUser: 'u', apiKeySecret: ref }, /invalid gatewayUrl \(missing\); allowed: the gateway base URL, with testUser and apiKeySecret/],
    ['gatewayUrl', { gatewayUrl: 'memos-gateway:8080', testUser: 'u', apiKeySecret: ref }, /invalid gatewayUrl "memos-gateway:8080"/],
    ['testUser missing', { gatewayUrl: 'http://g:8080', apiKeySecret: ref }, /invalid testUser \(missing\); allowed: a non-empty string/],
    ['testUser characters', { gatewayUrl: 'http://g:8080', testUser: 'a"b', apiKeySecret: ref }, /invalid testUser "a\\"b"; allowed: an identity of letters, digits and ._@:-/],
    ['apiKeySecret missing', { gatewayUrl: 'http://g:8080', testUser: 'u' }, /invalid apiKeySecret \(missing\); allowed: SecretKeyRef.of/],
    ['apiKeySecret plain object', { gatewayUrl: 'http://g:8080', testUser: 'u', apiKeySecret: { secretName: 's', key: 'k' } as any }, /invalid apiKeySecret "\(not shown\)"; allowed: SecretKeyRef.of/],
    ['apiKeySecret Secret name', { gatewayUrl: 'http://g:8080', testUser: 'u', apiKeySecret: SecretKeyRef.of('Bad Secret', 'k') }, /invalid apiKeySecret.secretName "Bad Secret"; allowed: a DNS subdomain/],
    ['apiKeySecret key that is a credential', { gatewayUrl: 'http://g:8080', testUser: 'u', apiKeySecret: SecretKeyRef.of('s', 'sk-abcdefghijklmnopqrstuvwxyz') }, /invalid apiKeySecret.key "<redacted>"; allowed: the NAME of a key/],
    ['searchTimeout too long for timeout', { gatewayUrl: 'http://g:8080', testUser: 'u', apiKeySecret: ref, searchTimeout: Duration.minutes(10) }, /invalid searchTimeout .*allowed: a Duration at least a minute shorter than timeout \(600 s\)/],
    ['searchTimeout too short', { gatewayUrl: 'http://g:8080', testUser: 'u', apiKeySecret: ref, searchTimeout: Duration.seconds(5) }, /invalid searchTimeout .*allowed: a Duration of whole seconds from 10 s to 3600 s/],
    ['searchTimeout without gateway', { searchTimeout: Duration.minutes(1) }, /invalid searchTimeout .*allowed: nothing without gatewayUrl/],
    ['qdrant.url', { qdrant: { url: 'http://q:6333/collections' } }, /invalid qdrant.url "http:\/\/q:6333\/collections"/],
    ['qdrant.apiKeySecret', { qdrant: { url: 'http://q:6333', apiKeySecret: 'my-key' as any } }, /invalid qdrant.apiKeySecret "\(not shown\)"/],
    ['neo4j.url', { neo4j: { url: 'bolt://n:7687', passwordSecret: ref } }, /invalid neo4j.url "bolt:\/\/n:7687"; allowed: a base URL/],
    ['neo4j.passwordSecret', { neo4j: { url: 'http://n:7474' } as any }, /invalid neo4j.passwordSecret \(missing\)/],
    ['neo4j.user', { neo4j: { url: 'http://n:7474', user: 'a:b', passwordSecret: ref } }, /invalid neo4j.user "a:b"; allowed: a user name/],
    ['neo4j.database', { neo4j: { url: 'http://n:7474', passwordSecret: ref, database: 'x' } }, /invalid neo4j.database "x"; allowed: a database name/],
    ['milvus.url', { milvus: { url: 'http://m:19530/v2', passwordSecret: ref } }, /invalid milvus.url "http:\/\/m:19530\/v2"; allowed: a base URL/],
    ['milvus.user', { milvus: { url: 'http://m:19530', user: '', passwordSecret: ref } }, /invalid milvus.user ""; allowed: a user name/],
    ['milvus.passwordSecret', { milvus: { url: 'http://m:19530', passwordSecret: 'root:Milvus' as any } }, /invalid milvus.passwordSecret "\(not shown\)"/],
    ['redis.host', { redis: { host: 'redis:6379' } }, /invalid redis.host "redis:6379"; allowed: a host name or IPv4 address \(give the port/],
    ['redis.port', { redis: { host: 'redis', port: 0 } }, /invalid redis.port 0; allowed: an integer from 1 to 65535/],
    ['redis.passwordSecret', { redis: { host: 'redis', passwordSecret: SecretKeyRef.of('s', 'bad key') } }, /invalid redis.passwordSecret.key "bad key"; allowed: a Secret key/],
    ['timeout too short', { timeout: Duration.seconds(30) }, /invalid timeout "30 seconds"; allowed: a Duration of whole seconds from 60 s/],
    ['timeout not a Duration', { timeout: 600 as any }, /invalid timeout 600; allowed: a Duration/],
    ['timeout in fractions of a second', { timeout: Duration.millis(90500) }, /invalid timeout .*allowed: a Duration of whole seconds/],
    ['ttlAfterFinished', { ttlAfterFinished: Duration.days(31) }, /invalid ttlAfterFinished "31 days"; allowed: a Duration of whole seconds from 0 s to 2592000 s/],
    ['image', { image: 'docker.io/curlimages/curl:latest' }, /invalid image "docker.io\/curlimages\/curl:latest"; allowed: an image pinned/],
    ['imagePullSecrets', { imagePullSecrets: ['Bad'] }, /invalid imagePullSecrets\[0\] "Bad"; allowed: a DNS subdomain/],
  ];
  test.each(cases)('%s', (_name, override, message) => {
    const props = { instance: 'memos', memosUrl: 'http://memos-api:8000', ...override } as MemosSmokeTestProps;
    expect(() => new MemosSmokeTest(Testing.chart(), 'Smoke', props)).toThrow(new RegExp(`^MemosSmokeTest 'test/Smoke': ${message.source}`));
  });

  test('the valid neighbours of the cases above build', () => {
    expect(() => new MemosSmokeTest(Testing.chart(), 'Smoke', {
      ...FULL, searchTimeout: Duration.minutes(9), redis: { host: '10.0.0.5', port: 6380 }, neo4j: { ...FULL.neo4j!, user: 'neo4j', database: 'memos-db' },
    })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// The script, run for real.

const SECRETS: Record<string, string> = {
  'memos-smoke/api-key': 'gw-Key "quoted" \\back\\slash $HOME',
  'memos-secrets/QDRANT_API_KEY': 'qdrant-key-7f3a9c',
  'memos-secrets/NEO4J_PASSWORD': 'neo4j pass:with"quote\\',
  'memos-secrets/MILVUS_PASSWORD': 'milvus-p@ss word',
  'memos-secrets/MEMSCHEDULER_REDIS_PASSWORD': 'redis pass "x" \\ $y',
};
const TEST_USER = 'smoke-user';

const missing = missingFor('smoke-test.test.ts (the smoke test script under busybox sh with curl)', [debianTool('busybox'), debianTool('curl')]);
const describeRun = missing ? describe.skip : describe;

/** Stubs of every checked endpoint, with what they received. */
interface Stubs {
  ports: { memos: number; qdrant: number; neo4j: number; milvus: number; redis: number };
  /** `found`: the search answers the marker from its second call on; `never`: it never does. */
  searchMode: 'found' | 'never';
  adds: Obj[];
  searches: number;
  neo4jAuth: string[];
  redisAuth: string[];
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (d) => { data += d; });
    req.on('end', () => resolve(data));
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function startStubs(): Promise<Stubs> {
  const stubs = { searchMode: 'found', adds: [], searches: 0, neo4jAuth: [], redisAuth: [] } as unknown as Stubs;
  const apiKey = SECRETS['memos-smoke/api-key'];
  let marker = '';
  // MemOS behind the gateway: the API key, JSON, user_id = the key's identity (gateway-config.ts).
  const memos = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'healthy', service: 'memos', version: '1.0.1' });
    if (req.method !== 'POST' || !['/product/add', '/product/search'].includes(req.url!)) return send(res, 404, { error: 'not_found' });
    if (req.headers['x-api-key'] !== apiKey) return send(res, 401, { error: 'unauthorized' });
    if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return send(res, 400, { error: 'content_type_must_be_json' });
    const json = JSON.parse(body);
    if (json.user_id !== TEST_USER) return send(res, 403, { error: 'user_id_mismatch' });
    if (req.url === '/product/add') {
      stubs.adds.push(json);
      marker = /memos-smoke-[0-9TZ]+-[0-9a-f]+/.exec(json.messages?.[0]?.content ?? '')?.[0] ?? '';
      return send(res, 200, { code: 200, message: 'Memory added successfully', data: [] });
    }
    stubs.searches += 1;
    const found = stubs.searchMode === 'found' && stubs.searches >= 2 && json.query === marker && marker !== '';
    const memories = found ? [{ id: 'a1', memory: `The user's code word is ${marker}.`, metadata: { sources: [] } }] : [];
    return send(res, 200, { code: 200, message: 'Search completed successfully', data: { text_mem: [{ cube_id: TEST_USER, memories }], pref_mem: [] } });
  });
  const qdrant = http.createServer(async (req, res) => {
    await readBody(req);
    if (req.url === '/readyz') { res.writeHead(200); return res.end('all shards are ready'); }
    if (req.url !== '/collections') return send(res, 404, {});
    if (req.headers['api-key'] !== SECRETS['memos-secrets/QDRANT_API_KEY']) { res.writeHead(401); return res.end('Must provide an API key or an Authorization bearer token'); }
    return send(res, 200, { result: { collections: [{ name: 'neo4j_vec_db' }] }, status: 'ok', time: 0.0001 });
  });
  const neo4j = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method !== 'POST' || req.url !== '/db/neo4j/tx/commit') return send(res, 404, {});
    const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    stubs.neo4jAuth.push(auth);
    if (auth !== `neo4j:${SECRETS['memos-secrets/NEO4J_PASSWORD']}`) {
      return send(res, 401, { errors: [{ code: 'Neo.ClientError.Security.Unauthorized', message: 'The client is unauthorized due to authentication failure.' }] });
    }
    if (JSON.parse(body).statements?.[0]?.statement !== 'RETURN 1') return send(res, 400, { errors: [{ code: 'Neo.ClientError.Request.Invalid' }] });
    return send(res, 200, { results: [{ columns: ['1'], data: [{ row: [1], meta: [null] }] }], errors: [] });
  });
  const milvus = http.createServer(async (req, res) => {
    await readBody(req);
    if (req.method !== 'POST' || req.url !== '/v2/vectordb/collections/list') return send(res, 404, {});
    if (req.headers.authorization !== `Bearer root:${SECRETS['memos-secrets/MILVUS_PASSWORD']}`) return send(res, 200, { code: 1800, message: "user hasn't authenticated" });
    return send(res, 200, { code: 0, data: ['preferences'] });
  });
  // Redis: RESP arrays in, simple strings and errors out, as Redis answers AUTH, PING and QUIT.
  const redis = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let authed = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const command = parseResp(buffer);
        if (!command) return;
        buffer = buffer.subarray(command.length);
        const [name, ...args] = command.args;
        if (name.toUpperCase() === 'AUTH') {
          stubs.redisAuth.push(args[0]);
          authed = args[0] === SECRETS['memos-secrets/MEMSCHEDULER_REDIS_PASSWORD'];
          socket.write(authed ? '+OK\r\n' : '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
        } else if (name.toUpperCase() === 'PING') {
          socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
        } else if (name.toUpperCase() === 'QUIT') {
          socket.end('+OK\r\n');
          return;
        } else {
          socket.write(`-ERR unknown command '${name}'\r\n`);
        }
      }
    });
    socket.on('error', () => undefined);
  });
  const servers = [memos, qdrant, neo4j, milvus, redis];
  stubs.ports = {
    memos: await listen(memos), qdrant: await listen(qdrant), neo4j: await listen(neo4j), milvus: await listen(milvus), redis: await listen(redis),
  };
  stubs.close = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
      (s as any).closeAllConnections?.();
      s.close(() => resolve());
    })));
  };
  return stubs;
}

/** One RESP array of bulk strings at the start of `buffer`, or undefined when incomplete. */
function parseResp(buffer: Buffer): { args: string[]; length: number } | undefined {
  let offset = 0;
  const line = () => {
    const end = buffer.indexOf('\r\n', offset);
    if (end < 0) return undefined;
    const text = buffer.subarray(offset, end).toString();
    offset = end + 2;
    return text;
  };
  const head = line();
  if (head === undefined) return undefined;
  if (!head.startsWith('*')) throw new Error(`not a RESP array: ${head}`);
  const args: string[] = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const size = line();
    if (size === undefined) return undefined;
    const n = Number(size.slice(1));
    if (buffer.length < offset + n + 2) return undefined;
    args.push(buffer.subarray(offset, offset + n).toString());
    offset += n + 2;
  }
  return { args, length: offset };
}

interface Run { code: number; stdout: string; stderr: string; curlArgv: string }

describeRun('MemosSmokeTest script, run under busybox sh with curl against stubs', () => {
  jest.setTimeout(60_000);
  let stubs: Stubs;
  let tools: string;
  beforeAll(async () => {
    stubs = await startStubs();
    tools = temporaryFolder('smoke-tools-');
    const busybox = which('busybox')!;
    for (const applet of ['sh', 'cat', 'tr', 'cut', 'sed', 'grep', 'date', 'sleep', 'wc', 'head', 'tail', 'rm', 'nc', 'timeout', 'printf']) {
      fs.symlinkSync(busybox, path.join(tools, applet));
    }
    // curl, with its command lines recorded: no credential may appear there.
    fs.writeFileSync(path.join(tools, 'curl'), `#!${path.join(tools, 'sh')}\nprintf '%s\\n' "$@" >> "$CURL_ARGV_LOG"\nexec ${which('curl')} "$@"\n`, { mode: 0o755 });
  });
  afterAll(async () => stubs?.close());
  beforeEach(() => {
    stubs.searchMode = 'found';
    stubs.adds = [];
    stubs.searches = 0;
    stubs.neo4jAuth = [];
    stubs.redisAuth = [];
  });

  const local = (port: number) => `http://127.0.0.1:${port}`;
  const props = (override: Partial<MemosSmokeTestProps> = {}): MemosSmokeTestProps => ({
    ...FULL,
    memosUrl: local(stubs.ports.memos),
    gatewayUrl: local(stubs.ports.memos),
    qdrant: { ...FULL.qdrant!, url: local(stubs.ports.qdrant) },
    neo4j: { ...FULL.neo4j!, url: local(stubs.ports.neo4j) },
    milvus: { ...FULL.milvus!, url: local(stubs.ports.milvus) },
    redis: { ...FULL.redis!, host: '127.0.0.1', port: stubs.ports.redis },
    ...override,
  });

  /** Runs the synthesized script with the Job container's environment; secretKeyRefs from `secrets`. */
  async function run(p: MemosSmokeTestProps, options: { secrets?: Record<string, string>; env?: Record<string, string> } = {}): Promise<Run> {
    const { job, configMap } = synth(p);
    const container = job.spec.template.spec.containers[0];
    const dir = temporaryFolder('smoke-run-');
    const script = path.join(dir, 'smoke-test.sh');
    fs.writeFileSync(script, configMap.data['smoke-test.sh']);
    const argvLog = path.join(dir, 'curl-argv.log');
    const secrets = options.secrets ?? SECRETS;
    const env: Record<string, string> = { PATH: tools, HOME: dir, LANG: 'C', CURL_ARGV_LOG: argvLog };
    for (const e of container.env as Obj[]) {
      if (e.value !== undefined) env[e.name] = e.value;
      else env[e.name] = secrets[`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`] ?? (() => { throw new Error(`no test value for ${e.name}`); })();
    }
    env.TMPDIR = dir;
    // Faster polling than a pod's 5 s.
    env.POLL_SECONDS = '1';
    // No wait for memos-api unless a test asks for one.
    env.READY_TIMEOUT = '0';
    Object.assign(env, options.env ?? {});
    expect(container.command).toEqual(['/bin/sh', '/smoke-test/smoke-test.sh']);
    return new Promise((resolve) => {
      const child = spawn(path.join(tools, 'sh'), [script], { env, cwd: dir });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, curlArgv: fs.existsSync(argvLog) ? fs.readFileSync(argvLog, 'utf8') : '' }));
    });
  }

  function expectNoSecrets(result: Run, secrets: Record<string, string> = SECRETS): void {
    for (const value of Object.values(secrets)) {
      expect(result.stdout).not.toContain(value);
      expect(result.stderr).not.toContain(value);
      expect(result.curlArgv).not.toContain(value);
    }
    expect(result.curlArgv).toContain('/product/add'); // the log works
  }

  test('everything up: one ok line per check, exit 0, credentials sent exactly and never printed', async () => {
    const p = props();
    const result = await run(p);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([...new MemosSmokeTest(Testing.chart(), 'S', p).checks.map((c) => `ok ${c}`), 'smoke test passed: 8 checks']);
    // The add: the test user, a fresh marker, asynchronous; the search polled until found (second call).
    expect(stubs.adds).toHaveLength(1);
    expect(stubs.adds[0]).toMatchObject({ user_id: TEST_USER, async_mode: 'async' });
    expect(stubs.adds[0].messages[0].content).toMatch(/code word memos-smoke-\d{8}T\d{6}Z-[0-9a-f]{32}\./);
    expect(stubs.searches).toBe(2);
    expect(stubs.neo4jAuth).toEqual([`neo4j:${SECRETS['memos-secrets/NEO4J_PASSWORD']}`]);
    expect(stubs.redisAuth).toEqual([SECRETS['memos-secrets/MEMSCHEDULER_REDIS_PASSWORD']]);
    expectNoSecrets(result);
  });

  test('a wrong API key: the add fails with 401 and the search is not run; the other checks pass', async () => {
    const secrets = { ...SECRETS, 'memos-smoke/api-key': 'wrong-key-0000' };
    const result = await run(props(), { secrets });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAIL gateway-add: POST ${local(stubs.ports.memos)}/product/add as ${TEST_USER}: HTTP 401: {"error":"unauthorized"}\n`);
    expect(result.stdout).toContain('FAIL gateway-search: not run: the add failed\n');
    for (const check of ['memos-health', 'qdrant-ready', 'qdrant-collections', 'neo4j', 'milvus', 'redis']) expect(result.stdout).toContain(`ok ${check}\n`);
    expect(result.stdout).toMatch(/smoke test FAILED\n$/);
    expect(stubs.searches).toBe(0);
    expectNoSecrets(result, secrets);
  });

  test('a search that never finds the marker fails after the search timeout', async () => {
    stubs.searchMode = 'never';
    const result = await run(props(), { env: { SEARCH_TIMEOUT: '3' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ok gateway-add\n');
    expect(result.stdout).toMatch(/FAIL gateway-search: the added memory was not found after \d+ searches in 3 s \(is the scheduler consuming the queue\?\)\n/);
    expect(stubs.searches).toBeGreaterThanOrEqual(3);
    expectNoSecrets(result);
  });

  test('services down: curl and nc failures become FAIL lines with the reason', async () => {
    const closed = await freePort();
    const result = await run(props({
      memosUrl: local(closed),
      qdrant: { ...FULL.qdrant!, url: local(closed) },
      redis: { host: '127.0.0.1', port: closed, passwordSecret: FULL.redis!.passwordSecret },
    }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL memos-health: GET ${local(closed)}/health: curl exit code 7: curl: \\(7\\) Failed to connect`));
    expect(result.stdout).toMatch(/FAIL qdrant-ready: .*\/readyz: curl exit code 7/);
    expect(result.stdout).toMatch(/FAIL qdrant-collections: .*\/collections: curl exit code 7/);
    expect(result.stdout).toMatch(new RegExp(`FAIL redis: no PONG from 127\\.0\\.0\\.1:${closed}`));
    for (const check of ['gateway-add', 'gateway-search', 'neo4j', 'milvus']) expect(result.stdout).toContain(`ok ${check}\n`);
    expectNoSecrets(result);
  });

  test('memos-api not ready yet: the health check waits for it, up to READY_TIMEOUT', async () => {
    let calls = 0;
    const slow = http.createServer((_req, res) => {
      calls++;
      if (calls <= 2) return send(res, 503, { status: 'starting' });
      return send(res, 200, { status: 'healthy', service: 'memos', version: '1.0.1' });
    });
    const port = await listen(slow);
    try {
      const waited = await run({ instance: 'memos', memosUrl: local(port) }, { env: { READY_TIMEOUT: '10' } });
      expect(waited.stdout).toBe('ok memos-health\nsmoke test passed: 1 checks\n');
      expect(waited.code).toBe(0);
      expect(calls).toBe(3);
      calls = 0;
      const impatient = await run({ instance: 'memos', memosUrl: local(port) }, { env: { READY_TIMEOUT: '0' } });
      expect(impatient.stdout).toMatch(/^FAIL memos-health: .*HTTP 503/);
      expect(impatient.code).toBe(1);
    } finally {
      slow.close();
    }
  });

  test('wrong store credentials: Qdrant, Neo4j, Milvus and Redis each fail with their answer', async () => {
    const secrets = {
      ...SECRETS,
      'memos-secrets/QDRANT_API_KEY': 'bad-qdrant-key',
      'memos-secrets/NEO4J_PASSWORD': 'bad-neo4j-pass',
      'memos-secrets/MILVUS_PASSWORD': 'bad-milvus-pass',
      'memos-secrets/MEMSCHEDULER_REDIS_PASSWORD': 'bad-redis-pass',
    };
    const result = await run(props(), { secrets });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ok qdrant-ready\n');
    expect(result.stdout).toMatch(/FAIL qdrant-collections: GET .*\/collections: HTTP 401: Must provide an API key/);
    expect(result.stdout).toMatch(/FAIL neo4j: POST .*\/db\/neo4j\/tx\/commit as neo4j: HTTP 401: .*Neo.ClientError.Security.Unauthorized/);
    expect(result.stdout).toMatch(/FAIL milvus: POST .*\/v2\/vectordb\/collections\/list as root: HTTP 200: .*"code":1800/);
    expect(result.stdout).toContain(`FAIL redis: 127.0.0.1:${stubs.ports.redis} answered -WRONGPASS invalid username-password pair or user is disabled.\n`);
    for (const check of ['memos-health', 'gateway-add', 'gateway-search']) expect(result.stdout).toContain(`ok ${check}\n`);
    expectNoSecrets(result, secrets);
  });

  test('Redis without a password: PING only, answered NOAUTH when the server wants one', async () => {
    const result = await run(props({ redis: { host: '127.0.0.1', port: stubs.ports.redis } }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAIL redis: 127.0.0.1:${stubs.ports.redis} answered -NOAUTH Authentication required.\n`);
    expect(stubs.redisAuth).toEqual([]);
  });

  test('only the configured checks run', async () => {
    const result = await run({ instance: 'memos', memosUrl: local(stubs.ports.memos) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ok memos-health\nsmoke test passed: 1 checks\n');
  });
});
