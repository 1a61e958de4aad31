import * as kplus from 'cdk8s-plus-28';
import { MemosChartProps } from '../charts/memos-chart';
import { Size, Testing } from 'cdk8s';
import { MemosChart } from '../charts/memos-chart';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { CLUSTER_SERVICES, container, only, servicesFor, synthChart } from './support/synth';

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
      },
      spec: {},
    });
  });

  test('puts every other object in the namespace, with the common labels', () => {
    const objects = synthChart({ size: 'small', namespace: 'memos-prod', labels: { team: 'ai-platform' } });
    for (const obj of objects.slice(1)) {
      if (obj.kind !== 'APIService') expect(['memos-prod', 'monitoring']).toContain(obj.metadata.namespace);
      expect(obj.metadata.labels).toMatchObject({ team: 'ai-platform', 'app.kubernetes.io/part-of': 'memos', 'app.kubernetes.io/managed-by': 'cdk8s-memos-cce' });
    }
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`)).toEqual([
      'Namespace/-/memos-prod',
      'ConfigMap/memos-prod/memos-config',
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
      'Deployment/memos-prod/memos-queue-exporter',
      'Service/memos-prod/memos-queue-exporter',
      'ServiceMonitor/monitoring/memos-prod-memos-queue-depth',
      'PrometheusRule/monitoring/memos-prod-memos-queue-depth',
      'ConfigMap/monitoring/user-adapter-config',
      'APIService/-/v1beta1.external.metrics.k8s.io',
      'Deployment/memos-prod/memos-api',
      'Service/memos-prod/memos-api',
      'HorizontalPodAutoscaler/memos-prod/memos-api',
      'PodDisruptionBudget/memos-prod/memos-api',
      'Service/memos-prod/memos-scheduler',
      'StatefulSet/memos-prod/memos-scheduler',
    ]);
  });

  test('can leave the namespace to someone else, and relax Pod Security', () => {
    expect(synthChart({ size: 'small', createNamespace: false }).map((o) => o.kind)).not.toContain('Namespace');
    expect(only(synthChart({ size: 'small', podSecurity: 'baseline' }), 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test.each([['small', 3, 10], ['medium', 6, 10], ['large', 15, 20]] as const)('%s autoscales memos-api from %i to %i pods', (size, min, max) => {
    const objects = synthChart({ size, ...servicesFor(size) });
    expect(only(objects, 'HorizontalPodAutoscaler', 'memos-api').spec).toMatchObject({ minReplicas: min, maxReplicas: max });
    expect(only(objects, 'Deployment', 'memos-api').spec.replicas).toBeUndefined();
  });

  test('fixed replicas replace the autoscaler', () => {
    const objects = synthChart({ size: 'small', api: { replicas: 2 } });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name)).toEqual(['memos-embedding']);
    expect(only(objects, 'Deployment', 'memos-api').spec.replicas).toBe(2);
    expect(only(objects, 'PodDisruptionBudget', 'memos-api').spec.maxUnavailable).toBe(1);
  });

  test('autoscaler overrides reach the HPA', () => {
    const hpa = only(synthChart({ size: 'small', api: { minReplicas: 4, maxReplicas: 8, targetCpuUtilization: 60, targetQueueDepthPerReplica: 50 } }), 'HorizontalPodAutoscaler', 'memos-api');
    expect(hpa.spec.minReplicas).toBe(4);
    expect(hpa.spec.maxReplicas).toBe(8);
    expect(hpa.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 60 });
    expect(hpa.spec.metrics[1].external.target).toEqual({ type: 'AverageValue', averageValue: 50 });
  });

  test('monitoring options reach the metric pipeline, load balancer options the Service', () => {
    const objects = synthChart({
      size: 'small',
      monitoring: { monitoringNamespace: 'observability', adapterConfig: false, registerExternalMetricsApi: false },
      api: { loadBalancer: false },
    });
    expect(only(objects, 'ServiceMonitor', 'memos-memos-queue-depth').metadata.namespace).toBe('observability');
    expect(only(objects, 'ServiceMonitor', 'memos-memos-qdrant').metadata.namespace).toBe('observability');
    expect(objects.map((o) => o.kind)).not.toContain('APIService');
    expect(objects.filter((o) => o.metadata.name === 'user-adapter-config')).toEqual([]);
    expect(only(objects, 'Service', 'memos-api').spec.type).toBe('ClusterIP');
  });

  test('api overrides and the instance name reach the objects', () => {
    const objects = synthChart({
      size: 'medium',
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
    expect(container(deployment, 'memos-api').resources.limits).toEqual({ cpu: '2', memory: '4096Mi' });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'acme-pull' }]);
    expect(only(objects, 'ConfigMap', 'mem-config').data).toMatchObject({ MOS_CHAT_MODEL: 'deepseek-reasoner', NEO4J_URI: 'neo4j://mem-neo4j:7687' });
  });

  test('the scheduler StatefulSet consumes the same Redis as memos-api, with the preset replicas and thread pool', () => {
    for (const [size, replicas, threads] of [['small', 1, '50'], ['medium', 1, '200'], ['large', 3, '300']] as const) {
      const objects = synthChart({ size, redis: { mode: 'dcs', host: 'redis-1.dcs.example' }, ...servicesFor(size) });
      const scheduler = only(objects, 'StatefulSet', 'memos-scheduler');
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
    const objects = synthChart({ size: 'medium', redis: { mode: 'in-cluster' }, ...CLUSTER_SERVICES });
    const redis = only(objects, 'StatefulSet', 'memos-redis');
    expect(redis.spec.template.spec.containers[0].resources.limits.memory).toBe('2048Mi');
    expect(only(objects, 'ConfigMap', 'memos-config').data.MEMSCHEDULER_REDIS_HOST).toBe('memos-redis');
    expect(container(only(objects, 'Deployment', 'memos-queue-exporter'), 'redis-exporter').env[0].value).toBe('redis://memos-redis:6379');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('DCS port and db, scheduler overrides and API pods that do not consume', () => {
    const objects = synthChart({
      size: 'large',
      ...servicesFor('large'),
      redis: { mode: 'dcs', host: '192.168.0.12', port: 6380, db: 4 },
      scheduler: { replicas: 5, threadPoolSize: 400, consumeIntervalSeconds: 0.05 },
      api: { consumesQueue: false },
    });
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(data).toMatchObject({ MEMSCHEDULER_REDIS_PORT: '6380', MEMSCHEDULER_REDIS_DB: '4', MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS: '400', MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS: '0.05' });
    expect(only(objects, 'StatefulSet', 'memos-scheduler').spec.replicas).toBe(5);
    expect(container(only(objects, 'Deployment', 'memos-api'), 'memos-api').env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'false' });
    expect(only(objects, 'HorizontalPodAutoscaler', 'memos-api').spec.metrics.map((m: any) => m.type)).toEqual(['Resource']);
  });

  test('the queue drains a 15-minute backlog at the designed load within half an hour', () => {
    for (const size of ['small', 'medium', 'large'] as const) {
      const chart = new MemosChart(Testing.app(), 'test', { size, redis: { mode: 'dcs', host: 'r.dcs.example' }, ...servicesFor(size) });
      expect(chart.queueCapacity.keepsUpAtMin).toBe(true);
      expect(chart.queueCapacity.drainMinutes).toBeLessThan(30);
    }
  });

  const invalid: [string, MemosChartProps, RegExp][] = [
    ['an unknown size', { size: 'xl' as never }, /MemosChart 'test': invalid size "xl"; allowed: small, medium, large/],
    ['a missing size', {} as MemosChartProps, /MemosChart 'test': invalid size \(missing\); allowed: small, medium, large/],
    ['a bad namespace', { size: 'small', namespace: 'MemOS' }, /MemosChart 'test': invalid namespace "MemOS"; allowed: a DNS label/],
    ['a bad instance', { size: 'small', instance: 'a'.repeat(41) }, /MemosChart 'test': invalid instance "a{41}"; allowed: a DNS label.*at most 40 characters/],
    ['an unknown Pod Security level', { size: 'small', podSecurity: 'strict' as never }, /invalid podSecurity "strict"; allowed: privileged, baseline, restricted/],
    ['api replicas below 1', { size: 'small', api: { replicas: 0 } }, /MemosApi 'test\/Api': invalid replicas 0; allowed: an integer from 1 to 1000/],
    ['maxReplicas below minReplicas', { size: 'small', api: { minReplicas: 5, maxReplicas: 4 } }, /MemosApi 'test\/Api': invalid autoscaling.maxReplicas 4; allowed: an integer from 5 to 1000/],
    ['DCS without a host', { size: 'small', redis: { mode: 'dcs' } }, /MemosChart 'test': invalid redis.host \(missing\); allowed: the DCS instance's connection address when redis.mode is 'dcs'/],
    ['an unknown Redis mode', { size: 'small', redis: { mode: 'cluster' as never } }, /invalid redis.mode "cluster"; allowed: dcs, in-cluster/],
    ['a host with in-cluster Redis', { size: 'small', redis: { mode: 'in-cluster', host: 'x' } }, /invalid redis.host "x"; allowed: no host or port with redis.mode 'in-cluster'/],
    ['in-cluster options with DCS', { size: 'small', redis: { mode: 'dcs', host: 'x', inCluster: {} } }, /invalid redis.inCluster \{\}; allowed: nothing with redis.mode 'dcs'/],
    ['Redis in the MemOS settings', { size: 'small', memos: { redis: { host: 'x' } } as never }, /invalid memos.redis \{"host":"x"\}; allowed: nothing: set the chart's redis prop/],
    ['a scheduler thread pool of 0', { size: 'small', scheduler: { threadPoolSize: 0 } }, /MemosConfig 'test\/Config': invalid consumer.threadPoolSize 0; allowed: an integer from 1 to 10000/],
    ['no scheduler replicas', { size: 'small', scheduler: { replicas: 0 } }, /MemScheduler 'test\/Scheduler': invalid replicas 0; allowed: an integer from 1 to 100/],
    ['an invalid ELB combination', { size: 'small', api: { loadBalancer: { elbClass: 'performance' } } }, /ElbService 'test\/Api\/Elb': invalid autoCreate.availabilityZones \(missing\)/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthChart(props)).toThrow(message);
  });
});
