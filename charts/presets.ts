import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AcceleratorType } from '../constructs/model-accelerator';
import { CceNodeFlavor } from '../src/cce';

/**
 * The seed's numbers, and nothing else: one preset per architecture of the original analysis
 * (seed §4.1-4.3). The stack reads its sizes from here; the constructs keep their own neutral,
 * documented defaults.
 */

/** The seed's three architectures (seed §4.1, §4.2, §4.3). */
export enum MemosSize {
  /** Seed §4.1: 100 users, 20k memories, 50 QPS. */
  SMALL = 'small',
  /** Seed §4.2: 1000 users, 200k memories, 500 QPS. */
  MEDIUM = 'medium',
  /** Seed §4.3: 10k users, 2M memories, 2000 QPS. */
  LARGE = 'large',
}

/** A CCE node pool as the seed sizes it. */
export interface NodePoolPreset {
  /** ECS flavor of every node. */
  readonly flavor: CceNodeFlavor;
  /** Nodes at the start (and the cluster-autoscaler minimum). */
  readonly nodes: number;
  /** Cluster-autoscaler maximum. */
  readonly maxNodes: number;
}

/** A replicated in-cluster store as the seed sizes it. */
export interface StorePreset {
  /** Servers (pods); 1 = standalone, more = clustered. */
  readonly replicas: number;
  /** ECS flavor the seed gives each server; the pod is sized to fit it. */
  readonly flavor: CceNodeFlavor;
  /** Data volume per server, GiB (seed storage figures). */
  readonly storageGiB: number;
  /**
   * vCPUs per server pod (requests = limits). The seed gives each server its own ECS of
   * `flavor`; in-cluster pods get that flavor's size where it fits a pool node, and otherwise
   * what a s7.2xlarge.4 node can hold after system reservations (6 vCPU / 24 GiB).
   */
  readonly cpu: number;
  /** Memory per server pod, GiB (requests = limits); see `cpu`. */
  readonly memoryGiB: number;
}

/** The load the seed designs a size for. */
export interface DesignLoad {
  /** Users. */
  readonly users: number;
  /** Stored memories. */
  readonly memories: number;
  /** Requests per second. */
  readonly qps: number;
}

/** memos-api: stateless, autoscaled between min and max replicas. */
export interface ApiPreset {
  /** Fewest pods (HPA minimum). */
  readonly minReplicas: number;
  /** Most pods (HPA maximum). */
  readonly maxReplicas: number;
  /** Resources of each pod. */
  readonly resources: kplus.ContainerResources;
}

/**
 * mem-scheduler: the queue consumers ("分片任务" = sharded in large), and the tasks every
 * consumer process (API pods included) runs at once, sized so a 15-minute backlog at the
 * designed load drains in well under an hour (src/queue-capacity.ts).
 */
export interface SchedulerPreset {
  /** Consumer pods. */
  readonly replicas: number;
  /** Resources of each pod. */
  readonly resources: kplus.ContainerResources;
  /** Tasks one process runs at once. */
  readonly threadPoolSize: number;
}

/** DCS Redis (managed, outside the cluster), or the in-cluster Redis sized like it. */
export interface RedisPreset {
  /** Memory of the primary/standby instance, GiB. */
  readonly memoryGiB: number;
}

/** The embedding server: fixed on Ascend; the CPU autoscaler's range otherwise. */
export interface EmbeddingPreset {
  /** Where bge-m3 runs: CPU nodes, or Ascend 910B NPUs (seed §4.3 "昇腾910B加速"). */
  readonly accelerator: AcceleratorType;
  /** Pods (Ascend), or the autoscaler minimum (CPU). */
  readonly minReplicas: number;
  /** The CPU autoscaler's maximum. */
  readonly maxReplicas: number;
}

/** Everything the seed fixes for one size: the only owner of the seed's numbers. */
export interface MemosSizePreset {
  /** The size. */
  readonly size: MemosSize;
  /** Load the seed designs the size for. */
  readonly designedFor: DesignLoad;
  /** CCE worker nodes for the application layer. */
  readonly nodePool: NodePoolPreset;
  /** memos-api. */
  readonly api: ApiPreset;
  /** mem-scheduler. */
  readonly scheduler: SchedulerPreset;
  /** Qdrant, text-memory vectors. */
  readonly qdrant: StorePreset;
  /** Milvus, preference vectors: standalone below 3 replicas, distributed from 3. */
  readonly milvus: StorePreset;
  /** Neo4j, memory graph: standalone below 3 servers, a cluster from 3. */
  readonly neo4j: StorePreset;
  /** The scheduler queue's Redis. */
  readonly redis: RedisPreset;
  /** The embedding server. */
  readonly embedding: EmbeddingPreset;
}

/**
 * Seed §2.5: every memos-api pod requests 2 CPU / 4Gi and may burst to 4 CPU / 8Gi; the
 * ephemeral storage bounds the node disk its emptyDirs (logs, SQLite, tokenizer cache) may use.
 */
const API_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(4) },
  memory: { request: Size.gibibytes(4), limit: Size.gibibytes(8) },
  ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(4) },
};

/** Seed §2.5: mem-scheduler requests 1 CPU / 2Gi, limits 2 CPU / 4Gi. */
const SCHEDULER_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(2) },
  memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) },
  ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(4) },
};

/** The seed's numbers, one preset per size. */
const SIZE_PRESETS: Readonly<Record<MemosSize, MemosSizePreset>> = {
  // Seed §4.1: 100 users, 20k memories, 50 QPS.
  [MemosSize.SMALL]: {
    size: MemosSize.SMALL,
    designedFor: { users: 100, memories: 20_000, qps: 50 },
    nodePool: { flavor: CceNodeFlavor.S7_2XLARGE_4, nodes: 3, maxNodes: 3 },
    api: { minReplicas: 3, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 50 },
    qdrant: { replicas: 1, flavor: CceNodeFlavor.S7_LARGE_4, storageGiB: 100, cpu: 2, memoryGiB: 8 },
    milvus: { replicas: 1, flavor: CceNodeFlavor.S7_XLARGE_4, storageGiB: 200, cpu: 4, memoryGiB: 16 },
    neo4j: { replicas: 1, flavor: CceNodeFlavor.S7_XLARGE_4, storageGiB: 100, cpu: 4, memoryGiB: 16 },
    redis: { memoryGiB: 1 },
    embedding: { accelerator: AcceleratorType.CPU, minReplicas: 2, maxReplicas: 4 },
  },
  // Seed §4.2: 1000 users, 200k memories, 500 QPS; nodes autoscale 6-10.
  [MemosSize.MEDIUM]: {
    size: MemosSize.MEDIUM,
    designedFor: { users: 1_000, memories: 200_000, qps: 500 },
    nodePool: { flavor: CceNodeFlavor.S7_2XLARGE_4, nodes: 6, maxNodes: 10 },
    api: { minReplicas: 6, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 200 },
    qdrant: { replicas: 3, flavor: CceNodeFlavor.S7_XLARGE_4, storageGiB: 300, cpu: 4, memoryGiB: 16 },
    milvus: { replicas: 3, flavor: CceNodeFlavor.S7_2XLARGE_4, storageGiB: 500, cpu: 6, memoryGiB: 24 },
    neo4j: { replicas: 3, flavor: CceNodeFlavor.S7_XLARGE_4, storageGiB: 300, cpu: 4, memoryGiB: 16 },
    redis: { memoryGiB: 2 },
    embedding: { accelerator: AcceleratorType.CPU, minReplicas: 2, maxReplicas: 8 },
  },
  // Seed §4.3: 10k users, 2M memories, 2000 QPS; CCE 15-20 nodes.
  [MemosSize.LARGE]: {
    size: MemosSize.LARGE,
    designedFor: { users: 10_000, memories: 2_000_000, qps: 2_000 },
    nodePool: { flavor: CceNodeFlavor.S7_2XLARGE_4, nodes: 15, maxNodes: 20 },
    api: { minReplicas: 15, maxReplicas: 20, resources: API_RESOURCES },
    scheduler: { replicas: 3, resources: SCHEDULER_RESOURCES, threadPoolSize: 300 },
    qdrant: { replicas: 5, flavor: CceNodeFlavor.S7_2XLARGE_4, storageGiB: 1024, cpu: 6, memoryGiB: 24 },
    milvus: { replicas: 5, flavor: CceNodeFlavor.S7_2XLARGE_8, storageGiB: 1024, cpu: 6, memoryGiB: 24 },
    neo4j: { replicas: 5, flavor: CceNodeFlavor.S7_2XLARGE_4, storageGiB: 500, cpu: 6, memoryGiB: 24 },
    // The seed's 8 GB DCS is a Redis Cluster; MemOS's plain client and multi-key SCAN need a
    // standalone or primary/standby endpoint (memos-runtime.md §7), so size the primary/standby.
    redis: { memoryGiB: 8 },
    // Seed §4.3: "5-10 instances" on ModelArts; in-cluster each pod holds a whole 910B.
    embedding: { accelerator: AcceleratorType.ASCEND, minReplicas: 2, maxReplicas: 2 },
  },
};

/** The seed's presets. */
export class MemosPresets {
  /** The preset of `size`. */
  public static of(size: MemosSize): MemosSizePreset {
    return SIZE_PRESETS[size];
  }

  /** Every size, smallest first. */
  public static sizes(): MemosSize[] {
    return Object.values(MemosSize);
  }

  private constructor() {}
}
