import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AcceleratorType, ModelAccelerator } from './model-accelerator';
import { ModelWeights, mountModelWeights } from './model-weights';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { RCLONE_IMAGE } from '../src/images';
import { applyPodOverrides, PodOverrides } from '../src/pod-overrides';
import { AscendChip, AscendChips, CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET, CceNodeLabels } from '../src/cce';
import { Credentials, requireCredentials } from '../src/credentials';
import {
  addAffinity, addTolerations, addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext,
  requireNodePool, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, MonitoredProps, selectPods, httpProbe, tcpProbe,
} from '../src/kubernetes';
import { knownModel } from '../src/memos';
import { Connections, NetworkPort, tcp } from '../src/network';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requireNonEmpty, requirePinnedImage } from '../src/validation';

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
export const DEFAULT_MODEL_FETCH_IMAGE = RCLONE_IMAGE;

const SERVER_UID = 1000;
/** TEI / mis-tei listen here (set with `--port`; the TEI image's own default, 80, needs root). */
const PORT = 8080;
const MODELS_DIR = '/models';

/**
 * Inputs per request the server accepts. TEI's own default is 32: text-embeddings-inference
 * `router/src/main.rs` (`max_client_batch_size`, `#[clap(default_value = "32", long, env)]`, so
 * also `MAX_CLIENT_BATCH_SIZE`; the 1.8 start-up log in TEI PR #725 prints
 * `max_client_batch_size: 32`), and `router/src/http/server.rs` `openai_embed` (also `embed`,
 * `rerank`) answers a longer list with "batch size N > maximum allowed batch size 32" (logged at
 * server.rs:1233 by a 2026 release, Helweg/opencode-codebase-index issue #39) as
 * `ErrorType::Validation`, which `impl From<&ErrorType> for StatusCode` maps to HTTP 413.
 * MemOS's fast document mode embeds every chunk of a document in one call (MemoryOS wheels 2.0.30
 * and 2.0.32, identical here: `mem_reader/read_multi_modal/file_content_parser.py` `parse_fast`
 * L544 `self.embedder.embed(content_chunks)`; `embedders/universal_api.py` sends the whole list as
 * `input`; fine mode embeds chunk by chunk, 20 threads), with chunks of `FILE_PARSER_CHUNK_SIZE`
 * = 1280 characters overlapping by 200 (`read_multi_modal/utils.py` L114-115). 512 covers documents up to ~550,000 characters (about
 * 250 pages); it equals TEI's `max_concurrent_requests` default (512 permits, one per input of a
 * list, `core/src/infer.rs` `acquire_permit`), so a whole document is in flight at once.
 */
const DEFAULT_MAX_CLIENT_BATCH_SIZE = 512;
const MIN_CLIENT_BATCH_SIZE = 32;
const MAX_CLIENT_BATCH_SIZE = 4096;
/** TEI's `--payload-limit` default (`router/src/main.rs`: `default_value = "2000000"`). */
const TEI_DEFAULT_PAYLOAD_LIMIT = 2_000_000;
/**
 * Request body bytes allowed per input. The server rejects a larger body with 413
 * (`DefaultBodyLimit::max(payload_limit)` in `router/src/http/server.rs`). A 1280-character chunk
 * is at most 7,680 bytes of JSON (httpx before 0.28 escapes every non-ASCII character as
 * `\uXXXX`: `_content.py` `encode_json` with `json.dumps` defaults), so 16 KiB per input leaves
 * twice that; 512 inputs → 8 MiB.
 */
const PAYLOAD_BYTES_PER_INPUT = 16 * 1024;

/** What a model server serves. */
export enum ModelServerTask {
  /** OpenAI-compatible `/v1/embeddings` (MemOS `universal_api` embedder). */
  EMBED = 'embed',
  /** `/v1/rerank` in the request/response shape of MemOS's `http_bge` reranker (Ascend only). */
  RERANK = 'rerank',
}

/** CPU and memory of one model server pod (requests = limits for memory). */
export interface ModelServerResources {
  /** CPU request. */
  readonly cpuRequest: kplus.Cpu;
  /** CPU limit. */
  readonly cpuLimit: kplus.Cpu;
  /** Memory request and limit. */
  readonly memory: Size;
}

/** The user-tunable settings of an {@link EmbeddingServer}. */
export interface EmbeddingServerOptions {
  /**
   * Served model name (what MemOS sends as `model`).
   * @default 'bge-m3' (embed) / 'bge-reranker-v2-m3' (rerank)
   */
  readonly model?: string;
  /**
   * Where inference runs.
   * @default ModelAccelerator.cpu()
   */
  readonly accelerator?: ModelAccelerator;
  /**
   * Image, pinned.
   * @default EmbeddingServer.DEFAULT_CPU_IMAGE or EmbeddingServer.DEFAULT_ASCEND_IMAGE
   */
  readonly image?: string;
  /**
   * Model weights.
   * @default - ModelWeights.fromClaim(): the claim `<instance>-models`, directory = model name
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
  readonly resources?: ModelServerResources;
  /**
   * Zone spreading.
   * @default - `ZoneSpread.REQUIRED` on CPU; `ZoneSpread.PREFERRED` on Ascend (NPU pools often
   * sit in one zone)
   */
  readonly zoneSpread?: ZoneSpread;
  /**
   * Most inputs one request may carry, from 32 to 4096 (TEI `--max-client-batch-size`; TEI's own
   * default, 32, fails MemOS's fast-mode upload of any document of more than 32 chunks, about
   * 35,000 characters, with HTTP 413). The request body limit (`--payload-limit`) follows: 16 KiB
   * per input, at least TEI's 2 MB. Memory per forward pass does not grow with it: TEI queues
   * each input on its own and packs them into batches of at most `--max-batch-tokens` (16384).
   * On CPU (TEI) passed as flags; on Ascend (mis-tei) as the environment variables TEI's router
   * also reads (`MAX_CLIENT_BATCH_SIZE`, `PAYLOAD_LIMIT`, with `AUTO_TRUNCATE=true`), unverified
   * for mis-tei: check `max_client_batch_size` in the server's start-up log.
   * @default 512
   */
  readonly maxClientBatchSize?: number;
}

/** Properties of {@link EmbeddingServer}. */
export interface EmbeddingServerProps extends EmbeddingServerOptions, MonitoredProps {
  /** Instance name: the Service is `<instance>-embedding` or `<instance>-reranker`. */
  readonly instance: string;
  /** Where the credentials live: OBS weights read `OBS_ACCESS_KEY_ID` and `OBS_SECRET_ACCESS_KEY`. */
  readonly credentials: Credentials;
  /**
   * `EMBED` serves `/v1/embeddings`; `RERANK` serves `/v1/rerank` in the request/response shape
   * MemOS's `http_bge` reranker uses (Ascend only: TEI for CPU has no such route).
   * @default ModelServerTask.EMBED
   */
  readonly task?: ModelServerTask;
  /**
   * Image pull secrets (existing Secrets in the namespace).
   * @default ['default-secret'] (created by CCE for SWR)
   */
  readonly imagePullSecrets?: string[];
  /**
   * Additions to the pods (tolerations, node affinity, priority class, env, volumes, sidecars,
   * labels, annotations), merged with what the construct sets.
   * @default - none
   */
  readonly pod?: PodOverrides;
}

/**
 * An embedding (or reranking) server for MemOS: OpenAI-compatible `/v1/embeddings` for the
 * `universal_api` embedder, on CPU (TEI) or on Ascend NPU node pools (mis-tei on torch-npu:
 * CCE NPU resource with requests = limits, pinned to the pool, its taints tolerated, `/dev/shm`
 * in memory, the `HwHiAiUser` group), weights from a PVC or OBS with the hub offline, probes with
 * a long startup, hardened, zone spread, PDB, an HPA on CPU for the CPU variant, a ServiceMonitor.
 *
 * ```ts
 * const embedder = new EmbeddingServer(chart, 'Embedding', { instance: 'memos', credentials });
 * embedder.apiBase; // http://memos-embedding:8080/v1
 * ```
 */
export class EmbeddingServer extends Construct {
  /** Image of the CPU server (TEI for CPUs). */
  public static readonly DEFAULT_CPU_IMAGE = DEFAULT_CPU_EMBEDDING_IMAGE;
  /** Image of the Ascend server (mis-tei). */
  public static readonly DEFAULT_ASCEND_IMAGE = DEFAULT_ASCEND_EMBEDDING_IMAGE;
  /** Image of the init container that copies weights from OBS (rclone). */
  public static readonly DEFAULT_MODEL_FETCH_IMAGE = DEFAULT_MODEL_FETCH_IMAGE;
  /** HTTP port of the server and its Service. */
  public static readonly HTTP_PORT = PORT;
  /** Default of `maxClientBatchSize`: inputs per request. */
  public static readonly DEFAULT_MAX_CLIENT_BATCH_SIZE = DEFAULT_MAX_CLIENT_BATCH_SIZE;

  /** What the server serves. */
  public readonly task: ModelServerTask;
  /** The Service name: `<instance>-embedding` or `<instance>-reranker`. */
  public readonly host: string;
  /** The Service port (8080). */
  public readonly port: number;
  /** `http://<host>:8080/v1`, for `MOS_EMBEDDER_API_BASE`. */
  public readonly apiBase: string;
  /** `<apiBase>/rerank`: the full URL MemOS's `http_bge` reranker posts to (rerank task). */
  public readonly rerankUrl: string;
  /** The served model name. */
  public readonly model: string;
  /** Output size of the embedding model, when known. */
  public readonly dimension?: number;
  /** Where inference runs. */
  public readonly accelerator: AcceleratorType;
  /** Most inputs one request may carry (TEI `max_client_batch_size`). */
  public readonly maxClientBatchSize: number;
  /** The server's Deployment. */
  public readonly deployment: kplus.Deployment;
  /** The ClusterIP Service (`host`:`port`). */
  public readonly service: kplus.Service;
  /** The CPU autoscaler (CPU accelerator only). */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The PodDisruptionBudget (with 2 or more replicas). */
  public readonly disruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** The ServiceMonitor scraping `/metrics`. */
  public readonly serviceMonitor: ServiceMonitor;
  /**
   * The server's network connections: Prometheus on the HTTP port. Wire clients with
   * `server.connections.allowFrom(client.connections, server.clientPorts)`; weights from OBS
   * need egress to OBS, which the stack adds.
   */
  public readonly connections: Connections;
  /** The port a client connects to. */
  public readonly clientPorts: NetworkPort[] = tcp(PORT);

  constructor(scope: Construct, id: string, props: EmbeddingServerProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const credentials = requireCredentials(this, 'credentials', props.credentials);
    const task = requireEnum(this, 'task', props.task ?? ModelServerTask.EMBED, ModelServerTask);
    this.task = task;
    const accelerator = props.accelerator ?? ModelAccelerator.cpu();
    if (!(accelerator instanceof ModelAccelerator)) {
      invalidProp(this, 'accelerator', accelerator, 'ModelAccelerator.cpu() or ModelAccelerator.ascend({ pool, npuCount, npuGroupId })');
    }
    this.accelerator = accelerator._type;
    const ascend = this.accelerator === AcceleratorType.ASCEND;
    if (ascend && props.maxReplicas !== undefined) {
      invalidProp(this, 'maxReplicas', props.maxReplicas, 'nothing on Ascend: NPU servers run a fixed number of pods (replicas); only the CPU server autoscales');
    }
    if (task === ModelServerTask.RERANK && !ascend) {
      invalidProp(this, 'task', 'rerank', "'embed' on CPU: TEI's /rerank takes `texts` and answers a bare list, which MemOS's http_bge reranker cannot read (use cosine_local, or Ascend mis-tei's /v1/rerank)");
    }
    this.model = requireNonEmpty(this, 'model', props.model ?? (task === ModelServerTask.EMBED ? 'bge-m3' : 'bge-reranker-v2-m3'));
    const known = knownModel(this.model);
    if (known && known.task !== task) invalidProp(this, 'model', this.model, `a ${task === ModelServerTask.EMBED ? 'embedding' : 'reranking'} model (${this.model} is for ${known.task})`);
    this.dimension = known?.dimension;
    const component = task === ModelServerTask.EMBED ? 'embedding' : 'reranker';
    const name = `${instance}-${component}`;
    this.host = name;
    this.port = PORT;
    this.apiBase = `http://${name}:${PORT}/v1`;
    this.rerankUrl = `${this.apiBase}/rerank`;
    const image = requirePinnedImage(this, 'image', props.image ?? (ascend ? DEFAULT_ASCEND_EMBEDDING_IMAGE : DEFAULT_CPU_EMBEDDING_IMAGE));
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 2, 1, 100);
    this.maxClientBatchSize = requireInteger(this, 'maxClientBatchSize', props.maxClientBatchSize ?? DEFAULT_MAX_CLIENT_BATCH_SIZE,
      MIN_CLIENT_BATCH_SIZE, MAX_CLIENT_BATCH_SIZE);
    const payloadLimit = Math.max(TEI_DEFAULT_PAYLOAD_LIMIT, this.maxClientBatchSize * PAYLOAD_BYTES_PER_INPUT);
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? (ascend ? ZoneSpread.PREFERRED : ZoneSpread.REQUIRED), ZoneSpread);
    const resources = props.resources ?? (ascend
      ? { cpuRequest: kplus.Cpu.units(4), cpuLimit: kplus.Cpu.units(8), memory: Size.gibibytes(16) }
      : { cpuRequest: kplus.Cpu.units(2), cpuLimit: kplus.Cpu.units(4), memory: Size.gibibytes(8) });
    const selector = selectorLabels(instance, component);
    const labels = componentLabels(instance, component);
    const namespace = Chart.of(this).namespace ?? 'default';
    this.connections = new Connections({ name: component, selector });

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

    const weights = mountModelWeights(this, this.deployment, props.weights ?? ModelWeights.fromClaim(), {
      instance, model: this.model, credentials, modelsDir: MODELS_DIR, fetchImage: DEFAULT_MODEL_FETCH_IMAGE, uid: SERVER_UID,
    });
    const env: Record<string, kplus.EnvValue> = {
      HF_HUB_OFFLINE: kplus.EnvValue.fromValue('1'),
      HOME: kplus.EnvValue.fromValue('/tmp'),
    };
    // Batching. TEI queues every input of a request on its own and packs the queue into batches
    // of at most `--max-batch-tokens` (default 16384) tokens (`core/src/queue.rs`
    // `queue_blocking_task`: `if total_tokens > max_batch_tokens { entries.push_front(entry); break; }`),
    // so a larger client batch means more forward passes, not larger ones; the default stays.
    // Each input must fit the model (bge-m3: 8192 tokens): the OpenAI route truncates only with
    // `--auto-truncate` (`openai_embed`: `let truncate = info.auto_truncate;`), and since TEI
    // PR #725 (1.8.3) auto-truncate also caps inputs at `--max-batch-tokens`, so no single input can
    // outgrow a batch. Without it one over-long chunk fails the whole document's request.
    const batchSize = String(this.maxClientBatchSize);
    let args: string[];
    if (ascend) {
      env.PYTORCH_NPU_ALLOC_CONF = kplus.EnvValue.fromValue('max_split_size_mb:256');
      // mis-tei is TEI's router over a torch-npu backend (its fork, gitcode Ascend/text-embeddings-inference,
      // keeps `docs/source/en/cli_arguments.md` for `text-embeddings-router`), whose clap options
      // also read these variables. Whether the image's entrypoint forwards extra flags is
      // unconfirmed, so they go in the environment: ignored, not fatal, if it does not read them.
      env.MAX_CLIENT_BATCH_SIZE = kplus.EnvValue.fromValue(batchSize);
      env.PAYLOAD_LIMIT = kplus.EnvValue.fromValue(String(payloadLimit));
      env.AUTO_TRUNCATE = kplus.EnvValue.fromValue('true');
      args = ['--model-id', weights.modelDir, '--hostname', '0.0.0.0', '--port', String(PORT)];
    } else {
      env.HUGGINGFACE_HUB_CACHE = kplus.EnvValue.fromValue('/data');
      // The CPU image defaults to 8 threads; match the CPU limit so it is not throttled.
      env.RAYON_NUM_THREADS = kplus.EnvValue.fromValue(String(Math.max(1, Math.floor(cpuUnits(resources.cpuLimit)))));
      args = [
        '--model-id', weights.modelDir, '--served-model-name', this.model, '--hostname', '0.0.0.0', '--port', String(PORT),
        '--max-client-batch-size', batchSize, '--payload-limit', String(payloadLimit), '--auto-truncate', '--json-output',
      ];
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
      // Restart only when the server stops answering at all; a busy model only leaves the Service (readiness).
      liveness: tcpProbe(PORT, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 }),
    });
    container.mount(MODELS_DIR, weights.volume, { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.gibibytes(1) }));
    if (!ascend) container.mount('/data', kplus.Volume.fromEmptyDir(this, 'Cache', 'cache', { sizeLimit: Size.gibibytes(1) }));

    const api = ApiObject.of(this.deployment);
    if (ascend) {
      const options = accelerator._ascend ?? {};
      const pool = options.pool;
      if (!pool) {
        invalidProp(this, 'accelerator.pool', undefined,
          'the NPU node pool to run on, for an Ascend accelerator: ModelAccelerator.ascend({ pool: { name, chip } })');
      }
      const chip = requireEnum(this, 'accelerator.pool.chip', pool.chip ?? AscendChip.ASCEND_910B, AscendChip);
      const npus = requireInteger(this, 'accelerator.npuCount', options.npuCount ?? 1, 1, 16);
      const resource = AscendChips[chip].resource.replace('/', '~1');
      // The CCE add-on requires requests equal to limits for NPUs (cce_10_0346).
      for (const kind of ['requests', 'limits']) {
        api.addJsonPatch(JsonPatch.add(`/spec/template/spec/containers/0/resources/${kind}/${resource}`, kplus.k8s.Quantity.fromNumber(npus)));
      }
      container.mount('/dev/shm', kplus.Volume.fromEmptyDir(this, 'Shm', 'dshm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.gibibytes(4) }));
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/supplementalGroups', [requireInteger(this, 'accelerator.npuGroupId', options.npuGroupId ?? 1000, 1, 65535)]));
      requireNodePool(this, this.deployment, requireDnsLabel(this, 'accelerator.pool.name', pool.name));
      addAffinity(this.deployment, 'nodeAffinity', {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CceNodeLabels.NPU, operator: 'Exists' }] }] },
      });
      if (pool.taints?.length) {
        addTolerations(this.deployment, pool.taints.map((t, i) => ({
          key: requireNonEmpty(this, `accelerator.pool.taints[${i}].key`, t.key),
          operator: t.value === undefined ? 'Exists' : 'Equal',
          ...(t.value === undefined ? {} : { value: t.value }),
          effect: requireEnum(this, `accelerator.pool.taints[${i}].effect`, t.effect, kplus.TaintEffect),
        })));
      }
    } else {
      const maxReplicas = requireInteger(this, 'maxReplicas', props.maxReplicas ?? 6, replicas, 100);
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
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
    if (replicas >= 2) this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: PORT, targetPort: PORT }],
    });
    selectPods(this.service, selector);
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    this.connections.allowFromNamespace(monitoringNamespace, this.clientPorts);
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: selector },
        endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
      },
    });
    applyPodOverrides(this, 'pod', this.deployment, props.pod);
  }
}

function cpuUnits(cpu: kplus.Cpu): number {
  const amount = String(cpu.amount);
  return amount.endsWith('m') ? Number(amount.slice(0, -1)) / 1000 : Number(amount);
}
