import { execFileSync } from 'child_process';
import { Chart, Testing } from 'cdk8s';
import { Neo4j, Neo4jLicenseAgreement, Neo4jProps } from '../constructs/neo4j';
import { Credentials } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only } from './support/synth';

const TLS = TlsCertificate.fromSecret('memos-neo4j-tls');
const CLUSTER: Partial<Neo4jProps> = { servers: 3, licenseAgreement: Neo4jLicenseAgreement.EVALUATION };

function synthNeo4j(props: Partial<Neo4jProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: Credentials.fromSecret('memos-secrets'), ...props });
  const objects = Testing.synth(chart);
  const sts = only(objects, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const main = pod.containers[0];
  const env: Record<string, any> = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
  return { neo4j, objects, pod, main, env };
}

/** The settings the image's entrypoint writes: `sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\.\.|_|g'` (docker-entrypoint.sh). */
function entrypointSettings(env: Record<string, any>): Record<string, string> {
  const names = Object.keys(env).filter((n) => /^NEO4J_(dbms_ssl|server_bolt_tls)/.test(n));
  const mapped = execFileSync('sh', ['-c', "sed 's|^NEO4J_||' | sed 's|_|.|g' | sed 's|\\.\\.|_|g'"], { input: names.join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
  return Object.fromEntries(names.map((n, i) => [mapped[i], env[n]]));
}

const policy = (scope: string, clientAuth: string) => ({
  [`dbms.ssl.policy.${scope}.enabled`]: 'true',
  [`dbms.ssl.policy.${scope}.base_directory`]: `/var/lib/neo4j/certificates/${scope}`,
  [`dbms.ssl.policy.${scope}.private_key`]: `/var/lib/neo4j/certificates/${scope}/private.key`,
  [`dbms.ssl.policy.${scope}.public_certificate`]: `/var/lib/neo4j/certificates/${scope}/public.crt`,
  [`dbms.ssl.policy.${scope}.trusted_dir`]: `/var/lib/neo4j/certificates/${scope}/trusted`,
  [`dbms.ssl.policy.${scope}.client_auth`]: clientAuth,
});

/** Where each Secret key lands in the container: mount path + item path. */
function certificateFiles(pod: any, main: any): Record<string, string[]> {
  const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'memos-neo4j-tls');
  const files: Record<string, string[]> = {};
  for (const mount of main.volumeMounts.filter((m: any) => m.name === volume.name)) {
    for (const item of volume.secret.items) (files[item.key] ??= []).push(`${mount.mountPath}/${item.path}`);
  }
  return files;
}

describe('Neo4j with TLS, one server', () => {
  test('Bolt requires TLS: the bolt SSL policy on the mounted certificate, no client certificates', () => {
    const { env, objects } = synthNeo4j({ tls: TLS });
    expect(entrypointSettings(env)).toEqual({ ...policy('bolt', 'NONE'), 'server.bolt.tls_level': 'REQUIRED' });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('the Secret is mounted read-only at the bolt base directory, keys renamed to Neo4j\'s file names', () => {
    const { pod, main } = synthNeo4j({ tls: TLS });
    const volume = pod.volumes.find((v: any) => v.name === 'neo4j-tls');
    expect(volume).toEqual({
      name: 'neo4j-tls',
      secret: {
        secretName: 'memos-neo4j-tls',
        // 0440, root:fsGroup — Neo4j (UID/GID 7474) reads the key, nobody else does.
        defaultMode: 0o440,
        items: [
          { key: 'ca.crt', path: 'trusted/ca.crt' },
          { key: 'tls.crt', path: 'public.crt' },
          { key: 'tls.key', path: 'private.key' },
        ],
      },
    });
    expect(pod.securityContext).toMatchObject({ runAsUser: 7474, runAsGroup: 7474, fsGroup: 7474 });
    // Mounted whole (no subPath: renewals reach the pod) and only in the Neo4j container.
    expect(main.volumeMounts.filter((m: any) => m.name === 'neo4j-tls')).toEqual([{ name: 'neo4j-tls', mountPath: '/var/lib/neo4j/certificates/bolt', readOnly: true }]);
    expect(pod.initContainers.flatMap((c: any) => c.volumeMounts ?? []).map((m: any) => m.name)).not.toContain('neo4j-tls');
    // Never /ssl: the image's entrypoint would replace $NEO4J_HOME/certificates by a symlink (read-only root).
    expect(main.volumeMounts.map((m: any) => m.mountPath).filter((p: string) => p === '/ssl' || p.startsWith('/ssl/'))).toEqual([]);
  });

  test('every path in the policy is a file or directory the Secret provides', () => {
    const { pod, main, env } = synthNeo4j({ tls: TLS });
    const files = certificateFiles(pod, main);
    const settings = entrypointSettings(env);
    expect(files[TlsCertificate.PRIVATE_KEY_KEY]).toEqual([settings['dbms.ssl.policy.bolt.private_key']]);
    expect(files[TlsCertificate.CERTIFICATE_KEY]).toEqual([settings['dbms.ssl.policy.bolt.public_certificate']]);
    expect(files[TlsCertificate.CA_KEY]).toEqual([`${settings['dbms.ssl.policy.bolt.trusted_dir']}/ca.crt`]);
  });

  test('clients connect over bolt+s://; the certificate is exposed', () => {
    const { neo4j } = synthNeo4j({ tls: TLS });
    expect(neo4j.uri).toBe('bolt+s://memos-neo4j:7687');
    expect(neo4j.tls?.secretName).toBe('memos-neo4j-tls');
    expect(neo4j.clientPorts.map((p) => p.port)).toEqual([7687]);
  });

  test('probes are unchanged: readiness on plaintext HTTP 7474, startup and liveness TCP on Bolt', () => {
    const plain = synthNeo4j().main;
    const { main, env } = synthNeo4j({ tls: TLS });
    expect(main.readinessProbe).toEqual(plain.readinessProbe);
    expect(main.readinessProbe.httpGet).toEqual({ path: '/', port: 7474, scheme: 'HTTP' });
    expect(main.startupProbe).toEqual(plain.startupProbe);
    expect(main.livenessProbe).toEqual({ tcpSocket: { port: 7687 }, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 20 });
    // No HTTPS connector: HTTP stays as it was.
    expect(Object.keys(env).filter((n) => /https/.test(n))).toEqual([]);
  });

  test('the init containers are unchanged: the password check never talks to Bolt', () => {
    const plain = synthNeo4j().pod.initContainers;
    expect(synthNeo4j({ tls: TLS }).pod.initContainers).toEqual(plain);
  });
});

describe('Neo4j with TLS, a cluster', () => {
  test('Bolt and the cluster traffic are encrypted; servers authenticate each other against ca.crt', () => {
    const { env, objects } = synthNeo4j({ ...CLUSTER, tls: TLS });
    expect(entrypointSettings(env)).toEqual({ ...policy('bolt', 'NONE'), 'server.bolt.tls_level': 'REQUIRED', ...policy('cluster', 'REQUIRE') });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('one Secret volume, mounted at the bolt and the cluster base directories', () => {
    const { pod, main, env } = synthNeo4j({ ...CLUSTER, tls: TLS });
    expect(pod.volumes.filter((v: any) => v.secret)).toHaveLength(1);
    expect(main.volumeMounts.filter((m: any) => m.name === 'neo4j-tls').map((m: any) => [m.mountPath, m.readOnly]))
      .toEqual([['/var/lib/neo4j/certificates/bolt', true], ['/var/lib/neo4j/certificates/cluster', true]]);
    const files = certificateFiles(pod, main);
    const settings = entrypointSettings(env);
    for (const scope of ['bolt', 'cluster']) {
      expect(files[TlsCertificate.PRIVATE_KEY_KEY]).toContain(settings[`dbms.ssl.policy.${scope}.private_key`]);
      expect(files[TlsCertificate.CERTIFICATE_KEY]).toContain(settings[`dbms.ssl.policy.${scope}.public_certificate`]);
      expect(files[TlsCertificate.CA_KEY]).toContain(`${settings[`dbms.ssl.policy.${scope}.trusted_dir`]}/ca.crt`);
    }
  });

  test('clients connect over neo4j+s:// (routing); the per-server Services and ports are unchanged', () => {
    const plain = synthNeo4j(CLUSTER);
    const { neo4j, objects } = synthNeo4j({ ...CLUSTER, tls: TLS });
    expect(neo4j.uri).toBe('neo4j+s://memos-neo4j:7687');
    expect(objects.filter((o) => o.kind === 'Service')).toEqual(plain.objects.filter((o) => o.kind === 'Service'));
  });
});

describe('Neo4j without TLS', () => {
  test('no SSL settings, no certificate volume, plain URIs', () => {
    for (const props of [{}, CLUSTER, { tls: undefined }]) {
      const { neo4j, env, pod, main } = synthNeo4j(props);
      expect(Object.keys(env).filter((n) => /ssl|tls/i.test(n))).toEqual([]);
      expect(pod.volumes.filter((v: any) => v.secret)).toEqual([]);
      expect(main.volumeMounts.map((m: any) => m.mountPath).filter((p: string) => p.includes('certificates'))).toEqual([]);
      expect(neo4j.tls).toBeUndefined();
      expect(neo4j.uri).toMatch(/^(bolt|neo4j):\/\/memos-neo4j:7687$/);
    }
  });
});

describe('Neo4j tls validation', () => {
  test.each([
    ['a string', 'x' as never, /Neo4j 'test\/Neo4j': invalid tls "x"; allowed: TlsCertificate\.fromSecret\(/],
    ['a plain object', { secretName: 'memos-neo4j-tls' } as never, /invalid tls .*allowed: TlsCertificate\.fromSecret\(/],
    ['null', null as never, /invalid tls/],
    ['a bad Secret name', TlsCertificate.fromSecret('Neo4j_TLS'), /invalid tls\.secretName "Neo4j_TLS"; allowed: a DNS subdomain/],
  ])('rejects %s', (_name, tls, message) => {
    expect(() => synthNeo4j({ tls })).toThrow(message);
    expect(() => synthNeo4j({ ...CLUSTER, tls })).toThrow(message);
  });
});
