/**
 * The alerts of `MemosAlerts`, evaluated by the real `promtool test rules` (Debian: prometheus):
 * for each alert, input series that fire it (its labels and every annotation checked) and series
 * that do not (below the threshold, not for long enough, or another namespace or instance). Also
 * `promtool check rules` on the synthesized rule file.
 *
 * `.ci/run` installs promtool and sets MEMOS_INTEGRATION=required, so CI fails instead of
 * skipping when it is missing.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { MemosAlerts, MemosAlertsOptions } from '../constructs/memos-alerts';
import { debianTool, missingFor, onPath } from './support/integration';
import { temporaryFolders } from './support/tmp';

jest.setTimeout(60000);

const missing = missingFor('alerts.integration.test.ts (the alert rules, evaluated by promtool)', [debianTool('promtool')]);
const temporaryFolder = temporaryFolders();

function synth(options: MemosAlertsOptions = {}, stack: { qdrantNodes?: number } = {}): any {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  new MemosAlerts(chart, 'Alerts', { instance: 'memos', ...options, ...stack });
  return Testing.synth(chart).find((o) => o.kind === 'PrometheusRule');
}

interface Series { readonly series: string; readonly values: string }
interface Case {
  /** Series that fire the alert at `at`, with the labels the alert then has (besides severity and memos_instance). */
  readonly fires: { readonly input: Series[]; readonly at: string; readonly labels: Record<string, string>[] };
  /** Series that must not fire it at `at`. */
  readonly quiet: { readonly input: Series[]; readonly at: string; readonly why: string };
}

const ksm = 'job="kube-state-metrics",instance="10.0.0.5:8080"';
const gw = (labels: string) => `namespace="memos",service="memos-gateway-metrics",job="memos-gateway-metrics",pod="memos-gateway-0",${labels}`;
const depth = (ns: string, inst: string, values: string) => ({ series: `memos:redis_queue_depth:sum{namespace="${ns}",memos_instance="${inst}"}`, values });
const inFlight = (values: string) => ({ series: 'memos:redis_queue_in_flight:sum{namespace="memos",memos_instance="memos"}', values });
/** Latency buckets: per minute, `fast` requests under 1 s and `slow` ones between 10 and 30 s. */
const latency = (fast: number, slow: number) => ['0.5', '1', '10', '30', '+Inf'].map((le) => ({
  series: `memos_gateway_upstream_latency_seconds_bucket{${gw(`code="2xx",le="${le}"`)}}`,
  values: `0+${Number(le) <= 1 ? (le === '1' ? fast : 0) : le === '10' ? fast : fast + slow}x30`,
}));
const qdrant = (node: number) => `namespace="memos",service="memos-qdrant-headless",job="memos-qdrant-headless",pod="memos-qdrant-${node}",instance="10.0.1.${node}:6333"`;
const queueLabels = { namespace: 'memos', memos_instance: 'memos' };

const CASES: Record<string, Case> = {
  MemosQueueBacklog: {
    fires: { input: [depth('memos', 'memos', '1500x30')], at: '20m', labels: [queueLabels] },
    quiet: { input: [depth('memos', 'memos', '900x30'), depth('other', 'memos', '5000x30'), depth('memos', 'other', '5000x30')], at: '20m', why: 'below the threshold here; above it only in another namespace or instance' },
  },
  MemosQueueNotConsumed: {
    fires: { input: [depth('memos', 'memos', '40x30'), inFlight('0x30')], at: '15m', labels: [queueLabels] },
    quiet: { input: [depth('memos', 'memos', '40x30'), inFlight('0x5 2x25'), depth('other', 'memos', '40x30')], at: '15m', why: 'entries are delivered to a consumer' },
  },
  MemosGatewayErrorRatio: {
    fires: {
      input: [
        { series: `haproxy_frontend_http_requests_total{${gw('proxy="api"')}}`, values: '0+100x30' },
        { series: `haproxy_frontend_http_responses_total{${gw('proxy="api",code="5xx"')}}`, values: '0+10x30' },
      ],
      at: '15m',
      labels: [{ namespace: 'memos' }],
    },
    quiet: {
      input: [
        { series: `haproxy_frontend_http_requests_total{${gw('proxy="api"')}}`, values: '0+100x30' },
        { series: `haproxy_frontend_http_responses_total{${gw('proxy="api",code="5xx"')}}`, values: '0+2x30' },
        // The ops frontend (probes, metrics) is not the API.
        { series: `haproxy_frontend_http_responses_total{${gw('proxy="ops",code="5xx"')}}`, values: '0+100x30' },
      ],
      at: '15m',
      why: '2 % of API responses are 5xx',
    },
  },
  MemosGatewayLatencyP99: {
    fires: { input: latency(90, 10), at: '20m', labels: [{ namespace: 'memos' }] },
    quiet: { input: latency(999, 1), at: '20m', why: 'fewer than 1 % of requests are slow' },
  },
  MemosGatewayRateLimited: {
    fires: {
      input: [
        // 3 per second for dora over two replicas; 0.5 per second for erin.
        { series: `memos_gateway_rate_limited_total{${gw('identity="dora"')}}`, values: '0+90x30' },
        { series: `memos_gateway_rate_limited_total{${gw('identity="dora"').replace('memos-gateway-0', 'memos-gateway-1')}}`, values: '0+90x30' },
        { series: `memos_gateway_rate_limited_total{${gw('identity="erin"')}}`, values: '0+30x30' },
      ],
      at: '20m',
      labels: [{ namespace: 'memos', identity: 'dora' }],
    },
    quiet: {
      input: [
        { series: `memos_gateway_rate_limited_total{${gw('identity="dora"')}}`, values: '0+600x5 3000+0x25' },
        { series: `memos_gateway_rate_limited_total{${gw('identity="erin"')}}`, values: '0+30x30' },
      ],
      at: '20m',
      why: 'a burst of refusals that stopped, and a client under the threshold',
    },
  },
  MemosAutoscalerAtMaximum: {
    fires: {
      input: [
        { series: `kube_horizontalpodautoscaler_status_current_replicas{namespace="memos",horizontalpodautoscaler="memos-api",${ksm}}`, values: '10x30' },
        { series: `kube_horizontalpodautoscaler_spec_max_replicas{namespace="memos",horizontalpodautoscaler="memos-api",${ksm}}`, values: '10x30' },
      ],
      at: '20m',
      labels: [{ namespace: 'memos', horizontalpodautoscaler: 'memos-api' }],
    },
    quiet: {
      input: [
        { series: `kube_horizontalpodautoscaler_status_current_replicas{namespace="memos",horizontalpodautoscaler="memos-api",${ksm}}`, values: '3x10 10x20' },
        { series: `kube_horizontalpodautoscaler_spec_max_replicas{namespace="memos",horizontalpodautoscaler="memos-api",${ksm}}`, values: '10x30' },
      ],
      at: '20m',
      why: 'at the maximum for only 10 minutes',
    },
  },
  MemosAutoscalerMetricMissing: {
    fires: {
      input: [
        { series: `kube_horizontalpodautoscaler_status_condition{namespace="memos",horizontalpodautoscaler="memos-api",condition="ScalingActive",status="false",${ksm}}`, values: '1x30' },
        { series: `kube_horizontalpodautoscaler_status_condition{namespace="memos",horizontalpodautoscaler="memos-api",condition="ScalingActive",status="true",${ksm}}`, values: '0x30' },
      ],
      at: '15m',
      labels: [{ namespace: 'memos', horizontalpodautoscaler: 'memos-api', condition: 'ScalingActive', status: 'false', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [
        { series: `kube_horizontalpodautoscaler_status_condition{namespace="memos",horizontalpodautoscaler="memos-api",condition="ScalingActive",status="false",${ksm}}`, values: '0x30' },
        { series: `kube_horizontalpodautoscaler_status_condition{namespace="memos",horizontalpodautoscaler="memos-api",condition="ScalingActive",status="true",${ksm}}`, values: '1x30' },
        { series: `kube_horizontalpodautoscaler_status_condition{namespace="memos",horizontalpodautoscaler="other-api",condition="ScalingActive",status="false",${ksm}}`, values: '1x30' },
      ],
      at: '15m',
      why: 'ScalingActive is true (false only for another instance\'s HPA)',
    },
  },
  MemosStatefulSetNotReady: {
    fires: {
      input: [
        { series: `kube_statefulset_replicas{namespace="memos",statefulset="memos-qdrant",${ksm}}`, values: '3x30' },
        { series: `kube_statefulset_status_replicas_ready{namespace="memos",statefulset="memos-qdrant",${ksm}}`, values: '2x30' },
      ],
      at: '15m',
      labels: [{ namespace: 'memos', statefulset: 'memos-qdrant' }],
    },
    quiet: {
      input: [
        { series: `kube_statefulset_replicas{namespace="memos",statefulset="memos-qdrant",${ksm}}`, values: '3x30' },
        { series: `kube_statefulset_status_replicas_ready{namespace="memos",statefulset="memos-qdrant",${ksm}}`, values: '2x5 3x25' },
      ],
      at: '15m',
      why: 'a rolling restart: one pod not ready for 5 minutes',
    },
  },
  MemosQdrantPeersMissing: {
    fires: {
      input: [
        // The third node bootstrapped a cluster of its own.
        ...[3, 3, 1].map((peers, i) => ({ series: `cluster_peers_total{${qdrant(i)}}`, values: `${peers}x30` })),
      ],
      at: '15m',
      labels: [{ namespace: 'memos' }],
    },
    quiet: {
      input: [
        ...[3, 3, 3].map((peers, i) => ({ series: `cluster_peers_total{${qdrant(i)}}`, values: `${peers}x30` })),
        { series: 'cluster_peers_total{namespace="other",service="memos-qdrant-headless",pod="memos-qdrant-0"}', values: '1x30' },
      ],
      at: '15m',
      why: 'every node knows the 3 peers; a lone node only in another namespace',
    },
  },
  MemosDeploymentNotAvailable: {
    fires: {
      input: [
        { series: `kube_deployment_spec_replicas{namespace="memos",deployment="memos-embedding",${ksm}}`, values: '2x30' },
        { series: `kube_deployment_status_replicas_available{namespace="memos",deployment="memos-embedding",${ksm}}`, values: '0x30' },
      ],
      at: '15m',
      labels: [{ namespace: 'memos', deployment: 'memos-embedding' }],
    },
    quiet: {
      input: [
        { series: `kube_deployment_spec_replicas{namespace="memos",deployment="memos-embedding",${ksm}}`, values: '2x30' },
        { series: `kube_deployment_status_replicas_available{namespace="memos",deployment="memos-embedding",${ksm}}`, values: '2x30' },
        { series: `kube_deployment_spec_replicas{namespace="memos",deployment="someone-else",${ksm}}`, values: '2x30' },
        { series: `kube_deployment_status_replicas_available{namespace="memos",deployment="someone-else",${ksm}}`, values: '0x30' },
      ],
      at: '15m',
      why: 'all available (another application\'s Deployment in the namespace is not ours)',
    },
  },
  MemosVolumeFilling: {
    fires: {
      input: [
        { series: 'kubelet_volume_stats_capacity_bytes{namespace="memos",persistentvolumeclaim="data-memos-qdrant-0",job="kubelet",node="n1"}', values: '100x30' },
        { series: 'kubelet_volume_stats_used_bytes{namespace="memos",persistentvolumeclaim="data-memos-qdrant-0",job="kubelet",node="n1"}', values: '85x30' },
      ],
      at: '20m',
      labels: [{ namespace: 'memos', persistentvolumeclaim: 'data-memos-qdrant-0' }],
    },
    quiet: {
      input: [
        { series: 'kubelet_volume_stats_capacity_bytes{namespace="memos",persistentvolumeclaim="data-memos-qdrant-0",job="kubelet",node="n1"}', values: '100x30' },
        { series: 'kubelet_volume_stats_used_bytes{namespace="memos",persistentvolumeclaim="data-memos-qdrant-0",job="kubelet",node="n1"}', values: '75x30' },
      ],
      at: '20m',
      why: '75 % full',
    },
  },
  MemosPodCrashLooping: {
    fires: {
      input: [{ series: `kube_pod_container_status_waiting_reason{namespace="memos",pod="memos-api-7d9f-a",container="memos",reason="CrashLoopBackOff",${ksm}}`, values: '1x30' }],
      at: '15m',
      labels: [{ namespace: 'memos', pod: 'memos-api-7d9f-a', container: 'memos', reason: 'CrashLoopBackOff', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [{ series: `kube_pod_container_status_waiting_reason{namespace="memos",pod="memos-api-7d9f-a",container="memos",reason="CrashLoopBackOff",${ksm}}`, values: '1x5 0x25' }],
      at: '15m',
      why: 'in CrashLoopBackOff for 5 minutes, then running',
    },
  },
  MemosContainerOomKilled: {
    fires: {
      input: [
        { series: `kube_pod_container_status_restarts_total{namespace="memos",pod="memos-embedding-5c4b-b",container="embedding",${ksm}}`, values: '0x10 1x20' },
        { series: `kube_pod_container_status_last_terminated_reason{namespace="memos",pod="memos-embedding-5c4b-b",container="embedding",reason="OOMKilled",${ksm}}`, values: '_x10 1x20' },
      ],
      at: '12m',
      labels: [{ namespace: 'memos', pod: 'memos-embedding-5c4b-b', container: 'embedding', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [
        { series: `kube_pod_container_status_restarts_total{namespace="memos",pod="memos-embedding-5c4b-b",container="embedding",${ksm}}`, values: '0x10 1x40' },
        { series: `kube_pod_container_status_last_terminated_reason{namespace="memos",pod="memos-embedding-5c4b-b",container="embedding",reason="OOMKilled",${ksm}}`, values: '_x10 1x40' },
      ],
      at: '40m',
      why: 'the OOM kill was 30 minutes ago and the container has run since',
    },
  },
  MemosBackupTooOld: {
    // time() is 0 at the start of a promtool test: a last success at -27 h is 27 hours old.
    fires: {
      input: [{ series: `kube_cronjob_status_last_successful_time{namespace="memos",cronjob="memos-qdrant-backup",${ksm}}`, values: '-97200x30' }],
      at: '10m',
      labels: [{ namespace: 'memos', cronjob: 'memos-qdrant-backup', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [
        { series: `kube_cronjob_status_last_successful_time{namespace="memos",cronjob="memos-qdrant-backup",${ksm}}`, values: '-3600x30' },
        { series: `kube_cronjob_status_last_successful_time{namespace="memos",cronjob="memos-qdrant-restore",${ksm}}`, values: '-970000x30' },
      ],
      at: '10m',
      why: 'the backup succeeded an hour ago (another CronJob is not a backup)',
    },
  },
  MemosBackupJobFailed: {
    fires: {
      input: [{ series: `kube_job_status_failed{namespace="memos",job_name="memos-neo4j-backup-29160000",${ksm}}`, values: '0x5 1x25' }],
      at: '10m',
      labels: [{ namespace: 'memos', job_name: 'memos-neo4j-backup-29160000', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [
        { series: `kube_job_status_failed{namespace="memos",job_name="memos-neo4j-backup-29160000",${ksm}}`, values: '0x30' },
        { series: `kube_job_status_failed{namespace="memos",job_name="memos-neo4j-restore",${ksm}}`, values: '1x30' },
      ],
      at: '10m',
      why: 'the backup succeeded (a failed restore Job is not a backup)',
    },
  },
  MemosNeo4jStopped: {
    fires: {
      input: [{ series: `kube_statefulset_replicas{namespace="memos",statefulset="memos-neo4j",${ksm}}`, values: '1x5 0x60' }],
      at: '40m',
      labels: [{ namespace: 'memos', statefulset: 'memos-neo4j', job: 'kube-state-metrics', instance: '10.0.0.5:8080' }],
    },
    quiet: {
      input: [{ series: `kube_statefulset_replicas{namespace="memos",statefulset="memos-neo4j",${ksm}}`, values: '1x5 0x20 1x40' }],
      at: '40m',
      why: 'stopped for its 20-minute offline backup, then started again',
    },
  },
};

(missing ? describe.skip : describe)('alert rules, evaluated by promtool', () => {
  const promtool = onPath('promtool')!;
  const rule = synth({}, { qdrantNodes: 3 });
  const rules: any[] = rule.spec.groups.flatMap((g: any) => g.rules);
  let dir = '';
  beforeAll(() => {
    dir = temporaryFolder('memos-alerts-');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), YAML.stringify({ groups: rule.spec.groups }));
  });

  function run(args: string[]) {
    try {
      return { status: 0, output: execFileSync(promtool, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { status: e.status, output: `${e.stdout}${e.stderr}` };
    }
  }

  test('promtool check rules accepts the rule file', () => {
    const result = run(['check', 'rules', 'rules.yaml']);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  test('every alert has a case here', () => {
    expect(Object.keys(CASES).sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  describe.each(Object.keys(CASES))('%s', (alert) => {
    const c = CASES[alert];
    const spec = rules.find((r) => r.alert === alert);
    /** The annotations as Prometheus expands them for an alert with these labels. */
    const expanded = (labels: Record<string, string>) => Object.fromEntries(Object.entries(spec.annotations as Record<string, string>)
      .map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name) => labels[name])]));

    function test_(name: string, input: Series[], at: string, expected: Record<string, string>[]) {
      const file = `${alert}-${name}.yaml`;
      fs.writeFileSync(path.join(dir, file), YAML.stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [{
          interval: '1m',
          input_series: input,
          alert_rule_test: [{
            eval_time: at,
            alertname: alert,
            exp_alerts: expected.map((labels) => {
              const all = { ...labels, severity: spec.labels.severity, memos_instance: 'memos' };
              return { exp_labels: all, exp_annotations: expanded(all) };
            }),
          }],
        }],
      }));
      return run(['test', 'rules', file]);
    }

    test(`fires, with its labels and annotations, on series that should fire it`, () => {
      const result = test_('fires', c.fires.input, c.fires.at, c.fires.labels);
      expect(result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    test(`stays quiet: ${c.quiet.why}`, () => {
      const result = test_('quiet', c.quiet.input, c.quiet.at, []);
      expect(result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });
  });

  test('thresholds come from the props', () => {
    const custom = synth({ queueBacklogThreshold: 2000, queueBacklogFor: Duration.minutes(30) }).spec.groups[0].rules[0];
    expect(custom.expr).toMatch(/ > 2000$/);
    expect(custom.for).toBe('30m');
  });
});
