import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { AscendChip, AscendChips, NodeTaint } from './cce';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requireLabels, requireNonEmpty } from './validation';

/**
 * CCE node pools as data: flavors, the allocatable CCE leaves for pods, and the per-node add-ons.
 * Facts from the CCE user manual (OTC `opentelekomcloud-docs/cloud-container-engine`, same page
 * IDs as support.huaweicloud.com): node resource reservation cce_10_0178, default max pods
 * cce_10_0348, Everest cce_10_0066, CoreDNS cce_10_0129, node pools and AZs cce_10_0012,
 * autoscaler range cce_10_0209.
 */

/** CPU architecture of a flavor (`kubernetes.io/arch`). */
export enum CpuArchitecture {
  /** x86-64 (Intel/AMD). */
  AMD64 = 'amd64',
  /** Arm64 (Kunpeng). */
  ARM64 = 'arm64',
}

/**
 * ECS flavors for CCE nodes. Names follow ECS's `family.size.ratio` rule (memory = ratio × vCPUs;
 * large = 2, xlarge = 4, 2xlarge = 8, 4xlarge = 16 vCPUs; ECS "ECS Types", en-us_topic_0035470096).
 * s7n rows are OTC's General-Purpose table; c7.large.2/.xlarge.2 are in Huawei's ECS billing
 * example (ecs_billing_4000); the other s7, c7 and m7 rows follow the naming rule. s7 has no
 * ratio-8 flavor: 8 vCPU / 64 GiB is m7.2xlarge.8.
 */
export enum CceNodeFlavor {
  /** s7 general computing-plus, 2 vCPUs, 4 GiB. */
  S7_LARGE_2 = 's7.large.2',
  /** 2 vCPUs, 8 GiB. */
  S7_LARGE_4 = 's7.large.4',
  /** 4 vCPUs, 8 GiB. */
  S7_XLARGE_2 = 's7.xlarge.2',
  /** 4 vCPUs, 16 GiB. */
  S7_XLARGE_4 = 's7.xlarge.4',
  /** 8 vCPUs, 16 GiB. */
  S7_2XLARGE_2 = 's7.2xlarge.2',
  /** 8 vCPUs, 32 GiB. */
  S7_2XLARGE_4 = 's7.2xlarge.4',
  /** s7n general-purpose, 2 vCPUs, 8 GiB. */
  S7N_LARGE_4 = 's7n.large.4',
  /** 4 vCPUs, 16 GiB. */
  S7N_XLARGE_4 = 's7n.xlarge.4',
  /** 8 vCPUs, 32 GiB. */
  S7N_2XLARGE_4 = 's7n.2xlarge.4',
  /** c7 general computing-plus, 2 vCPUs, 4 GiB. */
  C7_LARGE_2 = 'c7.large.2',
  /** 4 vCPUs, 8 GiB. */
  C7_XLARGE_2 = 'c7.xlarge.2',
  /** 8 vCPUs, 16 GiB. */
  C7_2XLARGE_2 = 'c7.2xlarge.2',
  /** 8 vCPUs, 32 GiB. */
  C7_2XLARGE_4 = 'c7.2xlarge.4',
  /** 16 vCPUs, 64 GiB. */
  C7_4XLARGE_4 = 'c7.4xlarge.4',
  /** m7 memory-optimized, 2 vCPUs, 16 GiB. */
  M7_LARGE_8 = 'm7.large.8',
  /** 4 vCPUs, 32 GiB. */
  M7_XLARGE_8 = 'm7.xlarge.8',
  /** 8 vCPUs, 64 GiB. */
  M7_2XLARGE_8 = 'm7.2xlarge.8',
  /** 16 vCPUs, 128 GiB. */
  M7_4XLARGE_8 = 'm7.4xlarge.8',
  /** Ai1s, x86 with Ascend 310 (2 vCPUs, 8 GiB; one chip assumed, the count per flavor is unconfirmed). */
  AI1S_LARGE_4 = 'ai1s.large.4',
  /**
   * Ascend 910B bare-metal server: Kunpeng 920 (192 cores, arm64), 24 × 64 GB, 8 × 910B
   * (`huawei.com/ascend-1980`); as reported from a Huawei Cloud host (no official table found).
   */
  KAT2NE_48XLARGE_8 = 'physical.kat2ne.48xlarge.8.ei.pod101',
}

/** A flavor's shape, for {@link NodeFlavor.custom}. */
export interface NodeFlavorProps {
  /** ECS flavor name (label `node.kubernetes.io/instance-type`). */
  readonly name: string;
  /** vCPUs. */
  readonly vcpus: number;
  /** Memory, GiB. */
  readonly memoryGiB: number;
  /**
   * CPU architecture.
   * @default CpuArchitecture.AMD64
   */
  readonly architecture?: CpuArchitecture;
  /**
   * Ascend chip of the node's NPUs.
   * @default - no NPU
   */
  readonly npuChip?: AscendChip;
  /**
   * NPUs per node.
   * @default - 0 without `npuChip`, else 1
   */
  readonly npus?: number;
}

const S = CpuArchitecture.AMD64;
const FLAVORS: Readonly<Record<CceNodeFlavor, Omit<NodeFlavorProps, 'name'>>> = {
  [CceNodeFlavor.S7_LARGE_2]: { vcpus: 2, memoryGiB: 4, architecture: S },
  [CceNodeFlavor.S7_LARGE_4]: { vcpus: 2, memoryGiB: 8, architecture: S },
  [CceNodeFlavor.S7_XLARGE_2]: { vcpus: 4, memoryGiB: 8, architecture: S },
  [CceNodeFlavor.S7_XLARGE_4]: { vcpus: 4, memoryGiB: 16, architecture: S },
  [CceNodeFlavor.S7_2XLARGE_2]: { vcpus: 8, memoryGiB: 16, architecture: S },
  [CceNodeFlavor.S7_2XLARGE_4]: { vcpus: 8, memoryGiB: 32, architecture: S },
  [CceNodeFlavor.S7N_LARGE_4]: { vcpus: 2, memoryGiB: 8, architecture: S },
  [CceNodeFlavor.S7N_XLARGE_4]: { vcpus: 4, memoryGiB: 16, architecture: S },
  [CceNodeFlavor.S7N_2XLARGE_4]: { vcpus: 8, memoryGiB: 32, architecture: S },
  [CceNodeFlavor.C7_LARGE_2]: { vcpus: 2, memoryGiB: 4, architecture: S },
  [CceNodeFlavor.C7_XLARGE_2]: { vcpus: 4, memoryGiB: 8, architecture: S },
  [CceNodeFlavor.C7_2XLARGE_2]: { vcpus: 8, memoryGiB: 16, architecture: S },
  [CceNodeFlavor.C7_2XLARGE_4]: { vcpus: 8, memoryGiB: 32, architecture: S },
  [CceNodeFlavor.C7_4XLARGE_4]: { vcpus: 16, memoryGiB: 64, architecture: S },
  [CceNodeFlavor.M7_LARGE_8]: { vcpus: 2, memoryGiB: 16, architecture: S },
  [CceNodeFlavor.M7_XLARGE_8]: { vcpus: 4, memoryGiB: 32, architecture: S },
  [CceNodeFlavor.M7_2XLARGE_8]: { vcpus: 8, memoryGiB: 64, architecture: S },
  [CceNodeFlavor.M7_4XLARGE_8]: { vcpus: 16, memoryGiB: 128, architecture: S },
  [CceNodeFlavor.AI1S_LARGE_4]: { vcpus: 2, memoryGiB: 8, architecture: S, npuChip: AscendChip.ASCEND_310, npus: 1 },
  [CceNodeFlavor.KAT2NE_48XLARGE_8]: { vcpus: 192, memoryGiB: 1536, architecture: CpuArchitecture.ARM64, npuChip: AscendChip.ASCEND_910B, npus: 8 },
};

/** What a node of a flavor has: a known CCE flavor, or one described in full. */
export class NodeFlavor {
  /** A flavor of the table ({@link CceNodeFlavor}). */
  public static of(flavor: CceNodeFlavor): NodeFlavor {
    const spec = FLAVORS[flavor];
    if (!spec) throw new Error(`NodeFlavor.of: unknown flavor ${JSON.stringify(flavor)}; allowed: ${Object.values(CceNodeFlavor).join(', ')}`);
    return new NodeFlavor({ name: flavor, ...spec });
  }

  /** A flavor the table does not have. */
  public static custom(props: NodeFlavorProps): NodeFlavor {
    return new NodeFlavor(props);
  }

  /** ECS flavor name. */
  public readonly name: string;
  /** vCPUs. */
  public readonly vcpus: number;
  /** Memory, GiB. */
  public readonly memoryGiB: number;
  /** CPU architecture. */
  public readonly architecture: CpuArchitecture;
  /** Ascend chip, if the node has NPUs. */
  public readonly npuChip?: AscendChip;
  /** NPUs per node. */
  public readonly npus: number;

  private constructor(props: NodeFlavorProps) {
    this.name = props.name;
    this.vcpus = props.vcpus;
    this.memoryGiB = props.memoryGiB;
    this.architecture = props.architecture ?? CpuArchitecture.AMD64;
    this.npuChip = props.npuChip;
    this.npus = props.npus ?? (props.npuChip ? 1 : 0);
  }
}

/** A pod CCE or an add-on runs on every node of a pool, or a fixed number of times in it. */
export interface AddOnPods {
  /** Name (for the plan). */
  readonly name: string;
  /** CPU request per pod, millicores. */
  readonly cpuMillis: number;
  /** Memory request per pod, MiB. */
  readonly memoryMiB: number;
  /**
   * Pods in the pool; leave unset for a DaemonSet (one per node).
   * @default - one per node
   */
  readonly replicas?: number;
}

/** CCE's add-on pods, with the requests their add-on pages document. */
export class CceAddOns {
  /**
   * Everest's `everest-csi-driver` DaemonSet: installed with every cluster, 300m / 300 MiB per node
   * up to 200 nodes, request = limit (cce_10_0066, Table 1).
   */
  public static everestCsiDriver(): AddOnPods {
    return { name: 'everest-csi-driver', cpuMillis: 300, memoryMiB: 300 };
  }

  /** CoreDNS, 2 × 500m / 512 MiB up to 50 nodes (cce_10_0129, Table 1); a Deployment on some pool. */
  public static coreDns(): AddOnPods {
    return { name: 'coredns', cpuMillis: 500, memoryMiB: 512, replicas: 2 };
  }

  /** Everest's controller, 2 × 250m / 600 MiB up to 50 nodes and 1000 PVCs (cce_10_0066). */
  public static everestCsiController(): AddOnPods {
    return { name: 'everest-csi-controller', cpuMillis: 250, memoryMiB: 600, replicas: 2 };
  }

  /** Cloud Native Log Collection's fluent-bit, 100m / 200 MiB per node (ucs_01_0145, same add-on). */
  public static logCollector(): AddOnPods {
    return { name: 'fluent-bit', cpuMillis: 100, memoryMiB: 200 };
  }

  /** The per-node pods every CCE cluster has: Everest's CSI driver. */
  public static perNodeDefaults(): AddOnPods[] {
    return [CceAddOns.everestCsiDriver()];
  }

  /** The cluster's own Deployments every CCE cluster has: CoreDNS and Everest's controller. */
  public static clusterDefaults(): AddOnPods[] {
    return [CceAddOns.coreDns(), CceAddOns.everestCsiController()];
  }

  private constructor() {}
}

/** A CCE node pool: its flavor, the cluster autoscaler's range, zones, labels and taints. */
export interface NodePool {
  /** Node pool name; CCE labels its nodes `cce.cloud.com/cce-nodepool=<name>` (cce_10_0004). */
  readonly name: string;
  /** ECS flavor of every node. */
  readonly flavor: NodeFlavor;
  /** Nodes always running (the autoscaler's minimum, and the count billed at rest). */
  readonly minNodes: number;
  /**
   * The autoscaler's maximum (cce_10_0209: nodes stay within the range).
   * @default - minNodes (no autoscaling)
   */
  readonly maxNodes?: number;
  /** Availability zones of the pool, e.g. `cn-north-4a` (a pool may span several; cce_10_0012). */
  readonly zones: string[];
  /**
   * Labels CCE puts on the pool's nodes besides its inherent ones.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /**
   * Taints on the pool's nodes; workloads placed on the pool tolerate them.
   * @default - none
   */
  readonly taints?: NodeTaint[];
  /**
   * Add-on pods on the pool: per-node DaemonSets (such as a log collector) and fixed Deployments
   * (CoreDNS and Everest's controller run on some pool of every cluster).
   * @default CceAddOns.perNodeDefaults() - Everest's CSI driver on every node
   */
  readonly addOnPods?: AddOnPods[];
  /**
   * Most pods per node (`max-pods`).
   * @default - CCE's default for the node memory: 20 (4 GiB), 40 (8), 60 (16), 80 (32), 110 (64 and more) (cce_10_0348)
   */
  readonly maxPods?: number;
}

/**
 * The memory a node's OS shows the kubelet as capacity, as a share of the flavor's: the one example
 * CCE documents is 3852580 Ki on a 4 GiB node (cce_10_0178). Applied to every size, which errs on
 * the safe side for large nodes.
 */
const VISIBLE_MEMORY_SHARE = 3852580 / (4 * 1024 * 1024);

/** CCE's reservation and the allocatable it leaves, per node. */
export interface NodeAllocatable {
  /** Capacity, millicores. */
  readonly cpuMillis: number;
  /** CPU reserved by CCE (cce_10_0178, Table 4), millicores. */
  readonly reservedCpuMillis: number;
  /** Capacity as the kubelet sees it, MiB. */
  readonly memoryMiB: number;
  /** Memory reserved by CCE (rule v2) plus the 100 MiB eviction threshold, MiB. */
  readonly reservedMemoryMiB: number;
  /** Per-node add-on pods' requests, millicores. */
  readonly addOnCpuMillis: number;
  /** Per-node add-on pods' requests, MiB. */
  readonly addOnMemoryMiB: number;
  /** What pods may request: capacity minus reservations minus per-node add-ons. */
  readonly allocatableCpuMillis: number;
  /** What pods may request, MiB. */
  readonly allocatableMemoryMiB: number;
}

/** What CCE keeps of a node for itself (cce_10_0178), and what it leaves for pods. */
export class CceNodeReservation {
  /** CCE's default `max-pods` by node memory (cce_10_0348, Table 1): 20, 40, 60, 80, then 110 from 64 GiB. */
  public static defaultMaxPods(memoryGiB: number): number {
    if (memoryGiB < 8) return 20;
    if (memoryGiB < 16) return 40;
    if (memoryGiB < 32) return 60;
    if (memoryGiB < 64) return 80;
    return 110;
  }

  /**
   * Reserved CPU, millicores (cce_10_0178, Table 4): 6 % of the first core, 1 % of the second,
   * 0.5 % of the third and fourth, 0.25 % of the rest.
   */
  public static reservedCpuMillis(cores: number): number {
    return reservedCpuMillis(cores);
  }

  /**
   * Reserved memory, MiB, rule v2 (cce_10_0178, Table 3; every cluster from v1.28.2-r0, all
   * v1.29+): system 400 MiB + 25 MiB per GiB of node memory, Kubernetes 500 MiB + 5 MiB per pod
   * (containerd), plus the fixed 100 MiB eviction threshold.
   */
  public static reservedMemoryMiB(memoryGiB: number, maxPods: number): number {
    return 400 + 25 * memoryGiB + 500 + 5 * maxPods + 100;
  }

  /** What a node of `pool` leaves for pods. */
  public static of(pool: NodePool): NodeAllocatable {
    return nodeAllocatable(pool);
  }

  private constructor() {}
}

function reservedCpuMillis(cores: number): number {
  const bands: [number, number][] = [[1, 0.06], [1, 0.01], [2, 0.005], [Infinity, 0.0025]];
  let left = cores;
  let reserved = 0;
  for (const [size, share] of bands) {
    const used = Math.min(left, size);
    reserved += used * share * 1000;
    left -= used;
    if (left <= 0) break;
  }
  return Math.round(reserved);
}

/**
 * What a node of `pool` leaves for pods.
 * @internal
 */
export function nodeAllocatable(pool: NodePool): NodeAllocatable {
  const flavor = pool.flavor;
  const maxPods = pool.maxPods ?? CceNodeReservation.defaultMaxPods(flavor.memoryGiB);
  const perNode = (pool.addOnPods ?? CceAddOns.perNodeDefaults()).filter((a) => a.replicas === undefined);
  const cpuMillis = flavor.vcpus * 1000;
  const memoryMiB = Math.floor(flavor.memoryGiB * 1024 * VISIBLE_MEMORY_SHARE);
  const reservedCpu = reservedCpuMillis(flavor.vcpus);
  const reservedMemory = CceNodeReservation.reservedMemoryMiB(flavor.memoryGiB, maxPods);
  const addOnCpu = perNode.reduce((sum, a) => sum + a.cpuMillis, 0);
  const addOnMemory = perNode.reduce((sum, a) => sum + a.memoryMiB, 0);
  return {
    cpuMillis,
    reservedCpuMillis: reservedCpu,
    memoryMiB,
    reservedMemoryMiB: reservedMemory,
    addOnCpuMillis: addOnCpu,
    addOnMemoryMiB: addOnMemory,
    allocatableCpuMillis: cpuMillis - reservedCpu - addOnCpu,
    allocatableMemoryMiB: memoryMiB - reservedMemory - addOnMemory,
  };
}

/**
 * The extended resources a node of `flavor` offers (its NPUs).
 * @internal
 */
export function flavorExtendedResources(flavor: NodeFlavor): Record<string, number> {
  return flavor.npuChip ? { [AscendChips[flavor.npuChip].resource]: flavor.npus } : {};
}

/**
 * Node pools checked where the user wrote them: unique DNS-label names, a flavor, 1 ≤ min ≤ max,
 * at least one zone, valid labels and taints.
 * @internal
 */
export function requireNodePools(scope: IConstruct, property: string, pools: NodePool[] | undefined): NodePool[] {
  if (pools === undefined) return [];
  if (!Array.isArray(pools) || pools.length === 0) return invalidProp(scope, property, pools, 'a non-empty list of node pools ({ name, flavor, minNodes, maxNodes?, zones })');
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    const at = `${property}[${i}]`;
    const name = requireDnsLabel(scope, `${at}.name`, pool?.name);
    if (names.has(name)) invalidProp(scope, `${at}.name`, name, 'a name no other pool has');
    names.add(name);
    if (!(pool.flavor instanceof NodeFlavor)) invalidProp(scope, `${at}.flavor`, pool.flavor, 'NodeFlavor.of(CceNodeFlavor.…) or NodeFlavor.custom({ name, vcpus, memoryGiB })');
    requireInteger(scope, `${at}.flavor.vcpus`, pool.flavor.vcpus, 1, 1024);
    if (!(pool.flavor.memoryGiB > 0)) invalidProp(scope, `${at}.flavor.memoryGiB`, pool.flavor.memoryGiB, 'a positive number of GiB');
    const min = requireInteger(scope, `${at}.minNodes`, pool.minNodes, 0, 2000);
    if (pool.maxNodes !== undefined) requireInteger(scope, `${at}.maxNodes`, pool.maxNodes, Math.max(1, min), 2000);
    if (!Array.isArray(pool.zones) || pool.zones.length === 0) invalidProp(scope, `${at}.zones`, pool.zones, 'one or more availability zones, e.g. [\'cn-north-4a\']');
    pool.zones.forEach((zone, j) => requireNonEmpty(scope, `${at}.zones[${j}]`, zone));
    if (new Set(pool.zones).size !== pool.zones.length) invalidProp(scope, `${at}.zones`, pool.zones, 'distinct zones');
    requireLabels(scope, `${at}.labels`, pool.labels);
    (pool.taints ?? []).forEach((taint, j) => {
      requireNonEmpty(scope, `${at}.taints[${j}].key`, taint?.key);
      requireEnum(scope, `${at}.taints[${j}].effect`, taint.effect, kplus.TaintEffect);
    });
    (pool.addOnPods ?? []).forEach((addOn, j) => {
      requireNonEmpty(scope, `${at}.addOnPods[${j}].name`, addOn?.name);
      requireInteger(scope, `${at}.addOnPods[${j}].cpuMillis`, addOn.cpuMillis, 0, 1_000_000);
      requireInteger(scope, `${at}.addOnPods[${j}].memoryMiB`, addOn.memoryMiB, 0, 10_000_000);
      if (addOn.replicas !== undefined) requireInteger(scope, `${at}.addOnPods[${j}].replicas`, addOn.replicas, 0, 1000);
    });
    if (pool.maxPods !== undefined) requireInteger(scope, `${at}.maxPods`, pool.maxPods, 1, 256);
    const allocatable = nodeAllocatable(pool);
    if (allocatable.allocatableCpuMillis <= 0 || allocatable.allocatableMemoryMiB <= 0) {
      invalidProp(scope, `${at}.flavor`, pool.flavor.name, `a flavor with room left after CCE's reservation and the add-on pods (${allocatable.allocatableCpuMillis}m CPU, ${allocatable.allocatableMemoryMiB} MiB left)`);
    }
  });
  return pools;
}
