import { MemosChartProps } from '../charts/memos-chart';

/**
 * A deployable environment: one folder `dist/<name>/` holding one MemOS stack.
 *
 * To add your own, append one object to {@link ENVIRONMENTS} and run `npm run synth`:
 *
 * ```ts
 * { name: 'prod-cn-north-4', size: 'large', namespace: 'memos-prod',
 *   api: { image: 'swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31' } },
 * ```
 */
export interface MemosEnvironment extends MemosChartProps {
  /** Folder below the output directory and chart id; a DNS label, unique among environments. */
  readonly name: string;
}

/**
 * The shipped environments: the seed's three architectures (seed §4.1-4.3), one per size.
 *
 * - The scheduler queue is on Huawei DCS for Redis, as the seed plans (§2.4). The DCS addresses
 *   are placeholders (`.example` is a reserved domain): put your instance's connection address
 *   here, or switch to `redis: { mode: 'in-cluster' }`.
 * - medium and large run Neo4j as a cluster, which needs Neo4j Enterprise Edition. They accept
 *   its *evaluation* terms; set `licenseAgreement: 'commercial'` once you hold a licence, or run
 *   a single Community server (`neo4j: { servers: 1 }`).
 * - large serves bge-m3 and the reranker on Ascend 910B NPUs: name your NPU node pool here.
 * - medium and large run a distributed Milvus on OBS (bucket per environment, create it first)
 *   and Huawei DMS for Kafka (placeholder broker addresses, like the DCS ones).
 */
export const ENVIRONMENTS: readonly MemosEnvironment[] = [
  { name: 'small', size: 'small', redis: { mode: 'dcs', host: 'memos-small.dcs.example' } },
  {
    name: 'medium',
    size: 'medium',
    redis: { mode: 'dcs', host: 'memos-medium.dcs.example' },
    neo4j: { licenseAgreement: 'evaluation' },
    milvus: {
      objectStorage: { bucket: 'memos-medium-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' },
      kafka: { brokers: ['memos-medium-1.dms.example:9092', 'memos-medium-2.dms.example:9092', 'memos-medium-3.dms.example:9092'] },
    },
  },
  {
    name: 'large',
    size: 'large',
    redis: { mode: 'dcs', host: 'memos-large.dcs.example' },
    // Taint the pool so only NPU workloads land there; the NPU servers tolerate it.
    npuNodePools: [{ name: 'memos-npu-910b', chip: '910B', taints: [{ key: 'accelerator/huawei-npu', effect: 'NoSchedule' }] }],
    neo4j: { licenseAgreement: 'evaluation' },
    milvus: {
      objectStorage: { bucket: 'memos-large-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' },
      kafka: { brokers: ['memos-large-1.dms.example:9092', 'memos-large-2.dms.example:9092', 'memos-large-3.dms.example:9092'] },
    },
  },
];
