import { ApiObject, Duration, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { EverestClaimMetadata, EvsDiskType, EvsStorageClass } from './cce';
import { invalidProp, requireEnum, requireNonEmpty } from './validation';

/** An EVS disk per pod, provisioned by CCE's Everest CSI driver. */
export interface EvsVolumeOptions {
  /**
   * Size of each disk (1Gi to 32768Gi; EVS disks can grow, never shrink).
   * @default - the construct's (each documents its own)
   */
  readonly size?: Size;
  /**
   * Storage class.
   * @default 'csi-disk-topology' (disk created in the zone the pod lands in)
   */
  readonly storageClass?: EvsStorageClass;
  /**
   * Disk type.
   * @default 'SSD' (ultra-high I/O)
   */
  readonly diskType?: EvsDiskType;
  /**
   * Region and zone of the disks; required by `csi-disk`, which does not follow the pod.
   * @default - none (csi-disk-topology)
   */
  readonly region?: string;
  /**
   * Availability zone of the disks, e.g. `cn-north-4a`; required by `csi-disk`.
   * @default - none (csi-disk-topology)
   */
  readonly zone?: string;
  /**
   * KMS key ID to encrypt the disks with.
   * @default - not encrypted
   */
  readonly kmsKeyId?: string;
}

/**
 * Validated size in GiB.
 * @internal
 */
export function requireVolumeGiB(scope: IConstruct, property: string, size: unknown): number {
  const gib = size instanceof Size ? size.toGibibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
  if (Number.isInteger(gib) && gib >= 1 && gib <= 32768) return gib;
  const shown = size instanceof Size ? `${size.toMebibytes()}Mi` : size;
  return invalidProp(scope, property, shown, 'a whole number of GiB from 1Gi to 32768Gi (EVS limits)');
}

/**
 * The volumeClaimTemplate of an EVS-backed StatefulSet volume, validated; `defaultSize` applies
 * when `options.size` is not set.
 * @internal
 */
export function evsVolumeClaimTemplate(scope: IConstruct, property: string, name: string, options: EvsVolumeOptions, defaultSize: Size, labels: Record<string, string> = {}) {
  const gib = requireVolumeGiB(scope, `${property}.size`, options.size ?? defaultSize);
  const storageClass = requireEnum(scope, `${property}.storageClass`, options.storageClass ?? EvsStorageClass.CSI_DISK_TOPOLOGY, EvsStorageClass);
  const diskType = requireEnum(scope, `${property}.diskType`, options.diskType ?? EvsDiskType.SSD, EvsDiskType);
  const claimLabels = { ...labels };
  if (storageClass === EvsStorageClass.CSI_DISK) {
    claimLabels[EverestClaimMetadata.REGION_LABEL] = requireNonEmpty(scope, `${property}.region`, options.region);
    claimLabels[EverestClaimMetadata.ZONE_LABEL] = requireNonEmpty(scope, `${property}.zone`, options.zone);
  } else if (options.region !== undefined || options.zone !== undefined) {
    invalidProp(scope, `${property}.zone`, options.zone ?? options.region, "no region or zone with 'csi-disk-topology': the disk follows the pod's zone");
  }
  const annotations: Record<string, string> = { [EverestClaimMetadata.DISK_VOLUME_TYPE]: diskType };
  if (options.kmsKeyId !== undefined) annotations[EverestClaimMetadata.CRYPT_KEY_ID] = requireNonEmpty(scope, `${property}.kmsKeyId`, options.kmsKeyId);
  return {
    metadata: { name, labels: claimLabels, annotations },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storageClass,
      // Quantities must be {value} objects to survive the L1 mapper behind JsonPatch (cdk8s-notes.md pitfall 1).
      resources: { requests: { storage: { value: `${gib}Gi` } } },
    },
  };
}

const CLAIM_MOUNTS = new WeakMap<kplus.StatefulSet, { name: string; mountPath: string; containerIndex: number }[]>();

/**
 * The volume claim templates of a StatefulSet and where they are mounted (kplus does not see
 * them: they are JSON patches).
 * @internal
 */
export function claimMounts(statefulSet: kplus.AbstractPod): { name: string; mountPath: string; containerIndex: number }[] {
  return statefulSet instanceof kplus.StatefulSet ? CLAIM_MOUNTS.get(statefulSet) ?? [] : [];
}

/**
 * Gives a StatefulSet a per-pod volume (cdk8s-plus-28 has no volumeClaimTemplates: pitfall 2)
 * mounted at `mountPath` in container `containerIndex`. The container must already mount at
 * least one other volume (the patch appends to its volumeMounts).
 * @internal
 */
export function addVolumeClaimTemplates(statefulSet: kplus.StatefulSet, claims: { template: ReturnType<typeof evsVolumeClaimTemplate>; mountPath: string; containerIndex?: number }[]): void {
  const api = ApiObject.of(statefulSet);
  CLAIM_MOUNTS.set(statefulSet, [...claimMounts(statefulSet), ...claims.map((c) => ({ name: c.template.metadata.name, mountPath: c.mountPath, containerIndex: c.containerIndex ?? 0 }))]);
  api.addJsonPatch(JsonPatch.add('/spec/volumeClaimTemplates', claims.map((c) => c.template)));
  for (const claim of claims) {
    api.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/${claim.containerIndex ?? 0}/volumeMounts/-`, { name: claim.template.metadata.name, mountPath: claim.mountPath }));
  }
}

/**
 * Sequential throughput of one EVS ultra-high I/O (SSD) disk, bytes per second (350 MB/s; the
 * backup durations in docs/backup.md use the same figure).
 */
const EVS_SSD_BYTES_PER_SECOND = 350e6;

/**
 * A startup budget for a store on a volume of `size`: `floor`, or the time to read the whole
 * volume once at EVS SSD throughput (a recovery may), rounded up to 10 minutes, if longer.
 * @internal
 */
export function startupBudgetFor(size: Size, floor: Duration): Duration {
  const readSeconds = size.toKibibytes() * 1024 / EVS_SSD_BYTES_PER_SECOND;
  const rounded = Math.ceil(readSeconds / 600) * 600;
  return rounded > floor.toSeconds() ? Duration.seconds(rounded) : floor;
}
