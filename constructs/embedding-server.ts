import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MemosConfig } from './memos-config';
import { InClusterEndpoints, ServicePorts } from '../src/endpoints';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { AscendChips, CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET, CceNodeLabels, NpuNodePool } from '../src/cce';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext,
  requireNodePool, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, WorkloadPlacementProps, MonitoredProps, selectPods, httpProbe,
} from '../src/kubernetes';
import { KNOWN_MODELS } from '../src/memos';
import { invalidProp, requireDnsLabel, requireInteger, requireNonEmpty, requireOneOf, requirePinnedImage } from '../src/validation';

/**
 * Hugging Face text-embeddings-inference for CPUs (components.md §5): OpenAI `/v1/embeddings`,
 * `/health`, `/metrics`. Its `/rerank` takes `texts` and returns a bare list, which MemOS's
 * `http_bge` reranker cannot read, so it serves embeddings only.
 */
export const DEFAULT_CPU_EMBEDDING_IMAGE = 'ghcr.io/huggingface/text-embeddings-inference:cpu-1.9';
/**
 * Huawei's mis-tei (TEI on torch-npu for Ascend, from AscendHub on SWR): `/v1/embeddings` and
 * `/v1/rerank` (query + documents). Tag scheme `<TEI>-<chip>-<os>-<python>` per its overview;
 * this tag is unconfirmed: pin the one AscendHub lists for your chip and CANN driver.
 */
export const DEFAULT_ASCEND_EMBEDDING_IMAGE = 'swr.cn-south-1.myhuaweicloud.com/ascendhub/mis-tei:26.0.0-910-ubuntu22.04-py3.11';
/** rclone (provider `HuaweiOBS`) copies model weights from OBS before the server starts. */
export const DEFAULT_MODEL_FETCH_IMAGE = 'docker.io/rclone/rclone:1.68.2';

const SERVER_UID = 1000;
const PORT = ServicePorts.EMBEDDING;
const MODELS_DIR = '/models';

export const EMBEDDING_ACCELERATORS = ['cpu', 'ascend'] as const;
export type EmbeddingAccelerator = typeof EMBEDDING_ACCELERATORS[number];

/** Where the weights come from. Nothing is downloaded from a model hub: `HF_HUB_OFFLINE=1`. */
export interface ModelWeights {
  /**
   * `pvc`: an existing ReadOnlyMany/ReadWriteMany claim (SFS Turbo, OBS) holding model
   * directories, mounted read-only. `obs`: copied from an OBS prefix into the pod before start.
   */
  readonly source: 'pvc' | 'obs';
  /**
   * With `pvc`: the claim.
   * @default '<instance>-models'
   */
  readonly claimName?: string;
  /**
   * Directory of this model in the claim, or the object prefix in the bucket.
   * @default - the model name, e.g. `bge-m3`
   */
  readonly path?: string;
  /** With `obs`: bucket, endpoint (e.g. `obs.cn-north-4.myhuaweicloud.com`) and region. */
  readonly bucket?: string;
  readonly endpoint?: string;
  readonly region?: string;
  /**
   * With `obs`: room for the weights in the pod.
   * @default Size.gibibytes(8)
   */
  readonly size?: Size;
}

/** Properties of {@link EmbeddingServer}. */
export interface EmbeddingServerProps extends Omit<WorkloadPlacementProps, 'zoneSpread'>, MonitoredProps {
  /** Instance name: the Service is `<instance>-embedding` or `<instance>-reranker`. */
  readonly instance: string;
  /** MemOS configuration: OBS keys come from its Secret. */
  readonly config: MemosConfig;
  /**
   * `embed` serves `/v1/embeddings`; `rerank` serves `/v1/rerank` in the request/response shape
   * MemOS's `http_bge` reranker uses (Ascend only: TEI for CPU has no such route).
   * @default 'embed'
   */
  readonly task?: 'embed' | 'rerank';
  /**
   * Served model name (what MemOS sends as `model`).
   * @default 'bge-m3' (embed) / 'bge-reranker-v2-m3' (rerank)
   */
  readonly model?: string;
  /**
   * Where inference runs.
   * @default 'cpu'
   */
  readonly accelerator?: EmbeddingAccelerator;
  /**
   * With `ascend`: the NPU node pool the pods run on (its chip sets the resource, its taints are
   * tolerated).
   * @default - none; required with `ascend`
   */
  readonly npuNodePool?: NpuNodePool;
  /**
   * With `ascend`: NPUs per pod.
   * @default 1
   */
  readonly npuCount?: number;
  /**
   * With `ascend`: GID of `HwHiAiUser`, which the NPU user must belong to (created by the driver
   * install; cce_10_0239). Check with `id HwHiAiUser` on an NPU node.
   * @default 1000 (unconfirmed)
   */
  readonly npuGroupId?: number;
  /**
   * Image, pinned.
   * @default DEFAULT_CPU_EMBEDDING_IMAGE or DEFAULT_ASCEND_EMBEDDING_IMAGE
   */
  readonly image?: string;
  /**
   * Model weights.
   * @default - the claim `<instance>-models`, directory = model name
   */
  readonly weights?: ModelWeights;
  /**
   * Pods (Ascend), or the autoscaler minimum (CPU).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * CPU only: the autoscaler maximum (CPU utilization 70 %).
   * @default 6
   */
  readonly maxReplicas?: number;
  /**
   * CPU and memory per pod (requests = limits for memory).
   * @default - CPU: 2 CPU request / 4 limit, 8Gi; Ascend: 4 / 8, 16Gi
   */
  readonly resources?: { readonly cpuRequest: kplus.Cpu; readonly cpuLimit: kplus.Cpu; readonly memory: Size };
  /**
   * Zone spreading.
   * @default - `required` on CPU; `preferred` on Ascend (NPU pools often sit in one zone)
   */
  readonly zoneSpread?: ZoneSpread;
}

/**
 * An embedding (or reranking) server for MemOS: OpenAI-compatible `/v1/embeddings` for the
 * `universal_api` embedder, on CPU (TEI) or on Ascend NPU node pools (mis-tei on torch-npu:
 * CCE NPU resource with requests = limits, pinned to the pool, its taints tolerated, `/dev/shm`
 * in memory, the `HwHiAiUser` group), weights from a PVC or OBS with the hub offline, probes with
 * a long startup, hardened, zone spread, PDB, an HPA on CPU for the CPU variant, a ServiceMonitor.
 */
export class EmbeddingServer extends Construct {
  /** `http://<service>:8080/v1`, for `MOS_EMBEDDER_API_BASE`. */
  public readonly apiBase: string;
  /** Full URL MemOS's `http_bge` reranker posts to (rerank task). */
  public readonly rerankUrl: string;
  public readonly model: string;
  /** Output size of the embedding model, when known. */
  public readonly dimension?: number;
  public readonly accelerator: EmbeddingAccelerator;
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: EmbeddingServerProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const task = requireOneOf(this, 'task', props.task ?? 'embed', ['embed', 'rerank'] as const);
    this.accelerator = requireOneOf(this, 'accelerator', props.accelerator ?? 'cpu', EMBEDDING_ACCELERATORS);
    const ascend = this.accelerator === 'ascend';
    if (task === 'rerank' && !ascend) {
      invalidProp(this, 'task', 'rerank', "'embed' on CPU: TEI's /rerank takes `texts` and answers a bare list, which MemOS's http_bge reranker cannot read (use cosine_local, or Ascend mis-tei's /v1/rerank)");
    }
    this.model = requireNonEmpty(this, 'model', props.model ?? (task === 'embed' ? 'bge-m3' : 'bge-reranker-v2-m3'));
    const known = KNOWN_MODELS[this.model];
    if (known && known.task !== task) invalidProp(this, 'model', this.model, `a ${task === 'embed' ? 'embedding' : 'reranking'} model (${this.model} is for ${known.task})`);
    this.dimension = known?.dimension;
    const { service: name, apiBase, rerankUrl } = InClusterEndpoints.modelServer(instance, task);
    this.apiBase = apiBase;
    this.rerankUrl = rerankUrl;
    const image = requirePinnedImage(this, 'image', props.image ?? (ascend ? DEFAULT_ASCEND_EMBEDDING_IMAGE : DEFAULT_CPU_EMBEDDING_IMAGE));
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 2, 1, 100);
    const zoneSpread = requireOneOf(this, 'zoneSpread', props.zoneSpread ?? (ascend ? 'preferred' : 'required'), ['required', 'preferred'] as const);
    const resources = props.resources ?? (ascend
      ? { cpuRequest: kplus.Cpu.units(4), cpuLimit: kplus.Cpu.units(8), memory: Size.gibibytes(16) }
      : { cpuRequest: kplus.Cpu.units(2), cpuLimit: kplus.Cpu.units(4), memory: Size.gibibytes(8) });
    const component = task === 'embed' ? 'embedding' : 'reranker';
    const selector = selectorLabels(instance, component);
    const labels = componentLabels(instance, component);
    const namespace = Chart.of(this).namespace ?? 'default';

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, labels },
      replicas: ascend ? replicas : undefined,
      select: false,
      podMetadata: { labels },
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        // NPUs are scarce: replace in place rather than surge onto a chip that may not exist.
        maxSurge: kplus.PercentOrAbsolute.absolute(ascend ? 0 : 1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(ascend ? 1 : 0),
      }),
      securityContext: hardenedPodSecurityContext(SERVER_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
    });
    selectPods(this.deployment, selector);

    const weights = this.mountWeights(props.weights ?? { source: 'pvc' }, instance, props.config);
    const env: Record<string, kplus.EnvValue> = {
      HF_HUB_OFFLINE: kplus.EnvValue.fromValue('1'),
      HOME: kplus.EnvValue.fromValue('/tmp'),
    };
    let args: string[];
    if (ascend) {
      env.PYTORCH_NPU_ALLOC_CONF = kplus.EnvValue.fromValue('max_split_size_mb:256');
      args = ['--model-id', weights.modelDir, '--hostname', '0.0.0.0', '--port', String(PORT)];
    } else {
      env.HUGGINGFACE_HUB_CACHE = kplus.EnvValue.fromValue('/data');
      // The CPU image defaults to 8 threads; match the CPU limit so it is not throttled.
      env.RAYON_NUM_THREADS = kplus.EnvValue.fromValue(String(Math.max(1, Math.floor(cpuUnits(resources.cpuLimit)))));
      args = ['--model-id', weights.modelDir, '--served-model-name', this.model, '--hostname', '0.0.0.0', '--port', String(PORT), '--auto-truncate', '--json-output'];
    }
    const container = this.deployment.addContainer({
      name: component,
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args,
      ports: [{ number: PORT, name: 'http' }],
      envVariables: env,
      resources: { cpu: { request: resources.cpuRequest, limit: resources.cpuLimit }, memory: { request: resources.memory, limit: resources.memory } },
      securityContext: hardenedContainerSecurityContext(SERVER_UID),
      // Loading weights (and compiling NPU graphs) takes minutes: up to 15.
      startup: httpProbe('/health', PORT, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 90 }),
      readiness: httpProbe('/health', PORT, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
      liveness: httpProbe('/health', PORT, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 }),
    });
    container.mount(MODELS_DIR, weights.volume, { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }));
    if (!ascend) container.mount('/data', kplus.Volume.fromEmptyDir(this, 'Cache', 'cache', { sizeLimit: Size.gibibytes(1) }));

    const api = ApiObject.of(this.deployment);
    if (ascend) {
      const pool = props.npuNodePool;
      if (!pool) invalidProp(this, 'npuNodePool', undefined, "the NPU node pool to run on, for accelerator 'ascend'");
      const chip = requireOneOf(this, 'npuNodePool.chip', pool.chip ?? '910B', Object.keys(AscendChips) as (keyof typeof AscendChips)[]);
      const npus = requireInteger(this, 'npuCount', props.npuCount ?? 1, 1, 16);
      const resource = AscendChips[chip].resource.replace('/', '~1');
      // The CCE add-on requires requests equal to limits for NPUs (cce_10_0346).
      for (const kind of ['requests', 'limits']) {
        api.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/0/resources/${kind}/${resource}`, kplus.k8s.Quantity.fromNumber(npus)));
      }
      container.mount('/dev/shm', kplus.Volume.fromEmptyDir(this, 'Shm', 'dshm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.gibibytes(4) }));
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/supplementalGroups', [requireInteger(this, 'npuGroupId', props.npuGroupId ?? 1000, 1, 65535)]));
      requireNodePool(this, this.deployment, pool.name);
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/affinity', {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CceNodeLabels.NPU, operator: 'Exists' }] }] } },
      }));
      if (pool.taints?.length) {
        api.addJsonPatch(JsonPatch.add('/spec/template/spec/tolerations', pool.taints.map((t, i) => ({
          key: requireNonEmpty(this, `npuNodePool.taints[${i}].key`, t.key),
          operator: t.value === undefined ? 'Exists' : 'Equal',
          ...(t.value === undefined ? {} : { value: t.value }),
          effect: requireOneOf(this, `npuNodePool.taints[${i}].effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const),
        }))));
      }
    } else {
      if (props.npuNodePool !== undefined || props.npuCount !== undefined) invalidProp(this, 'npuNodePool', props.npuNodePool?.name, "nothing with accelerator 'cpu'");
      const maxReplicas = requireInteger(this, 'maxReplicas', props.maxReplicas ?? 6, replicas, 100);
      new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        metadata: { name, labels },
        target: this.deployment,
        minReplicas: replicas,
        maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
        scaleDown: { stabilizationWindow: Duration.minutes(5), policies: [{ replicas: kplus.Replicas.absolute(1), duration: Duration.minutes(1) }] },
      });
    }
    setImagePullSecrets(this, this.deployment, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    spreadAcrossZones(this.deployment, selector, zoneSpread);
    if (replicas >= 2) addDisruptionBudget(this, 'Budget', { name, labels, selector });

    const service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: PORT, targetPort: PORT }],
    });
    selectPods(service, selector);
    new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: `${namespace}-${name}`, namespace: requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE), labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: selector },
        endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
      },
    });
  }

  /** The weights volume (and, for OBS, the init container that fills it). */
  private mountWeights(weights: ModelWeights, instance: string, config: MemosConfig): { volume: kplus.Volume; modelDir: string } {
    const source = requireOneOf(this, 'weights.source', weights.source, ['pvc', 'obs'] as const);
    const path = weights.path ?? this.model;
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(path) || path.includes('..')) invalidProp(this, 'weights.path', path, 'a relative path of letters, digits, ., _, - and /');
    if (source === 'pvc') {
      for (const key of ['bucket', 'endpoint', 'region', 'size'] as const) {
        if (weights[key] !== undefined) invalidProp(this, `weights.${key}`, weights[key], "nothing with source 'pvc'");
      }
      const claim = requireDnsLabel(this, 'weights.claimName', weights.claimName ?? `${instance}-models`, 253);
      const volume = kplus.Volume.fromPersistentVolumeClaim(this, 'Weights', kplus.PersistentVolumeClaim.fromClaimName(this, 'WeightsClaim', claim), { name: 'models', readOnly: true });
      return { volume, modelDir: `${MODELS_DIR}/${path}` };
    }
    if (weights.claimName !== undefined) invalidProp(this, 'weights.claimName', weights.claimName, "nothing with source 'obs'");
    const bucket = requireNonEmpty(this, 'weights.bucket', weights.bucket);
    const endpoint = requireNonEmpty(this, 'weights.endpoint', weights.endpoint);
    const volume = kplus.Volume.fromEmptyDir(this, 'Weights', 'models', { sizeLimit: weights.size ?? Size.gibibytes(8) });
    const dir = this.model;
    const value = kplus.EnvValue.fromValue;
    this.deployment.addInitContainer({
      name: 'fetch-weights',
      image: DEFAULT_MODEL_FETCH_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['rclone', 'copy', `obs:${bucket}/${path}`, `${MODELS_DIR}/${dir}`, '--transfers', '8', '--checkers', '16'],
      envVariables: {
        HOME: value('/tmp'),
        RCLONE_CONFIG: value('/tmp/rclone.conf'),
        RCLONE_CACHE_DIR: value('/tmp/rclone'),
        RCLONE_CONFIG_OBS_TYPE: value('s3'),
        RCLONE_CONFIG_OBS_PROVIDER: value('HuaweiOBS'),
        RCLONE_CONFIG_OBS_ENDPOINT: value(endpoint),
        RCLONE_CONFIG_OBS_REGION: value(requireNonEmpty(this, 'weights.region', weights.region)),
        RCLONE_CONFIG_OBS_ACCESS_KEY_ID: config.secretKey('OBS_ACCESS_KEY_ID'),
        RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY: config.secretKey('OBS_SECRET_ACCESS_KEY'),
      },
      resources: { cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(1) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } },
      securityContext: hardenedContainerSecurityContext(SERVER_UID),
      volumeMounts: [
        { path: MODELS_DIR, volume },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'FetchTmp', 'fetch-tmp', { sizeLimit: Size.mebibytes(256) }) },
      ],
    });
    return { volume, modelDir: `${MODELS_DIR}/${dir}` };
  }
}

function cpuUnits(cpu: kplus.Cpu): number {
  const amount = String(cpu.amount);
  return amount.endsWith('m') ? Number(amount.slice(0, -1)) / 1000 : Number(amount);
}
