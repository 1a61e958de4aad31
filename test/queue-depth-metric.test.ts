import * as fs from 'fs';
import * as path from 'path';
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
  test('emits the exporter, its Service, ServiceMonitor and rules, and none of the add-on\'s adapter objects, all valid', () => {
    const objects = synthMetric();
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`)).toEqual([
      'Deployment/memos/memos-queue-exporter',
      'Service/memos/memos-queue-exporter',
      'ServiceMonitor/monitoring/memos-memos-queue-depth',
      'PrometheusRule/monitoring/memos-memos-queue-depth',
    ]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('the adapter ConfigMap and the external-metrics APIService are opt-in, and valid when asked for', () => {
    const objects = synthMetric({ adapterConfig: true, registerExternalMetricsApi: true });
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`).slice(4)).toEqual([
      'ConfigMap/monitoring/user-adapter-config',
      'APIService/-/v1beta1.external.metrics.k8s.io',
    ]);
    expect(validateManifests(objects)).toEqual([]);
    expect(synthMetric({ adapterConfig: true }).map((o) => o.kind)).toEqual(['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap']);
    expect(synthMetric({ registerExternalMetricsApi: true }).map((o) => o.kind)).toEqual(['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule', 'APIService']);
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

  test('the recording rules sum XLEN and pending entries of the scheduler streams per instance, and are 0 without streams while Redis is up', () => {
    const rules = only(synthMetric(), 'PrometheusRule').spec.groups[0].rules;
    const zero = '0 * max by (namespace, memos_instance) (redis_up{memos_instance!=""} == 1)';
    expect(rules).toEqual([
      {
        record: 'memos:redis_queue_depth:sum',
        expr: `sum by (namespace, memos_instance) (max by (namespace, memos_instance, db, stream) (redis_stream_length{stream=~"scheduler:messages:stream:v2\\\\.0:.*"})) or ${zero}`,
      },
      {
        record: 'memos:redis_queue_in_flight:sum',
        expr: `sum by (namespace, memos_instance) (max by (namespace, memos_instance, db, stream, group) (redis_stream_group_messages_pending{group="scheduler_group",stream=~"scheduler:messages:stream:v2\\\\.0:.*"})) or ${zero}`,
      },
    ]);
  });

  test('the adapter publishes the recorded series as the namespaced external metric redis_queue_depth', () => {
    const opted = synthMetric({ adapterConfig: true, registerExternalMetricsApi: true });
    const config = YAML.parse(only(opted, 'ConfigMap').data['config.yaml']);
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
    expect(config).toEqual(QueueDepthMetric.adapterRules());
    const api = only(opted, 'APIService');
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
    // From plain JavaScript or a config file: the string 'false' is truthy.
    ['adapterConfig given as a string', { adapterConfig: 'false' as any }, /QueueDepthMetric 'test\/QueueDepth': invalid adapterConfig "false"; allowed: true or false/],
    ['registerExternalMetricsApi given as a string', { registerExternalMetricsApi: 'no' as any }, /invalid registerExternalMetricsApi "no"; allowed: true or false/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMetric(props)).toThrow(message);
  });

  describe('merging the rule into the add-on\'s adapter ConfigMap', () => {
    test('the snippet is the external rule, under externalRules', () => {
      expect(YAML.parse(QueueDepthMetric.adapterRulesSnippet())).toEqual({ externalRules: QueueDepthMetric.adapterRules().externalRules });
    });

    test('the command reads, merges, replaces the add-on\'s ConfigMap and restarts the adapter', () => {
      const command = QueueDepthMetric.adapterMergeCommand();
      const lines = command.split('\n');
      expect(lines[0]).toBe('kubectl -n monitoring get configmap user-adapter-config -o json \\');
      expect(lines.slice(-3)).toEqual([
        '  | kubectl replace -f - \\',
        '  && kubectl -n monitoring rollout restart deployment custom-metrics-apiserver \\',
        '  && kubectl -n monitoring rollout status deployment custom-metrics-apiserver',
      ]);
      // The rules travel as the last single-quoted word of the python3 line.
      const rulesWord = /'(\[[^']*\])' \\$/m.exec(command)![1];
      expect(JSON.parse(rulesWord)).toEqual(QueueDepthMetric.adapterRules().externalRules);
      expect(command).not.toContain('apply');
    });

    test('docs/operations.md shows exactly the command and the snippet the library prints', () => {
      const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'operations.md'), 'utf8');
      expect(doc).toContain(`\n\`\`\`bash\n${QueueDepthMetric.adapterMergeCommand()}\n\`\`\`\n`);
      expect(doc).toContain(`\n\`\`\`yaml\n${QueueDepthMetric.adapterRulesSnippet()}\`\`\`\n`);
    });

    test('follows the monitoring namespace and an older add-on\'s ConfigMap name', () => {
      const command = QueueDepthMetric.adapterMergeCommand({ monitoringNamespace: 'observability', configMapName: 'adapter-config' });
      expect(command.split('\n')[0]).toBe('kubectl -n observability get configmap adapter-config -o json \\');
      expect(command).toContain('kubectl -n observability rollout restart deployment custom-metrics-apiserver');
    });

    test.each([
      [{ monitoringNamespace: 'monitoring; rm -rf ~' }, /QueueDepthMetric.adapterMergeCommand: invalid monitoringNamespace "monitoring; rm -rf ~"; allowed: a DNS label/],
      [{ monitoringNamespace: 'Monitoring' }, /invalid monitoringNamespace "Monitoring"/],
      [{ configMapName: 'user-adapter-config $(id)' }, /QueueDepthMetric.adapterMergeCommand: invalid configMapName "user-adapter-config \$\(id\)"; allowed: a DNS subdomain/],
      [{ configMapName: '' }, /invalid configMapName ""/],
    ])('rejects %j', (options, message) => {
      expect(() => QueueDepthMetric.adapterMergeCommand(options)).toThrow(message);
    });
  });
});
