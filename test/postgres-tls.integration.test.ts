/**
 * TLS to PostgreSQL, with MemOS's own psycopg2: MemOS passes no sslmode, so the synthesized
 * `PGSSLMODE`/`PGSSLROOTCERT` must reach libpq through the environment. A local server speaks the
 * start of the PostgreSQL protocol (SSLRequest, then TLS with a certificate made here by openssl)
 * and records what the client sends.
 *
 * Needs the MemOS virtualenv of `.ci/memos-runtime.sh` and openssl; `.ci/run` provides both and
 * sets MEMOS_INTEGRATION=required.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { Testing } from 'cdk8s';
import { MemoryStorage, RedisQueue } from '../charts/backends';
import { MemosChart } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { SecretKeyRef } from '../src/credentials';
import { PostgresSslMode } from '../src/memos-settings';
import { container, only } from './support/synth';
import { debianTool, missingFor } from './support/integration';
import { temporaryFolders } from './support/tmp';
import { MEMOS_PYTHON } from './support/memos-venv';

const python = MEMOS_PYTHON;
const missing = missingFor('postgres-tls.integration.test.ts (MemOS\'s psycopg2 against a TLS server)', [
  { name: `the MemOS virtualenv (${python})`, present: fs.existsSync(python), install: 'bash .ci/memos-runtime.sh' },
  debianTool('openssl'),
]);

const temporaryFolder = temporaryFolders();
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The libpq variables a memos-api pod gets for this endpoint (ConfigMap), and its CA mount. */
function podSettings(sslMode?: PostgresSslMode, withCa = false) {
  const chart = new MemosChart(Testing.app(), 'test', {
    size: MemosSize.SMALL,
    queue: RedisQueue.dcs({ host: 'redis.dcs.example' }),
    storage: MemoryStorage.postgres({ host: 'localhost', sslMode, caCertificate: withCa ? SecretKeyRef.of('rds-ca', 'ca.pem') : undefined }),
  });
  const objects = Testing.synth(chart);
  const data = only(objects, 'ConfigMap', 'memos-config').data;
  const api = only(objects, 'Deployment', 'memos-api');
  return { env: { PGSSLMODE: data.PGSSLMODE, PGSSLROOTCERT: data.PGSSLROOTCERT }, api, main: container(api, 'memos-api') };
}

type Seen = { first?: Buffer; startup?: string; tlsError?: string };

/** A server answering SSLRequest with 'S' and TLS (when given a certificate) or 'N'. */
async function server(certificate?: { key: string; cert: string }): Promise<{ port: number; seen: Seen; close: () => void }> {
  const seen: Seen = {};
  const srv = net.createServer((socket) => {
    socket.once('data', (data) => {
      seen.first = data.subarray(0, 8);
      if (!data.subarray(0, 8).equals(SSL_REQUEST)) {
        seen.startup = data.toString('latin1');
        socket.destroy();
        return;
      }
      if (!certificate) {
        socket.write('N');
        socket.once('data', (d) => { seen.startup = d.toString('latin1'); socket.destroy(); });
        return;
      }
      socket.write('S', () => {
        const secure = new tls.TLSSocket(socket, { isServer: true, key: certificate.key, cert: certificate.cert });
        secure.on('error', (e) => { seen.tlsError = e.message; });
        secure.once('data', (d) => { seen.startup = d.toString('latin1'); secure.destroy(); });
      });
    });
    socket.on('error', () => undefined);
  });
  const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  return { port, seen, close: () => srv.close() };
}

/** psycopg2.connect as MemOS calls it (host, port, user, password, dbname; no sslmode), in MemOS's virtualenv. */
function connect(port: number, env: Record<string, string | undefined>): Promise<string> {
  const code = `import psycopg2
try:
    psycopg2.connect(host='localhost', port=${port}, user='memos', password='x', dbname='memos', connect_timeout=5)
except Exception as e:
    print(e)`;
  // Asynchronous: the server answering it runs in this process.
  const child = spawn(python, ['-c', code], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string> },
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

(missing ? describe.skip : describe)('PostgreSQL TLS through libpq environment variables, with MemOS\'s psycopg2', () => {
  const dir = temporaryFolder('memos-pg-tls-');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const makeCa = (name: string) => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  beforeAll(() => {
    makeCa('rds-ca');
    makeCa('other-ca');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'rds-ca.crt', '-CAkey', 'rds-ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt');
  });
  const certificate = () => ({ key: fs.readFileSync(path.join(dir, 'server.key'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'server.crt'), 'utf8') });

  test('by default MemOS asks for TLS and refuses a server without it', async () => {
    const { env } = podSettings();
    expect(env.PGSSLMODE).toBe('require');
    const s = await server();
    try {
      expect(await connect(s.port, env)).toMatch(/server does not support SSL, but SSL was required/);
      expect(s.seen.first).toEqual(SSL_REQUEST);
      expect(s.seen.startup).toBeUndefined();
    } finally { s.close(); }
  });

  test('with sslMode DISABLE the startup message goes in the clear', async () => {
    const { env } = podSettings(PostgresSslMode.DISABLE);
    const s = await server();
    try {
      await connect(s.port, env);
      expect(s.seen.first!.subarray(4, 8)).toEqual(Buffer.from([0, 3, 0, 0]));
      expect(s.seen.startup).toContain('memos');
    } finally { s.close(); }
  });

  test('with the CA from a Secret, MemOS verifies the server: its CA passes, another is refused', async () => {
    const { env, api, main } = podSettings(undefined, true);
    expect(env.PGSSLMODE).toBe('verify-full');
    expect(main.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: path.dirname(env.PGSSLROOTCERT!), readOnly: true }));
    expect(api.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ secret: { secretName: 'rds-ca', items: [{ key: 'ca.pem', path: path.basename(env.PGSSLROOTCERT!) }] } }));
    const s = await server(certificate());
    try {
      // The pod's path, with the file the Secret would hold.
      await connect(s.port, { ...env, PGSSLROOTCERT: path.join(dir, 'rds-ca.crt') });
      expect(s.seen.first).toEqual(SSL_REQUEST);
      expect(s.seen.tlsError).toBeUndefined();
      expect(s.seen.startup).toContain('memos');
    } finally { s.close(); }
    const wrong = await server(certificate());
    try {
      expect(await connect(wrong.port, { ...env, PGSSLROOTCERT: path.join(dir, 'other-ca.crt') })).toMatch(/certificate verify failed/);
      expect(wrong.seen.startup).toBeUndefined();
    } finally { wrong.close(); }
  }, 30000);
});

describe('PostgreSQL TLS props', () => {
  test.each([
    ['a verifying mode without a CA', { sslMode: PostgresSslMode.VERIFY_CA }, /invalid storage\.postgres\.caCertificate \(missing\); allowed: a SecretKeyRef/],
    ['a CA that nothing verifies with', { sslMode: PostgresSslMode.REQUIRE, caCertificate: SecretKeyRef.of('rds-ca', 'ca.pem') }, /invalid storage\.postgres\.caCertificate "rds-ca"; allowed: nothing with sslMode require/],
    ['an unknown mode', { sslMode: 'prefer' as PostgresSslMode }, /invalid storage\.postgres\.sslMode "prefer"/],
  ])('%s is rejected, naming the prop', (_what, options, error) => {
    expect(() => new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, storage: MemoryStorage.postgres({ host: 'rds.example', ...options }) })).toThrow(error);
  });
});
