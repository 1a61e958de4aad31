/**
 * The stack's post-deploy smoke test (charts/memos-stack.ts `addSmokeTest`, constructs/memos-smoke-test.ts):
 * what each shipped environment checks, that its NetworkPolicies let it reach each target, and the
 * `smokeTest` prop (test user, key, errors). The script itself runs against stubs in
 * test/smoke-test.test.ts.
 */
import { Duration, Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../app/environments';
import { renderEnvironments } from '../app/synth';
import { ApiGateway } from '../charts/backends';
import { MemosChart, MemosChartProps } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { JwtAlgorithm, JwtKeySource } from '../constructs/memos-gateway';
import { SecretKeyRef } from '../src/credentials';
import { connectionAllowed, podGroups } from './support/network';
import { parseManifests } from './support/schema';
import { only, synthChart } from './support/synth';

const rendered = renderEnvironments(ENVIRONMENTS);
const smokeJob = (objects: any[]) => {
  const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('memos-smoke-test-'));
  expect(jobs).toHaveLength(1);
  return jobs[0];
};
const envOf = (job: any): Record<string, any> => Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe.each(ENVIRONMENTS.map((e) => e.name))('%s: the smoke test', (name) => {
  const objects = parseManifests(rendered.get(name)!.yaml);
  const job = smokeJob(objects);
  const env = envOf(job);

  test('an Argo CD PostSync hook, named by its template, checking memos-api, each store and the queue', () => {
    expect(job.metadata.name).toMatch(/^memos-smoke-test-[0-9a-f]{6}$/);
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(env.MEMOS_URL).toBe('http://memos-api:8000');
    expect(env.QDRANT_URL).toBe('http://memos-qdrant:6333');
    expect(env.NEO4J_URL).toBe('http://memos-neo4j:7474');
    expect(env.MILVUS_URL).toBe('http://memos-milvus:19530');
    expect(env.REDIS_HOST).toBeDefined();
    // No test user is configured in the shipped environments: no round trip.
    expect(env.GATEWAY_URL).toBeUndefined();
    for (const secret of ['QDRANT_API_KEY', 'NEO4J_PASSWORD', 'MILVUS_PASSWORD', 'REDIS_PASSWORD']) expect(env[secret]).toEqual({ secretKeyRef: expect.any(Object) });
    // Each URL names a Service of the stack, on one of its ports.
    for (const [service, port] of [['memos-api', 8000], ['memos-qdrant', 6333], ['memos-neo4j', 7474], ['memos-milvus', 19530]] as const) {
      expect(only(objects, 'Service', service).spec.ports.map((p: any) => p.port)).toContain(port);
    }
  });

  test('the NetworkPolicies let it reach what it checks, on those ports', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const groups = podGroups(objects);
    const source = groups.find((g) => g.name === `Job/${job.metadata.name}`)!;
    const target = (workload: string) => groups.find((g) => g.name === workload)!;
    expect(connectionAllowed(policies, source, target('Deployment/memos-api'), '8000/TCP')).toBe(true);
    expect(connectionAllowed(policies, source, target('StatefulSet/memos-qdrant'), '6333/TCP')).toBe(true);
    expect(connectionAllowed(policies, source, target('StatefulSet/memos-neo4j'), '7474/TCP')).toBe(true);
    // Not the stores' other ports.
    expect(connectionAllowed(policies, source, target('StatefulSet/memos-neo4j'), '7687/TCP')).toBe(false);
    const milvus = groups.find((g) => g.name === 'StatefulSet/memos-milvus-standalone' || g.name === 'Deployment/memos-milvus-proxy')!;
    expect(connectionAllowed(policies, source, milvus, '19530/TCP')).toBe(true);
  });
});

describe('the smokeTest prop', () => {
  const key = SecretKeyRef.of('memos-smoke', 'api-key');

  test('a test user and key add the round trip through the gateway', () => {
    const objects = synthChart({ size: MemosSize.SMALL, smokeTest: { testUser: 'smoke-test', apiKeySecret: key, searchTimeout: Duration.minutes(4) } });
    const env = envOf(smokeJob(objects));
    expect(env.GATEWAY_URL).toBe(`http://memos-gateway:${only(objects, 'Service', 'memos-gateway').spec.ports[0].port}`);
    expect(env.TEST_USER).toBe('smoke-test');
    expect(env.GATEWAY_API_KEY).toEqual({ secretKeyRef: expect.objectContaining({ name: 'memos-smoke', key: 'api-key' }) });
    expect(env.SEARCH_TIMEOUT).toBe('240');
  });

  test.each<[string, Partial<MemosChartProps>, RegExp]>([
    ['a test user with a token-only gateway', {
      gateway: ApiGateway.haproxy({ jwt: { issuer: 'https://idp.example', audience: 'memos', keys: [{ keyId: 'k1', algorithm: JwtAlgorithm.RS256 }], keySource: JwtKeySource.configMap('memos-jwt-keys') } }),
      smokeTest: { testUser: 'smoke-test', apiKeySecret: SecretKeyRef.of('memos-smoke', 'api-key') },
    }, /invalid smokeTest\.testUser "smoke-test"; allowed: a stack whose gateway takes API keys/],
    ['a test user without a gateway', { gateway: ApiGateway.none(), smokeTest: { testUser: 'smoke-test', apiKeySecret: SecretKeyRef.of('memos-smoke', 'api-key') } }, /invalid smokeTest\.testUser /],
    ['a key without a test user', { smokeTest: { apiKeySecret: SecretKeyRef.of('memos-smoke', 'api-key') } }, /invalid smokeTest\.apiKeySecret "memos-smoke"; allowed: only with smokeTest\.testUser/],
    ['a test user without a key', { smokeTest: { testUser: 'smoke-test' } }, /invalid smokeTest\.apiKeySecret/],
    ['a test user the gateway could not name', { smokeTest: { testUser: 'smoke test', apiKeySecret: SecretKeyRef.of('memos-smoke', 'api-key') } }, /invalid smokeTest\.testUser "smoke test"/],
  ])('rejects %s, naming the prop', (_what, props, message) => {
    expect(() => Testing.synth(new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL, ...props } as MemosChartProps))).toThrow(message);
  });
});

describe('the Neo4j cluster\'s enable-servers Job', () => {
  test.each(ENVIRONMENTS.map((e) => e.name))('%s: one for a cluster, none for one server; it reaches Bolt only', (name) => {
    const objects = parseManifests(rendered.get(name)!.yaml);
    const servers = only(objects, 'StatefulSet', 'memos-neo4j').spec.replicas;
    const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('memos-neo4j-enable-'));
    if (servers < 3) {
      expect(jobs).toEqual([]);
      return;
    }
    expect(jobs).toHaveLength(1);
    const job = jobs[0];
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(envOf(job).SERVERS).toBe(String(servers));
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const groups = podGroups(objects);
    const source = groups.find((g) => g.name === `Job/${job.metadata.name}`)!;
    const neo4j = groups.find((g) => g.name === 'StatefulSet/memos-neo4j')!;
    expect(connectionAllowed(policies, source, neo4j, '7687/TCP')).toBe(true);
    expect(connectionAllowed(policies, source, neo4j, '7474/TCP')).toBe(false);
  });
});
