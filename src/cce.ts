import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { invalidProp, requireDnsLabel, requireEnum, requireNonEmpty } from './validation';

/**
 * Huawei Cloud CCE vocabulary: names the platform defines, written down once.
 * Source: shared/reference/cce-platform.md (page IDs cce_10_XXXX on support.huaweicloud.com).
 */

/**
 * Pull secret CCE creates in every namespace for SWR (cce_10_0388). Refreshed by CCE: reference
 * it, never copy or modify it.
 */
export const CCE_SWR_PULL_SECRET = 'default-secret';

/**
 * Namespace of the Cloud Native Cluster Monitoring add-on (prometheus-operator, Prometheus and
 * the `custom-metrics-apiserver` adapter; cce_10_0406).
 */
export const CCE_MONITORING_NAMESPACE = 'monitoring';

/** The add-on's prometheus-adapter Deployment and Service (serves custom metrics on 443). */
export const CCE_CUSTOM_METRICS_APISERVER = 'custom-metrics-apiserver';

/** Inherent CCE node labels (cce_10_0004). */
export const CceNodeLabels = {
  ZONE: 'topology.kubernetes.io/zone',
  REGION: 'topology.kubernetes.io/region',
  HOSTNAME: 'kubernetes.io/hostname',
  /** `amd64` or `arm64`. */
  ARCH: 'kubernetes.io/arch',
  OS: 'kubernetes.io/os',
  /** The ECS flavor. */
  INSTANCE_TYPE: 'node.kubernetes.io/instance-type',
  /** Value = node pool name. */
  NODE_POOL: 'cce.cloud.com/cce-nodepool',
  /** Ascend NPU nodes (value per chip, e.g. `ascend-1980`; unconfirmed list). */
  NPU: 'accelerator/huawei-npu',
} as const;

/** Options of {@link swrImage}. */
export interface SwrImageOptions {
  /** Region of the SWR registry, e.g. `cn-north-4`. */
  readonly region: string;
  /** SWR organization. */
  readonly organization: string;
  /** Repository (image name) inside the organization. */
  readonly repository: string;
  /** Tag; pinned, never `latest`. */
  readonly tag: string;
}

/** Image references in Huawei Cloud SWR. */
export class SwrImage {
  /** `swr.<region>.myhuaweicloud.com/<organization>/<repository>:<tag>` (cce-platform.md §6). */
  public static reference(options: SwrImageOptions): string {
    return `${SwrImage.registry(options.region)}/${options.organization}/${options.repository}:${options.tag}`;
  }

  /** The SWR registry host of `region`, `swr.<region>.myhuaweicloud.com` (cce-platform.md §6). */
  public static registry(region: string): string {
    return `swr.${region}.myhuaweicloud.com`;
  }

  private constructor() {}
}

/**
 * CCE LoadBalancer Service annotations (cce_10_0385 and the pages cited per key in
 * cce-platform.md §1). Values are always strings; JSON-valued keys hold JSON strings.
 */
export const CceElbAnnotations = {
  /** `union` (shared) or `performance` (dedicated). Immutable. */
  CLASS: 'kubernetes.io/elb.class',
  /** Existing ELB to attach to. Immutable; never together with AUTOCREATE. */
  ID: 'kubernetes.io/elb.id',
  /** JSON: CCE creates the ELB (and deletes it with the Service). */
  AUTOCREATE: 'kubernetes.io/elb.autocreate',
  /** ROUND_ROBIN | LEAST_CONNECTIONS | SOURCE_IP. */
  ALGORITHM: 'kubernetes.io/elb.lb-algorithm',
  /** 'on' | 'off'. */
  HEALTH_CHECK_FLAG: 'kubernetes.io/elb.health-check-flag',
  /** JSON with string values: protocol, delay, timeout, max_retries, path. */
  HEALTH_CHECK_OPTION: 'kubernetes.io/elb.health-check-option',
  /** SOURCE_IP; omit to disable (cce_10_0681). */
  SESSION_AFFINITY_MODE: 'kubernetes.io/elb.session-affinity-mode',
  /** JSON: persistence_timeout in minutes, as a string. */
  SESSION_AFFINITY_OPTION: 'kubernetes.io/elb.session-affinity-option',
  /** `protocol:port[,...]`, e.g. `https:443` (cce_10_0683, v1.19.16+). */
  PROTOCOL_PORT: 'kubernetes.io/elb.protocol-port',
  /** ELB server certificate ID for HTTPS listeners. */
  CERT_ID: 'kubernetes.io/elb.cert-id',
  /** SNI certificate IDs, comma-separated. */
  TLS_CERTIFICATE_IDS: 'kubernetes.io/elb.tls-certificate-ids',
  /** 'true' | 'false'; HTTPS listeners only. */
  HTTP2_ENABLE: 'kubernetes.io/elb.http2-enable',
  /** IP address group IDs, comma-separated (up to 5 on dedicated ELBs). */
  ACL_ID: 'kubernetes.io/elb.acl-id',
  /** 'on' | 'off'. */
  ACL_STATUS: 'kubernetes.io/elb.acl-status',
  /** 'white' (trustlist) | 'black' (blocklist). */
  ACL_TYPE: 'kubernetes.io/elb.acl-type',
} as const;

/** ELB classes on CCE: `union` = shared ELB, `performance` = dedicated ELB (cce_10_0385). */
export enum ElbClass {
  /** A shared ELB. */
  UNION = 'union',
  /** A dedicated ELB. */
  PERFORMANCE = 'performance',
}

/** Listener algorithms (`kubernetes.io/elb.lb-algorithm`). */
export enum ElbAlgorithm {
  /** Weighted round robin. */
  ROUND_ROBIN = 'ROUND_ROBIN',
  /** Weighted least connections. */
  LEAST_CONNECTIONS = 'LEAST_CONNECTIONS',
  /** Source IP hash: a client keeps its backend. */
  SOURCE_IP = 'SOURCE_IP',
}

/**
 * Everest block-storage classes for StatefulSet volumes (cce-platform.md §3.1). Both create EVS
 * disks; `csi-disk-topology` waits for the pod to be scheduled and creates the disk in its zone,
 * which is what a StatefulSet spread across zones needs. `csi-disk` binds immediately and needs
 * the region and zone on the claim.
 */
export enum EvsStorageClass {
  /** The disk is created in the zone the pod lands in (WaitForFirstConsumer). */
  CSI_DISK_TOPOLOGY = 'csi-disk-topology',
  /** The disk is created at once, in the region and zone given on the claim. */
  CSI_DISK = 'csi-disk',
}

/**
 * EVS disk types (`everest.io/disk-volume-type`, cce_10_0615): SATA common I/O, SAS high I/O,
 * SSD ultra-high I/O, GPSSD general-purpose SSD, ESSD extreme SSD, GPSSD2 (Everest >= 2.4.4).
 */
export enum EvsDiskType {
  /** Ultra-high I/O. */
  SSD = 'SSD',
  /** General-purpose SSD. */
  GPSSD = 'GPSSD',
  /** Extreme SSD. */
  ESSD = 'ESSD',
  /** General-purpose SSD V2 (Everest >= 2.4.4). */
  GPSSD2 = 'GPSSD2',
  /** High I/O. */
  SAS = 'SAS',
  /** Common I/O. */
  SATA = 'SATA',
}

/** Everest PVC annotations and labels (cce_10_0615). */
export const EverestClaimMetadata = {
  DISK_VOLUME_TYPE: 'everest.io/disk-volume-type',
  /** KMS key of an encrypted disk. */
  CRYPT_KEY_ID: 'everest.io/crypt-key-id',
  /** Labels required by `csi-disk` (not by `csi-disk-topology`). */
  REGION_LABEL: 'failure-domain.beta.kubernetes.io/region',
  ZONE_LABEL: 'failure-domain.beta.kubernetes.io/zone',
} as const;

/**
 * Ascend NPU chips and the extended resource the CCE AI Suite (Ascend NPU) add-on registers
 * (cce-platform.md §4.2): `huawei.com/ascend-310` is documented (cce_10_0346);
 * `huawei.com/ascend-1980` (910B, "NPU1980") is what Huawei Cloud's own vLLM-Ascend CI requests.
 * Requests must equal limits.
 */
export enum AscendChip {
  /** Ascend 910B (`huawei.com/ascend-1980`). */
  ASCEND_910B = '910B',
  /** Ascend 310 (`huawei.com/ascend-310`). */
  ASCEND_310 = '310',
}

/** The extended resource of each {@link AscendChip}. */
export const AscendChips: Readonly<Record<AscendChip, { readonly resource: string }>> = {
  [AscendChip.ASCEND_910B]: { resource: 'huawei.com/ascend-1980' },
  [AscendChip.ASCEND_310]: { resource: 'huawei.com/ascend-310' },
};

/** A node taint an NPU pool may carry (CCE sets none by default; cce-platform.md §4.3). */
export interface NodeTaint {
  /** Taint key. */
  readonly key: string;
  /**
   * Taint value.
   * @default - any value (`Exists`)
   */
  readonly value?: string;
  /** Taint effect. */
  readonly effect: kplus.TaintEffect;
}

/** A CCE node pool of Ascend NPU nodes, declared by the environment that has one. */
export interface NpuNodePool {
  /** Node pool name (label `cce.cloud.com/cce-nodepool`). */
  readonly name: string;
  /**
   * Chip of its nodes.
   * @default '910B'
   */
  readonly chip?: AscendChip;
  /**
   * Taints set on the pool, tolerated by NPU workloads.
   * @default - none
   */
  readonly taints?: NodeTaint[];
}

/**
 * Declared NPU node pools, checked where the user wrote them (`property`): unique DNS-label names,
 * known chips, taints with a key and a Kubernetes effect.
 * @internal
 */
export function requireNpuNodePools(scope: IConstruct, property: string, pools: NpuNodePool[] | undefined): NpuNodePool[] {
  if (pools === undefined) return [];
  if (!Array.isArray(pools)) return invalidProp(scope, property, pools, 'a list of NPU node pools ({ name, chip?, taints? })');
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    const name = requireDnsLabel(scope, `${property}[${i}].name`, pool?.name);
    if (names.has(name)) invalidProp(scope, `${property}[${i}].name`, name, 'a name no other declared pool has');
    names.add(name);
    if (pool.chip !== undefined) requireEnum(scope, `${property}[${i}].chip`, pool.chip, AscendChip);
    (pool.taints ?? []).forEach((taint, j) => {
      requireNonEmpty(scope, `${property}[${i}].taints[${j}].key`, taint?.key);
      requireEnum(scope, `${property}[${i}].taints[${j}].effect`, taint.effect, kplus.TaintEffect);
    });
  });
  return pools;
}

/**
 * CCE's CoreDNS add-on, the one destination every pod's egress policy allows. Pods resolve names
 * through the `kube-dns` Service on port 53; CCE's Corefile listens on 5353 in the pod
 * (`.:5353 { bind {$POD_IP} ... }`, OTC umn "configuring_coredns"), and a NetworkPolicy sees the
 * pod port after the DNAT, or the Service port where the data plane evaluates before it: both are
 * allowed. The CoreDNS pods' labels are not documented, so the rule selects the namespace.
 * @internal
 */
export class CceCoreDns {
  /** The add-on's namespace. */
  public static readonly NAMESPACE = 'kube-system';

  /** The DNS ports, UDP and TCP. */
  public static ports(): { port: number; protocol: any }[] {
    return [53, 5353].flatMap((port) => [{ port, protocol: 'UDP' }, { port, protocol: 'TCP' }]);
  }

  private constructor() {}
}

/**
 * The Kubernetes API as pods reach it on CCE: the `kubernetes` Service (10.247.0.1:443 in the
 * default Service CIDR) DNATs to the master's private address on 5444, the port CCE's cluster
 * security group opens to the VPC and the container CIDR for kube-apiserver (cce_faq_00265).
 * @internal
 */
export const CCE_KUBERNETES_API_PORTS: readonly number[] = [443, 5444];
