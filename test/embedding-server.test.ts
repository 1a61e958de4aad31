import { Chart, Size, Testing } from 'cdk8s';
import { EmbeddingServer, EmbeddingServerProps } from '../constructs/embedding-server';
import { MemosConfig } from '../constructs/memos-config';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only, servicesFor, synthChart } from './support/synth';

const POOL = { name: 'npu-pool', chip: '910B' as const };

function synthServer(props: Partial<EmbeddingServerProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const config = new MemosConfig(chart, 'Config', { instance: 'memos' });
  const server = new EmbeddingServer(chart, 'Embedding', { instance: 'memos', config, ...props });
  const objects = Testing.synth(chart).filter((o) => o.kind !== 'ConfigMap');
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  return { server, objects, deployment, pod, main: pod.containers[0] };
}

describe('EmbeddingServer on CPU (TEI)', () => {
  test('serves bge-m3 from local weights with the hub offline; valid and policy-clean', () => {
    const { server, objects, main, pod } = synthServer();
    expect(server.apiBase).toBe('http://memos-embedding:8080/v1');
    expect(server.dimension).toBe(1024);
    expect(main.image).toBe('ghcr.io/huggingface/text-embeddings-inference:cpu-1.9');
    expect(main.args).toEqual(['--model-id', '/models/bge-m3', '--served-model-name', 'bge-m3', '--hostname', '0.0.0.0', '--port', '8080', '--auto-truncate', '--json-output']);
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

  test('weights from OBS: copied by rclone before the server starts, keys from the Secret', () => {
    const { pod, main } = synthServer({ weights: { source: 'obs', bucket: 'memos-models', path: 'models/bge-m3', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4', size: Size.gibibytes(6) } });
    const init = pod.initContainers[0];
    expect(init.command).toEqual(['rclone', 'copy', 'obs:memos-models/models/bge-m3', '/models/bge-m3', '--transfers', '8', '--checkers', '16']);
    const env = Object.fromEntries(init.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]));
    expect(env).toMatchObject({ RCLONE_CONFIG_OBS_PROVIDER: 'HuaweiOBS', RCLONE_CONFIG_OBS_ENDPOINT: 'obs.cn-north-4.myhuaweicloud.com', RCLONE_CONFIG_OBS_ACCESS_KEY_ID: 'OBS_ACCESS_KEY_ID', RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY: 'OBS_SECRET_ACCESS_KEY' });
    expect(init.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.volumes.find((v: any) => v.name === 'models')).toEqual({ name: 'models', emptyDir: { sizeLimit: '6144Mi' } });
    expect(main.args[1]).toBe('/models/bge-m3');
  });
});

describe('EmbeddingServer on Ascend', () => {
  const { objects, pod, main, deployment } = synthServer({ accelerator: 'ascend', npuNodePool: { ...POOL, taints: [{ key: 'npu', value: 'true', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoExecute' }] } });

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
  });

  test('a 310 pool, more NPUs and another HwHiAiUser group', () => {
    const { main: m, pod: p } = synthServer({ accelerator: 'ascend', npuNodePool: { name: 'p310', chip: '310' }, npuCount: 2, npuGroupId: 1001 });
    expect(m.resources.limits['huawei.com/ascend-310']).toBe(2);
    expect(p.securityContext.supplementalGroups).toEqual([1001]);
  });

  test('the reranker serves /v1/rerank for MemOS', () => {
    const { server, main: m } = synthServer({ task: 'rerank', accelerator: 'ascend', npuNodePool: POOL });
    expect(server.rerankUrl).toBe('http://memos-reranker:8080/v1/rerank');
    expect(m.args[1]).toBe('/models/bge-reranker-v2-m3');
  });
});

describe('EmbeddingServer validation', () => {
  const invalid: [string, Partial<EmbeddingServerProps>, RegExp][] = [
    ['a reranker on CPU', { task: 'rerank' }, /EmbeddingServer 'test\/Embedding': invalid task "rerank"; allowed: 'embed' on CPU: TEI's \/rerank takes `texts`/],
    ['a reranking model for embeddings', { model: 'bge-reranker-v2-m3' }, /invalid model "bge-reranker-v2-m3"; allowed: a embedding model/],
    ['Ascend without a pool', { accelerator: 'ascend' }, /invalid npuNodePool \(missing\); allowed: the NPU node pool to run on/],
    ['a pool on CPU', { npuNodePool: POOL }, /invalid npuNodePool "npu-pool"; allowed: nothing with accelerator 'cpu'/],
    ['an unknown chip', { accelerator: 'ascend', npuNodePool: { name: 'p', chip: '910C' as never } }, /invalid npuNodePool.chip "910C"; allowed: 310, 910B/],
    ['an unknown accelerator', { accelerator: 'gpu' as never }, /invalid accelerator "gpu"; allowed: cpu, ascend/],
    ['OBS weights without a bucket', { weights: { source: 'obs', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' } }, /invalid weights.bucket \(missing\)/],
    ['a bucket with PVC weights', { weights: { source: 'pvc', bucket: 'b' } }, /invalid weights.bucket "b"; allowed: nothing with source 'pvc'/],
    ['a path escaping the volume', { weights: { source: 'pvc', path: '../etc' } }, /invalid weights.path "..\/etc"/],
    ['maxReplicas below replicas', { replicas: 3, maxReplicas: 2 }, /invalid maxReplicas 2; allowed: an integer from 3 to 100/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthServer(props)).toThrow(message);
  });
});

describe('embedding in MemosChart', () => {
  test('small: CPU embedding, no reranker, MemOS on cosine_local for both rerankers', () => {
    const objects = synthChart({ size: 'small' });
    expect(only(objects, 'Deployment', 'memos-embedding').spec.template.spec.containers[0].image).toContain('text-embeddings-inference:cpu');
    expect(objects.filter((o) => o.metadata.name === 'memos-reranker')).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({
      MOS_EMBEDDER_API_BASE: 'http://memos-embedding:8080/v1', MOS_EMBEDDER_MODEL: 'bge-m3', EMBEDDING_DIMENSION: '1024',
      MOS_RERANKER_BACKEND: 'cosine_local', MOS_FEEDBACK_RERANKER_BACKEND: 'cosine_local',
    });
  });

  test('large: Ascend embedding and reranker on the declared pool, MemOS on http_bge', () => {
    const objects = synthChart({ size: 'large', ...servicesFor('large') });
    for (const name of ['memos-embedding', 'memos-reranker']) {
      const main = only(objects, 'Deployment', name).spec.template.spec.containers[0];
      expect(main.resources.limits['huawei.com/ascend-1980']).toBe(1);
    }
    expect(only(objects, 'ConfigMap', 'memos-config').data).toMatchObject({
      MOS_RERANKER_BACKEND: 'http_bge', MOS_FEEDBACK_RERANKER_BACKEND: 'http_bge', MOS_RERANKER_URL: 'http://memos-reranker:8080/v1/rerank',
    });
    expect(validateManifests(objects)).toEqual([]);
  });

  test('an Ascend server in an environment without an NPU node pool fails with a clear message', () => {
    expect(() => synthChart({ size: 'large', ...servicesFor('large'), npuNodePools: undefined })).toThrow(
      /MemosChart 'test': invalid npuNodePools \(missing\); allowed: at least one Ascend NPU node pool \(\{ name, chip \}\) for the embedding on 'ascend', or embedding: \{ accelerator: 'cpu' \}/);
    expect(() => synthChart({ size: 'small', embedding: { accelerator: 'ascend', npuNodePool: 'nope' }, npuNodePools: [POOL] })).toThrow(/invalid embedding.npuNodePool "nope"; allowed: one of the declared npuNodePools: npu-pool/);
  });

  test('the embedding dimension must match the model', () => {
    expect(() => synthChart({ size: 'small', memos: { embedder: { dimension: 768 } } })).toThrow(
      /MemosChart 'test': invalid memos.embedder.dimension 768; allowed: 1024: bge-m3 returns 1024-dimensional vectors/);
    const small = only(synthChart({ size: 'small', embedding: { model: 'bge-small-zh-v1.5' } }), 'ConfigMap', 'memos-config').data;
    expect([small.MOS_EMBEDDER_MODEL, small.EMBEDDING_DIMENSION]).toEqual(['bge-small-zh-v1.5', '512']);
  });

  test('embedding: false uses another embedder; its endpoint cannot be set while the chart runs one', () => {
    const objects = synthChart({ size: 'small', embedding: false, memos: { embedder: { apiBase: 'https://embed.example.com/v1', model: 'bge-m3' } } });
    expect(objects.filter((o) => o.metadata.name === 'memos-embedding')).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data.MOS_EMBEDDER_API_BASE).toBe('https://embed.example.com/v1');
    expect(() => synthChart({ size: 'small', memos: { embedder: { apiBase: 'https://embed.example.com/v1' } } })).toThrow(/invalid memos.embedder .*; allowed: no apiBase or model while the chart runs the embedding server/);
  });
});
