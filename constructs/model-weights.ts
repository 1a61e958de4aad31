import { Size } from 'cdk8s';

/** Options of {@link ModelWeights.fromClaim}. */
export interface ClaimWeightsOptions {
  /**
   * An existing ReadOnlyMany/ReadWriteMany claim (SFS Turbo, OBS) holding model directories,
   * mounted read-only.
   * @default '<instance>-models'
   */
  readonly claimName?: string;
  /**
   * Directory of this model in the claim.
   * @default - the model name, e.g. `bge-m3`
   */
  readonly path?: string;
}

/** Options of {@link ModelWeights.fromObs}. */
export interface ObsWeightsOptions {
  /** OBS bucket holding the weights. */
  readonly bucket: string;
  /** OBS endpoint, e.g. `obs.cn-north-4.myhuaweicloud.com`. */
  readonly endpoint: string;
  /** Region of the bucket, e.g. `cn-north-4`. */
  readonly region: string;
  /**
   * Object prefix of this model in the bucket.
   * @default - the model name, e.g. `bge-m3`
   */
  readonly path?: string;
  /**
   * Room for the weights in the pod.
   * @default Size.gibibytes(8)
   */
  readonly size?: Size;
}

/**
 * Where a model server's weights come from. Nothing is downloaded from a model hub:
 * `HF_HUB_OFFLINE=1`.
 */
export class ModelWeights {
  /** A claim holding model directories, mounted read-only. */
  public static fromClaim(options: ClaimWeightsOptions = {}): ModelWeights {
    return new ModelWeights({ ...options }, undefined);
  }

  /**
   * Copied from an OBS prefix into the pod (an `emptyDir`) by rclone before the server starts,
   * with the OBS keys of the credentials Secret.
   */
  public static fromObs(options: ObsWeightsOptions): ModelWeights {
    return new ModelWeights(undefined, { ...options });
  }

  /** @internal */
  public readonly _claim?: ClaimWeightsOptions;
  /** @internal */
  public readonly _obs?: ObsWeightsOptions;

  private constructor(claim: ClaimWeightsOptions | undefined, obs: ObsWeightsOptions | undefined) {
    this._claim = claim;
    this._obs = obs;
  }
}
