/**
 * Bad input a new user would try, by category (issue 12): each is rejected at synth time with a
 * message naming the prop as the user wrote it, and `npm run synth`'s output stays byte-for-byte
 * what it was. Values a cluster accepts are accepted here too.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ENVIRONMENTS, MemosEnvironment } from '../app/environments';
import { synthEnvironments } from '../app/synth';
import {
  ApiGateway, ApiService, Credentials, Embedder, JwtAlgorithm, JwtKeySource, NetworkIsolation, MemoryStorage, MemosSize, MilvusDeployment, MilvusTopology, ModelAccelerator, Neo4jBackend,
  QdrantBackend, RedisQueue, Reranker, SecretKeyRef,
} from '../index';
import { servicesFor, TEST_MILVUS_TOPOLOGY } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

type Bad = Omit<MemosEnvironment, 'name'>;
const small = (props: Partial<Bad>): Bad => ({ size: MemosSize.SMALL, ...props });
const qdrant = (options: object) => MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster(options) });
const neo4j = (options: object) => MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster(options) });

const JWT = { issuer: 'https://auth.example.com', audience: 'memos', keys: [{ keyId: 'k1', algorithm: JwtAlgorithm.RS256 }], keySource: JwtKeySource.configMap('memos-jwt-keys') };

/** [category, input, the prop the message must name]. */
const CASES: [string, Bad, string][] = [
  // Image references: the registry grammar, no scheme, lowercase repository, pinned.
  ['image', small({ api: { image: 'https://swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31' } }), 'api.image'],
  ['image', small({ api: { image: 'swr.cn-north-4.myhuaweicloud.com/Acme/MemOS:2.0.31' } }), 'api.image'],
  ['image', small({ api: { image: 'swr.cn-north-4.myhuaweicloud.com/acme/memos' } }), 'api.image'],
  ['image', small({ api: { image: 'acme/memos:latest' } }), 'api.image'],
  ['image', small({ storage: qdrant({ image: 'qdrant/qdrant:v1.19 ' }) }), 'storage.qdrant.image'],
  ['image', small({ storage: neo4j({ image: 'neo4j@sha256:abc' }) }), 'storage.neo4j.image'],
  ['image', small({ embedder: Embedder.inCluster({ image: 'ghcr.io/huggingface/text-embeddings-inference' }) }), 'embedder.image'],
  ['image', small({ queue: RedisQueue.inCluster({ image: 'docker.io/library/Redis:7.2' }) }), 'queue.image'],
  // Host fields given as host:port or URLs (DCS and RDS consoles show host:port).
  ['host', small({ queue: RedisQueue.dcs({ host: 'redis-1a2b.dcs.huaweicloud.com:6379' }) }), 'queue.host'],
  ['host', small({ queue: RedisQueue.dcs({ host: 'redis://redis-1a2b.dcs.huaweicloud.com' }) }), 'queue.host'],
  ['host', small({ storage: MemoryStorage.postgres({ host: 'rds-1.example.com:5432' }) }), 'storage.postgres.host'],
  ['host', small({ storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.external({ host: 'http://qdrant.example.com:6333' }) }) }), 'storage.qdrant.host'],
  ['host', small({ storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.external({ uri: 'neo4j.example.com:7687' }) }) }), 'storage.neo4j.uri'],
  ['host', small({ embedder: Embedder.external({ apiBase: 'embeddings.example.com/v1', model: 'bge-m3' }) }), 'embedder.apiBase'],
  ['host', small({ reranker: Reranker.external({ url: 'rerank.example.com/v1/rerank' }) }), 'reranker.url'],
  ['host', small({ milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.standalone({ objectStorage: { ...TEST_MILVUS_TOPOLOGY.objectStorage, endpoint: 'https://obs.cn-north-4.myhuaweicloud.com' } }) }) }),
    'milvus.topology.objectStorage.endpoint'],
  // Free-form settings that would override what typed props manage or validate.
  ['extraSettings', small({ memos: { extraSettings: { NEO4J_URI: 'bolt://elsewhere:7687' } } }), 'memos.extraSettings.NEO4J_URI'],
  ['extraSettings', small({ memos: { extraSettings: { EMBEDDING_DIMENSION: '768' } } }), 'memos.extraSettings.EMBEDDING_DIMENSION'],
  ['extraSettings', small({ memos: { extraSettings: { HF_ENDPOINT: 'https://huggingface.co' } } }), 'memos.extraSettings.HF_ENDPOINT'],
  ['extraSettings', small({ memos: { extraSettings: { MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS: '10' } } }), 'memos.extraSettings.MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS'],
  // Derived object names over Kubernetes' limits.
  ['names', small({ instance: 'memos-production-cn-north-4-team-abcd' }), 'instance'],
  ['names', small({ instance: 'a'.repeat(41) }), 'instance'],
  ['names', small({ namespace: 'platform-memos-production-cn-north-4-abc', instance: 'memos-team-a' }), 'instance'],
  // Label keys and values.
  ['labels', small({ labels: { 'cost center': 'a1' } }), 'labels key'],
  ['labels', small({ labels: { team: 'platform engineering' } }), 'labels.team'],
  ['labels', small({ labels: { team: 'x'.repeat(64) } }), 'labels.team'],
  ['labels', small({ monitoring: { monitoringLabels: { 'Release/': 'kube-prometheus' } } }), 'monitoring.monitoringLabels key'],
  // Requests greater than limits.
  ['requests', small({ api: { resources: { cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.units(2) } } } }), 'api.resources.cpu.request'],
  ['requests', small({ scheduler: { resources: { memory: { request: Size.gibibytes(8), limit: Size.gibibytes(4) } } } }), 'scheduler.resources.memory.request'],
  ['requests', small({ embedder: Embedder.inCluster({ resources: { cpuRequest: kplus.Cpu.units(8), cpuLimit: kplus.Cpu.units(4), memory: Size.gibibytes(8) } }) }), 'embedder.resources.cpu.request'],
  // Redis database numbers outside what the chosen Redis serves.
  ['redis db', small({ queue: RedisQueue.inCluster({ db: 16 }) }), 'queue.db'],
  ['redis db', small({ queue: RedisQueue.dcs({ host: 'redis.dcs.example', db: 256 }) }), 'queue.db'],
  ['redis db', small({ queue: RedisQueue.dcs({ host: 'redis.dcs.example', db: -1 }) }), 'queue.db'],
  // The embedding dimension of an external embedder with a known model.
  ['dimension', small({ embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'bge-m3', dimension: 768 }) }), 'embedder.dimension'],
  ['dimension', small({ embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'bge-small-zh-v1.5' }), memos: { embeddingDimension: 512 } }), 'memos.embeddingDimension'],
  ['dimension', small({ embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'BAAI/bge-m3', dimension: 768 }) }), 'embedder.dimension'],
  // Props silently dropped in combination with others.
  ['dropped', small({ api: { replicas: 4, maxReplicas: 8 } }), 'api.maxReplicas'],
  ['dropped', small({ api: { consumesQueue: false, targetQueueDepthPerReplica: 20 } }), 'api.targetQueueDepthPerReplica'],
  ['dropped', { size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), embedder: Embedder.inCluster({ maxReplicas: 4 }) }, 'embedder.maxReplicas'],
  ['dropped', small({ reranker: Reranker.inCluster({ accelerator: ModelAccelerator.cpu() }) }), 'reranker.accelerator'],
  ['dropped', small({ api: { replicas: 3, scaleDownStabilization: Duration.minutes(5) } }), 'api.scaleDownStabilization'],
  ['dropped', small({ npuNodePools: [{ name: 'npu-910b' }] }), 'npuNodePools'],
  ['dropped', small({ embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'bge-m3' }), npuNodePools: [{ name: 'npu-910b' }] }), 'npuNodePools'],
  // String quantities from plain JavaScript callers.
  ['quantity', small({ storage: qdrant({ resources: { cpu: '2', memory: Size.gibibytes(8) } }) }), 'storage.qdrant.resources.cpu'],
  ['quantity', small({ storage: neo4j({ resources: { cpu: kplus.Cpu.units(4), memory: '16Gi' } }) }), 'storage.neo4j.resources.memory'],
  ['quantity', small({ api: { resources: { memory: { request: '4Gi', limit: Size.gibibytes(8) } } } as never }), 'api.resources.memory.request'],
  ['quantity', small({ queue: RedisQueue.inCluster({ memory: '2Gi' as never }) }), 'queue.memory'],
  ['quantity', small({ storage: qdrant({ storage: { size: '100Gi' } }) }), 'storage.qdrant.storage.size'],
  // Fields that name a Secret key, given what looks like the credential itself.
  ['secret key', small({ credentials: Credentials.fromSecret('memos-secrets', { keys: { OPENAI_API_KEY: 'sk-4f2a9c0e1b7d4e6fa3b8c9d0e1f2a3b4' } }) }), 'credentials.keys.OPENAI_API_KEY'],
  ['secret key', small({ storage: qdrant({ metricsCredentials: SecretKeyRef.of('qdrant-metrics', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a') }) }), 'storage.qdrant.metricsCredentials.key'],
  ['secret key', small({ credentials: Credentials.fromSecret('memos secrets') }), 'credentials.secretName'],
  // Backend choices given as plain objects.
  ['variant', small({ queue: { mode: 'in-cluster' } as never }), 'queue'],
  ['variant', small({ api: { service: { type: 'ClusterIP' } as never } }), 'api.service'],
  ['variant', small({ gateway: { jwt: {} } as never }), 'gateway'],
  // Gateway options that cannot work, or that would put key material into dist/.
  ['gateway', small({ gateway: ApiGateway.haproxy({ jwt: { ...JWT, keys: [] } }) }), 'gateway.jwt.keys'],
  ['gateway', small({ gateway: ApiGateway.haproxy({ jwt: { ...JWT, identityClaim: '' } }) }), 'gateway.jwt.identityClaim'],
  ['gateway', small({ gateway: ApiGateway.haproxy({ requestsPerSecond: 0 }) }), 'gateway.requestsPerSecond'],
  ['gateway', small({ gateway: ApiGateway.haproxy({ jwt: { ...JWT, keys: [{ keyId: '-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A', algorithm: JwtAlgorithm.RS256 }] } }) }), 'gateway.jwt.keys[0].keyId'],
  ['gateway', small({ gateway: ApiGateway.haproxy({ jwt: { ...JWT, keys: [{ keyId: 'k1', algorithm: 'HS256' as never }] } }) }), 'gateway.jwt.keys[0].algorithm'],
  ['gateway', small({ api: { service: ApiService.elb() } }), 'api.service'],
  // Address ranges of external destinations.
  ['network', small({ network: NetworkIsolation.enforced({ external: { llmApi: ['api.deepseek.com'] } }) }), 'network.external.llmApi[0]'],
];

describe(`${CASES.length} bad inputs`, () => {
  let parent: string;
  let outdir: string;
  let before: Record<string, string>;

  function tree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const env of fs.readdirSync(dir).sort()) for (const f of fs.readdirSync(path.join(dir, env))) out[`${env}/${f}`] = fs.readFileSync(path.join(dir, env, f), 'utf8');
    return out;
  }

  beforeAll(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-bad-inputs-'));
    outdir = path.join(parent, 'dist');
    synthEnvironments(ENVIRONMENTS, outdir);
    before = tree(outdir);
  });
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  test('cover every category of the issue', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map(([category]) => category)).size).toBe(14);
  });

  test.each(CASES.map(([category, input, prop], i) => [i + 1, category, prop, input] as const))('#%i %s: %s', (i, _category, prop, input) => {
    // Each case on its own copy of the shipped output, so one case cannot hide another.
    const caseParent = path.join(parent, `case-${i}`);
    const caseOut = path.join(caseParent, 'dist');
    fs.cpSync(outdir, caseOut, { recursive: true });
    const escaped = prop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Last, so the shipped environments render first and the atomic write is what keeps dist/ intact.
    expect(() => synthEnvironments([...ENVIRONMENTS, { name: 'bad', ...input }], caseOut)).toThrow(new RegExp(`^MemosChart 'bad': invalid ${escaped}[ ;]`));
    expect(tree(caseOut)).toEqual(before);
    expect(fs.readdirSync(caseParent)).toEqual(['dist']);
  });
});

describe('values a cluster accepts are accepted', () => {
  test.each([
    ['CPU utilization above 100 % of the request', small({ api: { targetCpuUtilization: 150 } })],
    ['a Secret name with dots', small({ credentials: Credentials.fromSecret('memos.credentials.v2') })],
    ['an image pinned by digest', small({ api: { image: `swr.cn-north-4.myhuaweicloud.com/acme/memos@sha256:${'0'.repeat(64)}` } })],
    ['a registry with a port', small({ api: { image: 'registry.internal:5000/acme/memos:2.0.31' } })],
    ['a DCS address that is an IP', small({ queue: RedisQueue.dcs({ host: '192.168.0.12', db: 255 }) })],
    ['long Secret key names that are names', small({ credentials: Credentials.fromSecret('memos-secrets', { keys: { OPENAI_API_KEY: 'MEMOS_PRODUCTION_OPENAI_API_KEY_FOR_TEAM_AB', NEO4J_PASSWORD: 'sk_neo4j_password' } }) })],
    ['an SWR organization with separators', small({ imageMirror: { region: 'cn-north-4', organization: 'acme-ai.platform_team' } })],
    ['ApiService.clusterIp()', small({ api: { service: ApiService.clusterIp() }, gateway: ApiGateway.none() })],
  ])('%s', (_name, input) => {
    expect(() => synthEnvironments([{ name: 'ok', ...input }], path.join(temporaryFolder('memos-ok-'), 'dist'))).not.toThrow();
  });
});
