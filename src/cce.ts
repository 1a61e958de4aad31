/**
 * Huawei Cloud CCE vocabulary: names the platform defines, written down once.
 * Source: shared/reference/cce-platform.md (page IDs cce_10_XXXX on support.huaweicloud.com).
 */

/**
 * Pull secret CCE creates in every namespace for SWR (cce_10_0388). Refreshed by CCE: reference
 * it, never copy or modify it.
 */
export const CCE_SWR_PULL_SECRET = 'default-secret';

/** Inherent CCE node labels (cce_10_0004). */
export const CceNodeLabels = {
  ZONE: 'topology.kubernetes.io/zone',
  REGION: 'topology.kubernetes.io/region',
  HOSTNAME: 'kubernetes.io/hostname',
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

/** `swr.<region>.myhuaweicloud.com/<organization>/<repository>:<tag>` (cce-platform.md §6). */
export function swrImage(options: SwrImageOptions): string {
  return `swr.${options.region}.myhuaweicloud.com/${options.organization}/${options.repository}:${options.tag}`;
}

/**
 * Seed §4: CCE node flavors. `s7.<size>.<ratio>`: general computing-plus, memory = ratio × vCPUs
 * (the seed once writes 8 vCPU/16 GB for s7.2xlarge.4; the flavor is 8 vCPU/32 GiB).
 */
export const CceNodeFlavors = {
  's7.large.4': { vcpus: 2, memoryGiB: 8 },
  's7.xlarge.4': { vcpus: 4, memoryGiB: 16 },
  's7.2xlarge.4': { vcpus: 8, memoryGiB: 32 },
  's7.2xlarge.8': { vcpus: 8, memoryGiB: 64 },
} as const;

export type CceNodeFlavor = keyof typeof CceNodeFlavors;
