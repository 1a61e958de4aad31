import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { INSTANCE_LABEL, QUEUE_DEPTH_RECORD } from './queue-depth-adapter';
import { QUEUE_IN_FLIGHT_RECORD } from './queue-depth-metric';
import { CCE_MONITORING_NAMESPACE } from '../src/cce';
import { componentLabels } from '../src/kubernetes';
import { invalidProp, requireDnsLabel, requireDnsSubdomain, requireLabels } from '../src/validation';

/**
 * The label Grafana's dashboard sidecar (kiwigrid/k8s-sidecar) watches in kube-prometheus-stack:
 * `grafana.sidecar.dashboards.label: grafana_dashboard`, `labelValue: "1"`, `searchNamespace: ALL`
 * (prometheus-community/helm-charts, charts/kube-prometheus-stack/values.yaml).
 */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
/** The value kube-prometheus-stack's sidecar requires on {@link GRAFANA_DASHBOARD_LABEL}. */
export const GRAFANA_DASHBOARD_LABEL_VALUE = '1';
/** Grafana 11.x dashboard schema version. */
export const DASHBOARD_SCHEMA_VERSION = 39;
/** The rate window of every query: a literal so that promtool parses what Grafana runs. */
const RATE = '5m';

/** What a stack lets you set on its dashboard (`MemosStackProps.dashboard`). */
export interface MemosDashboardOptions {
  /**
   * Extra labels on the ConfigMap, e.g. what your Grafana's sidecar selects when it is not
   * kube-prometheus-stack's default (`grafana_dashboard: "1"`, always set).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/** Properties of {@link MemosDashboard}. */
export interface MemosDashboardProps extends MemosDashboardOptions {
  /** Instance name: the `memos_instance` label of the queue records and the prefix of object names. */
  readonly instance: string;
  /**
   * Namespace of the Grafana sidecar's search (kube-prometheus-stack searches all namespaces; the
   * monitoring namespace is where the stack's other monitoring objects go).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * The gateway's metrics Service (`MemosGateway`: `<instance>-gateway-metrics`): the `service`
   * label prometheus-operator puts on the gateway's series. Without it the traffic, latency and
   * error panels are left out (a stack without the HAProxy gateway exports no request metrics).
   * @default - no gateway panels
   */
  readonly gatewayMetricsService?: string;
  /**
   * The Service that Qdrant's ServiceMonitor selects (`Qdrant`: `<instance>-qdrant-headless`):
   * the vector-search row charts the rate and latency of MemOS's searches, `query_points`, which
   * its Qdrant client sends over REST to `/collections/<c>/points/query`.
   * @default - no vector-search row
   */
  readonly qdrantMetricsService?: string;
  /** HorizontalPodAutoscalers to chart against their bounds (names in the stack's namespace). @default - none */
  readonly autoscalers?: string[];
  /**
   * Messages the consumers drain per second at the autoscaler's maximum
   * (`QueueCapacityEstimate.capacityAtMaxPerSecond`): the drain-time panel then also shows the
   * depth over that rate.
   * @default - only the drain time measured from the depth's decrease
   */
  readonly drainRatePerSecond?: number;
  /** Deployments whose available replicas to chart against the desired ones. @default - none */
  readonly deployments?: string[];
  /** StatefulSets whose readiness and PVCs (`<claim>-<statefulset>-<ordinal>`) to chart. @default - none */
  readonly statefulSets?: string[];
  /** Services of the text-embeddings-inference servers (embedder, reranker). @default - none */
  readonly embeddingServices?: string[];
  /** Backup CronJobs. @default - none */
  readonly backupCronJobs?: string[];
}

/** One PromQL expression of the dashboard, with the panel that shows it. */
export interface DashboardQuery {
  /** Panel title. */
  readonly panel: string;
  /** Series legend. */
  readonly legend: string;
  /** The PromQL expression. */
  readonly expr: string;
}

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly description: string;
  readonly targets: { expr: string; legend: string }[];
  readonly max?: number;
}

interface RowSpec {
  readonly title: string;
  readonly panels: PanelSpec[];
}

/**
 * A Grafana dashboard of one MemOS stack, in a ConfigMap labelled for Grafana's dashboard sidecar
 * (`grafana_dashboard: "1"`, kube-prometheus-stack's default): gateway traffic, latency, errors,
 * scheduler queue depth and drain time, autoscaler replicas against their bounds, store readiness
 * and disk, embedding latency and backup age. Every query is scoped to the stack's namespace and
 * to the objects named in the props. docs/dashboards.md.
 */
export class MemosDashboard extends Construct {
  /** The label the sidecar watches. */
  public static readonly LABEL: string = GRAFANA_DASHBOARD_LABEL;

  /** The ConfigMap (in the monitoring namespace). */
  public readonly configMap: kplus.ConfigMap;
  /** Dashboard uid: stable per namespace and instance. */
  public readonly uid: string;
  /** Dashboard title. */
  public readonly title: string;
  /** Every PromQL expression of the dashboard, in panel order. */
  public readonly queries: DashboardQuery[];
  private readonly model: any;

  constructor(scope: Construct, id: string, props: MemosDashboardProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const namespace = Chart.of(this).namespace ?? 'default';
    const gateway = props.gatewayMetricsService === undefined ? undefined : requireDnsLabel(this, 'gatewayMetricsService', props.gatewayMetricsService);
    const autoscalers = this.names('autoscalers', props.autoscalers, 253);
    const qdrant = props.qdrantMetricsService === undefined ? undefined : requireDnsLabel(this, 'qdrantMetricsService', props.qdrantMetricsService);
    const deployments = this.names('deployments', props.deployments, 253);
    const statefulSets = this.names('statefulSets', props.statefulSets, 63);
    const drainRate = props.drainRatePerSecond === undefined ? undefined : this.rate(props.drainRatePerSecond);
    const embedding = this.names('embeddingServices', props.embeddingServices, 63);
    const cronJobs = this.names('backupCronJobs', props.backupCronJobs, 52);
    const extraLabels = props.labels === undefined ? {} : requireLabels(this, 'labels', props.labels);

    const name = `${namespace}-${instance}-dashboard`;
    if (name.length > 63) invalidProp(this, 'instance', instance, `a shorter instance or namespace: '${name}' (the dashboard ConfigMap's name) must fit in 63 characters`);
    this.uid = `memos-${createHash('sha256').update(`${namespace}/${instance}`).digest('hex').slice(0, 24)}`;
    this.title = `MemOS ${namespace}/${instance}`;

    const ns = `namespace="${namespace}"`;
    const rows: RowSpec[] = [];
    if (gateway) {
      const gw = `${ns}, service="${gateway}"`;
      const responses = `haproxy_frontend_http_responses_total{${gw}, proxy="api"}`;
      const latency = `memos_gateway_upstream_latency_seconds_bucket{${gw}}`;
      rows.push({
        title: 'Traffic and errors',
        panels: [
          {
            title: 'Gateway requests/s by status class', unit: 'reqps',
            description: 'Responses of the gateway\'s api frontend (HAProxy exporter), by status class: 4xx includes the gateway\'s own 401/403/429.',
            targets: [{ expr: `sum by (code) (rate(${responses}[${RATE}]))`, legend: '{{code}}' }],
          },
          {
            title: 'Error ratio (5xx)', unit: 'percentunit', max: 1,
            description: '5xx responses over all responses of the api frontend.',
            targets: [{ expr: `sum(rate(haproxy_frontend_http_responses_total{${gw}, proxy="api", code="5xx"}[${RATE}])) / sum(rate(${responses}[${RATE}]))`, legend: '5xx ratio' }],
          },
          {
            title: 'Forwarded to memos-api, by status class', unit: 'reqps',
            description: 'Requests the gateway forwarded, by memos-api\'s status class (the latency histogram\'s count): tells memos-api\'s errors from the gateway\'s own 401/403/429.',
            targets: [{ expr: `sum by (code) (rate(memos_gateway_upstream_latency_seconds_count{${gw}}[${RATE}]))`, legend: '{{code}}' }],
          },
          {
            title: 'Refused with 429, top 10 identities', unit: 'reqps',
            description: 'Requests the gateway refused over the per-identity rate limit, by identity, summed over its replicas (the gateway\'s Lua counter; later identities beyond the first 1000 refused count as (other)).',
            targets: [{ expr: `topk(10, sum by (identity) (rate(memos_gateway_rate_limited_total{${gw}}[${RATE}])))`, legend: '{{identity}}' }],
          },
        ],
      });
      rows.push({
        title: 'Latency',
        panels: [{
          title: 'memos-api latency through the gateway', unit: 's',
          description: 'Quantiles of the gateway\'s upstream latency histogram (time to memos-api\'s response headers).',
          targets: [0.5, 0.95, 0.99].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (le) (rate(${latency}[${RATE}])))`,
            legend: `p${Math.round(q * 100)}`,
          })),
        }],
      });
    }
    const queue = `${ns}, ${INSTANCE_LABEL}="${instance}"`;
    rows.push({
      title: 'Scheduler queue',
      panels: [
        {
          title: 'Queue depth', unit: 'short',
          description: 'Σ XLEN of the scheduler streams (waiting plus in flight) and Σ pending entries of the consumer group (in flight): the QueueDepthMetric recording rules.',
          targets: [
            { expr: `${QUEUE_DEPTH_RECORD}{${queue}}`, legend: 'depth' },
            { expr: `${QUEUE_IN_FLIGHT_RECORD}{${queue}}`, legend: 'in flight' },
          ],
        },
        {
          title: 'Estimated drain time (while the queue shrinks)', unit: 's',
          description: 'Depth over its net rate of decrease (deriv over 10 minutes): empty while the queue grows or holds, since nothing exports the consumption rate itself (MemOS\'s scheduler metrics are not served over HTTP). With the stack\'s capacity estimate, also depth over what the consumers drain at the autoscaler\'s maximum.',
          targets: [
            { expr: `${QUEUE_DEPTH_RECORD}{${queue}} / (-deriv(${QUEUE_DEPTH_RECORD}{${queue}}[10m]) > 0)`, legend: 'at the measured rate' },
            ...(drainRate === undefined ? [] : [{ expr: `${QUEUE_DEPTH_RECORD}{${queue}} / ${drainRate}`, legend: `at the autoscaler's maximum (${drainRate}/s, estimated)` }]),
          ],
        },
      ],
    });
    if (qdrant) {
      // Qdrant's REST metrics (qdrant.tech/documentation/guides/monitoring): rest_responses_total and,
      // since v1.8, the rest_responses_duration_seconds histogram, by method, endpoint and status.
      const search = `${ns}, service="${qdrant}", endpoint=~".*/points/query"`;
      rows.push({
        title: 'Vector search',
        panels: [
          {
            title: 'Qdrant searches/s by status', unit: 'reqps',
            description: 'REST calls to /collections/<c>/points/query (MemOS\'s query_points) on every Qdrant node, by HTTP status.',
            targets: [{ expr: `sum by (status) (rate(rest_responses_total{${search}}[${RATE}]))`, legend: '{{status}}' }],
          },
          {
            title: 'Qdrant search latency', unit: 's',
            description: 'Quantiles of Qdrant\'s REST response-time histogram for query_points.',
            targets: [0.5, 0.95, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(rest_responses_duration_seconds_bucket{${search}}[${RATE}])))`,
              legend: `p${Math.round(q * 100)}`,
            })),
          },
        ],
      });
    }
    if (autoscalers.length) {
      const hpa = `${ns}, horizontalpodautoscaler=~"${alternation(autoscalers)}"`;
      rows.push({
        title: 'Autoscaling',
        panels: [{
          title: 'Replicas vs. bounds', unit: 'short',
          description: 'kube-state-metrics: current replicas of each HorizontalPodAutoscaler against its minReplicas and maxReplicas.',
          targets: [
            { expr: `kube_horizontalpodautoscaler_status_current_replicas{${hpa}}`, legend: '{{horizontalpodautoscaler}} current' },
            { expr: `kube_horizontalpodautoscaler_spec_min_replicas{${hpa}}`, legend: '{{horizontalpodautoscaler}} min' },
            { expr: `kube_horizontalpodautoscaler_spec_max_replicas{${hpa}}`, legend: '{{horizontalpodautoscaler}} max' },
          ],
        }],
      });
    }
    if (deployments.length) {
      const deploy = `${ns}, deployment=~"${alternation(deployments)}"`;
      rows.push({
        title: 'Workloads',
        panels: [{
          title: 'Available replicas vs. desired', unit: 'short',
          description: 'kube-state-metrics: available pods of each Deployment (MemOS, gateway, model servers, Milvus roles) against spec.replicas.',
          targets: [
            { expr: `kube_deployment_status_replicas_available{${deploy}}`, legend: '{{deployment}} available' },
            { expr: `kube_deployment_spec_replicas{${deploy}}`, legend: '{{deployment}} desired' },
          ],
        }],
      });
    }
    if (statefulSets.length) {
      const sts = `${ns}, statefulset=~"${alternation(statefulSets)}"`;
      const pvc = `${ns}, persistentvolumeclaim=~".+-(?:${alternation(statefulSets)})-[0-9]+"`;
      rows.push({
        title: 'Stores',
        panels: [
          {
            title: 'Ready replicas vs. desired', unit: 'short',
            description: 'kube-state-metrics: ready pods of each store StatefulSet against spec.replicas.',
            targets: [
              { expr: `kube_statefulset_status_replicas_ready{${sts}}`, legend: '{{statefulset}} ready' },
              { expr: `kube_statefulset_replicas{${sts}}`, legend: '{{statefulset}} desired' },
            ],
          },
          {
            title: 'Volume usage', unit: 'percentunit', max: 1,
            description: 'kubelet volume stats: used over capacity of each store PVC.',
            targets: [{ expr: `kubelet_volume_stats_used_bytes{${pvc}} / kubelet_volume_stats_capacity_bytes{${pvc}}`, legend: '{{persistentvolumeclaim}}' }],
          },
        ],
      });
    }
    if (embedding.length) {
      const te = `te_request_duration_bucket{${ns}, service=~"${alternation(embedding)}"}`;
      rows.push({
        title: 'Embedding',
        panels: [{
          title: 'Embedding server request latency', unit: 's',
          description: 'text-embeddings-inference\'s te_request_duration histogram (whole request: tokenization, queue, inference).',
          targets: [0.5, 0.95, 0.99].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (service, le) (rate(${te}[${RATE}])))`,
            legend: `{{service}} p${Math.round(q * 100)}`,
          })),
        }],
      });
    }
    if (cronJobs.length) {
      rows.push({
        title: 'Backups',
        panels: [{
          title: 'Time since the last successful backup', unit: 's',
          description: 'kube-state-metrics: now minus status.lastSuccessfulTime of each backup CronJob.',
          targets: [{ expr: `time() - kube_cronjob_status_last_successful_time{${ns}, cronjob=~"${alternation(cronJobs)}"}`, legend: '{{cronjob}}' }],
        }],
      });
    }

    const built = buildDashboard(this.uid, this.title, rows);
    this.model = built;
    this.queries = rows.flatMap((r) => r.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, legend: t.legend, expr: t.expr }))));

    this.configMap = new kplus.ConfigMap(this, 'Dashboard', {
      metadata: {
        name,
        namespace: monitoringNamespace,
        labels: { ...componentLabels(instance, 'dashboard'), ...extraLabels, [GRAFANA_DASHBOARD_LABEL]: GRAFANA_DASHBOARD_LABEL_VALUE },
      },
      data: { [`${name}.json`]: JSON.stringify(built, undefined, 2) },
    });
  }

  /** The dashboard JSON (Grafana's dashboard model), as the ConfigMap holds it. */
  public get dashboard(): string {
    return JSON.stringify(this.model, undefined, 2);
  }

  private rate(value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return invalidProp(this, 'drainRatePerSecond', value, 'a positive number of messages per second');
    // Four significant digits: the estimate is no more precise, and the query stays readable.
    return Number(value.toPrecision(4));
  }

  private names(property: string, value: unknown, maxLength: number): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return invalidProp(this, property, value, 'a list of object names');
    const seen = new Set<string>();
    return value.map((v, i) => {
      const n = maxLength <= 63 ? requireDnsLabel(this, `${property}[${i}]`, v, maxLength) : requireDnsSubdomain(this, `${property}[${i}]`, v);
      if (seen.has(n)) invalidProp(this, `${property}[${i}]`, v, 'each name once');
      seen.add(n);
      return n;
    });
  }
}

/** `a|b` of names, regex-escaped (names may hold dots). */
function alternation(names: string[]): string {
  return names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

function buildDashboard(uid: string, title: string, rows: RowSpec[]): any {
  const panels: any[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    const width = Math.floor(24 / row.panels.length);
    row.panels.forEach((p, i) => {
      panels.push({
        id: id++,
        type: 'timeseries',
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: width, x: i * width, y },
        fieldConfig: { defaults: { unit: p.unit, min: 0, ...(p.max === undefined ? {} : { max: p.max }) }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } },
        targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: DATASOURCE, expr: t.expr, legendFormat: t.legend, range: true })),
      });
    });
    y += 8;
  }
  return {
    uid,
    title,
    tags: ['memos'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: '1m',
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', options: [] }],
    },
    annotations: { list: [] },
    panels,
  };
}
