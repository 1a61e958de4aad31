import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Testing } from 'cdk8s';
import { DEFAULT_RUNBOOK_BASE_URL, MemosAlerts, MemosAlertsProps } from '../constructs/memos-alerts';

function synth(props: Partial<MemosAlertsProps> = {}, namespace = 'memos'): any {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace });
  new MemosAlerts(chart, 'Alerts', { instance: 'memos', ...props });
  return Testing.synth(chart).find((o) => o.kind === 'PrometheusRule');
}
const alerts = (rule: any): any[] => rule.spec.groups.flatMap((g: any) => g.rules);

describe('MemosAlerts', () => {
  test('one PrometheusRule <namespace>-<instance>-alerts in the monitoring namespace, with the monitoring labels', () => {
    const rule = synth({ monitoringLabels: { release: 'kube-prometheus-stack' } });
    expect(rule.metadata.name).toBe('memos-memos-alerts');
    expect(rule.metadata.namespace).toBe('monitoring');
    expect(rule.metadata.labels).toMatchObject({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/instance': 'memos' });
    expect(alerts(rule).map((a) => a.alert)).toEqual(MemosAlerts.ALERT_NAMES);
  });

  test('every alert has a severity, summary, description and a runbook_url', () => {
    for (const a of alerts(synth())) {
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.labels.memos_instance).toBe('memos');
      expect(a.annotations.summary).toBeTruthy();
      expect(a.annotations.description).toBeTruthy();
      expect(a.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}#${a.alert.toLowerCase()}`);
    }
  });

  test('every runbook anchor is a heading of docs/alerts.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'alerts.md'), 'utf8');
    // GitHub's anchors: lowercased heading text, punctuation dropped, spaces to '-'.
    const anchors = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
    for (const a of alerts(synth({ runbookBaseUrl: 'https://example.com/alerts' }))) {
      const [base, anchor] = a.annotations.runbook_url.split('#');
      expect(base).toBe('https://example.com/alerts');
      expect(anchors).toContain(anchor);
    }
  });

  test('every selector is scoped to the namespace; the instance scopes the objects', () => {
    for (const a of alerts(synth({ namespace: 'prod', instance: 'mem' }, 'ignored'))) {
      const selectors = [...a.expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((s) => !s.startsWith(' $'));
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) {
        expect(s).toContain('namespace="prod"');
        expect(s).toMatch(/mem(-|")/);
      }
    }
  });

  test('thresholds and durations come from the props', () => {
    const rules = alerts(synth({
      queueBacklogThreshold: 5000, errorRatioThreshold: 0.01, latencyP99Target: Duration.seconds(30), volumeUsageThreshold: 0.9, rateLimitedPerSecondThreshold: 2.5,
      backupMaxAge: Duration.hours(50), autoscalerAtMaximumFor: Duration.minutes(20), neo4jStoppedFor: Duration.hours(1),
    }));
    const by = (name: string) => rules.find((r) => r.alert === name);
    expect(by('MemosQueueBacklog').expr).toMatch(/> 5000$/);
    expect(by('MemosGatewayErrorRatio').expr).toMatch(/> 0\.01$/);
    expect(by('MemosGatewayLatencyP99').expr).toMatch(/> 30$/);
    expect(by('MemosGatewayRateLimited').expr).toMatch(/> 2\.5$/);
    expect(by('MemosVolumeFilling').expr).toMatch(/> 0\.9$/);
    expect(by('MemosBackupTooOld').expr).toMatch(/> 180000$/);
    expect(by('MemosAutoscalerAtMaximum').for).toBe('20m');
    expect(by('MemosNeo4jStopped').for).toBe('1h');
  });

  test.each<[string, Partial<MemosAlertsProps>, RegExp]>([
    ['instance', { instance: 'Memos_1' }, /invalid instance "Memos_1"; allowed: a DNS label/],
    ['namespace', { namespace: 'bad ns' }, /invalid namespace "bad ns"/],
    ['monitoringNamespace', { monitoringNamespace: '' }, /invalid monitoringNamespace ""/],
    ['queueBacklogThreshold', { queueBacklogThreshold: 0 }, /invalid queueBacklogThreshold 0; allowed: a number >= 1/],
    ['errorRatioThreshold', { errorRatioThreshold: 5 }, /invalid errorRatioThreshold 5; allowed: a fraction between 0 and 1/],
    ['volumeUsageThreshold', { volumeUsageThreshold: 1 }, /invalid volumeUsageThreshold 1/],
    ['qdrantNodes', { qdrantNodes: 0 }, /invalid qdrantNodes 0; allowed: an integer/],
    ['rateLimitedPerSecondThreshold', { rateLimitedPerSecondThreshold: 0 }, /invalid rateLimitedPerSecondThreshold 0; allowed: a positive number/],
    ['queueBacklogFor', { queueBacklogFor: Duration.seconds(10) }, /invalid queueBacklogFor "10 seconds"; allowed: a whole number of seconds, at least 1 minute/],
    ['latencyP99Target', { latencyP99Target: Duration.millis(1500) }, /invalid latencyP99Target/],
    ['backupMaxAge', { backupMaxAge: 3600 as any }, /invalid backupMaxAge 3600; allowed: a Duration/],
    ['runbookBaseUrl', { runbookBaseUrl: 'docs/alerts.md#x' }, /invalid runbookBaseUrl "docs\/alerts.md#x"; allowed: an http\(s\) URL/],
    ['monitoringLabels', { monitoringLabels: { release: 1 as any } }, /invalid monitoringLabels/],
    ['the rule name', { instance: 'a'.repeat(40), namespace: 'n'.repeat(20) }, /must fit in 63 characters/],
  ])('rejects a bad %s, naming the construct and the property', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
    expect(() => synth(props)).toThrow(/MemosAlerts 'memos\/Alerts'/);
  });
});
