import * as kplus from 'cdk8s-plus-28';
import { Chart, Size, Testing } from 'cdk8s';
import { MemosChart, MemosChartProps } from '../charts/memos-chart';
import { MemosStack } from '../charts/memos-stack';
import { MemosPresets, MemosSize } from '../charts/presets';
import { ApiGateway, DcsRedisOptions, Embedder, MemoryStorage, MilvusDeployment, Neo4jBackend, QdrantBackend, RedisQueue } from '../charts/backends';
import { ElbClass } from '../src/cce';
import { Credentials } from '../src/credentials';
import { PodSecurityLevel } from '../src/kubernetes';
import { ApiService } from '../constructs/memos-api';
import { MilvusTopology } from '../index';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { CLUSTER_SERVICES, container, only, servicesFor, synthChart, TEST_MILVUS_TOPOLOGY } from './support/synth';

describe('MemosChart', () => {
  test('creates the namespace first, with restricted Pod Security and no namespace of its own', () => {
    const objects = synthChart();
    expect(objects[0]).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'memos',
        labels: expect.objectContaining({
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        }),
        // The first Argo CD sync wave (charts/sync-waves.ts).
        annotations: { 'argocd.argoproj.io/sync-wave': '-10' },
      },
      spec: {},
    });
  });

  test('puts every other object in the namespace, with the common labels', () => {
    const objects = synthChart({ size: MemosSize.SMALL, namespace: 'memos-prod', labels: { team: 'ai-platform' } });
    for (const obj of objects.slice(1)) {
      // Cluster-scoped: the APIService and the PriorityClasses.
      if (!['APIService', 'PriorityClass'].includes(obj.kind)) expect(['memos-prod', 'monitoring']).toContain(obj.metadata.namespace);
      expect(obj.metadata.labels).toMatchObject({ team: 'ai-platform', 'app.kubernetes.io/part-of': 'memos', 'app.kubernetes.io/managed-by': 'cdk8s-memos-cce' });
    }
    // The collection Job's name ends in a hash of its template.
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`.replace(/(qdrant-collection)-[0-9a-f]{6}$/, '$1'))).toEqual([
      'Namespace/-/memos-prod',
      'ConfigMap/memos-prod/memos-config',
      'PriorityClass/-/memos-prod-memos-stores',
      'PriorityClass/-/memos-prod-memos-services',
      'Service/memos-prod/memos-neo4j',
      'Service/memos-prod/memos-neo4j-headless',
      'StatefulSet/memos-prod/memos-neo4j',
      'PodDisruptionBudget/memos-prod/memos-neo4j',
      'Deployment/memos-prod/memos-embedding',
      'HorizontalPodAutoscaler/memos-prod/memos-embedding',
      'PodDisruptionBudget/memos-prod/memos-embedding',
      'Service/memos-prod/memos-embedding',
      'ServiceMonitor/monitoring/memos-prod-memos-embedding',
      'Service/memos-prod/memos-milvus',
      'ConfigMap/memos-prod/memos-milvus-embed-etcd',
      'Service/memos-prod/memos-milvus-standalone-headless',
      'StatefulSet/memos-prod/memos-milvus-standalone',
      'PodDisruptionBudget/memos-prod/memos-milvus-standalone',
      'Service/memos-prod/memos-milvus-metrics',
      'ServiceMonitor/monitoring/memos-prod-memos-milvus',
      'Service/memos-prod/memos-qdrant',
      'Service/memos-prod/memos-qdrant-headless',
      'StatefulSet/memos-prod/memos-qdrant',
      'PodDisruptionBudget/memos-prod/memos-qdrant',
      'ServiceMonitor/monitoring/memos-prod-memos-qdrant',
      'Service/memos-prod/memos-redis',
      'Service/memos-prod/memos-redis-headless',
      'StatefulSet/memos-prod/memos-redis',
      'Job/memos-prod/memos-qdrant-collection',
      'Deployment/memos-prod/memos-queue-exporter',
      'Service/memos-prod/memos-queue-exporter',
      'ServiceMonitor/monitoring/memos-prod-memos-queue-depth',
      'PrometheusRule/monitoring/memos-prod-memos-queue-depth',
      'Deployment/memos-prod/memos-api',
      'Service/memos-prod/memos-api',
      'Service/memos-prod/memos-api-headless',
      'HorizontalPodAutoscaler/memos-prod/memos-api',
      'PodDisruptionBudget/memos-prod/memos-api',
      'Deployment/memos-prod/memos-scheduler',
      'ConfigMap/memos-prod/memos-gateway',
      'Deployment/memos-prod/memos-gateway',
      'PodDisruptionBudget/memos-prod/memos-gateway',
      'Service/memos-prod/memos-gateway',
      'Service/memos-prod/memos-gateway-metrics',
      'ServiceMonitor/monitoring/memos-prod-memos-gateway',
      'ConfigMap/memos-prod/memos-smoke-test',
      expect.stringMatching(/^Job\/memos-prod\/memos-smoke-test-[0-9a-f]{6}$/),
      ...['default-deny', 'smoke-test', 'gateway', 'api', 'scheduler', 'queue-exporter', 'redis', 'neo4j', 'qdrant', 'qdrant-collection', 'embedding', 'milvus']
        .map((name) => `NetworkPolicy/memos-prod/memos-${name}`),
      'PrometheusRule/monitoring/memos-prod-memos-alerts',
      'ConfigMap/monitoring/memos-prod-memos-dashboard',
    ]);
  });

  test('can leave the namespace to someone else, and relax Pod Security', () => {
    expect(synthChart({ size: MemosSize.SMALL, createNamespace: false }).map((o) => o.kind)).not.toContain('Namespace');
    expect(only(synthChart({ size: MemosSize.SMALL, podSecurity: PodSecurityLevel.BASELINE }), 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test.each([[MemosSize.SMALL, 3, 10], [MemosSize.MEDIUM, 6, 10], [MemosSize.LARGE, 15, 20]] as const)('%s autoscales memos-api from %i to %i pods', (size, min, max) => {
    const objects = synthChart({ size, ...servicesFor(size) });
    expect(only(objects, 'HorizontalPodAutoscaler', 'memos-api').spec).toMatchObject({ minReplicas: min, maxReplicas: max });
    expect(only(objects, 'Deployment', 'memos-api').spec.replicas).toBeUndefined();
  });

  test('fixed replicas replace the autoscaler', () => {
    const objects = synthChart({ size: MemosSize.SMALL, api: { replicas: 2 } });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(['memos-embedding']);
    expect(only(objects, 'Deployment', 'memos-api').spec.replicas).toBe(2);
    expect(only(objects, 'PodDisruptionBudget', 'memos-api').spec.maxUnavailable).toBe(1);
  });

  test('autoscaler overrides reach the HPA', () => {
    const hpa = only(synthChart({ size: MemosSize.SMALL, api: { minReplicas: 4, maxReplicas: 8, targetCpuUtilization: 60, targetQueueDepthPerReplica: 50 } }), 'HorizontalPodAutoscaler', 'memos-api');
    expect(hpa.spec.minReplicas).toBe(4);
    expect(hpa.spec.maxReplicas).toBe(8);
    expect(hpa.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 60 });
    expect(hpa.spec.metrics[1].external.target).toEqual({ type: 'AverageValue', averageValue: 50 });
  });

  test('monitoring options reach the metric pipeline, load balancer options the Service', () => {
    const objects = synthChart({
      size: MemosSize.SMALL,
      monitoringNamespace: 'observability',
      monitoring: { adapterConfig: false, registerExternalMetricsApi: false },
      api: { service: ApiService.clusterIp() },
      gateway: ApiGateway.none(),
    });
    expect(only(objects, 'ServiceMonitor', 'memos-memos-queue-depth').metadata.namespace).toBe('observability');
    expect(only(objects, 'ServiceMonitor', 'memos-memos-qdrant').metadata.namespace).toBe('observability');
    expect(objects.map((o) => o.kind)).not.toContain('APIService');
    expect(objects.filter((o) => o.metadata.name === 'user-adapter-config')).toEqual([]);
    expect(only(objects, 'Service', 'memos-api').spec.type).toBe('ClusterIP');
  });

  test('api overrides and the instance name reach the objects', () => {
    const objects = synthChart({
      size: MemosSize.MEDIUM,
      ...CLUSTER_SERVICES,
      instance: 'mem',
      imagePullSecrets: ['acme-pull'],
      api: { image: 'swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31-1', replicas: 2, resources: { cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(2) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) } } },
      memos: { llm: { chatModel: 'deepseek-reasoner' } },
    });
    const deployment = only(objects, 'Deployment', 'mem-api');
    expect(deployment.spec.replicas).toBe(2);
    expect(only(objects, 'Deployment', 'mem-queue-exporter').spec.template.spec.imagePullSecrets).toEqual([{ name: 'acme-pull' }]);
    expect(container(deployment, 'memos-api').image).toBe('swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31-1');
    // Ephemeral storage the user left out keeps the MemOS default (logs and SQLite on emptyDirs).
    expect(container(deployment, 'memos-api').resources.limits).toEqual({ cpu: '2', 'ephemeral-storage': '4Gi', memory: '4096Mi' });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'acme-pull' }]);
    expect(only(objects, 'ConfigMap', 'mem-config').data).toMatchObject({ MOS_CHAT_MODEL: 'deepseek-reasoner', NEO4J_URI: 'neo4j://mem-neo4j:7687' });
  });

  test('the scheduler StatefulSet consumes the same Redis as memos-api, with the preset replicas and thread pool', () => {
    for (const [size, replicas, threads] of [[MemosSize.SMALL, 1, '50'], [MemosSize.MEDIUM, 1, '200'], [MemosSize.LARGE, 3, '300']] as const) {
      const objects = synthChart({ size, queue: RedisQueue.dcs({ host: 'redis-1.dcs.example' }), ...servicesFor(size) });
      const scheduler = only(objects, 'Deployment', 'memos-scheduler');
      expect(scheduler.spec.replicas).toBe(replicas);
      const api = container(only(objects, 'Deployment', 'memos-api'), 'memos-api');
      const consumer = container(scheduler, 'mem-scheduler');
      expect(consumer.envFrom).toEqual(api.envFrom);
      expect(consumer.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'true' });
      const data = only(objects, 'ConfigMap', 'memos-config').data;
      expect(data).toMatchObject({ MEMSCHEDULER_USE_REDIS_QUEUE: 'true', MEMSCHEDULER_REDIS_HOST: 'redis-1.dcs.example', MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS: threads });
      expect(objects.filter((o) => o.metadata.name === 'memos-redis')).toEqual([]);
      expect(container(only(objects, 'Deployment', 'memos-queue-exporter'), 'redis-exporter').env[0]).toEqual({ name: 'REDIS_ADDR', value: 'redis://redis-1.dcs.example:6379' });
    }
  });

  test('switching to in-cluster Redis is one prop: a Redis StatefulSet that MemOS and the exporter use', () => {
    const objects = synthChart({ size: MemosSize.MEDIUM, queue: RedisQueue.inCluster(), ...CLUSTER_SERVICES });
    const redis = only(objects, 'StatefulSet', 'memos-redis');
    expect(redis.spec.template.spec.containers[0].resources.limits.memory).toBe('2048Mi');
    expect(only(objects, 'ConfigMap', 'memos-config').data.MEMSCHEDULER_REDIS_HOST).toBe('memos-redis');
    expect(container(only(objects, 'Deployment', 'memos-queue-exporter'), 'redis-exporter').env[0].value).toBe('redis://memos-redis:6379');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('DCS port and db, scheduler overrides and API pods that do not consume', () => {
    const objects = synthChart({
      size: MemosSize.LARGE,
      ...servicesFor(MemosSize.LARGE),
      queue: RedisQueue.dcs({ host: '192.168.0.12', port: 6380, db: 4 }),
      scheduler: { replicas: 5, threadPoolSize: 400, consumeIntervalSeconds: 0.05 },
      api: { consumesQueue: false },
    });
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(data).toMatchObject({ MEMSCHEDULER_REDIS_PORT: '6380', MEMSCHEDULER_REDIS_DB: '4', MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS: '400', MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS: '0.05' });
    expect(only(objects, 'Deployment', 'memos-scheduler').spec.replicas).toBe(5);
    expect(container(only(objects, 'Deployment', 'memos-api'), 'memos-api').env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'false' });
    expect(only(objects, 'HorizontalPodAutoscaler', 'memos-api').spec.metrics.map((m: any) => m.type)).toEqual(['Resource']);
  });

  test('the queue drains a 15-minute backlog at the designed load within half an hour', () => {
    for (const size of MemosPresets.sizes()) {
      const chart = new MemosChart(Testing.app(), 'test', { size, queue: RedisQueue.dcs({ host: 'r.dcs.example' }), ...servicesFor(size) });
      expect(chart.stack.queueCapacity.keepsUpAtMin).toBe(true);
      expect(chart.stack.queueCapacity.drainMinutes).toBeLessThan(30);
    }
  });

  const invalid: [string, MemosChartProps, RegExp][] = [
    ['an unknown size', { size: 'xl' as never }, /MemosChart 'test': invalid size "xl"; allowed: small, medium, large/],
    ['a missing size', {} as MemosChartProps, /MemosChart 'test': invalid size \(missing\); allowed: small, medium, large/],
    ['a bad namespace', { size: MemosSize.SMALL, namespace: 'MemOS' }, /MemosChart 'test': invalid namespace "MemOS"; allowed: a DNS label/],
    ['a bad instance', { size: MemosSize.SMALL, instance: 'a'.repeat(41) }, /MemosChart 'test': invalid instance "a{41}"; allowed: a DNS label.*at most 40 characters/],
    ['an unknown Pod Security level', { size: MemosSize.SMALL, podSecurity: 'strict' as never }, /invalid podSecurity "strict"; allowed: privileged, baseline, restricted/],
    ['api replicas below 1', { size: MemosSize.SMALL, api: { replicas: 0 } }, /MemosChart 'test': invalid api.replicas 0; allowed: an integer from 1 to 1000/],
    ['maxReplicas below minReplicas', { size: MemosSize.SMALL, api: { minReplicas: 5, maxReplicas: 4 } }, /MemosChart 'test': invalid api.maxReplicas 4; allowed: an integer from 5 to 1000/],
    ['DCS without a host', { size: MemosSize.SMALL, queue: RedisQueue.dcs({} as DcsRedisOptions) }, /MemosChart 'test': invalid queue.host \(missing\); allowed: a host name or IPv4 address/],
    // An unknown Redis mode, a DCS host or port with an in-cluster Redis, and in-cluster options with DCS:
    // RedisQueue.dcs()/RedisQueue.inCluster() make these combinations unrepresentable.
    // Redis in the MemOS settings: MemosSettings has no redis field; the queue prop is the only place for it.
    ['a scheduler thread pool of 0', { size: MemosSize.SMALL, scheduler: { threadPoolSize: 0 } }, /MemosChart 'test': invalid scheduler.threadPoolSize 0; allowed: an integer from 1 to 10000/],
    ['no scheduler replicas', { size: MemosSize.SMALL, scheduler: { replicas: 0 } }, /MemosChart 'test': invalid scheduler.replicas 0; allowed: an integer from 1 to 100/],
    ['an invalid ELB combination', { size: MemosSize.SMALL, gateway: ApiGateway.haproxy({ service: { elbClass: ElbClass.PERFORMANCE } }) }, /MemosChart 'test': invalid gateway.service.loadBalancer.availabilityZones \(missing\)/],
    ['api.replicas with the autoscaler', { size: MemosSize.SMALL, api: { replicas: 2, minReplicas: 2 } }, /MemosChart 'test': invalid api.minReplicas 2; allowed: nothing with api.replicas/],
    ['an external embedder with the wrong dimension for its model', {
      size: MemosSize.SMALL,
      embedder: Embedder.external({ apiBase: 'https://embed.example.com/v1', model: 'bge-m3', dimension: 768 }),
    }, /MemosChart 'test': invalid embedder.dimension 768; allowed: 1024: bge-m3 returns 1024-dimensional vectors/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthChart(props)).toThrow(message);
  });

  // Errors from the stack's children name the chart and the prop path the user wrote.
  const deep: [string, Partial<MemosChartProps>][] = [
    ['api.maxReplicas', { api: { maxReplicas: 2 } }],
    ['api.targetCpuUtilization', { api: { targetCpuUtilization: 1001 } }],
    ['scheduler.threadPoolSize', { scheduler: { threadPoolSize: 0 } }],
    ['scheduler.replicas', { scheduler: { replicas: 101 } }],
    ['queue.host', { queue: RedisQueue.dcs({ host: '' }) }],
    ['queue.port', { queue: RedisQueue.dcs({ host: 'redis.dcs.example', port: 0 }) }],
    ['storage.neo4j.servers', { storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ servers: 2 }) }) }],
    ['storage.qdrant.replicas', { storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster({ replicas: 2 }) }) }],
    ['milvus.topology.queryNodes', { milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.distributed({ ...TEST_MILVUS_TOPOLOGY, queryNodes: 0 }) }) }],
    ['embedder.replicas', { embedder: Embedder.inCluster({ replicas: 0 }) }],
    ['memos.llm.apiBase', { memos: { llm: { apiBase: 'not a url' } } }],
    ['memos.extraSettings.OPENAI_API_KEY', { memos: { extraSettings: { OPENAI_API_KEY: 'sk-test' } } }],
    ['monitoringNamespace', { monitoringNamespace: 'Bad_NS' }],
    ['credentials.keys.NEO4J_PASSWORD', { credentials: Credentials.fromSecret('memos-secrets', { keys: { NEO4J_PASSWORD: 'has space' } }) }],
  ];
  test.each(deep)('reports an invalid %s as the chart\'s, under the path the user wrote', (property, props) => {
    expect(() => synthChart({ size: MemosSize.SMALL, ...props })).toThrow(new RegExp(`^MemosChart 'test': invalid ${property.replace(/\./g, '\\.')} `));
  });
});

describe('MemosStack', () => {
  test('synthesizes in a chart of the user\'s own, in its namespace, without a Namespace object', () => {
    const chart = new Chart(Testing.app(), 'platform', { namespace: 'tenant-a' });
    const stack = new MemosStack(chart, 'Memos', { size: MemosSize.SMALL });
    expect(stack.api.service.name).toBe('memos-api');
    const objects = Testing.synth(chart);
    expect(objects.map((o) => o.kind)).not.toContain('Namespace');
    for (const obj of objects) {
      if (!['APIService', 'PriorityClass'].includes(obj.kind)) expect(['tenant-a', 'monitoring']).toContain(obj.metadata.namespace);
    }
    expect(only(objects, 'Deployment', 'memos-api').metadata.namespace).toBe('tenant-a');
    expect(validateManifests(objects)).toEqual([]);
  });

  test('its errors name the stack by its path in the user\'s chart', () => {
    const chart = new Chart(Testing.app(), 'platform', { namespace: 'tenant-a' });
    expect(() => new MemosStack(chart, 'Memos', { size: MemosSize.SMALL, api: { maxReplicas: 2 } }))
      .toThrow(/^MemosStack 'platform\/Memos': invalid api.maxReplicas 2; allowed: an integer from 3 to 1000/);
  });
});
