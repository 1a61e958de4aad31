import * as kplus from 'cdk8s-plus-28';
import { MEM_SCHEDULER_DEFAULT_RESOURCES } from '../constructs/mem-scheduler';
import { MEMOS_API_DEFAULT_RESOURCES } from '../constructs/memos-api';
import { CceNodeFlavor } from '../src/cce';

/** The seed's three architectures (seed §4.1, §4.2, §4.3). */
export const MEMOS_SIZES = ['small', 'medium', 'large'] as const;
export type MemosSize = typeof MEMOS_SIZES[number];

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
   * CPU and memory per server pod (requests = limits). The seed gives each server its own ECS
   * of `flavor`; in-cluster pods get that flavor's size where it fits a pool node, and otherwise
   * what a s7.2xlarge.4 node can hold after system reservations (6 vCPU / 24 GiB).
   */
  readonly cpu: number;
  readonly memoryGiB: number;
}

/** Everything the seed fixes for one size. Constructs take their defaults from here. */
export interface MemosSizePreset {
  readonly size: MemosSize;
  /** Load the seed designs the size for. */
  readonly designedFor: { readonly users: number; readonly memories: number; readonly qps: number };
  /** CCE worker nodes for the application layer. */
  readonly nodePool: NodePoolPreset;
  /** memos-api: stateless, autoscaled between min and max replicas. */
  readonly api: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly resources: kplus.ContainerResources;
  };
  /**
   * mem-scheduler: stateful queue consumer ("分片任务" = sharded in large), and the tasks every
   * consumer process (API pods included) runs at once, sized so a 15-minute backlog at the
   * designed load drains in well under an hour (src/queue-capacity.ts).
   */
  readonly scheduler: { readonly replicas: number; readonly resources: kplus.ContainerResources; readonly threadPoolSize: number };
  /** Qdrant, text-memory vectors. */
  readonly qdrant: StorePreset;
  /** Milvus, preference vectors: standalone below 3 replicas, distributed from 3. */
  readonly milvus: StorePreset;
  /** Neo4j, memory graph: standalone below 3 servers, a cluster from 3. */
  readonly neo4j: StorePreset;
  /** DCS Redis (managed, outside the cluster): memory of the primary/standby instance. */
  readonly redis: { readonly memoryGiB: number };
  /** Where bge-m3 runs: CPU nodes, or Ascend 910B NPUs (seed §4.3 "昇腾910B加速"). */
  readonly embeddingAccelerator: 'cpu' | 'ascend';
  /** Embedding pods: fixed on Ascend; the CPU autoscaler's range otherwise. */
  readonly embeddingReplicas: { readonly min: number; readonly max: number };
}

/** Seed §2.5: every memos-api pod requests 2 CPU / 4Gi and may burst to 4 CPU / 8Gi. */
const API_RESOURCES = MEMOS_API_DEFAULT_RESOURCES;

/** Seed §2.5: mem-scheduler requests 1 CPU / 2Gi, limits 2 CPU / 4Gi. */
const SCHEDULER_RESOURCES = MEM_SCHEDULER_DEFAULT_RESOURCES;

/** The seed's numbers, one preset per size. */
export const SIZE_PRESETS: Readonly<Record<MemosSize, MemosSizePreset>> = {
  // Seed §4.1: 100 users, 20k memories, 50 QPS.
  small: {
    size: 'small',
    designedFor: { users: 100, memories: 20_000, qps: 50 },
    nodePool: { flavor: 's7.2xlarge.4', nodes: 3, maxNodes: 3 },
    api: { minReplicas: 3, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 50 },
    qdrant: { replicas: 1, flavor: 's7.large.4', storageGiB: 100, cpu: 2, memoryGiB: 8 },
    milvus: { replicas: 1, flavor: 's7.xlarge.4', storageGiB: 200, cpu: 4, memoryGiB: 16 },
    neo4j: { replicas: 1, flavor: 's7.xlarge.4', storageGiB: 100, cpu: 4, memoryGiB: 16 },
    redis: { memoryGiB: 1 },
    embeddingAccelerator: 'cpu',
    embeddingReplicas: { min: 2, max: 4 },
  },
  // Seed §4.2: 1000 users, 200k memories, 500 QPS; nodes autoscale 6-10.
  medium: {
    size: 'medium',
    designedFor: { users: 1_000, memories: 200_000, qps: 500 },
    nodePool: { flavor: 's7.2xlarge.4', nodes: 6, maxNodes: 10 },
    api: { minReplicas: 6, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 200 },
    qdrant: { replicas: 3, flavor: 's7.xlarge.4', storageGiB: 300, cpu: 4, memoryGiB: 16 },
    milvus: { replicas: 3, flavor: 's7.2xlarge.4', storageGiB: 500, cpu: 6, memoryGiB: 24 },
    neo4j: { replicas: 3, flavor: 's7.xlarge.4', storageGiB: 300, cpu: 4, memoryGiB: 16 },
    redis: { memoryGiB: 2 },
    embeddingAccelerator: 'cpu',
    embeddingReplicas: { min: 2, max: 8 },
  },
  // Seed §4.3: 10k users, 2M memories, 2000 QPS; CCE 15-20 nodes.
  large: {
    size: 'large',
    designedFor: { users: 10_000, memories: 2_000_000, qps: 2_000 },
    nodePool: { flavor: 's7.2xlarge.4', nodes: 15, maxNodes: 20 },
    api: { minReplicas: 15, maxReplicas: 20, resources: API_RESOURCES },
    scheduler: { replicas: 3, resources: SCHEDULER_RESOURCES, threadPoolSize: 300 },
    qdrant: { replicas: 5, flavor: 's7.2xlarge.4', storageGiB: 1024, cpu: 6, memoryGiB: 24 },
    milvus: { replicas: 5, flavor: 's7.2xlarge.8', storageGiB: 1024, cpu: 6, memoryGiB: 24 },
    neo4j: { replicas: 5, flavor: 's7.2xlarge.4', storageGiB: 500, cpu: 6, memoryGiB: 24 },
    // The seed's 8 GB DCS is a Redis Cluster; MemOS's plain client and multi-key SCAN need a
    // standalone or primary/standby endpoint (memos-runtime.md §7), so size the primary/standby.
    redis: { memoryGiB: 8 },
    embeddingAccelerator: 'ascend',
    // Seed §4.3: "5-10 instances" on ModelArts; in-cluster each pod holds a whole 910B.
    embeddingReplicas: { min: 2, max: 2 },
  },
};
