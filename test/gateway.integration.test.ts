/**
 * The gateway's synthesized HAProxy configuration, run by the real haproxy binary in front of a
 * stub memos-api that records what it receives: authentication (JWT RS256/ES256, API keys),
 * identity binding, the route allow-list, body rules, the rate limit across two replicas, and
 * the metrics. The stub must see only the allowed requests, each with the identity header set.
 *
 * Needs haproxy 2.6 (Debian: haproxy); `.ci/run` installs it and sets MEMOS_INTEGRATION=required.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Chart, Size, Testing } from 'cdk8s';
import { ApiGateway, RedisQueue } from '../charts/backends';
import { MemosChart } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { GATEWAY_PATHS } from '../constructs/gateway-config';
import { HttpMethod, JwtAlgorithm, JwtKeySource, MemosGatewayOptions, UserIdLocation, MemosGateway } from '../constructs/memos-gateway';
import { only } from './support/synth';
import { debianTool, missingFor } from './support/integration';
import { temporaryFolders } from './support/tmp';

const hasHaproxy = !missingFor('gateway.integration.test.ts (the gateway run by haproxy)', [debianTool('haproxy')]);

const temporaryFolder = temporaryFolders();
const ISSUER = 'https://auth.test.example';
const AUDIENCE = 'memos-api';

type Response = { status: number; headers: http.IncomingHttpHeaders; body: string };
type Recorded = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function request(port: number, method: string, target: string, options: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string | number> = { ...options.headers };
    if (body && !options.chunked) headers['content-length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body && options.chunked) {
      for (let i = 0; i < body.length; i += 16384) req.write(body.subarray(i, i + 16384));
    } else if (body) req.write(body);
    req.end();
  });
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A JWT signed as the test asks (including wrongly). */
function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key?: crypto.KeyObject, secret?: Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const alg = header.alg;
  let signature = Buffer.alloc(0);
  if (alg === 'RS256') signature = crypto.sign('sha256', Buffer.from(input), key!);
  if (alg === 'ES256') signature = crypto.sign('sha256', Buffer.from(input), { key: key!, dsaEncoding: 'ieee-p1363' });
  if (alg === 'HS256') signature = crypto.createHmac('sha256', secret!).update(input).digest();
  return `${input}.${b64url(signature)}`;
}

/** The gateway's files, as the ConfigMap holds them, with the pod's paths and ports moved here. */
function localConfig(options: MemosGatewayOptions, dir: string, ports: { api: number; ops: number; upstream: number }): { files: Record<string, string>; config: string } {
  const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.dcs.example' }), gateway: ApiGateway.haproxy(options) });
  const files = only(Testing.synth(chart), 'ConfigMap', 'memos-gateway').data as Record<string, string>;
  const config = files['haproxy.cfg']
    .split(GATEWAY_PATHS.config).join(path.join(dir, 'config'))
    .split(GATEWAY_PATHS.jwtKeys).join(path.join(dir, 'jwt'))
    .split(GATEWAY_PATHS.apiKeys).join(path.join(dir, 'api-keys'))
    .replace('bind :8080', `bind 127.0.0.1:${ports.api}`)
    .replace('bind :8404', `bind 127.0.0.1:${ports.ops}`)
    // The pods a headless Service's records give, here the stub alone.
    .replace(/server-template memos \d+ memos-api-headless\.memos\.svc\.cluster\.local:8000 (.*) resolvers cluster init-addr none/,
      `server memos 127.0.0.1:${ports.upstream} $1`);
  if (config.includes(':8080') || config.includes('svc.cluster.local')) throw new Error('the test did not move every port and host');
  return { files, config };
}

(hasHaproxy ? describe : describe.skip)('the gateway, run by haproxy in front of a recording stub', () => {
  const dir = temporaryFolder('memos-gateway-');
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const attacker = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiKeys = { carol: 'mk_carol_0123456789abcdef', 'svc-batch': 'mk_service_fedcba9876543210' };
  const options: MemosGatewayOptions = {
    jwt: {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ keyId: 'rsa-2026', algorithm: JwtAlgorithm.RS256 }, { keyId: 'ec-2026', algorithm: JwtAlgorithm.ES256 }],
      keySource: JwtKeySource.configMap('memos-jwt-keys'),
    },
    apiKeys: { secretName: 'memos-api-keys' },
    serviceIdentities: ['svc-batch'],
    maxBodySize: undefined,
  };
  const recorded: Recorded[] = [];
  const processes: ChildProcess[] = [];
  let stub: http.Server;
  let port = 0;
  let ops = 0;
  let upstream = 0;

  const startHaproxy = async (config: string, name: string, apiPort: number, opsPort: number) => {
    const file = path.join(dir, `${name}.cfg`);
    fs.writeFileSync(file, config);
    // As the image runs it: not root (when the test runs as root, as nobody), reading its files only.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn('haproxy', ['-W', '-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...asNobody });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    processes.push(child);
    const deadline = Date.now() + 10000;
    for (;;) {
      const ready = await request(apiPort, 'GET', '/healthz').then((r) => r.status === 200, () => false);
      const live = await request(opsPort, 'GET', '/livez').then((r) => r.status === 200, () => false);
      if (ready && live) return;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`haproxy did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    fs.chmodSync(dir, 0o755);
    stub = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (req.url !== '/health') recorded.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":200}');
      });
    });
    upstream = await new Promise<number>((resolve) => stub.listen(0, '127.0.0.1', () => resolve((stub.address() as net.AddressInfo).port)));
    port = await freePort();
    ops = await freePort();
    const { files, config } = localConfig(options, dir, { api: port, ops, upstream });
    for (const sub of ['config', 'jwt', 'api-keys']) fs.mkdirSync(path.join(dir, sub), { mode: 0o755 });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'config', name), content, { mode: 0o644 });
    fs.writeFileSync(path.join(dir, 'jwt', 'rsa-2026.pem'), rsa.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    fs.writeFileSync(path.join(dir, 'jwt', 'ec-2026.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    // The Secret's map, as docs/security.md tells you to write it: the keys' sha256, never the keys.
    const map = Object.entries(apiKeys).map(([owner, key]) => `${crypto.createHash('sha256').update(key).digest('hex')} ${owner}`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'api-keys', 'api-keys.map'), map, { mode: 0o644 });
    await startHaproxy(config, 'gateway', port, ops);
  }, 30000);

  afterAll(async () => {
    for (const child of processes) {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // its group is already gone
      }
    }
    await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (sub: string, extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub, exp: now() + 300, nbf: now() - 10, ...extra });
  const rsaToken = (sub = 'alice', extra: Record<string, unknown> = {}) => jwt({ alg: 'RS256', kid: 'rsa-2026', typ: 'JWT' }, claims(sub, extra), rsa.privateKey);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = { 'content-type': 'application/json' };

  /** Sends one request and returns its response and what the stub saw of it. */
  async function call(method: string, target: string, headers: Record<string, string>, body?: string | Buffer, chunked = false) {
    const marker = crypto.randomUUID();
    const response = await request(port, method, target, { headers: { ...headers, 'x-test-case': marker }, body, chunked });
    const seen = recorded.filter((r) => r.headers['x-test-case'] === marker);
    return { ...response, seen };
  }

  describe('authentication', () => {
    test.each([
      ['RS256, first key', () => rsaToken('alice'), 'alice'],
      ['ES256, second key (rotation: both keys at once)', () => jwt({ alg: 'ES256', kid: 'ec-2026' }, claims('alice'), ec.privateKey), 'alice'],
      ['an aud list holding the audience', () => rsaToken('alice', { aud: ['other', AUDIENCE] }), 'alice'],
    ])('a valid token (%s) reaches MemOS with the identity header, without the token', async (_what, token, user) => {
      const r = await call('POST', '/product/search', { ...bearer(token()), ...json }, JSON.stringify({ user_id: user, query: 'q' }));
      expect(r.status).toBe(200);
      expect(r.seen).toHaveLength(1);
      expect(r.seen[0].headers['x-memos-user']).toBe(user);
      expect(r.seen[0].headers['x-user-name']).toBe(user);
      expect(r.seen[0].headers.authorization).toBeUndefined();
      expect(JSON.parse(r.seen[0].body)).toEqual({ user_id: user, query: 'q' });
    });

    test.each([
      ['no credentials', () => ({})],
      ['expired', () => bearer(rsaToken('alice', { exp: now() - 120 }))],
      ['not yet valid', () => bearer(rsaToken('alice', { nbf: now() + 120 }))],
      ['without exp', () => bearer(rsaToken('alice', { exp: undefined }))],
      ['a wrong signature', () => bearer(jwt({ alg: 'RS256', kid: 'rsa-2026' }, claims('alice'), attacker.privateKey))],
      ['a wrong audience', () => bearer(rsaToken('alice', { aud: 'someone-else' }))],
      ['an aud list without the audience', () => bearer(rsaToken('alice', { aud: ['a', 'b'] }))],
      ['a wrong issuer', () => bearer(rsaToken('alice', { iss: 'https://evil.example' }))],
      ['an unknown key id', () => bearer(jwt({ alg: 'RS256', kid: 'rsa-2025' }, claims('alice'), rsa.privateKey))],
      ['no key id', () => bearer(jwt({ alg: 'RS256' }, claims('alice'), rsa.privateKey))],
      ['alg none', () => bearer(jwt({ alg: 'none', kid: 'rsa-2026' }, claims('alice')))],
      ['HS256 keyed with the public key', () => bearer(jwt({ alg: 'HS256', kid: 'rsa-2026' }, claims('alice'), undefined, Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string)))],
      ['an ES256 token under the RSA key id', () => bearer(jwt({ alg: 'ES256', kid: 'rsa-2026' }, claims('alice'), ec.privateKey))],
      ['an unknown API key', () => ({ 'x-api-key': 'mk_guess' })],
      ['a JWT and an API key together', () => ({ ...bearer(rsaToken('alice')), 'x-api-key': apiKeys.carol })],
      ['a header-injecting subject', () => bearer(rsaToken('alice\r\nx-memos-user: bob'))],
    ])('%s: 401, and MemOS sees nothing', async (_what, headers) => {
      const r = await call('POST', '/product/search', { ...headers(), ...json }, JSON.stringify({ user_id: 'alice', query: 'q' }));
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="memos"');
      expect(r.seen).toEqual([]);
    });

    test('an API key authenticates its owner; the key itself is not forwarded', async () => {
      const r = await call('POST', '/product/add', { 'x-api-key': apiKeys.carol, ...json }, JSON.stringify({ user_id: 'carol', messages: [] }));
      expect(r.status).toBe(200);
      expect(r.seen[0].headers['x-memos-user']).toBe('carol');
      expect(r.seen[0].headers['x-api-key']).toBeUndefined();
    });

    test('a client-sent identity header is replaced by the authenticated one', async () => {
      const r = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json, 'x-memos-user': 'bob' }, JSON.stringify({ user_id: 'alice' }));
      expect(r.status).toBe(200);
      expect(r.seen[0].headers['x-memos-user']).toBe('alice');
    });
  });

  describe('identity binding', () => {
    test.each([
      ['another user in the body', 'POST', '/product/search', JSON.stringify({ user_id: 'bob', query: 'q' }), 403],
      ['another user in the query', 'GET', '/product/scheduler/status?user_id=bob', undefined, 403],
      ['no user_id', 'POST', '/product/search', JSON.stringify({ query: 'q' }), 400],
      ['user_id null', 'POST', '/product/search', JSON.stringify({ user_id: null }), 400],
      ['a body that is not JSON', 'POST', '/product/search', 'user_id=alice', 400],
      ['two user_id keys, the last another user\'s (MemOS reads the last)', 'POST', '/product/search', '{"user_id":"alice","user_id":"bob"}', 403],
      ['a \\u-escaped user_id key last', 'POST', '/product/search', '{"user_id":"alice","user_\\u0069d":"bob"}', 403],
      ['an escaped key behind a long padding', 'POST', '/product/search', `{"user_id":"alice","pad":"${'\\u0041'.repeat(3000)}","user_\\u0069d":"bob"}`, 403],
      ['two mem_cube_id keys, the last another user\'s', 'POST', '/product/add', '{"user_id":"alice","mem_cube_id":"alice","mem_cube_id":"bob"}', 403],
      ['two cube lists, the last another user\'s', 'POST', '/product/search', '{"user_id":"alice","readable_cube_ids":["alice"],"readable_cube_ids":["bob"]}', 403],
      ['an escaped cube key behind a long padding', 'POST', '/product/add', `{"user_id":"alice","pad":"${'\\u0041'.repeat(3000)}","mem_cube_\\u0069d":"bob"}`, 403],
      ['a body with trailing garbage', 'POST', '/product/search', '{"user_id":"alice"} x', 400],
      ['a JSON array', 'POST', '/product/search', '[{"user_id":"alice"}]', 400],
      ['NaN, which only Python accepts', 'POST', '/product/search', '{"user_id":"alice","top_k":NaN}', 400],
      ['a number with a leading zero, which Python refuses', 'POST', '/product/search', '{"user_id":"alice","top_k":01}', 400],
      ['a lone surrogate', 'POST', '/product/search', '{"user_id":"alice","query":"\\ud800"}', 400],
      ['nesting deeper than 64', 'POST', '/product/search', `{"user_id":"alice","q":${'['.repeat(70)}${']'.repeat(70)}}`, 400],
      ['another user in the query twice', 'GET', '/product/scheduler/status?user_id=alice&user_id=bob', undefined, 400],
      ["another user's cube to write", 'POST', '/product/add', JSON.stringify({ user_id: 'alice', writable_cube_ids: ['bob'] }), 403],
      ["another user's cube besides one's own", 'POST', '/product/search', JSON.stringify({ user_id: 'alice', readable_cube_ids: ['alice', 'bob'] }), 403],
      ["another user's mem_cube_id", 'POST', '/product/add', JSON.stringify({ user_id: 'alice', mem_cube_id: 'bob' }), 403],
      ["another user's cubes to list", 'POST', '/product/get_all', JSON.stringify({ user_id: 'alice', memory_type: 'text_mem', mem_cube_ids: ['bob'] }), 403],
    ])('%s: refused before MemOS', async (_what, method, target, body, status) => {
      const r = await call(method, target, { ...bearer(rsaToken('alice')), ...(body ? { 'content-type': 'application/json' } : {}) }, body);
      expect(r.status).toBe(status);
      expect(r.seen).toEqual([]);
    });

    test.each([
      ['the own user in the query', 'GET', '/product/scheduler/status?user_id=alice&task_id=t1', undefined],
      ['the own cube', 'POST', '/product/add', JSON.stringify({ user_id: 'alice', writable_cube_ids: ['alice'], mem_cube_id: 'alice' })],
    ])('%s: forwarded', async (_what, method, target, body) => {
      const r = await call(method, target, { ...bearer(rsaToken('alice')), ...(body ? json : {}) }, body);
      expect(r.status).toBe(200);
      expect(r.seen).toHaveLength(1);
      expect(r.seen[0].url).toBe(target);
    });

    test('whatever the gateway forwards, Python\'s json (what FastAPI gives MemOS) reads as the caller\'s own', async () => {
      const bodies = [
        '{"user_id":"alice","query":"caf\\u00e9 \\ud83d\\ude00"}',
        '{"user_\\u0069d":"bob","user_id":"alice"}',
        '{"user_id":"bob","user_id":"alice"}',
        '{"user_id":"alice","user_id":"bob"}',
        '{"user_id":"alice","readable_cube_ids":["bob"],"readable_cube_ids":["alice"]}',
        '{"user_id":"alice","mem_cube_id":null}',
        '{"user_id":"alice","writable_cube_ids":["alice","alice"]}',
        '{"user_id":"alice","writable_cube_ids":{"0":"alice"}}',
        '{"user_id":"alice","nested":{"user_id":"bob"}}',
        ' \n{"user_id" : "alice"}\t',
        '{"user_id":"al\\u0069ce"}',
        '{"user_id":"alice\\u0000"}',
        '{"user_id":"alice","x":1e999}',
        '{"user_id":"alice","x":-0.5e-3,"y":[true,false,null]}',
      ];
      const python = `import json, sys
for line in sys.stdin:
    try:
        body = json.loads(json.loads(line))
        own = lambda v: v is None or v == ["alice"]
        ok = isinstance(body, dict) and body.get("user_id") == "alice" and body.get("mem_cube_id") in (None, "alice") and all(own(body.get(k)) for k in ("readable_cube_ids", "writable_cube_ids", "mem_cube_ids"))
        print("own" if ok else "other")
    except Exception:
        print("invalid")`;
      const readings = execFileSync('python3', ['-c', python], { input: bodies.map((b) => JSON.stringify(b)).join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
      const outcomes: string[] = [];
      for (const [i, body] of bodies.entries()) {
        const r = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json }, body);
        outcomes.push(`${readings[i]} -> ${r.seen.length ? 'forwarded' : r.status}`);
        // Forwarded only what MemOS reads as alice's own; everything MemOS reads as alice's own is forwarded.
        expect([body, r.seen.length === 1]).toEqual([body, readings[i] === 'own']);
      }
      expect(outcomes.filter((o) => o.endsWith('forwarded')).length).toBeGreaterThanOrEqual(6);
    });

    test('bytes that are not UTF-8 are refused; a UTF-8 byte-order mark is read past, as Python does', async () => {
      const invalid = Buffer.concat([Buffer.from('{"user_id":"alice","query":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      const refused = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json }, invalid);
      expect([refused.status, refused.seen]).toEqual([400, []]);
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"user_id":"alice","query":"q"}')]);
      const passed = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json }, bom);
      expect([passed.status, passed.seen.length]).toEqual([200, 1]);
    });

    test('a service identity may act for any user, and still needs a valid credential', async () => {
      const ok = await call('POST', '/product/add', { 'x-api-key': apiKeys['svc-batch'], ...json }, JSON.stringify({ user_id: 'bob', writable_cube_ids: ['bob'] }));
      expect([ok.status, ok.seen[0]?.headers['x-memos-user']]).toEqual([200, 'svc-batch']);
      const expired = await call('POST', '/product/add', { ...bearer(rsaToken('svc-batch', { exp: now() - 120 })), ...json }, JSON.stringify({ user_id: 'bob' }));
      expect([expired.status, expired.seen]).toEqual([401, []]);
    });
  });

  describe('routes and bodies', () => {
    test.each([
      ['GET', '/download/skills.zip'], ['GET', '/docs'], ['GET', '/openapi.json'], ['POST', '/product/create_cube'], ['POST', '/admin/keys'],
      ['POST', '//product/search'], ['POST', '/product/search/'], ['POST', '/product/./search'], ['POST', '/product/%2E/search'],
      ['POST', '/Product/search'], ['GET', '/product/search'], ['POST', '/product/scheduler/status'],
    ])('%s %s is not a route: 404', async (method, target) => {
      const r = await call(method, target, { ...bearer(rsaToken('alice')), ...json }, method === 'POST' ? JSON.stringify({ user_id: 'alice' }) : undefined);
      expect(r.status).toBe(404);
      expect(r.seen).toEqual([]);
    });

    test.each([
      ['doc_path', { user_id: 'alice', doc_path: '/etc/passwd' }],
      ['doc_path nested', { user_id: 'alice', messages: [{ role: 'user', content: 'x', meta: { doc_path: '/etc' } }] }],
      ['is_upload_skill', { user_id: 'alice', is_upload_skill: true }],
      ['a file URL MemOS would fetch', { user_id: 'alice', messages: [{ type: 'file', file: { file_data: 'http://169.254.169.254/latest' } }] }],
      ['a file URL with escaped slashes', '{"user_id":"alice","messages":[{"file":{"file_data":"http:\\/\\/memos-qdrant:6333/collections"}}]}'],
      ['a file URL with an escaped scheme', '{"user_id":"alice","messages":[{"file":{"file_data":"\\u0068ttp://memos-qdrant:6333/"}}]}'],
      ['a file URL behind a non-breaking space (requests strips it)', '{"user_id":"alice","messages":[{"file":{"file_data":"\\u00a0http://169.254.169.254/latest"}}]}'],
      ['a file URL behind a NUL (urllib strips it)', '{"user_id":"alice","messages":[{"file":{"file_data":"\\u0000http://169.254.169.254/latest"}}]}'],
      ['an escaped forbidden key behind a long padding', `{"user_id":"alice","pad":"${'\\u0041'.repeat(3000)}","is_upload\\u005fskill":true}`],
    ])('%s in the body: 403', async (_what, body) => {
      const r = await call('POST', '/product/add', { ...bearer(rsaToken('alice')), ...json }, typeof body === 'string' ? body : JSON.stringify(body));
      expect(r.status).toBe(403);
      expect(r.seen).toEqual([]);
    });

    test('the words of a forbidden field inside a value are fine', async () => {
      const r = await call('POST', '/product/add', { ...bearer(rsaToken('alice')), ...json }, JSON.stringify({ user_id: 'alice', messages: [{ role: 'user', content: 'my "doc_path" is private' }] }));
      expect(r.status).toBe(200);
    });

    test('a body of exactly the limit is forwarded intact; one byte more is refused, chunked or not', async () => {
      const limit = 1024 * 1024;
      const fill = (size: number) => {
        const head = '{"user_id":"alice","query":"';
        return head + 'x'.repeat(size - head.length - 2) + '"}';
      };
      const exact = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json }, fill(limit));
      expect(exact.status).toBe(200);
      expect(exact.seen[0].body.length).toBe(limit);
      for (const chunked of [false, true]) {
        const over = await call('POST', '/product/search', { ...bearer(rsaToken('alice')), ...json }, fill(limit + 1), chunked);
        expect([chunked, over.status, over.seen]).toEqual([chunked, 413, []]);
      }
      // A forbidden field after the first megabyte is not waved through either.
      const hidden = fill(limit + 4096).replace('"}', '","doc_path":"/etc"}');
      expect((await call('POST', '/product/add', { ...bearer(rsaToken('alice')), ...json }, hidden, true)).status).toBe(413);
    });
  });

  test('an anonymous client gets 401 at once, without the gateway waiting for its body', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        // A large body announced, one byte of it sent.
        socket.write('POST /product/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n{');
      });
      let data = '';
      socket.on('data', (d) => { data += d; if (data.includes('\r\n\r\n')) { socket.destroy(); resolve(data); } });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  describe('metrics', () => {
    test('HAProxy counts requests by status class, and the latency histogram counts forwarded requests', async () => {
      const metrics = (await request(ops, 'GET', '/metrics')).body;
      expect(metrics).toMatch(/^haproxy_frontend_http_responses_total\{proxy="api",code="2xx"\} [1-9]/m);
      expect(metrics).toMatch(/^haproxy_frontend_http_responses_total\{proxy="api",code="4xx"\} [1-9]/m);
      const latency = (await request(ops, 'GET', '/metrics/latency')).body;
      const count = Number(/^memos_gateway_upstream_latency_seconds_count\{code="2xx"\} (\d+)$/m.exec(latency)?.[1]);
      expect(count).toBe(recorded.length);
      expect(latency).toMatch(/^memos_gateway_upstream_latency_seconds_bucket\{code="2xx",le="\+Inf"\} \d+$/m);
    });
  });

  describe('rate limit', () => {
    test('over the limit: 429 with Retry-After; two replicas each enforce their share, so the pair admits the limit', async () => {
      // A second pair of gateways for 20 requests/s over 2 replicas: 10 each.
      const limited = { ...options, requestsPerSecond: 20, replicas: 2 };
      const pair = await Promise.all([0, 1].map(async (i) => {
        const api = await freePort();
        const opsPort = await freePort();
        await startHaproxy(localConfig(limited, dir, { api, ops: opsPort, upstream }).config, `limited-${i}`, api, opsPort);
        return { api, ops: opsPort };
      }));
      const refusedOf = async (identity: string) => {
        const bodies = await Promise.all(pair.map(async (p) => (await request(p.ops, 'GET', '/metrics/latency')).body));
        return bodies.reduce((sum, b) => sum + Number(new RegExp(`^memos_gateway_rate_limited_total\\{identity="${identity}"\\} (\\d+)$`, 'm').exec(b)?.[1] ?? 0), 0);
      };
      const token = rsaToken('dora');
      const body = JSON.stringify({ user_id: 'dora', query: 'q' });
      // The load balancer's round robin: alternate between the replicas, all within the same second.
      const responses = await Promise.all(Array.from({ length: 60 }, (_, i) =>
        request(pair[i % 2].api, 'POST', '/product/search', { headers: { ...bearer(token), ...json }, body })));
      const accepted = responses.filter((r) => r.status === 200).length;
      const limitedOut = responses.filter((r) => r.status === 429);
      expect(accepted).toBe(20);
      expect(limitedOut).toHaveLength(40);
      expect(limitedOut.every((r) => r.headers['retry-after'] === '1')).toBe(true);
      // A client steadily over the limit still gets the limit: refused requests do not count.
      // Each refusal is counted for its identity, on the replica that refused it.
      expect(await refusedOf('dora')).toBe(40);
      const steady = pair[0].api;
      const token2 = rsaToken('frank');
      const body2 = JSON.stringify({ user_id: 'frank' });
      // 15 requests a second, evenly spaced, for 3 seconds, against 10 a second on one replica.
      const steadyResponses = await Promise.all(Array.from({ length: 45 }, (_, i) => new Promise<Response>((resolve, reject) => {
        setTimeout(() => request(steady, 'POST', '/product/search', { headers: { ...bearer(token2), ...json }, body: body2 }).then(resolve, reject), i * 66);
      })));
      const admitted = steadyResponses.filter((r) => r.status === 200).length;
      // About the limit each second (HAProxy's rate is a sliding estimate over the last second).
      expect(admitted).toBeGreaterThanOrEqual(25);
      expect(admitted).toBeLessThanOrEqual(35);
      expect(await refusedOf('frank')).toBe(45 - admitted);
      const exposition = (await request(pair[0].ops, 'GET', '/metrics/latency')).body;
      expect(exposition).toContain('# TYPE memos_gateway_rate_limited_total counter');
      // Another identity has its own budget.
      const other = await request(pair[0].api, 'POST', '/product/search', { headers: { ...bearer(rsaToken('erin')), ...json }, body: JSON.stringify({ user_id: 'erin' }) });
      expect(other.status).toBe(200);
      expect(await refusedOf('erin')).toBe(0);
    }, 30000);
  });
});

describe('the gateway construct', () => {
  test('the per-replica share is the limit divided by the replicas, rounded up', () => {
    const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, gateway: ApiGateway.haproxy({ requestsPerSecond: 1000, replicas: 3 }) });
    const gateway = chart.stack.gateway as MemosGateway;
    expect(gateway.requestsPerSecondPerReplica).toBe(334);
    expect(gateway.haproxyConfig).toContain('acl over_rate sc_gpc0_rate(0) ge 334');
  });

  test('routes are configurable', () => {
    const chart = new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL,
      gateway: ApiGateway.haproxy({ routes: [{ method: HttpMethod.POST, path: '/product/delete_memory', userIdIn: UserIdLocation.BODY }] }),
    });
    expect(only(Testing.synth(chart), 'ConfigMap', 'memos-gateway').data['routes.map']).toContain('POST/product/delete_memory body');
  });
});

describe('gateway props that cannot work', () => {
  const gateway = (props: Partial<ConstructorParameters<typeof MemosGateway>[2]>) => () =>
    new MemosGateway(new Chart(Testing.app(), 'test'), 'Gateway', { instance: 'memos', upstreamHost: 'memos-api', upstreamPort: 8000, ...props });
  const jwtOptions = { issuer: ISSUER, audience: AUDIENCE, keys: [{ keyId: 'k1', algorithm: JwtAlgorithm.RS256 }], keySource: JwtKeySource.secret('memos-jwt-keys') };

  test.each([
    ['no key source', {}, /invalid jwt \(missing\); allowed: a key source/],
    ['an empty claim name', { jwt: { ...jwtOptions, identityClaim: '' } }, /invalid jwt.identityClaim ""; allowed: a top-level claim name/],
    ['a limit of 0', { apiKeys: { secretName: 'k' }, requestsPerSecond: 0 }, /invalid requestsPerSecond 0; allowed: an integer from 1/],
    ['a PEM key inline', { jwt: { ...jwtOptions, keys: [{ keyId: 'k1', algorithm: JwtAlgorithm.RS256, fileName: '-----BEGIN PUBLIC KEY-----\nMIIB' }] } }, /invalid jwt.keys\[0\].fileName "<redacted>"; allowed: no key material/],
    ['an issuer with a quote', { jwt: { ...jwtOptions, issuer: 'https://a"b' } }, /invalid jwt.issuer/],
    ['a symmetric algorithm', { jwt: { ...jwtOptions, keys: [{ keyId: 'k1', algorithm: 'HS256' as JwtAlgorithm }] } }, /invalid jwt.keys\[0\].algorithm "HS256"/],
    ['two keys with one id', { jwt: { ...jwtOptions, keys: [jwtOptions.keys[0], jwtOptions.keys[0]] } }, /invalid jwt.keys\[1\].keyId "k1"; allowed: a key id no other key has/],
    ['a GET route reading the body', { apiKeys: { secretName: 'k' }, routes: [{ method: HttpMethod.GET, path: '/product/x', userIdIn: UserIdLocation.BODY }] }, /invalid routes\[0\].userIdIn/],
    ['a route with a dot segment', { apiKeys: { secretName: 'k' }, routes: [{ method: HttpMethod.POST, path: '/product/../admin', userIdIn: UserIdLocation.BODY }] }, /invalid routes\[0\].path/],
    ['a body limit over 64 MiB', { apiKeys: { secretName: 'k' }, maxBodySize: Size.gibibytes(1) }, /invalid maxBodySize/],
    ['a service identity with a space', { apiKeys: { secretName: 'k' }, serviceIdentities: ['batch job'] }, /invalid serviceIdentities\[0\]/],
  ])('%s is rejected, naming the prop', (_what, props, error) => {
    expect(gateway(props as never)).toThrow(error);
  });

  test('nothing secret reaches the manifests: keys are mounted from the Secret and ConfigMap by name', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MemosGateway(chart, 'Gateway', { instance: 'memos', upstreamHost: 'memos-api', upstreamPort: 8000, jwt: jwtOptions, apiKeys: { secretName: 'memos-api-keys' } });
    const objects = Testing.synth(chart);
    const volumes = only(objects, 'Deployment', 'memos-gateway').spec.template.spec.volumes;
    expect(volumes).toContainEqual(expect.objectContaining({ secret: { secretName: 'memos-jwt-keys', items: [{ key: 'k1.pem', path: 'k1.pem' }] } }));
    expect(volumes).toContainEqual(expect.objectContaining({ secret: { secretName: 'memos-api-keys', items: [{ key: 'api-keys.map', path: 'api-keys.map' }] } }));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});
