import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemosConfig, MemosConfigProps } from '../constructs/memos-config';
import { Credential, Credentials, SecretKeyRef } from '../src/credentials';
import { MEMOS_SERVER_ENV_VARS } from '../src/memos';
import { MemosGraph, Neo4jConnection, QdrantConnection, RerankerBackend } from '../src/memos-settings';
import { only } from './support/synth';

const credentials = Credentials.fromSecret('memos-secrets');
const neo4j: Neo4jConnection = { uri: 'bolt://memos-neo4j:7687', password: credentials.ref(Credential.NEO4J_PASSWORD) };
const qdrant: QdrantConnection = { host: 'memos-qdrant' };

/** What the stack passes for the in-cluster defaults of the small preset. */
const BASE: MemosConfigProps = {
  instance: 'memos',
  credentials,
  graph: MemosGraph.neo4jWithQdrant(neo4j, qdrant),
  embedder: { apiBase: 'http://memos-embedding:8080/v1' },
  redis: { host: 'memos-redis', password: credentials.ref(Credential.MEMSCHEDULER_REDIS_PASSWORD) },
};

function configOf(props: Partial<MemosConfigProps> = {}) {
  const chart = Testing.chart();
  const config = new MemosConfig(chart, 'Config', { ...BASE, ...props });
  return { chart, config };
}

function dataOf(props: Partial<MemosConfigProps> = {}): Record<string, string> {
  return only(Testing.synth(configOf(props).chart), 'ConfigMap').data;
}

describe('MemosConfig settings', () => {
  test('defaults: DeepSeek, bge-m3, Neo4j community + Qdrant, Redis queue, cosine reranking (no model names MemOS would not read)', () => {
    expect(dataOf()).toEqual({
      OPENAI_API_BASE: 'https://api.deepseek.com/v1',
      MOS_CHAT_MODEL: 'deepseek-chat',
      MEMRADER_API_BASE: 'https://api.deepseek.com/v1',
      MEMRADER_MODEL: 'deepseek-chat',
      MOS_EMBEDDER_BACKEND: 'universal_api',
      MOS_EMBEDDER_PROVIDER: 'openai',
      MOS_EMBEDDER_API_BASE: 'http://memos-embedding:8080/v1',
      MOS_EMBEDDER_MODEL: 'bge-m3',
      EMBEDDING_DIMENSION: '1024',
      MOS_EMBEDDER_TIMEOUT: '120',
      MOS_RERANKER_BACKEND: 'cosine_local',
      MOS_FEEDBACK_RERANKER_BACKEND: 'cosine_local',
      NEO4J_BACKEND: 'neo4j-community',
      NEO4J_URI: 'bolt://memos-neo4j:7687',
      NEO4J_USER: 'neo4j',
      NEO4J_DB_NAME: 'neo4j',
      QDRANT_HOST: 'memos-qdrant',
      QDRANT_PORT: '6333',
      MEMSCHEDULER_USE_REDIS_QUEUE: 'true',
      MEMSCHEDULER_REDIS_HOST: 'memos-redis',
      MEMSCHEDULER_REDIS_PORT: '6379',
      MEMSCHEDULER_REDIS_DB: '0',
      MEMOS_BASE_PATH: '/app',
      HF_HOME: '/opt/huggingface',
      HF_HUB_OFFLINE: '1',
    });
  });

  test('offline by default: the tokenizer baked into the image; an endpoint switches to fetching it at start', () => {
    const online = dataOf({ huggingFaceEndpoint: 'https://hf-mirror.com' });
    // Explicitly online: the recipe image sets HF_HUB_OFFLINE=1 in its ENV.
    expect([online.HF_ENDPOINT, online.HF_HOME, online.HF_HUB_OFFLINE]).toEqual(['https://hf-mirror.com', '/home/memos/.cache/huggingface', '0']);
    expect(() => configOf({ extraSettings: { HF_HUB_OFFLINE: '0' } })).toThrow(/invalid extraSettings.HF_HUB_OFFLINE "0"; allowed: a variable the typed props do not manage/);
  });

  test('every key is a variable MemOS reads', () => {
    const data = dataOf({ reranker: { backend: RerankerBackend.HTTP_BGE, url: 'http://memos-reranker:8080/v1/rerank' }, extraSettings: { MOS_ENABLE_REORGANIZE: 'true' } });
    for (const key of Object.keys(data)) expect(MEMOS_SERVER_ENV_VARS).toContain(key);
  });

  test('overrides reach the ConfigMap', () => {
    const data = dataOf({
      instance: 'mem',
      llm: { apiBase: 'https://dashscope.aliyuncs.com/compatible-mode/v1', chatModel: 'qwen-plus', memReaderModel: 'qwen-flash' },
      embedder: { apiBase: 'https://embed.example.com/v1', model: 'bge-m3-int8', dimension: 1024 },
      reranker: { backend: RerankerBackend.HTTP_BGE, url: 'http://mem-reranker:8080/v1/rerank', model: 'bge-reranker-large' },
      graph: MemosGraph.neo4jWithQdrant({ ...neo4j, uri: 'neo4j+s://graph.example.com:7687', user: 'memos', database: 'memory' }, { host: 'qdrant.example.com', port: 16333 }),
      redis: { ...BASE.redis, host: 'redis-abc.dcs.huaweicloud.com', port: 6380, db: 3 },
      huggingFaceEndpoint: 'https://huggingface.co',
      enableChatApi: true,
    });
    expect(data).toMatchObject({
      OPENAI_API_BASE: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      MEMRADER_API_BASE: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      MOS_CHAT_MODEL: 'qwen-plus',
      MEMRADER_MODEL: 'qwen-flash',
      MOS_EMBEDDER_API_BASE: 'https://embed.example.com/v1',
      MOS_EMBEDDER_MODEL: 'bge-m3-int8',
      MOS_RERANKER_BACKEND: 'http_bge',
      MOS_FEEDBACK_RERANKER_BACKEND: 'http_bge',
      MOS_RERANKER_URL: 'http://mem-reranker:8080/v1/rerank',
      MOS_RERANKER_MODEL: 'bge-reranker-large',
      NEO4J_URI: 'neo4j+s://graph.example.com:7687',
      NEO4J_USER: 'memos',
      NEO4J_DB_NAME: 'memory',
      QDRANT_HOST: 'qdrant.example.com',
      QDRANT_PORT: '16333',
      MEMSCHEDULER_REDIS_HOST: 'redis-abc.dcs.huaweicloud.com',
      MEMSCHEDULER_REDIS_PORT: '6380',
      MEMSCHEDULER_REDIS_DB: '3',
      HF_ENDPOINT: 'https://huggingface.co',
      ENABLE_CHAT_API: 'true',
    });
    expect(only(Testing.synth(configOf({ instance: 'mem' }).chart), 'ConfigMap').metadata.name).toBe('mem-config');
  });

  test('extraSettings adds variables MemOS reads', () => {
    expect(dataOf({ extraSettings: { MOS_ENABLE_REORGANIZE: 'true', MOS_TOP_K: '30' } })).toMatchObject({ MOS_ENABLE_REORGANIZE: 'true', MOS_TOP_K: '30' });
    expect(dataOf({ embedder: { apiBase: 'http://e:8080/v1', timeoutSeconds: 300 } }).MOS_EMBEDDER_TIMEOUT).toBe('300');
  });

  test('the checksum follows the settings', () => {
    expect(configOf().config.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(configOf().config.checksum).toBe(configOf().config.checksum);
    expect(configOf({ llm: { chatModel: 'deepseek-reasoner' } }).config.checksum).not.toBe(configOf().config.checksum);
  });
});

describe('MemosConfig credentials', () => {
  function boundEnv(props: Partial<MemosConfigProps> = {}) {
    const { chart, config } = configOf(props);
    const deployment = new kplus.Deployment(chart, 'D', { containers: [{ image: 'x:1' }] });
    config.bind(deployment.containers[0]);
    return only(Testing.synth(chart), 'Deployment').spec.template.spec.containers[0];
  }

  test('reads every credential from the Secret by reference', () => {
    const c = boundEnv();
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'memos-config' } }]);
    expect(c.env).toEqual([
      { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'OPENAI_API_KEY', optional: false } } },
      { name: 'MEMRADER_API_KEY', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MEMRADER_API_KEY', optional: false } } },
      { name: 'NEO4J_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false } } },
      { name: 'MOS_EMBEDDER_API_KEY', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MOS_EMBEDDER_API_KEY', optional: true } } },
      { name: 'MEMSCHEDULER_REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MEMSCHEDULER_REDIS_PASSWORD', optional: true } } },
    ]);
  });

  test('secret name and keys can be mapped; store credentials come from the stores\' own references', () => {
    const c = boundEnv({ credentials: Credentials.fromSecret('llm-credentials', { keys: { OPENAI_API_KEY: 'deepseek-key', MEMRADER_API_KEY: 'deepseek-key' } }) });
    expect(c.env[0].valueFrom.secretKeyRef).toEqual({ name: 'llm-credentials', key: 'deepseek-key', optional: false });
    expect(c.env[1].valueFrom.secretKeyRef).toEqual({ name: 'llm-credentials', key: 'deepseek-key', optional: false });
    expect(c.env[2].valueFrom.secretKeyRef).toEqual({ name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false });
  });

  test('the postgres backend reads its password, a keyed Qdrant its key; nothing of Milvus, which server_api never reads', () => {
    const pg = boundEnv({ graph: MemosGraph.postgres({ host: 'rds.example.com', password: SecretKeyRef.of('rds', 'password') }) });
    expect(pg.env[2]).toEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'rds', key: 'password', optional: false } } });
    const keyed = boundEnv({
      graph: MemosGraph.neo4jWithQdrant(neo4j, { host: 'q', apiKey: SecretKeyRef.of('qdrant', 'api-key') }),
    });
    expect(keyed.env.slice(5)).toEqual([
      { name: 'QDRANT_API_KEY', valueFrom: { secretKeyRef: { name: 'qdrant', key: 'api-key', optional: false } } },
    ]);
    expect(keyed.env.map((e: { name: string }) => e.name).filter((n: string) => n.startsWith('MILVUS'))).toEqual([]);
  });
});

describe('MemosConfig validation', () => {
  const cases: [string, Partial<MemosConfigProps>, RegExp][] = [
    ['instance', { instance: 'Memos_Prod' }, /MemosConfig 'test\/Config': invalid instance "Memos_Prod"; allowed: a DNS label/],
    ['llm.apiBase', { llm: { apiBase: 'api.deepseek.com' } }, /invalid llm.apiBase "api.deepseek.com"; allowed: an absolute http or https URL/],
    ['embedder.dimension', { embedder: { apiBase: 'http://e:8080/v1', dimension: 0 } }, /invalid embedder.dimension 0; allowed: an integer from 1 to 65536/],
    ['embedder.apiBase', { embedder: { apiBase: 'embeddings' } }, /invalid embedder.apiBase "embeddings"; allowed: an absolute http or https URL/],
    ['graph', { graph: undefined as never }, /invalid graph \(missing\); allowed: MemosGraph.neo4jWithQdrant\(...\) or MemosGraph.postgres\(...\)/],
    ['reranker.backend', { reranker: { backend: 'tei' as never } }, /invalid reranker.backend "tei"; allowed: cosine_local, http_bge/],
    ['reranker.url', { reranker: { backend: RerankerBackend.HTTP_BGE } }, /invalid reranker.url \(missing\); allowed: the full \/v1\/rerank URL/],
    ['graph.neo4j.uri', { graph: MemosGraph.neo4jWithQdrant({ ...neo4j, uri: 'http://neo4j:7474' }, qdrant) }, /invalid graph.neo4j.uri "http:\/\/neo4j:7474"; allowed: an absolute bolt or bolt\+s or neo4j or neo4j\+s URL/],
    ['graph.qdrant.port', { graph: MemosGraph.neo4jWithQdrant(neo4j, { host: 'q', port: 70000 }) }, /invalid graph.qdrant.port 70000; allowed: an integer from 1 to 65535/],
    ['graph.postgres.schema', { graph: MemosGraph.postgres({ host: 'rds', schema: 'Memos', password: SecretKeyRef.of('s', 'k') }) }, /invalid graph.postgres.schema "Memos"; allowed: a lowercase PostgreSQL identifier/],
    ['redis.db', { redis: { ...BASE.redis, db: -1 } }, /invalid redis.db -1; allowed: an integer from 0 to 255/],
    ['redis.host', { redis: { ...BASE.redis, host: '' } }, /invalid redis.host ""; allowed: a non-empty string/],
    ['credentials.secretName', { credentials: Credentials.fromSecret('My Secret') }, /invalid credentials.secretName "My Secret"/],
    ['credentials.keys', { credentials: Credentials.fromSecret('s', { keys: { OPENAI_API_KEY: 'a/b' } }) }, /invalid credentials.keys.OPENAI_API_KEY "a\/b"; allowed: a Secret key/],
    ['credentials.keys name', { credentials: Credentials.fromSecret('s', { keys: { MOS_CHAT_MODEL: 'x' } }) }, /invalid credentials.keys.MOS_CHAT_MODEL "x"; allowed: a credential name/],
    ['extraSettings ignored by MemOS', { extraSettings: { MOS_SCHEDULER_USE_REDIS_QUEUE: 'true' } }, /invalid extraSettings.MOS_SCHEDULER_USE_REDIS_QUEUE "true"; allowed: not MOS_SCHEDULER_USE_REDIS_QUEUE: MemOS does not read it; use MEMSCHEDULER_USE_REDIS_QUEUE/],
    ['extraSettings unknown', { extraSettings: { MEMOS_FOO: '1' } }, /invalid extraSettings.MEMOS_FOO "1"; allowed: a variable MemOS reads/],
    ['extraSettings credential', { extraSettings: { OPENAI_API_KEY: 'sk-live-123' } }, /invalid extraSettings.OPENAI_API_KEY "<redacted>"; allowed: no credentials in the ConfigMap: put OPENAI_API_KEY in the Secret 'memos-secrets'/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => configOf(props)).toThrow(message);
  });

  test('a rejected credential is never echoed', () => {
    expect(() => configOf({ extraSettings: { OPENAI_API_KEY: 'sk-live-123' } })).not.toThrow(/sk-live-123/);
  });
});
