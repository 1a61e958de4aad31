import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemosPlacement } from './memos-stack-props';
import { AcceleratorType } from '../constructs/model-accelerator';
import { CceNodeLabels } from '../src/cce';
import { CceAddOns, CceNodeFlavor, NodeFlavor, nodeAllocatable, NodePool } from '../src/node-pools';

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
  /** Zones the pool spans (the first 1, 2 or 3 of the environment's zones). */
  readonly zones: number;
}

/**
 * The pools of a size: the application pool, and one pool per in-cluster store in place of the
 * seed's separate ECS servers (seed §4.1-4.3 "on ECS"), each tainted so only its store lands there.
 */
export interface NodePoolPresets {
  /** memos-api, mem-scheduler, the CPU embedding server, CCE's own Deployments. */
  readonly app: NodePoolPreset;
  /** Neo4j servers. */
  readonly neo4j: NodePoolPreset;
  /** Qdrant peers. */
  readonly qdrant: NodePoolPreset;
  /** Milvus (all roles and its etcd). */
  readonly milvus: NodePoolPreset;
  /**
   * Ascend servers for the embedding and reranking servers.
   * @default - none (the model servers run on CPUs)
   */
  readonly npu?: NodePoolPreset;
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
   * vCPUs per server pod (requests = limits): what a node of `flavor` leaves for pods after CCE's
   * reservation and Everest's per-node driver (src/node-pools.ts), rounded down to 0.5.
   */
  readonly cpu: number;
  /** Memory per server pod, GiB (requests = limits), likewise, rounded down to 0.5 GiB. */
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

/** The HAProxy gateway: a fixed count, since each pod enforces its share of the rate limit. */
export interface GatewayPreset {
  /** Pods. */
  readonly replicas: number;
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
  /** CCE node pools: the application layer, and one per store. */
  readonly nodePools: NodePoolPresets;
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
  /** The gateway in front of memos-api (one HAProxy pod handles thousands of requests/s; two for availability, three to cover the zones). */
  readonly gateway: GatewayPreset;
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

/** A pool of `nodes` … `maxNodes` nodes of `flavor` over `zones` zones. */
const pool = (flavor: CceNodeFlavor, nodes: number, maxNodes: number, zones: number): NodePoolPreset => ({ flavor, nodes, maxNodes, zones });

/**
 * A store server that has a node of `flavor` to itself, as on the seed's separate ECS servers: the
 * pod gets what the node leaves for pods (CCE's reservation and Everest's per-node driver taken
 * off, cce_10_0178 / cce_10_0066), rounded down to 0.5 CPU and 0.5 GiB.
 */
function ownNode(flavor: CceNodeFlavor, replicas: number, storageGiB: number): StorePreset {
  const node = nodeAllocatable({ name: 'preset', flavor: NodeFlavor.of(flavor), minNodes: 1, zones: ['preset'] });
  return {
    replicas,
    flavor,
    storageGiB,
    cpu: Math.floor(node.allocatableCpuMillis / 500) / 2,
    memoryGiB: Math.floor(node.allocatableMemoryMiB / 512) / 2,
  };
}

/**
 * The seed's numbers, one preset per size. Pools: the seed's CCE nodes (s7.2xlarge.4), and each
 * store's ECS servers as a pool of their own. Every pool's maximum leaves a spare node slot in
 * each of its zones: a lost node's pods must come back in the same zone (their EVS disks, and
 * zone spread with `DoNotSchedule`, keep them there), so the autoscaler needs room to start one.
 */
const SIZE_PRESETS: Readonly<Record<MemosSize, MemosSizePreset>> = {
  // Seed §4.1: 100 users, 20k memories, 50 QPS.
  [MemosSize.SMALL]: {
    size: MemosSize.SMALL,
    designedFor: { users: 100, memories: 20_000, qps: 50 },
    nodePools: {
      // §4.1 "CCE Kubernetes集群 (3节点)" of s7.2xlarge.4, over the 3 zones of §5.3.
      app: pool(CceNodeFlavor.S7_2XLARGE_4, 3, 6, 3),
      // §2.3 option 2: a self-built Neo4j on one s7.xlarge.4 for the small scale.
      neo4j: pool(CceNodeFlavor.S7_XLARGE_4, 1, 2, 1),
      // §4.1 "Qdrant on ECS (s7.large.4, 2核8GB)".
      qdrant: pool(CceNodeFlavor.S7_LARGE_4, 1, 2, 1),
      // §4.1 "Milvus on ECS (s7.xlarge.4, 4核16GB)".
      milvus: pool(CceNodeFlavor.S7_XLARGE_4, 1, 2, 1),
    },
    api: { minReplicas: 3, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 50 },
    // §4.1 storage: Qdrant 100 GB, Milvus 200 GB; §2.3: Neo4j on s7.xlarge.4 (100 GB, as Qdrant's).
    qdrant: ownNode(CceNodeFlavor.S7_LARGE_4, 1, 100),
    milvus: ownNode(CceNodeFlavor.S7_XLARGE_4, 1, 200),
    neo4j: ownNode(CceNodeFlavor.S7_XLARGE_4, 1, 100),
    redis: { memoryGiB: 1 },
    gateway: { replicas: 2 },
    embedding: { accelerator: AcceleratorType.CPU, minReplicas: 2, maxReplicas: 4 },
  },
  // Seed §4.2: 1000 users, 200k memories, 500 QPS; nodes autoscale 6-10.
  [MemosSize.MEDIUM]: {
    size: MemosSize.MEDIUM,
    designedFor: { users: 1_000, memories: 200_000, qps: 500 },
    nodePools: {
      // §4.2 "CCE Kubernetes集群 (6节点)", "CA: 节点自动扩缩容 (6-10节点)".
      app: pool(CceNodeFlavor.S7_2XLARGE_4, 6, 10, 3),
      // §4.2 "Neo4j集群 on ECS (3节点 s7.xlarge.4)", one per zone (§5.3 跨可用区部署).
      neo4j: pool(CceNodeFlavor.S7_XLARGE_4, 3, 6, 3),
      // §4.2 "Qdrant集群 (3节点 ECS s7.xlarge.4)".
      qdrant: pool(CceNodeFlavor.S7_XLARGE_4, 3, 6, 3),
      // §4.2 "Milvus集群 (3节点 ECS s7.2xlarge.4)": the distributed roles (two of each
      // coordinator, proxy, data and streaming node, three etcd members, milvus-helm's sizes)
      // need 5 such nodes beside the query nodes; docs/capacity.md explains the difference.
      milvus: pool(CceNodeFlavor.S7_2XLARGE_4, 5, 8, 3),
    },
    api: { minReplicas: 6, maxReplicas: 10, resources: API_RESOURCES },
    scheduler: { replicas: 1, resources: SCHEDULER_RESOURCES, threadPoolSize: 200 },
    // §4.2 storage per node: Qdrant 300 GB, Milvus 500 GB, Neo4j 300 GB.
    qdrant: ownNode(CceNodeFlavor.S7_XLARGE_4, 3, 300),
    // Query nodes share the Milvus pool with the other roles: 4 vCPU / 16 GiB each.
    milvus: { replicas: 3, flavor: CceNodeFlavor.S7_2XLARGE_4, storageGiB: 500, cpu: 4, memoryGiB: 16 },
    neo4j: ownNode(CceNodeFlavor.S7_XLARGE_4, 3, 300),
    redis: { memoryGiB: 2 },
    gateway: { replicas: 3 },
    embedding: { accelerator: AcceleratorType.CPU, minReplicas: 2, maxReplicas: 8 },
  },
  // Seed §4.3: 10k users, 2M memories, 2000 QPS; CCE 15-20 nodes.
  [MemosSize.LARGE]: {
    size: MemosSize.LARGE,
    designedFor: { users: 10_000, memories: 2_000_000, qps: 2_000 },
    nodePools: {
      // §4.3 "CCE企业版集群 (15-20节点)" holds 15-20 API pods; with the stores on their own
      // pools three 2-CPU API pods share a s7.2xlarge.4, so 6-12 nodes carry them.
      app: pool(CceNodeFlavor.S7_2XLARGE_4, 6, 12, 3),
      // §4.3 "Neo4j企业版集群 (5节点 s7.2xlarge.4)".
      neo4j: pool(CceNodeFlavor.S7_2XLARGE_4, 5, 8, 3),
      // §4.3 "Qdrant分布式集群 (5节点 s7.2xlarge.4)".
      qdrant: pool(CceNodeFlavor.S7_2XLARGE_4, 5, 8, 3),
      // §4.3 "Milvus分布式集群 (5节点 s7.2xlarge.8)": s7 has no ratio 8, m7.2xlarge.8 is the
      // 8 vCPU / 64 GiB flavor; the other distributed roles need 2 more nodes.
      milvus: pool(CceNodeFlavor.M7_2XLARGE_8, 7, 10, 3),
      // §4.3 "bge-m3嵌入模型 (昇腾910B加速)": one 8-NPU Ascend 910B server, a second slot for a lost one.
      npu: pool(CceNodeFlavor.KAT2NE_48XLARGE_8, 1, 2, 1),
    },
    api: { minReplicas: 15, maxReplicas: 20, resources: API_RESOURCES },
    scheduler: { replicas: 3, resources: SCHEDULER_RESOURCES, threadPoolSize: 300 },
    // §4.3 storage per node: Qdrant 1 TB, Milvus 1 TB, Neo4j 500 GB.
    qdrant: ownNode(CceNodeFlavor.S7_2XLARGE_4, 5, 1024),
    // Query nodes share the Milvus pool with the other roles: 4 vCPU and half the m7 node's memory (32 GiB) each.
    milvus: { replicas: 5, flavor: CceNodeFlavor.M7_2XLARGE_8, storageGiB: 1024, cpu: 4, memoryGiB: 32 },
    neo4j: ownNode(CceNodeFlavor.S7_2XLARGE_4, 5, 500),
    // The seed's 8 GB DCS is a Redis Cluster; MemOS's plain client and multi-key SCAN need a
    // standalone or primary/standby endpoint (memos-runtime.md §7), so size the primary/standby.
    redis: { memoryGiB: 8 },
    gateway: { replicas: 3 },
    // Seed §4.3: "5-10 instances" on ModelArts; in-cluster each pod holds a whole 910B.
    embedding: { accelerator: AcceleratorType.ASCEND, minReplicas: 2, maxReplicas: 2 },
  },
};

/** What {@link MemosPresets.nodePools} returns: the pools and which workload runs where. */
export interface PresetNodePools {
  /** The pools, named `<prefix>-app`, `<prefix>-neo4j`, ... */
  readonly nodePools: NodePool[];
  /** Each store on its pool, the rest on the app pool. */
  readonly placement: MemosPlacement;
}

/** Options of {@link MemosPresets.nodePools}. */
export interface PresetNodePoolsOptions {
  /** Prefix of the pool names, e.g. the environment's name. */
  readonly prefix: string;
  /** Availability zones, at least as many as the widest pool spans (3), e.g. `cn-north-4a`. */
  readonly zones: string[];
}

/** Taint of the store pools: only the store named by the value lands there. */
const DEDICATED_TAINT = 'memos.io/dedicated';
/** Taint of the NPU pool (CCE sets none itself; cce-platform.md §4.3). */
const NPU_TAINT = CceNodeLabels.NPU;

/** The seed's presets. */
export class MemosPresets {
  /** The preset of `size`. */
  public static of(size: MemosSize): MemosSizePreset {
    return SIZE_PRESETS[size];
  }

  /**
   * The size's node pools as CCE node pools: store pools tainted `memos.io/dedicated=<store>:NoSchedule`
   * so only their store lands there, the NPU pool tainted `accelerator/huawei-npu:NoSchedule`.
   */
  public static nodePools(size: MemosSize, options: PresetNodePoolsOptions): PresetNodePools {
    const presets = SIZE_PRESETS[size].nodePools;
    const make = (role: string, preset: NodePoolPreset, taintKey?: string): NodePool => {
      if (options.zones.length < preset.zones) {
        throw new Error(`MemosPresets.nodePools: zones: invalid value ${JSON.stringify(options.zones)}; allowed: at least ${preset.zones} availability zones for the ${size} ${role} pool`);
      }
      return {
        name: `${options.prefix}-${role}`,
        flavor: NodeFlavor.of(preset.flavor),
        minNodes: preset.nodes,
        maxNodes: preset.maxNodes,
        zones: options.zones.slice(0, preset.zones),
        ...(taintKey ? { taints: [{ key: taintKey, ...(taintKey === DEDICATED_TAINT ? { value: role } : {}), effect: kplus.TaintEffect.NO_SCHEDULE }] } : {}),
        // CCE's own Deployments (CoreDNS, Everest's controller) run on the untainted app pool.
        ...(role === 'app' ? { addOnPods: [...CceAddOns.perNodeDefaults(), ...CceAddOns.clusterDefaults()] } : {}),
      };
    };
    const nodePools = [
      make('app', presets.app),
      make('neo4j', presets.neo4j, DEDICATED_TAINT),
      make('qdrant', presets.qdrant, DEDICATED_TAINT),
      make('milvus', presets.milvus, DEDICATED_TAINT),
      ...(presets.npu ? [make('npu', presets.npu, NPU_TAINT)] : []),
    ];
    const name = (role: string) => `${options.prefix}-${role}`;
    return {
      nodePools,
      placement: { defaultPool: name('app'), neo4j: name('neo4j'), qdrant: name('qdrant'), milvus: name('milvus') },
    };
  }

  /** Every size, smallest first. */
  public static sizes(): MemosSize[] {
    return Object.values(MemosSize);
  }

  private constructor() {}
}
