/**
 * MemOS trusting the CA of an in-cluster store served over TLS: the synthesized init container's
 * script builds the bundle with MemOS's own Python (certifi's public CAs, then the store's CA),
 * and with the pod's `SSL_CERT_FILE` MemOS's httpx (qdrant-client, openai) and Python's default
 * SSL context (the Neo4j driver) accept the store's certificate, which they refuse without it.
 *
 * Needs the MemOS virtualenv of `.ci/memos-runtime.sh` and openssl; `.ci/run` provides both and
 * sets MEMOS_INTEGRATION=required.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { MemoryStorage, Neo4jBackend, QdrantBackend } from '../charts/backends';
import { MemosChart } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { MemosApi } from '../constructs/memos-api';
import { TlsCertificate } from '../src/tls';
import { SecretKeyRef } from '../src/credentials';
import { MEMOS_TRUST } from '../src/memos';
import { validateManifests } from './support/schema';
import { container, only, testConfig } from './support/synth';
import { debianTool, missingFor } from './support/integration';
import { temporaryFolders } from './support/tmp';
import { MEMOS_PYTHON } from './support/memos-venv';

const python = MEMOS_PYTHON;
const missing = missingFor('trust-bundle.integration.test.ts (MemOS\'s httpx against a TLS store)', [
  { name: `the MemOS virtualenv (${python})`, present: fs.existsSync(python), install: 'bash .ci/memos-runtime.sh' },
  debianTool('openssl'),
]);

const temporaryFolder = temporaryFolders();

function synthApi(trusted: SecretKeyRef[]) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  new MemosApi(chart, 'Api', { instance: 'memos', config: testConfig(chart, { trustedCertificates: trusted }), replicas: 2 });
  const objects = Testing.synth(chart);
  const deployment = only(objects, 'Deployment', 'memos-api');
  return { objects, deployment, main: container(deployment, 'memos-api') };
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, out })));
}

describe('the CA bundle of MemOS pods', () => {
  test('no store CA, no init container and no SSL_CERT_FILE', () => {
    const { deployment, main } = synthApi([]);
    expect(deployment.spec.template.spec.initContainers ?? []).toEqual([]);
    expect((main.env as { name: string }[]).map((e) => e.name)).not.toContain('SSL_CERT_FILE');
  });

  test('with store CAs: each mounted from its Secret, an init container in the MemOS image builds the bundle', () => {
    const { objects, deployment, main } = synthApi([SecretKeyRef.of('memos-qdrant-tls', 'ca.crt'), SecretKeyRef.of('memos-neo4j-tls', 'ca.crt')]);
    const [init] = deployment.spec.template.spec.initContainers;
    expect(init).toMatchObject({ name: 'ca-bundle', image: main.image, command: ['sh', '-c', expect.stringContaining('certifi.where()')] });
    expect(init.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(init.volumeMounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ mountPath: `${MEMOS_TRUST.cas}/0.crt`, subPath: '0.crt', readOnly: true }),
      expect.objectContaining({ mountPath: `${MEMOS_TRUST.cas}/1.crt`, subPath: '1.crt', readOnly: true }),
    ]));
    expect(main.env).toEqual(expect.arrayContaining([
      { name: 'SSL_CERT_FILE', value: MEMOS_TRUST.bundle }, { name: 'REQUESTS_CA_BUNDLE', value: MEMOS_TRUST.bundle },
    ]));
    expect(main.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: MEMOS_TRUST.bundleDir, readOnly: true }));
    expect(deployment.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ secret: { secretName: 'memos-neo4j-tls', items: [{ key: 'ca.crt', path: '1.crt' }] } }));
    expect(validateManifests(objects)).toEqual([]);
  });

  (missing ? test.skip : test)('MemOS\'s httpx and Python\'s default context trust the store with the bundle, and refuse it without', async () => {
    const dir = temporaryFolder('memos-trust-');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=store-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt');

    // The init container's script, with the pod's paths moved here and MemOS's python on PATH.
    const { deployment } = synthApi([SecretKeyRef.of('memos-neo4j-tls', 'ca.crt'), SecretKeyRef.of('memos-qdrant-tls', 'ca.crt')]);
    const script: string = deployment.spec.template.spec.initContainers[0].command[2];
    fs.mkdirSync(path.join(dir, 'cas'));
    fs.mkdirSync(path.join(dir, 'trust'));
    // Another store's CA first, without its final newline (as a Secret made from a pasted string
    // may hold it): the store's CA after it must not be swallowed.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other-ca', '-keyout', 'other.key', '-out', 'other.crt');
    fs.writeFileSync(path.join(dir, 'cas', '0.crt'), fs.readFileSync(path.join(dir, 'other.crt'), 'utf8').trimEnd());
    fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(dir, 'cas', '1.crt'));
    const local = script.split(MEMOS_TRUST.bundleDir).join(path.join(dir, 'trust')).split(MEMOS_TRUST.cas).join(path.join(dir, 'cas'));
    const built = await run('sh', ['-c', local], { PATH: `${path.dirname(python)}:${process.env.PATH}` });
    expect(built).toEqual({ code: 0, out: '' });
    const bundle = path.join(dir, 'trust', 'ca-bundle.crt');
    // The public CAs are still there (the LLM API needs them), ours at the end.
    expect(fs.readFileSync(bundle, 'utf8').match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(100);

    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.crt')) }, (_req, res) => res.end('ok'));
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    const probe = `import httpx, ssl, socket
r = httpx.get('https://localhost:${port}/')
print('httpx', r.status_code, r.text)
ctx = ssl.create_default_context()
with socket.create_connection(('localhost', ${port})) as s, ctx.wrap_socket(s, server_hostname='localhost') as t:
    print('ssl', t.version() is not None)`;
    try {
      const trusted = await run(python, ['-c', probe], { SSL_CERT_FILE: bundle });
      expect(trusted.out).toContain('httpx 200 ok');
      expect(trusted.out).toContain('ssl True');
      const untrusted = await run(python, ['-c', probe], {});
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.out).toMatch(/CERTIFICATE_VERIFY_FAILED/);
    } finally {
      server.close();
    }
  }, 30000);
});

describe('in-cluster stores over TLS, wired in a stack', () => {
  test('MemOS connects with TLS URLs and trusts both CAs; the collection Job verifies Qdrant too', () => {
    const chart = new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({
        neo4j: Neo4jBackend.inCluster({ tls: TlsCertificate.fromSecret('memos-neo4j-tls') }),
        qdrant: QdrantBackend.inCluster({ tls: TlsCertificate.fromSecret('memos-qdrant-tls') }),
      }),
    });
    const objects = Testing.synth(chart);
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({ NEO4J_URI: 'bolt+s://memos-neo4j:7687', QDRANT_URL: 'https://memos-qdrant:6333' });
    for (const name of ['memos-api', 'memos-scheduler']) {
      const pod = only(objects, 'Deployment', name).spec.template.spec;
      const cas = pod.volumes.filter((v: any) => v.name.startsWith('trusted-ca-')).map((v: any) => v.secret.secretName);
      expect([name, cas]).toEqual([name, ['memos-neo4j-tls', 'memos-qdrant-tls']]);
      expect(pod.initContainers.map((c: any) => c.name)).toContain('ca-bundle');
    }
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(JSON.stringify(job.spec.template.spec)).toContain('https://memos-qdrant:6333');
    expect(validateManifests(objects)).toEqual([]);
  });

  test('an external Qdrant over HTTPS: QDRANT_URL with https, no CA to add', () => {
    const chart = new MemosChart(Testing.app(), 'test', {
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.external({ host: 'qdrant.example.com', https: true }) }),
    });
    const objects = Testing.synth(chart);
    expect(only(objects, 'ConfigMap', 'memos-config').data.QDRANT_URL).toBe('https://qdrant.example.com:6333');
    expect(only(objects, 'Deployment', 'memos-api').spec.template.spec.initContainers ?? []).toEqual([]);
  });
});
