import { NpuNodePool } from '../src/cce';

/** Where a model server's inference runs. */
export enum AcceleratorType {
  /** CPU nodes (TEI for CPUs). */
  CPU = 'cpu',
  /** Ascend NPU nodes (mis-tei on torch-npu). */
  ASCEND = 'ascend',
}

/** Options of {@link ModelAccelerator.ascend}. */
export interface AscendAcceleratorOptions {
  /**
   * The NPU node pool the pods run on (its chip sets the resource, its taints are tolerated).
   * @default - none: required on an EmbeddingServer; a MemosStack uses the first of its
   * `npuNodePools`
   */
  readonly pool?: NpuNodePool;
  /**
   * NPUs per pod.
   * @default 1
   */
  readonly npuCount?: number;
  /**
   * GID of `HwHiAiUser`, which the NPU user must belong to (created by the driver install;
   * cce_10_0239). Check with `id HwHiAiUser` on an NPU node.
   * @default 1000 (unconfirmed)
   */
  readonly npuGroupId?: number;
}

/**
 * Where a model server's inference runs: {@link ModelAccelerator.cpu} or
 * {@link ModelAccelerator.ascend}.
 */
export class ModelAccelerator {
  /** CPU nodes: TEI for CPUs, autoscaled on CPU utilization. */
  public static cpu(): ModelAccelerator {
    return new ModelAccelerator(AcceleratorType.CPU, undefined);
  }

  /**
   * Ascend NPU nodes: mis-tei on torch-npu, the CCE NPU resource with requests = limits, pinned to
   * the pool, its taints tolerated, `/dev/shm` in memory, the `HwHiAiUser` group; fixed replicas.
   */
  public static ascend(options: AscendAcceleratorOptions = {}): ModelAccelerator {
    return new ModelAccelerator(AcceleratorType.ASCEND, { ...options });
  }

  /** @internal */
  public readonly _type: AcceleratorType;
  /** @internal */
  public readonly _ascend?: AscendAcceleratorOptions;

  private constructor(type: AcceleratorType, ascend: AscendAcceleratorOptions | undefined) {
    this._type = type;
    this._ascend = ascend;
  }

  /**
   * This accelerator, or, for Ascend without a pool, the same one on `pool`.
   * @internal
   */
  public _withDefaultPool(pool: NpuNodePool): ModelAccelerator {
    if (this._type !== AcceleratorType.ASCEND || this._ascend?.pool !== undefined) return this;
    return new ModelAccelerator(AcceleratorType.ASCEND, { ...this._ascend, pool });
  }
}
