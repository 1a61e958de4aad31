/**
 * The queries of the stack's Grafana dashboard (constructs/memos-dashboard.ts) and alert rules: every
 * PromQL expression parsed by the real promtool (Debian: prometheus), and every metric it names
 * found in a catalogue of what the stack deploys, each entry with its source:
 * - haproxy_frontend_*: HAProxy 2.6's Prometheus exporter, scraped here from the real haproxy binary
 *   (Debian bookworm's 2.6, the branch of the gateway image), as test/gateway.integration.test.ts runs it;
 * - memos_gateway_upstream_latency_seconds_*: the gateway's Lua service (constructs/gateway-config.ts
 *   `LATENCY_LUA`), read here from the synthesized ConfigMap and run in test/gateway.integration.test.ts;
 * - memos:redis_queue_*: the recording rules of QueueDepthMetric, read from the synthesized PrometheusRule;
 * - kube_*: kube-state-metrics, docs/metrics/workload/{horizontalpodautoscaler,statefulset,cronjob}-metrics.md
 *   (github.com/kubernetes/kube-state-metrics);
 * - kubelet_volume_stats_*: the kubelet's volume stats collector (kubernetes pkg/kubelet/metrics/collectors/volume_stats.go),
 *   as used by kube-prometheus's KubePersistentVolumeFillingUp alert;
 * - te_request_duration_*: text-embeddings-inference (router/src/lib.rs `record_metrics`: `te_request_duration`
 *   histogram; router/src/prometheus.rs gives every `*duration` metric histogram buckets).
 *
 * `.ci/run` installs promtool and haproxy and sets MEMOS_INTEGRATION=required.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { MemosDashboard } from '../constructs/memos-dashboard';
import { ENVIRONMENTS } from '../app/environments';
import { renderEnvironments } from '../app/synth';
import { MemosSize } from '../charts/presets';
import { ApiGateway, RedisQueue } from '../charts/backends';
import { freePort } from './support/backup';
import { debianTool, missingFor } from './support/integration';
import { metricNames } from './support/promql';
import { parseManifests } from './support/schema';
import { only, synthChart } from './support/synth';
import { FULL } from './support/dashboard';
import { temporaryFolders } from './support/tmp';

jest.setTimeout(60000);
const temporaryFolder = temporaryFolders();

/** Names in `exprs` missing from `catalogue`. */
function uncatalogued(exprs: string[], catalogue: Record<string, string>): string[] {
  return [...new Set(exprs.flatMap(metricNames))].filter((n) => !(n in catalogue)).sort();
}

const missing = missingFor('dashboard.integration.test.ts (dashboard queries: promtool, haproxy)', [debianTool('promtool'), debianTool('haproxy')]);

function get(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, agent: false, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

(missing ? describe.skip : describe)('dashboard queries against promtool and what the stack deploys', () => {
  // The construct with every row, and the dashboard each shipped environment synthesizes.
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const full = new MemosDashboard(chart, 'Dashboard', FULL).queries.map((q) => q.expr);
  const rendered = renderEnvironments(ENVIRONMENTS);
  const shipped = ENVIRONMENTS.map((e) => {
    const cm = parseManifests(rendered.get(e.name)!.yaml).find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')!;
    return JSON.parse(Object.values(cm.data)[0] as string).panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string));
  });
  const exprs = [...new Set([...full, ...shipped.flat()])];
  const processes: ChildProcess[] = [];
  const catalogue: Record<string, string> = {};
  let dir = '';

  beforeAll(async () => {
    dir = temporaryFolder('memos-dashboard-');

    // HAProxy 2.6's exporter, as the gateway's ops frontend serves it (use-service prometheus-exporter).
    fs.chmodSync(dir, 0o755);
    const [api, ops] = [await freePort(), await freePort()];
    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(cfg, [
      'defaults', '    mode http', '    timeout client 5s', '    timeout server 5s', '    timeout connect 5s',
      'frontend api', `    bind 127.0.0.1:${api}`, '    http-request return status 200 if { path /ok }', '    http-request deny deny_status 503',
      'frontend ops', `    bind 127.0.0.1:${ops}`, '    http-request use-service prometheus-exporter if { path /metrics }', '',
    ].join('\n'), { mode: 0o644 });
    // As the image runs it: not root (as nobody when the test runs as root).
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...asNobody });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    processes.push(child);
    const deadline = Date.now() + 10000;
    for (;;) {
      const up = await get(ops, '/metrics').then((r) => r.status === 200, () => false);
      if (up) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`haproxy did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await get(api, '/ok')).status).toBe(200);
    expect((await get(api, '/fail')).status).toBe(503);
    const scrape = (await get(ops, '/metrics')).body;
    for (const line of scrape.split('\n')) {
      const m = /^(haproxy_frontend_[a-z0-9_]+)\{proxy="api"(?:,code="([0-9x]+)")?/.exec(line);
      if (m && (!m[2] || ['2xx', '5xx'].includes(m[2]))) catalogue[m[1]] = 'HAProxy 2.6 exporter (scraped from the haproxy binary)';
    }
    // The gateway's Lua latency histogram, from the synthesized ConfigMap.
    const gatewayObjects = synthChart({ size: MemosSize.SMALL, queue: RedisQueue.dcs({ host: 'redis.dcs.example' }), gateway: ApiGateway.haproxy({ apiKeys: { secretName: 'memos-api-keys' } }) });
    const lua = only(gatewayObjects, 'ConfigMap', 'memos-gateway').data['latency.lua'] as string;
    for (const name of ['memos_gateway_upstream_latency_seconds_bucket', 'memos_gateway_upstream_latency_seconds_sum', 'memos_gateway_upstream_latency_seconds_count', 'memos_gateway_rate_limited_total']) {
      if (lua.includes(`${name}{`)) catalogue[name] = 'gateway latency.lua (constructs/gateway-config.ts)';
    }
    // The queue's recording rules, from the synthesized PrometheusRule.
    const rules = only(synthChart({ size: MemosSize.SMALL }), 'PrometheusRule', 'memos-memos-queue-depth');
    for (const group of rules.spec.groups) for (const rule of group.rules) if (rule.record) catalogue[rule.record] = 'QueueDepthMetric recording rule';
    // Cited: kube-state-metrics docs/metrics/workload/*.md.
    for (const name of [
      'kube_horizontalpodautoscaler_status_condition', 'kube_job_status_failed', 'kube_pod_container_status_last_terminated_reason',
      'kube_pod_container_status_restarts_total', 'kube_pod_container_status_waiting_reason',
      'kube_horizontalpodautoscaler_status_current_replicas', 'kube_horizontalpodautoscaler_spec_min_replicas', 'kube_horizontalpodautoscaler_spec_max_replicas',
      'kube_deployment_status_replicas_available', 'kube_deployment_spec_replicas',
      'kube_statefulset_status_replicas_ready', 'kube_statefulset_replicas', 'kube_cronjob_status_last_successful_time',
    ]) catalogue[name] = 'kube-state-metrics (docs/metrics/workload)';
    // Cited: Qdrant's monitoring guide (qdrant.tech/documentation/guides/monitoring): REST counters and,
    // since v1.8, the response-time histogram (the stack runs v1.19).
    for (const name of ['rest_responses_total', 'rest_responses_duration_seconds_bucket']) catalogue[name] = 'Qdrant /metrics (REST responses)';
    // Cited: Qdrant src/common/metrics.rs (ClusterStatusTelemetry): the peers of the node's Raft configuration.
    catalogue.cluster_peers_total = 'Qdrant /metrics (cluster status)';
    // redis_exporter, as the queue-depth ServiceMonitor keeps them (run for real in queue-depth.integration.test.ts).
    for (const name of ['redis_up', 'redis_stream_length', 'redis_stream_group_messages_pending']) catalogue[name] = 'redis_exporter (QueueDepthMetric)';
    // Cited: the kubelet's volume stats collector.
    for (const name of ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes']) catalogue[name] = 'kubelet (pkg/kubelet/metrics/collectors/volume_stats.go)';
    // Cited: text-embeddings-inference router/src/lib.rs and prometheus.rs.
    for (const suffix of ['bucket', 'sum', 'count']) catalogue[`te_request_duration_${suffix}`] = 'text-embeddings-inference te_request_duration histogram';
  });

  afterAll(() => {
    for (const child of processes) {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // its group is already gone
      }
    }
  });

  test('the haproxy exporter and the synthesized objects provide what the catalogue claims from them', () => {
    expect(catalogue).toEqual(expect.objectContaining({
      haproxy_frontend_http_responses_total: expect.stringContaining('HAProxy'),
      memos_gateway_upstream_latency_seconds_bucket: expect.any(String),
      memos_gateway_upstream_latency_seconds_count: expect.any(String),
      memos_gateway_rate_limited_total: expect.any(String),
      'memos:redis_queue_depth:sum': expect.any(String),
      'memos:redis_queue_in_flight:sum': expect.any(String),
    }));
  });

  test('promtool parses every expression (as recording rules)', () => {
    const file = path.join(dir, 'dashboard-rules.yml');
    const rules = exprs.map((expr, i) => `      - record: memos_dashboard:q${i}\n        expr: ${JSON.stringify(expr)}`).join('\n');
    fs.writeFileSync(file, `groups:\n  - name: memos-dashboard\n    rules:\n${rules}\n`);
    const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  test('promtool rejects a broken expression (the check is real)', () => {
    const file = path.join(dir, 'broken-rules.yml');
    fs.writeFileSync(file, 'groups:\n  - name: broken\n    rules:\n      - record: x:y\n        expr: "sum by (le (rate(x[5m]))"\n');
    expect(() => execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' })).toThrow();
  });

  test('every metric the dashboard names is in the catalogue of what the stack deploys', () => {
    expect(uncatalogued(exprs, catalogue)).toEqual([]);
  });

  test('every metric the alerts and recording rules of each environment name is in the catalogue too', () => {
    const rules = ENVIRONMENTS.flatMap((e) => parseManifests(rendered.get(e.name)!.yaml).filter((o) => o.kind === 'PrometheusRule'));
    const ruleExprs = rules.flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules.map((rule: any) => String(rule.expr))));
    expect(ruleExprs.length).toBeGreaterThan(40);
    // Recording rules name their outputs: those are produced by the stack too.
    for (const r of rules) for (const g of r.spec.groups) for (const rule of g.rules) if (rule.record) catalogue[rule.record] = 'recording rule';
    expect(uncatalogued(ruleExprs, catalogue)).toEqual([]);
  });

  test('a metric the stack does not produce is caught', () => {
    expect(uncatalogued([...exprs, 'sum(rate(memos_scheduler_tasks_total[5m]))'], catalogue)).toEqual(['memos_scheduler_tasks_total']);
  });
});
