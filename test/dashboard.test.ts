/**
 * The stack's Grafana dashboard (constructs/memos-dashboard.ts): its JSON model, its props and
 * their errors, and what every stack ships. test/dashboard.integration.test.ts parses every query
 * with promtool and checks the metrics it names.
 */
import { Chart, Testing } from 'cdk8s';
import { MemosDashboard, MemosDashboardProps } from '../constructs/memos-dashboard';
import { ENVIRONMENTS } from '../app/environments';
import { renderEnvironments } from '../app/synth';
import { MemosSize } from '../charts/presets';
import { ApiGateway } from '../charts/backends';
import { FULL } from './support/dashboard';
import { metricNames } from './support/promql';
import { parseManifests } from './support/schema';
import { only, synthChart } from './support/synth';

function dashboardIn(namespace: string, props: MemosDashboardProps): { dashboard: MemosDashboard; objects: any[] } {
  const chart = new Chart(Testing.app(), 'test', { namespace });
  const dashboard = new MemosDashboard(chart, 'Dashboard', props);
  return { dashboard, objects: Testing.synth(chart) };
}

const exprsOf = (model: any): string[] => model.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
const dashboardOf = (objects: any[]): any => {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
  return JSON.parse(Object.values(cm.data)[0] as string);
};

describe('MemosDashboard', () => {
  const { dashboard, objects } = dashboardIn('memos', FULL);
  const model = JSON.parse(dashboard.dashboard);

  test('a ConfigMap in the monitoring namespace, labelled for the Grafana sidecar, holding the dashboard', () => {
    const cm = only(objects, 'ConfigMap', 'memos-memos-dashboard');
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(Object.keys(cm.data)).toEqual(['memos-memos-dashboard.json']);
    expect(JSON.parse(cm.data['memos-memos-dashboard.json'])).toEqual(model);
  });

  test('Grafana 10/11 model: schemaVersion, title, a prometheus datasource variable, stable uid per namespace/instance', () => {
    expect(model.schemaVersion).toBeGreaterThanOrEqual(38);
    expect(model.schemaVersion).toBeLessThanOrEqual(41);
    expect(model.title).toBe('MemOS memos/memos');
    expect(model.templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
    expect(model.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboardIn('memos', FULL).dashboard.uid).toBe(model.uid);
    expect(dashboardIn('other', FULL).dashboard.uid).not.toBe(model.uid);
    expect(dashboardIn('memos', { ...FULL, instance: 'memos2' }).dashboard.uid).not.toBe(model.uid);
  });

  test('panels: unique ids, a gridPos inside 24 columns, the datasource variable on every panel and target', () => {
    const ids = model.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of model.panels) {
      expect(p.gridPos).toEqual({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource).toEqual(p.datasource);
    }
    expect(model.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title))
      .toEqual(['Traffic and errors', 'Latency', 'Scheduler queue', 'Vector search', 'Autoscaling', 'Workloads', 'Stores', 'Embedding', 'Backups']);
  });

  test('the queries listed are those of the panels, each scoped to the namespace', () => {
    const fromPanels = model.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
    expect(dashboard.queries.map((q) => q.expr)).toEqual(fromPanels);
    for (const expr of fromPanels) {
      const selectors = expr.match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) expect(s).toContain('namespace="memos"');
    }
    expect(fromPanels.filter((e: string) => e.includes('memos:redis_queue')).every((e: string) => e.includes('memos_instance="memos"'))).toBe(true);
  });

  test('without the optional objects, only the queue row', () => {
    const { dashboard: bare } = dashboardIn('memos', { instance: 'memos' });
    expect(JSON.parse(bare.dashboard).panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual(['Scheduler queue']);
  });

  // Every row has four cells: jest hands a row shorter than the function's parameters a `done` callback.
  test.each<[string, MemosDashboardProps, string, string]>([
    ['instance', { instance: 'Memos' }, 'instance', 'memos'],
    ['instance too long for the shared name', { instance: 'a'.repeat(40) }, 'instance', 'n'.repeat(30)],
    ['monitoringNamespace', { instance: 'memos', monitoringNamespace: 'Monitoring' }, 'monitoringNamespace', 'memos'],
    ['gatewayMetricsService', { instance: 'memos', gatewayMetricsService: 'memos_gateway' }, 'gatewayMetricsService', 'memos'],
    ['a list that is not one', { instance: 'memos', statefulSets: 'memos-qdrant' as any }, 'statefulSets', 'memos'],
    ['a name in a list', { instance: 'memos', statefulSets: ['memos-qdrant', 'Bad Name'] }, 'statefulSets[1]', 'memos'],
    ['a duplicate', { instance: 'memos', embeddingServices: ['memos-embedding', 'memos-embedding'] }, 'embeddingServices[1]', 'memos'],
    ['a CronJob name too long', { instance: 'memos', backupCronJobs: ['b'.repeat(53)] }, 'backupCronJobs[0]', 'memos'],
    ['labels', { instance: 'memos', labels: { 'bad key!': 'x' } }, 'labels', 'memos'],
    ['a drain rate of zero', { instance: 'memos', drainRatePerSecond: 0 }, 'drainRatePerSecond', 'memos'],
    ['a drain rate that is not a number', { instance: 'memos', drainRatePerSecond: Infinity }, 'drainRatePerSecond', 'memos'],
    ['qdrantMetricsService', { instance: 'memos', qdrantMetricsService: 'Qdrant' }, 'qdrantMetricsService', 'memos'],
    ['a Deployment name', { instance: 'memos', deployments: ['memos_api'] }, 'deployments[0]', 'memos'],
  ])('rejects %s', (_what, props, property, namespace) => {
    expect(() => dashboardIn(namespace, props)).toThrow(new RegExp(`MemosDashboard 'test/Dashboard': invalid ${property.replace(/[[\]]/g, '\\$&')} `));
  });

  test('the drain time at the autoscaler\'s maximum divides the depth by the given rate', () => {
    const panel = model.panels.find((p: any) => p.title.startsWith('Estimated drain time'));
    expect(panel.targets.map((t: any) => t.expr)).toEqual([
      'memos:redis_queue_depth:sum{namespace="memos", memos_instance="memos"} / (-deriv(memos:redis_queue_depth:sum{namespace="memos", memos_instance="memos"}[10m]) > 0)',
      'memos:redis_queue_depth:sum{namespace="memos", memos_instance="memos"} / 55',
    ]);
    const { dashboard: precise } = dashboardIn('memos', { instance: 'memos', drainRatePerSecond: 2 / 3 });
    expect(precise.queries.map((q) => q.expr)).toContain('memos:redis_queue_depth:sum{namespace="memos", memos_instance="memos"} / 0.6667');
  });

  test('names are matched exactly: regex characters in a name are escaped', () => {
    const { dashboard: dotted } = dashboardIn('memos', { instance: 'memos', autoscalers: ['memos.api'] });
    expect(dotted.queries[dotted.queries.length - 1].expr).toContain('horizontalpodautoscaler=~"memos\\\\.api"');
  });

  test('metric names are read from expressions without functions, keywords, labels, offsets or grouping', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, code) (rate(a_bucket{x="y:z"}[5m]))) / on (le) b_total offset 5m'))
      .toEqual(['a_bucket', 'b_total']);
    expect(metricNames('time() - kube_cronjob_status_last_successful_time{cronjob=~"a|b"}')).toEqual(['kube_cronjob_status_last_successful_time']);
    expect(metricNames('x / (-deriv(x[10m]) > 0)')).toEqual(['x']);
  });
});

describe('the dashboard of every stack', () => {
  const rendered = renderEnvironments(ENVIRONMENTS);

  test.each(ENVIRONMENTS.map((e) => e.name))('%s: one dashboard ConfigMap for the sidecar, charting the objects the stack made', (name) => {
    const objects = parseManifests(rendered.get(name)!.yaml);
    const cm = only(objects, 'ConfigMap', 'memos-memos-dashboard');
    expect(cm.metadata.namespace).toBe('monitoring');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    // kubectl apply keeps the object in an annotation limited to 256 KiB.
    expect(JSON.stringify(cm).length).toBeLessThan(256 * 1024);
    const model = dashboardOf(objects);
    const exprs = exprsOf(model).join('\n');
    const namesOf = (kind: string) => objects.filter((o) => o.kind === kind && o.metadata.namespace === 'memos').map((o) => o.metadata.name).sort();
    const listed = (label: string) => {
      const m = new RegExp(`${label}=~"([^"]+)"`).exec(exprs);
      return m ? m[1].replace(/\\\\/g, '').split('|').sort() : [];
    };
    expect(listed('horizontalpodautoscaler')).toEqual(namesOf('HorizontalPodAutoscaler'));
    expect(listed('deployment')).toEqual(namesOf('Deployment'));
    expect(listed('statefulset')).toEqual(namesOf('StatefulSet'));
    expect(listed('cronjob')).toEqual(namesOf('CronJob').filter((n) => n.endsWith('-backup')));
    expect(listed('cronjob').length).toBeGreaterThan(0);
    const embedding = namesOf('Service').filter((n) => /^memos-(embedding|reranker)$/.test(n));
    expect(listed('service')).toEqual(embedding);
    expect(exprs).toContain(`service="${only(objects, 'Service', 'memos-gateway-metrics').metadata.name}"`);
    // The Service each ServiceMonitor selects is the `service` label of its series.
    const selectedBy = (monitor: string) => {
      const selector = only(objects, 'ServiceMonitor', monitor).spec.selector.matchLabels;
      return objects.filter((o) => o.kind === 'Service' && Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v)).map((o) => o.metadata.name);
    };
    expect(selectedBy('memos-memos-gateway')).toEqual(['memos-gateway-metrics']);
    expect(selectedBy('memos-memos-qdrant')).toEqual(['memos-qdrant-headless']);
    expect(exprs).toContain('service="memos-qdrant-headless", endpoint=~".*/points/query"');
  });

  test('the drain-time estimate is the stack\'s queue capacity at the autoscaler\'s maximum', () => {
    const objects = synthChart({ size: MemosSize.SMALL });
    const exprs = exprsOf(dashboardOf(objects));
    expect(exprs).toContain('memos:redis_queue_depth:sum{namespace="memos", memos_instance="memos"} / 55');
  });

  test('without the gateway there are no gateway panels; the stack\'s labels prop reaches the ConfigMap', () => {
    const objects = synthChart({ size: MemosSize.SMALL, gateway: ApiGateway.none(), dashboard: { labels: { team: 'platform' } } });
    const cm = only(objects, 'ConfigMap', 'memos-memos-dashboard');
    expect(cm.metadata.labels).toMatchObject({ team: 'platform', grafana_dashboard: '1' });
    expect(exprsOf(dashboardOf(objects)).some((e) => e.includes('haproxy_') || e.includes('memos_gateway_'))).toBe(false);
  });

  test('a bad label on the stack\'s dashboard names the stack prop', () => {
    expect(() => synthChart({ size: MemosSize.SMALL, dashboard: { labels: { 'bad key!': 'x' } } }))
      .toThrow(/invalid dashboard\.labels /);
  });
});

describe('monitoring labels', () => {
  test('monitoring.monitoringLabels reach every ServiceMonitor and PrometheusRule of the stack; alerts.monitoringLabels win on the alerts', () => {
    const objects = synthChart({ size: MemosSize.SMALL, monitoring: { monitoringLabels: { release: 'kube-prometheus-stack' } }, alerts: { monitoringLabels: { release: 'alerting' } } });
    const monitors = objects.filter((o) => ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'].includes(o.kind));
    expect(monitors.length).toBeGreaterThanOrEqual(6);
    for (const m of monitors) {
      const expected = m.metadata.name === 'memos-memos-alerts' ? 'alerting' : 'kube-prometheus-stack';
      expect([m.kind, m.metadata.name, m.metadata.labels?.release]).toEqual([m.kind, m.metadata.name, expected]);
    }
    // Without the prop, no release label anywhere (the shipped environments).
    expect(synthChart({ size: MemosSize.SMALL }).filter((o) => o.metadata.labels?.release !== undefined)).toEqual([]);
  });
});
