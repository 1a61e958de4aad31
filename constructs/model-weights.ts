import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Credential, Credentials } from '../src/credentials';
import { hardenedContainerSecurityContext } from '../src/kubernetes';
import { invalidProp, requireDnsSubdomain, requireNonEmpty, requireHost } from '../src/validation';

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

/**
 * Mounts a model server's weights: the volume (a read-only claim, or for OBS an `emptyDir`) and,
 * for OBS, the rclone init container on `deployment` that fills it. Constructs are created in
 * `scope` (errors name its properties `weights.*`). Returns the volume and the model directory
 * under `modelsDir` to pass to the server.
 * @internal
 */
export function mountModelWeights(scope: Construct, deployment: kplus.Deployment, weights: ModelWeights, options: {
  /** Instance name: the default claim is `<instance>-models`. */
  readonly instance: string;
  /** The served model name: the default path, and the directory OBS weights are copied to. */
  readonly model: string;
  /** OBS keys for rclone. */
  readonly credentials: Credentials;
  /** Where the weights volume is mounted in the pod. */
  readonly modelsDir: string;
  /** Image of the rclone init container. */
  readonly fetchImage: string;
  /** UID the init container runs as. */
  readonly uid: number;
}): { volume: kplus.Volume; modelDir: string } {
  if (!(weights instanceof ModelWeights)) {
    return invalidProp(scope, 'weights', weights, 'ModelWeights.fromClaim({ claimName, path }) or ModelWeights.fromObs({ bucket, endpoint, region, path, size })');
  }
  const { instance, model, credentials, modelsDir } = options;
  const claim = weights._claim;
  const obs = weights._obs;
  const path = (claim ?? obs)?.path ?? model;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(path) || path.includes('..')) invalidProp(scope, 'weights.path', path, 'a relative path of letters, digits, ., _, - and /');
  if (!obs) {
    const claimName = requireDnsSubdomain(scope, 'weights.claimName', claim?.claimName ?? `${instance}-models`);
    const volume = kplus.Volume.fromPersistentVolumeClaim(scope, 'Weights', kplus.PersistentVolumeClaim.fromClaimName(scope, 'WeightsClaim', claimName), { name: 'models', readOnly: true });
    return { volume, modelDir: `${modelsDir}/${path}` };
  }
  const bucket = requireNonEmpty(scope, 'weights.bucket', obs.bucket);
  const endpoint = requireHost(scope, 'weights.endpoint', obs.endpoint);
  const volume = kplus.Volume.fromEmptyDir(scope, 'Weights', 'models', { sizeLimit: obs.size ?? Size.gibibytes(8) });
  const dir = model;
  const value = kplus.EnvValue.fromValue;
  deployment.addInitContainer({
    name: 'fetch-weights',
    image: options.fetchImage,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['rclone', 'copy', `obs:${bucket}/${path}`, `${modelsDir}/${dir}`, '--transfers', '8', '--checkers', '16'],
    envVariables: {
      HOME: value('/tmp'),
      RCLONE_CONFIG: value('/tmp/rclone.conf'),
      RCLONE_CACHE_DIR: value('/tmp/rclone'),
      RCLONE_CONFIG_OBS_TYPE: value('s3'),
      RCLONE_CONFIG_OBS_PROVIDER: value('HuaweiOBS'),
      RCLONE_CONFIG_OBS_ENDPOINT: value(endpoint),
      RCLONE_CONFIG_OBS_REGION: value(requireNonEmpty(scope, 'weights.region', obs.region)),
      RCLONE_CONFIG_OBS_ACCESS_KEY_ID: credentials.ref(Credential.OBS_ACCESS_KEY_ID).envValue(scope),
      RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY: credentials.ref(Credential.OBS_SECRET_ACCESS_KEY).envValue(scope),
    },
    resources: { cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(1) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } },
    securityContext: hardenedContainerSecurityContext(options.uid),
    volumeMounts: [
      { path: modelsDir, volume },
      { path: '/tmp', volume: kplus.Volume.fromEmptyDir(scope, 'FetchTmp', 'fetch-tmp', { sizeLimit: Size.mebibytes(256) }) },
    ],
  });
  return { volume, modelDir: `${modelsDir}/${dir}` };
}
