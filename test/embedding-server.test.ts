import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Embedder, Reranker } from '../charts/backends';
import { MemosSize } from '../charts/presets';
import {
  AcceleratorType, EmbeddingServer, EmbeddingServerProps, ModelAccelerator, ModelServerTask, ModelWeights,
} from '../index';
import { AscendChip, NpuNodePool } from '../src/cce';
import { Credentials } from '../src/credentials';
import { ZoneSpread } from '../src/kubernetes';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only, servicesFor, synthChart } from './support/synth';

const POOL: NpuNodePool = { name: 'npu-pool', chip: AscendChip.ASCEND_910B };
const OBS = { bucket: 'memos-models', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' };
const credentials = Credentials.fromSecret('memos-secrets');

function synthServer(props: Partial<EmbeddingServerProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const server = new EmbeddingServer(chart, 'Embedding', { instance: 'memos', credentials, ...props });
  const objects = Testing.synth(chart);
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  return { server, objects, deployment, pod, main: pod.containers[0] };
}

describe('EmbeddingServer on its own', () => {
  test('synthesizes in a plain Chart with only credentials and placement', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    new EmbeddingServer(chart, 'Embedding', {
      instance: 'memos', credentials, zoneSpread: ZoneSpread.PREFERRED, imagePullSecrets: ['my-pull-secret'],
    });
    const objects = Testing.synth(chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/memos-embedding', 'HorizontalPodAutoscaler/memos-embedding', 'PodDisruptionBudget/memos-embedding',
      'Service/memos-embedding', 'ServiceMonitor/memos-memos-embedding',
    ]);
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'my-pull-secret' }]);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('exposes what a client needs and its children', () => {
    const { server, objects } = synthServer();
    expect(server.host).toBe('memos-embedding');
    expect(server.port).toBe(8080);
    expect(EmbeddingServer.HTTP_PORT).toBe(8080);
    expect(server.apiBase).toBe('http://memos-embedding:8080/v1');
    expect(server.rerankUrl).toBe('http://memos-embedding:8080/v1/rerank');
    expect(server.model).toBe('bge-m3');
    expect(server.dimension).toBe(1024);
    expect(server.task).toBe(ModelServerTask.EMBED);
    expect(server.accelerator).toBe(AcceleratorType.CPU);
    expect(server.deployment.name).toBe('memos-embedding');
    expect(server.service.name).toBe('memos-embedding');
    expect(server.service.port).toBe(8080);
    expect(server.autoscaler?.name).toBe('memos-embedding');
    expect(server.disruptionBudget?.name).toBe('memos-embedding');
    expect(server.serviceMonitor.name).toBe('memos-memos-embedding');
    expect(only(objects, 'Service').metadata.name).toBe(server.host);
    expect(only(objects, 'Service').spec.ports[0].port).toBe(server.port);
  });

  test('the default images are static fields', () => {
    expect(EmbeddingServer.DEFAULT_CPU_IMAGE).toBe('ghcr.io/huggingface/text-embeddings-inference:cpu-1.9');
    expect(EmbeddingServer.DEFAULT_ASCEND_IMAGE).toBe('swr.cn-south-1.myhuaweicloud.com/ascendhub/mis-tei:26.0.0-910-ubuntu22.04-py3.11');
    expect(EmbeddingServer.DEFAULT_MODEL_FETCH_IMAGE).toBe('docker.io/rclone/rclone:1.68.2');
  });

  test('one replica: no PodDisruptionBudget', () => {
    const { server, objects } = synthServer({ replicas: 1 });
    expect(server.disruptionBudget).toBeUndefined();
    expect(objects.map((o) => o.kind)).not.toContain('PodDisruptionBudget');
  });

  test('ModelAccelerator: the stack fills in a pool only for Ascend without one', () => {
    const cpu = ModelAccelerator.cpu();
    expect(cpu._type).toBe(AcceleratorType.CPU);
    expect(cpu._withDefaultPool(POOL)).toBe(cpu);
    const pinned = ModelAccelerator.ascend({ pool: { name: 'mine' } });
    expect(pinned._withDefaultPool(POOL)).toBe(pinned);
    const open = ModelAccelerator.ascend({ npuCount: 2 });
    const filled = open._withDefaultPool(POOL);
    expect(filled._type).toBe(AcceleratorType.ASCEND);
    expect(filled._ascend).toEqual({ npuCount: 2, pool: POOL });
    expect(open._ascend?.pool).toBeUndefined();
  });
});

describe('EmbeddingServer on CPU (TEI)', () => {
  test('serves bge-m3 from local weights with the hub offline; valid and policy-clean', () => {
    const { server, objects, main, pod } = synthServer();
    expect(server.apiBase).toBe('http://memos-embedding:8080/v1');
    expect(server.dimension).toBe(1024);
    expect(main.image).toBe('ghcr.io/huggingface/text-embeddings-inference:cpu-1.9');
    expect(main.args).toEqual([
      '--model-id', '/models/bge-m3', '--served-model-name', 'bge-m3', '--hostname', '0.0.0.0', '--port', '8080',
      '--max-client-batch-size', '512', '--payload-limit', '8388608', '--auto-truncate', '--json-output',
    ]);
    expect(main.env).toEqual([
      { name: 'HF_HUB_OFFLINE', value: '1' }, { name: 'HOME', value: '/tmp' },
      { name: 'HUGGINGFACE_HUB_CACHE', value: '/data' }, { name: 'RAYON_NUM_THREADS', value: '4' },
    ]);
    expect(pod.volumes[0]).toEqual({ name: 'models', persistentVolumeClaim: { claimName: 'memos-models', readOnly: true } });
    expect(main.volumeMounts[0]).toEqual({ name: 'models', mountPath: '/models', readOnly: true });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('probes /health with a 15-minute startup, hardened, an HPA on CPU and a PDB, a ServiceMonitor', () => {
    const { objects, main, pod, deployment } = synthServer({ replicas: 2, maxReplicas: 5 });
    expect(main.startupProbe).toMatchObject({ httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 90 });
    expect(main.readinessProbe.httpGet.path).toBe('/health');
    expect(main.securityContext).toMatchObject({ runAsUser: 1000, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(main.resources).toEqual({ requests: { cpu: '2', memory: '8192Mi' }, limits: { cpu: '4', memory: '8192Mi' } });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(only(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] });
    expect(only(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(only(objects, 'Service').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080 }]);
    expect(only(objects, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
  });

  test('accepts a whole document per request: TEI\'s 32-input default raised, the body limit with it', () => {
    const { server, main } = synthServer();
    expect(server.maxClientBatchSize).toBe(512);
    expect(EmbeddingServer.DEFAULT_MAX_CLIENT_BATCH_SIZE).toBe(512);
    const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];
    expect(flag(main.args, '--max-client-batch-size')).toBe('512');
    expect(flag(main.args, '--payload-limit')).toBe('8388608');
    expect(main.args).toContain('--auto-truncate');
    // Flags on CPU, not also the environment: one source of truth.
    expect(main.env.map((e: any) => e.name)).not.toContain('MAX_CLIENT_BATCH_SIZE');
    const big = synthServer({ maxClientBatchSize: 2048 }).main.args;
    expect([flag(big, '--max-client-batch-size'), flag(big, '--payload-limit')]).toEqual(['2048', '33554432']);
    // Small batches keep TEI's own 2 MB body limit.
    const small = synthServer({ maxClientBatchSize: 32 }).main.args;
    expect([flag(small, '--max-client-batch-size'), flag(small, '--payload-limit')]).toEqual(['32', '2000000']);
  });

  test('resources: threads follow the CPU limit', () => {
    const { main } = synthServer({ resources: { cpuRequest: kplus.Cpu.millis(1500), cpuLimit: kplus.Cpu.millis(2500), memory: Size.gibibytes(4) } });
    expect(main.resources).toEqual({ requests: { cpu: '1500m', memory: '4096Mi' }, limits: { cpu: '2500m', memory: '4096Mi' } });
    expect(main.env).toContainEqual({ name: 'RAYON_NUM_THREADS', value: '2' });
  });

  test('weights from another claim and directory', () => {
    const { pod, main } = synthServer({ weights: ModelWeights.fromClaim({ claimName: 'shared-models', path: 'BAAI/bge-m3' }) });
    expect(pod.volumes[0]).toEqual({ name: 'models', persistentVolumeClaim: { claimName: 'shared-models', readOnly: true } });
    expect(main.args[1]).toBe('/models/BAAI/bge-m3');
  });

  test('weights from OBS: copied by rclone before the server starts, keys from the Secret', () => {
    const { pod, main } = synthServer({ weights: ModelWeights.fromObs({ ...OBS, path: 'models/bge-m3', size: Size.gibibytes(6) }) });
    const init = pod.initContainers[0];
    expect(init.command).toEqual(['rclone', 'copy', 'obs:memos-models/models/bge-m3', '/models/bge-m3', '--transfers', '8', '--checkers', '16']);
    const env = Object.fromEntries(init.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]));
    expect(env).toMatchObject({ RCLONE_CONFIG_OBS_PROVIDER: 'HuaweiOBS', RCLONE_CONFIG_OBS_ENDPOINT: 'obs.cn-north-4.myhuaweicloud.com', RCLONE_CONFIG_OBS_ACCESS_KEY_ID: 'OBS_ACCESS_KEY_ID', RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY: 'OBS_SECRET_ACCESS_KEY' });
    expect(init.env.find((e: any) => e.name === 'RCLONE_CONFIG_OBS_ACCESS_KEY_ID').valueFrom.secretKeyRef).toEqual({ name: 'memos-secrets', key: 'OBS_ACCESS_KEY_ID', optional: false });
    expect(init.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.volumes.find((v: any) => v.name === 'models')).toEqual({ name: 'models', emptyDir: { sizeLimit: '6144Mi' } });
    expect(main.args[1]).toBe('/models/bge-m3');
  });

  test('OBS keys follow the credentials: another Secret and key names', () => {
    const { pod } = synthServer({
      credentials: Credentials.fromSecret('model-secrets', { keys: { OBS_ACCESS_KEY_ID: 'obs-ak', OBS_SECRET_ACCESS_KEY: 'obs-sk' } }),
      weights: ModelWeights.fromObs(OBS),
    });
    const refs = Object.fromEntries(pod.initContainers[0].env.filter((e: any) => e.valueFrom).map((e: any) => [e.name, e.valueFrom.secretKeyRef]));
    expect(refs).toEqual({
      RCLONE_CONFIG_OBS_ACCESS_KEY_ID: { name: 'model-secrets', key: 'obs-ak', optional: false },
      RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY: { name: 'model-secrets', key: 'obs-sk', optional: false },
    });
    expect(pod.volumes.find((v: any) => v.name === 'models')).toEqual({ name: 'models', emptyDir: { sizeLimit: '8192Mi' } });
    expect(pod.initContainers[0].command[2]).toBe('obs:memos-models/bge-m3');
  });
});

describe('EmbeddingServer on Ascend', () => {
  const pool: NpuNodePool = {
    ...POOL,
    taints: [{ key: 'npu', value: 'true', effect: kplus.TaintEffect.NO_SCHEDULE }, { key: 'dedicated', effect: kplus.TaintEffect.NO_EXECUTE }],
  };
  const { server, objects, pod, main, deployment } = synthServer({ accelerator: ModelAccelerator.ascend({ pool }) });

  test('requests the CCE NPU resource with requests = limits', () => {
    expect(main.resources.requests['huawei.com/ascend-1980']).toBe(1);
    expect(main.resources.limits['huawei.com/ascend-1980']).toBe(1);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('runs only on the NPU pool and tolerates its taints', () => {
    expect(pod.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'npu-pool' });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: 'accelerator/huawei-npu', operator: 'Exists' }]);
    expect(pod.tolerations).toEqual([
      { key: 'npu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' },
    ]);
  });

  test('torch-npu image, /dev/shm in memory, the HwHiAiUser group, fixed replicas replaced in place', () => {
    expect(main.image).toBe('swr.cn-south-1.myhuaweicloud.com/ascendhub/mis-tei:26.0.0-910-ubuntu22.04-py3.11');
    expect(main.env).toContainEqual({ name: 'PYTORCH_NPU_ALLOC_CONF', value: 'max_split_size_mb:256' });
    expect(main.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(pod.volumes.find((v: any) => v.name === 'dshm').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '4096Mi' });
    expect(pod.securityContext.supplementalGroups).toEqual([1000]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(objects.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler');
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
  });

  test('batch size, body limit and truncation through the environment TEI\'s router reads, args unchanged', () => {
    expect(main.env).toEqual(expect.arrayContaining([
      { name: 'MAX_CLIENT_BATCH_SIZE', value: '512' },
      { name: 'PAYLOAD_LIMIT', value: '8388608' },
      { name: 'AUTO_TRUNCATE', value: 'true' },
    ]));
    expect(main.args).toEqual(['--model-id', '/models/bge-m3', '--hostname', '0.0.0.0', '--port', '8080']);
    const { main: m } = synthServer({ accelerator: ModelAccelerator.ascend({ pool: POOL }), maxClientBatchSize: 1024 });
    expect(m.env).toContainEqual({ name: 'MAX_CLIENT_BATCH_SIZE', value: '1024' });
    expect(m.env).toContainEqual({ name: 'PAYLOAD_LIMIT', value: '16777216' });
  });

  test('exposes the Ascend accelerator, no autoscaler', () => {
    expect(server.accelerator).toBe(AcceleratorType.ASCEND);
    expect(server.autoscaler).toBeUndefined();
    expect(server.disruptionBudget?.name).toBe('memos-embedding');
  });

  test('a 310 pool, more NPUs and another HwHiAiUser group', () => {
    const { main: m, pod: p } = synthServer({ accelerator: ModelAccelerator.ascend({ pool: { name: 'p310', chip: AscendChip.ASCEND_310 }, npuCount: 2, npuGroupId: 1001 }) });
    expect(m.resources.limits['huawei.com/ascend-310']).toBe(2);
    expect(p.securityContext.supplementalGroups).toEqual([1001]);
  });

  test('the reranker serves /v1/rerank for MemOS', () => {
    const { server: s, main: m, objects: o } = synthServer({ task: ModelServerTask.RERANK, accelerator: ModelAccelerator.ascend({ pool: POOL }) });
    expect(s.host).toBe('memos-reranker');
    expect(s.apiBase).toBe('http://memos-reranker:8080/v1');
    expect(s.rerankUrl).toBe('http://memos-reranker:8080/v1/rerank');
    expect(s.model).toBe('bge-reranker-v2-m3');
    expect(s.dimension).toBeUndefined();
    expect(s.task).toBe(ModelServerTask.RERANK);
    expect(m.args[1]).toBe('/models/bge-reranker-v2-m3');
    expect(only(o, 'Service').metadata.name).toBe('memos-reranker');
    // MemOS's http_bge posts every candidate document in one request: the same limit applies.
    expect(m.env).toContainEqual({ name: 'MAX_CLIENT_BATCH_SIZE', value: '512' });
  });
});

describe('EmbeddingServer validation', () => {
  const ascend = (pool: NpuNodePool = POOL) => ModelAccelerator.ascend({ pool });
  const invalid: [string, Partial<EmbeddingServerProps>, RegExp][] = [
    ['a reranker on CPU', { task: ModelServerTask.RERANK }, /EmbeddingServer 'test\/Embedding': invalid task "rerank"; allowed: 'embed' on CPU: TEI's \/rerank takes `texts`/],
    ['an unknown task', { task: 'classify' as never }, /invalid task "classify"; allowed: embed, rerank/],
    ['a reranking model for embeddings', { model: 'bge-reranker-v2-m3' }, /invalid model "bge-reranker-v2-m3"; allowed: a embedding model/],
    ['an empty model name', { model: '' }, /invalid model ""; allowed: a non-empty string/],
    ['Ascend without a pool', { accelerator: ModelAccelerator.ascend() }, /invalid accelerator.pool \(missing\); allowed: the NPU node pool to run on/],
    ['an unknown chip', { accelerator: ascend({ name: 'p', chip: '910C' as never }) }, /invalid accelerator.pool.chip "910C"; allowed: 910B, 310/],
    ['a bad pool name', { accelerator: ascend({ name: 'NPU Pool' }) }, /invalid accelerator.pool.name "NPU Pool"; allowed: a DNS label/],
    ['no NPUs', { accelerator: ModelAccelerator.ascend({ pool: POOL, npuCount: 0 }) }, /invalid accelerator.npuCount 0; allowed: an integer from 1 to 16/],
    ['a bad HwHiAiUser group', { accelerator: ModelAccelerator.ascend({ pool: POOL, npuGroupId: 0 }) }, /invalid accelerator.npuGroupId 0; allowed: an integer from 1 to 65535/],
    ['an unknown taint effect', { accelerator: ascend({ ...POOL, taints: [{ key: 'npu', effect: 'Never' as never }] }) }, /invalid accelerator.pool.taints\[0\].effect "Never"; allowed: NoSchedule, PreferNoSchedule, NoExecute/],
    ['an empty taint key', { accelerator: ascend({ ...POOL, taints: [{ key: '', effect: kplus.TaintEffect.NO_SCHEDULE }] }) }, /invalid accelerator.pool.taints\[0\].key ""/],
    ['an unknown accelerator', { accelerator: 'gpu' as never }, /invalid accelerator "gpu"; allowed: ModelAccelerator.cpu\(\) or ModelAccelerator.ascend/],
    ['weights that are not ModelWeights', { weights: { source: 'pvc', bucket: 'b' } as never }, /invalid weights \{"source":"pvc","bucket":"b"\}; allowed: ModelWeights.fromClaim/],
    ['OBS weights without a bucket', { weights: ModelWeights.fromObs({ endpoint: OBS.endpoint, region: OBS.region } as never) }, /invalid weights.bucket \(missing\)/],
    ['OBS weights without an endpoint', { weights: ModelWeights.fromObs({ bucket: OBS.bucket, region: OBS.region } as never) }, /invalid weights.endpoint \(missing\)/],
    ['OBS weights with an endpoint URL', { weights: ModelWeights.fromObs({ ...OBS, endpoint: 'https://obs.cn-north-4.myhuaweicloud.com' }) }, /invalid weights.endpoint "https:\/\/obs.cn-north-4.myhuaweicloud.com"; allowed: a host name/],
    ['OBS weights without a region', { weights: ModelWeights.fromObs({ bucket: OBS.bucket, endpoint: OBS.endpoint } as never) }, /invalid weights.region \(missing\)/],
    ['a path escaping the volume', { weights: ModelWeights.fromClaim({ path: '../etc' }) }, /invalid weights.path "..\/etc"/],
    ['a bad claim name', { weights: ModelWeights.fromClaim({ claimName: 'Model_Claim' }) }, /invalid weights.claimName "Model_Claim"; allowed: a DNS subdomain/],
    ['maxReplicas below replicas', { replicas: 3, maxReplicas: 2 }, /invalid maxReplicas 2; allowed: an integer from 3 to 100/],
    ['zero replicas', { replicas: 0 }, /invalid replicas 0; allowed: an integer from 1 to 100/],
    ['an unknown zone spread', { zoneSpread: 'sometimes' as never }, /invalid zoneSpread "sometimes"; allowed: required, preferred/],
    ['an unpinned image', { image: 'ghcr.io/huggingface/text-embeddings-inference:latest' }, /invalid image ".*:latest"; allowed: an image (pinned|reference)/],
    ['a bad instance name', { instance: 'Memos' }, /invalid instance "Memos"; allowed: a DNS label/],
    ['a bad pull secret', { imagePullSecrets: ['Bad Secret'] }, /invalid imagePullSecrets\[0\] "Bad Secret"/],
    ['a bad monitoring namespace', { monitoringNamespace: 'Monitoring' }, /invalid monitoringNamespace "Monitoring"/],
    ['no credentials', { credentials: undefined as never }, /invalid credentials \(missing\); allowed: Credentials.fromSecret/],
    ['a client batch below TEI\'s default', { maxClientBatchSize: 31 }, /EmbeddingServer 'test\/Embedding': invalid maxClientBatchSize 31; allowed: an integer from 32 to 4096/],
    ['a client batch above 4096', { maxClientBatchSize: 4097 }, /invalid maxClientBatchSize 4097; allowed: an integer from 32 to 4096/],
    ['a fractional client batch', { maxClientBatchSize: 64.5 }, /invalid maxClientBatchSize 64.5; allowed: an integer from 32 to 4096/],
    ['a client batch as a string', { maxClientBatchSize: '512' as never }, /invalid maxClientBatchSize "512"; allowed: an integer from 32 to 4096/],
    ['a client batch of NaN', { maxClientBatchSize: NaN }, /invalid maxClientBatchSize null; allowed: an integer from 32 to 4096/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthServer(props)).toThrow(message);
  });
});

// Chart-level: the stack builds EmbeddingServer from `Embedder` / `Reranker` (charts/memos-stack.ts).
describe('embedding in MemosChart', () => {
  const POOLS: NpuNodePool[] = [POOL, { name: 'npu-pool-2', chip: AscendChip.ASCEND_910B }];

  test('small: CPU embedding, no reranker, MemOS on cosine_local for both rerankers', () => {
    const objects = synthChart({ size: MemosSize.SMALL });
    expect(only(objects, 'Deployment', 'memos-embedding').spec.template.spec.containers[0].image).toContain('text-embeddings-inference:cpu');
    expect(objects.filter((o) => o.metadata.name === 'memos-reranker')).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({
      MOS_EMBEDDER_API_BASE: 'http://memos-embedding:8080/v1', MOS_EMBEDDER_MODEL: 'bge-m3', EMBEDDING_DIMENSION: '1024',
      MOS_RERANKER_BACKEND: 'cosine_local', MOS_FEEDBACK_RERANKER_BACKEND: 'cosine_local',
    });
  });

  test('large: Ascend embedding and reranker on the declared pool, MemOS on http_bge', () => {
    const objects = synthChart({ size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE) });
    for (const name of ['memos-embedding', 'memos-reranker']) {
      const main = only(objects, 'Deployment', name).spec.template.spec.containers[0];
      expect(main.resources.limits['huawei.com/ascend-1980']).toBe(1);
    }
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({
      MOS_RERANKER_BACKEND: 'http_bge', MOS_FEEDBACK_RERANKER_BACKEND: 'http_bge', MOS_RERANKER_URL: 'http://memos-reranker:8080/v1/rerank',
    });
    expect(validateManifests(objects)).toEqual([]);
  });

  test('an Ascend accelerator without a pool gets the first declared pool; an explicit pool is kept', () => {
    const objects = synthChart({
      size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), npuNodePools: POOLS,
      embedder: Embedder.inCluster({ accelerator: ModelAccelerator.ascend({ npuCount: 2 }) }),
      reranker: Reranker.inCluster({ accelerator: ModelAccelerator.ascend({ pool: POOLS[1] }) }),
    });
    const embedding = only(objects, 'Deployment', 'memos-embedding').spec.template.spec;
    expect(embedding.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'npu-pool' });
    expect(embedding.containers[0].resources.limits['huawei.com/ascend-1980']).toBe(2);
    expect(only(objects, 'Deployment', 'memos-reranker').spec.template.spec.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'npu-pool-2' });
  });

  test('an Ascend server in an environment without an NPU node pool fails with a clear message', () => {
    expect(() => synthChart({ size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), npuNodePools: undefined })).toThrow(
      /MemosChart 'test': invalid (npuNodePools|embedder\.accelerator\.pool) \(missing\)/);
    expect(() => synthChart({ size: MemosSize.SMALL, embedder: Embedder.inCluster({ accelerator: ModelAccelerator.ascend() }) })).toThrow(
      /MemosChart 'test': invalid (npuNodePools|embedder\.accelerator\.pool) \(missing\)/);
  });

  test('construct errors name the user prop under embedder / reranker', () => {
    expect(() => synthChart({ size: MemosSize.SMALL, embedder: Embedder.inCluster({ replicas: 3, maxReplicas: 2 }) })).toThrow(
      /MemosChart 'test': invalid embedder.maxReplicas 2; allowed: an integer from 3 to 100/);
    expect(() => synthChart({ size: MemosSize.SMALL, reranker: Reranker.inCluster({ accelerator: ModelAccelerator.cpu() }) })).toThrow(
      /MemosChart 'test': invalid reranker.accelerator "ModelAccelerator.cpu\(\)"; allowed: ModelAccelerator.ascend/);
  });

  test('maxClientBatchSize reaches the server from Embedder.inCluster and is reported under embedder', () => {
    const args = only(synthChart({ size: MemosSize.SMALL, embedder: Embedder.inCluster({ maxClientBatchSize: 1024 }) }), 'Deployment', 'memos-embedding')
      .spec.template.spec.containers[0].args;
    expect(args[args.indexOf('--max-client-batch-size') + 1]).toBe('1024');
    const defaults = only(synthChart({ size: MemosSize.SMALL }), 'Deployment', 'memos-embedding').spec.template.spec.containers[0].args;
    expect(defaults[defaults.indexOf('--max-client-batch-size') + 1]).toBe('512');
    expect(() => synthChart({ size: MemosSize.SMALL, embedder: Embedder.inCluster({ maxClientBatchSize: 16 }) })).toThrow(
      /MemosChart 'test': invalid embedder.maxClientBatchSize 16; allowed: an integer from 32 to 4096/);
  });

  test('the embedding dimension follows the model', () => {
    const small = only(synthChart({ size: MemosSize.SMALL, embedder: Embedder.inCluster({ model: 'bge-small-zh-v1.5' }) }), 'ConfigMap', 'memos-config').data;
    expect([small.MOS_EMBEDDER_MODEL, small.EMBEDDING_DIMENSION]).toEqual(['bge-small-zh-v1.5', '512']);
  });

  test('an external embedder: no embedding server, MemOS reads its endpoint', () => {
    const objects = synthChart({ size: MemosSize.SMALL, embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'bge-m3', dimension: 1024 }) });
    expect(objects.filter((o) => o.metadata.name === 'memos-embedding')).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({
      MOS_EMBEDDER_API_BASE: 'https://embed.example.com/v1', MOS_EMBEDDER_MODEL: 'bge-m3', EMBEDDING_DIMENSION: '1024',
    });
  });

  test('large with Reranker.cosineLocal(): no reranker server, MemOS on cosine_local', () => {
    const objects = synthChart({ size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), reranker: Reranker.cosineLocal() });
    expect(objects.filter((o) => o.metadata.name === 'memos-reranker')).toEqual([]);
    expect(only(objects, 'Deployment', 'memos-embedding').spec.template.spec.containers[0].resources.limits['huawei.com/ascend-1980']).toBe(1);
    expect(only(objects, 'ConfigMap', 'memos-config').data.MOS_RERANKER_BACKEND).toBe('cosine_local');
  });
});
