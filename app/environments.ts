import { BackupPlan, MemosChartProps, MemosPresets, NetworkIsolation, MemosSize, MilvusDeployment, MilvusTopology, MemoryStorage, Neo4jBackend, Neo4jLicenseAgreement, RedisQueue } from '../index';

/**
 * A deployable environment: one folder `dist/<name>/` holding one MemOS stack.
 *
 * To add your own, append one object to {@link ENVIRONMENTS} and run `npm run synth`:
 *
 * ```ts
 * { name: 'prod-cn-north-4', size: MemosSize.SMALL, namespace: 'memos-prod',
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
 *   here, or switch to `queue: RedisQueue.inCluster()`.
 * - medium and large run Neo4j as a cluster, which needs Neo4j Enterprise Edition. They accept
 *   its *evaluation* terms; set `Neo4jLicenseAgreement.COMMERCIAL` once you hold a licence, or run
 *   a single Community server (`Neo4jBackend.inCluster({ servers: 1 })`).
 * - Each runs on the node pools of its size's preset (`MemosPresets.nodePools`): an application
 *   pool, a tainted pool per store (the seed's separate ECS servers) and, for large, an Ascend 910B
 *   pool; `npm run plan` shows how they fill and what they cost. Create the pools in CCE with these
 *   names, flavors, ranges, zones and taints.
 * - medium and large run a distributed Milvus on OBS (bucket per environment, create it first)
 *   and Huawei DMS for Kafka (placeholder broker addresses, like the DCS ones).
 */
/** Neo4j Enterprise under its evaluation terms (medium and large run a cluster). */
const EVALUATION_NEO4J = MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ licenseAgreement: Neo4jLicenseAgreement.EVALUATION }) });

/** A distributed Milvus on the environment's OBS bucket and DMS for Kafka (placeholder brokers). */
function distributedMilvus(environment: string): MilvusDeployment {
  return MilvusDeployment.inCluster({
    topology: MilvusTopology.distributed({
      objectStorage: { bucket: `memos-${environment}-milvus`, endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' },
      kafka: { brokers: [1, 2, 3].map((i) => `memos-${environment}-${i}.dms.example:9092`) },
    }),
  });
}

/**
 * What the pods may reach outside the namespace (NetworkPolicies match addresses, not names): the
 * managed services inside the VPC (DCS, DMS for Kafka, and the CCE master that Neo4j's discovery
 * calls) by the VPC's range, a placeholder for Huawei Cloud's default VPC (192.168.0.0/16): put
 * your subnets here. OBS and the LLM API are public endpoints, left at 0.0.0.0/0 on their ports.
 */
const VPC = ['192.168.0.0/16'];
const NETWORK = NetworkIsolation.enforced({ external: { dcs: VPC, kafka: VPC, kubernetesApi: VPC } });

/**
 * Backups of every in-cluster store to a bucket per environment (create it first, in cn-north-4),
 * on the default schedules (docs/backup.md); medium and large also copy each backup to a bucket
 * in cn-east-3, the seed's second region (§5.3 "异地备份").
 */
const backup = (environment: string, copyToSecondRegion: boolean) => BackupPlan.toObs({
  location: { bucket: `memos-${environment}-backups`, region: 'cn-north-4' },
  ...(copyToSecondRegion ? { replica: { bucket: `memos-${environment}-backups-cn-east-3`, region: 'cn-east-3' } } : {}),
});

/** The three zones of cn-north-4 the seed spreads nodes over (§5.3 "CCE节点: 分布在3个可用区"). */
const ZONES = ['cn-north-4a', 'cn-north-4b', 'cn-north-4c'];

/** The preset's node pools and placement for one environment. */
const pools = (size: MemosSize, environment: string) => MemosPresets.nodePools(size, { prefix: `memos-${environment}`, zones: ZONES });

export const ENVIRONMENTS: readonly MemosEnvironment[] = [
  { name: 'small', size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'memos-small.dcs.example' }), ...pools(MemosSize.SMALL, 'small'), network: NETWORK, backup: backup('small', false) },
  {
    name: 'medium',
    size: MemosSize.MEDIUM,
    ...pools(MemosSize.MEDIUM, 'medium'),
    queue: RedisQueue.dcs({ host: 'memos-medium.dcs.example' }),
    storage: EVALUATION_NEO4J,
    milvus: distributedMilvus('medium'),
    network: NETWORK,
    backup: backup('medium', true),
  },
  {
    name: 'large',
    size: MemosSize.LARGE,
    queue: RedisQueue.dcs({ host: 'memos-large.dcs.example' }),
    ...pools(MemosSize.LARGE, 'large'),
    storage: EVALUATION_NEO4J,
    milvus: distributedMilvus('large'),
    network: NETWORK,
    backup: backup('large', true),
  },
];
