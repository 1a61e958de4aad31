import { Chart, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { QueueDepthMetric, QueueDepthMetricProps } from '../constructs/queue-depth-metric';
import { SecretKeyRef } from '../src/credentials';
import { container, only, TEST_CONFIG_PROPS } from './support/synth';
import { validateManifests } from './support/schema';

function synthMetric(props: Partial<QueueDepthMetricProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  new QueueDepthMetric(chart, 'QueueDepth', { instance: 'memos', redis: TEST_CONFIG_PROPS.redis, ...props });
  return Testing.synth(chart);
}

describe('QueueDepthMetric', () => {
  test('emits the exporter, its Service, ServiceMonitor, rules, adapter config and API registration, all valid', () => {
    const objects = synthMetric();
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`)).toEqual([
      'Deployment/memos/memos-queue-exporter',
      'Service/memos/memos-queue-exporter',
      'ServiceMonitor/monitoring/memos-memos-queue-depth',
      'PrometheusRule/monitoring/memos-memos-queue-depth',
      'ConfigMap/monitoring/user-adapter-config',
      'APIService/-/v1beta1.external.metrics.k8s.io',
    ]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('the exporter reads MemOS streams in MemOS Redis, with the password from the Secret', () => {
    const exporter = container(only(synthMetric(), 'Deployment'), 'redis-exporter');
    expect(exporter.image).toBe('docker.io/oliver006/redis_exporter:v1.80.1');
    expect(exporter.env).toEqual([
      { name: 'REDIS_ADDR', value: 'redis://memos-redis:6379' },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MEMSCHEDULER_REDIS_PASSWORD', optional: true } } },
      { name: 'REDIS_EXPORTER_CHECK_STREAMS', value: 'db0=scheduler:messages:stream:v2.0:*' },
      { name: 'REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE', value: '200' },
      { name: 'REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS', value: 'true' },
    ]);
    expect(exporter.ports).toEqual([{ containerPort: 9121, name: 'metrics' }]);
    expect(exporter.readinessProbe.httpGet).toEqual({ path: '/health', port: 9121, scheme: 'HTTP' });
    expect(exporter.securityContext).toMatchObject({ runAsUser: 59000, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('follows a custom Redis endpoint, database, password key and stream prefix', () => {
    const exporter = container(only(synthMetric({
      redis: { host: 'redis-1a2b.dcs.huaweicloud.com', port: 6380, db: 2, password: SecretKeyRef.of('memos-secrets', 'dcs-password') },
      streamKeyPrefix: 'scheduler:prod',
    }), 'Deployment'), 'redis-exporter');
    expect(exporter.env).toContainEqual({ name: 'REDIS_ADDR', value: 'redis://redis-1a2b.dcs.huaweicloud.com:6380' });
    expect(exporter.env).toContainEqual({ name: 'REDIS_EXPORTER_CHECK_STREAMS', value: 'db2=scheduler:prod:*' });
    expect(exporter.env[1].valueFrom.secretKeyRef.key).toBe('dcs-password');
  });

  test('the ServiceMonitor scrapes the exporter from the monitoring namespace and labels the instance', () => {
    const monitor = only(synthMetric(), 'ServiceMonitor');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['memos'] });
    expect(monitor.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'queue-exporter', 'app.kubernetes.io/instance': 'memos' } });
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' });
    expect(monitor.spec.endpoints[0].relabelings).toEqual([{ sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_instance'], targetLabel: 'memos_instance' }]);
  });

  test('the recording rules sum XLEN and pending entries of the scheduler streams per instance', () => {
    const rules = only(synthMetric(), 'PrometheusRule').spec.groups[0].rules;
    expect(rules).toEqual([
      { record: 'memos:redis_queue_depth:sum', expr: 'sum by (namespace, memos_instance) (redis_stream_length{stream=~"scheduler:messages:stream:v2\\\\.0:.*"})' },
      { record: 'memos:redis_queue_in_flight:sum', expr: 'sum by (namespace, memos_instance) (redis_stream_group_messages_pending{group="scheduler_group",stream=~"scheduler:messages:stream:v2\\\\.0:.*"})' },
    ]);
  });

  test('the adapter publishes the recorded series as the namespaced external metric redis_queue_depth', () => {
    const config = YAML.parse(only(synthMetric(), 'ConfigMap').data['config.yaml']);
    expect(config).toEqual({
      rules: [],
      externalRules: [{
        seriesQuery: 'memos:redis_queue_depth:sum{namespace!="",memos_instance!=""}',
        resources: { overrides: { namespace: { resource: 'namespace' } } },
        name: { matches: '^memos:redis_queue_depth:sum$', as: 'redis_queue_depth' },
        metricsQuery: 'sum by (namespace, memos_instance) (<<.Series>>{<<.LabelMatchers>>})',
      }],
    });
    expect(new RegExp(config.externalRules[0].name.matches).test('memos:redis_queue_depth:sum')).toBe(true);
    const api = only(synthMetric(), 'APIService');
    expect(api.metadata.namespace).toBeUndefined();
    expect(api.spec).toEqual({
      group: 'external.metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, insecureSkipTLSVerify: true,
      service: { name: 'custom-metrics-apiserver', namespace: 'monitoring', port: 443 },
    });
  });

  test('options: image, monitoring namespace and labels, interval, adapter and API registration off', () => {
    const objects = synthMetric({
      exporterImage: 'swr.cn-north-4.myhuaweicloud.com/mirror/redis_exporter:v1.80.1',
      monitoringNamespace: 'observability',
      monitoringLabels: { release: 'prometheus' },
      interval: Duration.seconds(15),
      imagePullSecrets: ['mirror-pull'],
      adapterConfig: false,
      registerExternalMetricsApi: false,
    });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule']);
    const deployment = only(objects, 'Deployment');
    expect(container(deployment, 'redis-exporter').image).toBe('swr.cn-north-4.myhuaweicloud.com/mirror/redis_exporter:v1.80.1');
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.metadata.namespace).toBe('observability');
    expect(monitor.metadata.labels.release).toBe('prometheus');
    expect(monitor.spec.endpoints[0]).toMatchObject({ interval: '15s', scrapeTimeout: '10s' });
    expect(only(objects, 'PrometheusRule').spec.groups[0].interval).toBe('15s');
  });

  const invalid: [string, Partial<QueueDepthMetricProps>, RegExp][] = [
    ['an unpinned image', { exporterImage: 'oliver006/redis_exporter' }, /QueueDepthMetric 'test\/QueueDepth': invalid exporterImage "oliver006\/redis_exporter"/],
    ['a bad monitoring namespace', { monitoringNamespace: 'Monitoring' }, /invalid monitoringNamespace "Monitoring"; allowed: a DNS label/],
    ['a 5-second interval', { interval: Duration.seconds(5) }, /invalid interval 5; allowed: an integer from 10 to 300/],
    ['a bad instance', { instance: 'MemOS' }, /invalid instance "MemOS"/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMetric(props)).toThrow(message);
  });
});
