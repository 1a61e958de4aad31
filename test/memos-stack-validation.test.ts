import { Duration } from 'cdk8s';
/**
 * What MemosStack checks itself (beyond what each construct checks): variants given as plain
 * objects by JavaScript or Python callers, props that would otherwise be silently dropped, and the
 * prop path each error names.
 */
import { MemosChartProps } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { ApiGateway, Embedder, MemoryStorage, MilvusDeployment, QdrantBackend, Reranker, RedisQueue } from '../charts/backends';
import { AscendChip, ElbHealthCheckProtocol, MilvusTopology, ApiService } from '../index';
import { only, servicesFor, synthChart, TEST_MILVUS_TOPOLOGY } from './support/synth';

const small = (props: Partial<MemosChartProps>): MemosChartProps => ({ size: MemosSize.SMALL, ...props });

describe('MemosStack rejects, naming the prop the user wrote', () => {
  const cases: [string, MemosChartProps, RegExp][] = [
    // Plain objects where a variant class is expected (what an untyped caller may pass).
    ['a plain queue object', small({ queue: { mode: 'dcs', host: 'redis.example' } as never }), /invalid queue \{"mode":"dcs","host":"redis.example"\}; allowed: RedisQueue.dcs\(\{ host \}\) or RedisQueue.inCluster/],
    ['a plain storage object', small({ storage: { postgres: { host: 'rds' } } as never }), /invalid storage \{"postgres":\{"host":"rds"\}\}; allowed: MemoryStorage.neo4jAndQdrant/],
    ['a plain Qdrant choice', small({ storage: MemoryStorage.neo4jAndQdrant({ qdrant: { replicas: 3 } as never }) }), /invalid storage.qdrant \{"replicas":3\}; allowed: QdrantBackend.inCluster/],
    ['a plain Milvus choice', small({ milvus: { standalone: true } as never }), /invalid milvus \{"standalone":true\}; allowed: MilvusDeployment.inCluster/],
    ['a plain Milvus topology', small({ milvus: MilvusDeployment.inCluster({ topology: { mode: 'distributed' } as never }) }), /invalid milvus.topology \{"mode":"distributed"\}; allowed: MilvusTopology.standalone/],
    ['a plain embedder', small({ embedder: {} as never }), /invalid embedder \{\}; allowed: Embedder.inCluster/],
    ['a plain reranker', small({ reranker: { backend: 'http_bge' } as never }), /invalid reranker \{"backend":"http_bge"\}; allowed: Reranker.inCluster/],
    ['a plain accelerator', small({ embedder: Embedder.inCluster({ accelerator: 'ascend' as never }) }), /invalid embedder.accelerator "ascend"; allowed: ModelAccelerator.cpu\(\) or ModelAccelerator.ascend/],
    ['a plain API service', small({ api: { service: { network: 'public' } as never } }), /invalid api.service \{"network":"public"\}; allowed: ApiService.elb/],
    // Props that would be silently dropped.
    ['an embedding dimension beside an external embedder', small({ embedder: Embedder.external({ apiBase: 'https://e.example/v1', model: 'my-model' }), memos: { embeddingDimension: 768 } }),
      /invalid memos.embeddingDimension 768; allowed: nothing with Embedder.external/],
    ['a queue-depth target while API pods do not consume', small({ api: { consumesQueue: false, targetQueueDepthPerReplica: 50 } }), /invalid api.targetQueueDepthPerReplica 50; allowed: nothing with api.consumesQueue false/],
    ['an autoscaler maximum on Ascend', { size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), embedder: Embedder.inCluster({ maxReplicas: 9 }) },
      /MemosChart 'test': invalid embedder.maxReplicas 9; allowed: nothing on Ascend/],
    ['a managed MemOS setting in extraSettings', small({ memos: { extraSettings: { MEMSCHEDULER_REDIS_HOST: 'other-redis' } } }), /invalid memos.extraSettings.MEMSCHEDULER_REDIS_HOST "other-redis"; allowed: a variable the typed props do not manage/],
    // Paths.
    ['a zone spread of the embedder', small({ embedder: Embedder.inCluster({ zoneSpread: 'zonal' as never }) }), /invalid embedder.zoneSpread "zonal"/],
    ['a reranker on CPU', small({ reranker: Reranker.inCluster() }), /MemosChart 'test': invalid reranker.accelerator "ModelAccelerator.cpu\(\)"; allowed: ModelAccelerator.ascend/],
    ['an NPU pool name', small({ npuNodePools: [{ name: 'Bad_Name' }] }), /invalid npuNodePools\[0\].name "Bad_Name"; allowed: a DNS label/],
    ['an NPU pool chip', small({ npuNodePools: [{ name: 'npu', chip: '910C' as AscendChip }] }), /invalid npuNodePools\[0\].chip "910C"; allowed: 910B, 310/],
    ['an NPU pool taint', small({ npuNodePools: [{ name: 'npu', taints: [{ key: 'k', effect: 'Never' as never }] }] }), /invalid npuNodePools\[0\].taints\[0\].effect "Never"/],
    ['two NPU pools of one name', small({ npuNodePools: [{ name: 'npu' }, { name: 'npu' }] }), /invalid npuNodePools\[1\].name "npu"; allowed: a name no other declared pool has/],
    ['an instance too long for the monitoring objects', small({ namespace: 'a-very-long-namespace-for-the-platform-team', instance: 'memos-production-x' }),
      /MemosChart 'test': invalid instance "memos-production-x"; allowed: a shorter instance or namespace/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => synthChart(props)).toThrow(message);
  });
});

describe('MemosStack keeps defaults a caller did not mean to clear', () => {
  test('an explicit undefined keeps the preset value', () => {
    const objects = synthChart(small({
      queue: RedisQueue.inCluster({ memory: undefined }),
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster({ replicas: undefined, storage: { size: undefined } }) }),
    }));
    expect(only(objects, 'StatefulSet', 'memos-redis').spec.template.spec.containers[0].resources.limits.memory).toBe('1024Mi');
    const qdrant = only(objects, 'StatefulSet', 'memos-qdrant');
    expect(qdrant.spec.replicas).toBe(1);
    expect(qdrant.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
  });

  test('a distributed Milvus on the small preset keeps two query nodes', () => {
    const objects = synthChart(small({ milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.distributed(TEST_MILVUS_TOPOLOGY) }) }));
    expect(only(objects, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(2);
  });

  test("the ELB still probes MemOS's /health when the user tunes the health check", () => {
    const tuned = synthChart(small({ api: { service: ApiService.elb({ healthCheck: { intervalSeconds: 10 } }) }, gateway: ApiGateway.none() }));
    const option = JSON.parse(only(tuned, 'Service', 'memos-api').metadata.annotations['kubernetes.io/elb.health-check-option']);
    expect(option).toMatchObject({ protocol: 'HTTP', path: '/health', delay: '10' });
    const tcp = synthChart(small({ api: { service: ApiService.elb({ healthCheck: { protocol: ElbHealthCheckProtocol.TCP } }) }, gateway: ApiGateway.none() }));
    expect(JSON.parse(only(tcp, 'Service', 'memos-api').metadata.annotations['kubernetes.io/elb.health-check-option']).path).toBeUndefined();
  });

  test('an Ascend reranker beside an external embedder runs where the preset says', () => {
    const objects = synthChart({
      size: MemosSize.LARGE,
      ...servicesFor(MemosSize.LARGE),
      embedder: Embedder.external({ apiBase: 'https://embed.example/v1', model: 'bge-m3' }),
      reranker: Reranker.inCluster(),
    });
    expect(only(objects, 'Deployment', 'memos-reranker').spec.template.spec.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'npu-pool' });
    expect(objects.filter((o) => o.metadata.name === 'memos-embedding')).toEqual([]);
  });
});

describe('MemosStack passes tuning through', () => {
  test('grace periods and the scale-down window reach the workloads', () => {
    const objects = synthChart(small({
      api: { terminationGracePeriod: Duration.seconds(90), scaleDownStabilization: Duration.minutes(20) },
      scheduler: { terminationGracePeriod: Duration.minutes(5) },
    }));
    expect(only(objects, 'Deployment', 'memos-api').spec.template.spec.terminationGracePeriodSeconds).toBe(90);
    expect(only(objects, 'HorizontalPodAutoscaler', 'memos-api').spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(1200);
    expect(only(objects, 'Deployment', 'memos-scheduler').spec.template.spec.terminationGracePeriodSeconds).toBe(300);
  });

  test('a scale-down window needs the autoscaler, and is checked where the user set it', () => {
    expect(() => synthChart(small({ api: { replicas: 3, scaleDownStabilization: Duration.minutes(5) } }))).toThrow(/invalid api.scaleDownStabilization .*; allowed: nothing with api.replicas/);
    expect(() => synthChart(small({ api: { scaleDownStabilization: Duration.hours(2) } }))).toThrow(/MemosChart 'test': invalid api.scaleDownStabilization 7200; allowed: an integer from 0 to 3600/);
  });
});
