import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { INSTANCE_LABEL, QUEUE_DEPTH_RECORD } from './queue-depth-adapter';
import { QUEUE_IN_FLIGHT_RECORD } from './queue-depth-metric';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheusrule-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE } from '../src/cce';
import { componentLabels } from '../src/kubernetes';
import { invalidProp, requireDnsLabel, requireInteger } from '../src/validation';

/** Where the runbook lives: every alert's `runbook_url` is `<this>#<alert name lowercased>`. */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/memos-cce/cdk8s-memos-cce/blob/main/docs/alerts.md';

/** The alerts MemosAlerts defines, by name (public as `MemosAlerts.ALERT_NAMES`). */
const MEMOS_ALERT_NAMES = [
  'MemosQueueBacklog',
  'MemosQueueNotConsumed',
  'MemosGatewayErrorRatio',
  'MemosGatewayLatencyP99',
  'MemosGatewayRateLimited',
  'MemosAutoscalerAtMaximum',
  'MemosAutoscalerMetricMissing',
  'MemosStatefulSetNotReady',
  'MemosQdrantPeersMissing',
  'MemosDeploymentNotAvailable',
  'MemosVolumeFilling',
  'MemosPodCrashLooping',
  'MemosContainerOomKilled',
  'MemosBackupTooOld',
  'MemosBackupJobFailed',
  'MemosNeo4jStopped',
] as const;

/** Thresholds and durations of {@link MemosAlerts}; each has a default. */
export interface MemosAlertsOptions {
  /**
   * Labels on the PrometheusRule, for Prometheus instances that select rules by label.
   * @default - none
   */
  readonly monitoringLabels?: { [key: string]: string };
  /**
   * Base of every `runbook_url` annotation; the alert's anchor (its name lowercased) is appended.
   * @default DEFAULT_RUNBOOK_BASE_URL
   */
  readonly runbookBaseUrl?: string;
  /**
   * Queue backlog (Σ entries of the scheduler streams) above which `MemosQueueBacklog` fires: what
   * the consumers drain in `queueBacklogFor` at the HPA maximum
   * (`QueueCapacityEstimate.capacityAtMaxPerSecond` × seconds).
   * @default 1000
   */
  readonly queueBacklogThreshold?: number;
  /** @default Duration.minutes(15) */
  readonly queueBacklogFor?: Duration;
  /**
   * How long entries may wait with none delivered to a consumer before `MemosQueueNotConsumed`.
   * @default Duration.minutes(10)
   */
  readonly queueNotConsumedFor?: Duration;
  /**
   * Share of the gateway's API responses that are 5xx above which `MemosGatewayErrorRatio` fires.
   * @default 0.05
   */
  readonly errorRatioThreshold?: number;
  /** @default Duration.minutes(5) */
  readonly errorRatioFor?: Duration;
  /**
   * p99 of the time from the gateway to memos-api's response headers above which
   * `MemosGatewayLatencyP99` fires. Best a bound of the gateway's histogram (0.5, 1, 2.5, 5, 10,
   * 30, 60, 120 s): between two bounds the quantile is interpolated.
   * @default Duration.seconds(10)
   */
  readonly latencyP99Target?: Duration;
  /** @default Duration.minutes(10) */
  readonly latencyFor?: Duration;
  /**
   * Requests per second refused with 429 for one identity (summed over the gateway's replicas)
   * above which `MemosGatewayRateLimited` fires: a client held back for long, by a limit too low
   * or by a runaway loop.
   * @default 1
   */
  readonly rateLimitedPerSecondThreshold?: number;
  /** @default Duration.minutes(10) */
  readonly rateLimitedFor?: Duration;
  /** @default Duration.minutes(15) */
  readonly autoscalerAtMaximumFor?: Duration;
  /** @default Duration.minutes(10) */
  readonly autoscalerMetricMissingFor?: Duration;
  /** How long a StatefulSet or Deployment may have fewer ready pods than it asks for. @default Duration.minutes(10) */
  readonly workloadNotReadyFor?: Duration;
  /**
   * Used share of a persistent volume (kubelet volume stats) above which `MemosVolumeFilling` fires.
   * @default 0.8
   */
  readonly volumeUsageThreshold?: number;
  /** @default Duration.minutes(15) */
  readonly volumeUsageFor?: Duration;
  /** @default Duration.minutes(10) */
  readonly crashLoopFor?: Duration;
  /** Window in which a restart after an OOM kill raises `MemosContainerOomKilled`. @default Duration.minutes(15) */
  readonly oomKillWindow?: Duration;
  /**
   * Age of the last successful backup above which `MemosBackupTooOld` fires: the schedule's
   * period plus the run's deadline.
   * @default Duration.hours(26) (a daily schedule, docs/backup.md)
   */
  readonly backupMaxAge?: Duration;
  /**
   * How long Neo4j (Community, stopped for its offline backup) may stay at 0 replicas.
   * @default Duration.minutes(30)
   */
  readonly neo4jStoppedFor?: Duration;
}

/** Properties of {@link MemosAlerts}. */
export interface MemosAlertsProps extends MemosAlertsOptions {
  /** Instance name: prefix of the stack's object names and value of `memos_instance`. */
  readonly instance: string;
  /**
   * Namespace of the MemOS stack: every selector is scoped to it.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Namespace of CCE's Cloud Native Cluster Monitoring add-on: the PrometheusRule goes there.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Nodes of the stack's Qdrant cluster (`Qdrant.replicas`): `MemosQdrantPeersMissing` fires
   * when a node's Raft configuration holds fewer peers, as after a node bootstrapped a cluster of
   * its own.
   * @default 1 - the alert cannot fire
   */
  readonly qdrantNodes?: number;
}

interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  readonly for: Duration;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

/**
 * The stack's alerts: one PrometheusRule `<namespace>-<instance>-alerts` in the monitoring
 * namespace, on metrics the stack produces (the queue records of `QueueDepthMetric`, the
 * gateway's HAProxy exporter and latency histogram) and those of the add-on's kube-state-metrics
 * and kubelet. Every alert carries `severity`, `memos_instance`, `summary`, `description` and
 * `runbook_url` (docs/alerts.md).
 */
export class MemosAlerts extends Construct {
  /** The alerts' names, in the order of the rule file. */
  public static readonly ALERT_NAMES: string[] = [...MEMOS_ALERT_NAMES];
  /** The PrometheusRule. */
  public readonly rule: PrometheusRule;
  /** Its name. */
  public readonly ruleName: string;

  constructor(scope: Construct, id: string, props: MemosAlertsProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const namespace = requireDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const runbookBaseUrl = props.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
    if (typeof runbookBaseUrl !== 'string' || !/^https?:\/\/[^\s#"'{}]+$/.test(runbookBaseUrl)) {
      invalidProp(this, 'runbookBaseUrl', runbookBaseUrl, 'an http(s) URL without a fragment, quotes, braces or spaces');
    }
    const labels = props.monitoringLabels ?? {};
    if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) {
      invalidProp(this, 'monitoringLabels', labels, 'a map of label names to string values');
    }

    const count = (property: keyof MemosAlertsOptions, fallback: number) => {
      const value = props[property] ?? fallback;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) invalidProp(this, property, value, 'a number >= 1');
      return value as number;
    };
    const ratio = (property: keyof MemosAlertsOptions, fallback: number) => {
      const value = props[property] ?? fallback;
      if (typeof value !== 'number' || !(value > 0 && value < 1)) invalidProp(this, property, value, 'a fraction between 0 and 1 exclusive, such as 0.05');
      return value as number;
    };
    const positive = (property: keyof MemosAlertsOptions, fallback: number) => {
      const value = props[property] ?? fallback;
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidProp(this, property, value, 'a positive number, such as 1');
      return value as number;
    };
    const duration = (property: keyof MemosAlertsOptions, fallback: Duration, min = Duration.minutes(1)) => {
      const value = props[property] ?? fallback;
      if (!(value instanceof Duration)) return invalidProp(this, property, value, 'a Duration, such as Duration.minutes(15)');
      const ms = value.toMilliseconds();
      if (!(ms >= min.toMilliseconds()) || ms % 1000 !== 0) invalidProp(this, property, value.toHumanString(), `a whole number of seconds, at least ${min.toHumanString()}`);
      return value;
    };

    const backlog = count('queueBacklogThreshold', 1000);
    const backlogFor = duration('queueBacklogFor', Duration.minutes(15));
    const notConsumedFor = duration('queueNotConsumedFor', Duration.minutes(10));
    const errorRatio = ratio('errorRatioThreshold', 0.05);
    const errorRatioFor = duration('errorRatioFor', Duration.minutes(5));
    const latencyTarget = duration('latencyP99Target', Duration.seconds(10), Duration.seconds(1));
    const latencyFor = duration('latencyFor', Duration.minutes(10));
    const qdrantNodes = props.qdrantNodes === undefined ? 1 : requireInteger(this, 'qdrantNodes', props.qdrantNodes, 1, 100);
    const rateLimited = positive('rateLimitedPerSecondThreshold', 1);
    const rateLimitedFor = duration('rateLimitedFor', Duration.minutes(10));
    const atMaxFor = duration('autoscalerAtMaximumFor', Duration.minutes(15));
    const metricMissingFor = duration('autoscalerMetricMissingFor', Duration.minutes(10));
    const notReadyFor = duration('workloadNotReadyFor', Duration.minutes(10));
    const volumeUsage = ratio('volumeUsageThreshold', 0.8);
    const volumeFor = duration('volumeUsageFor', Duration.minutes(15));
    const crashLoopFor = duration('crashLoopFor', Duration.minutes(10));
    const oomWindow = duration('oomKillWindow', Duration.minutes(15));
    const backupMaxAge = duration('backupMaxAge', Duration.hours(26), Duration.hours(1));
    const neo4jStoppedFor = duration('neo4jStoppedFor', Duration.minutes(30));

    this.ruleName = `${namespace}-${instance}-alerts`;
    if (this.ruleName.length > 63) invalidProp(this, 'instance', instance, `a shorter instance or namespace: '${this.ruleName}' (the PrometheusRule's name) must fit in 63 characters`);

    // Selectors: the stack's namespace, and its objects (all named `<instance>-...`).
    const ns = `namespace="${namespace}"`;
    const own = `"${instance}-.*"`;
    const queue = `${ns},${INSTANCE_LABEL}="${instance}"`;
    const gateway = `${ns},service="${instance}-gateway-metrics"`;
    const api = `${gateway},proxy="api"`;
    const window = '5m';

    const groups: { name: string; alerts: AlertSpec[] }[] = [
      {
        name: 'memos-queue',
        alerts: [
          {
            alert: 'MemosQueueBacklog',
            expr: `${QUEUE_DEPTH_RECORD}{${queue}} > ${backlog}`,
            for: backlogFor,
            severity: 'warning',
            summary: `MemOS scheduler queue above ${backlog} entries`,
            description: `The scheduler streams of ${namespace}/${instance} have held more than ${backlog} entries for ${backlogFor.toHumanString()}: more than the consumers drain in that time. MemOS stops consuming streams idle for 2 hours.`,
          },
          {
            alert: 'MemosQueueNotConsumed',
            // Entries wait and none is delivered to a consumer: nothing reads the streams.
            expr: `${QUEUE_DEPTH_RECORD}{${queue}} > 0 and on (namespace, ${INSTANCE_LABEL}) ${QUEUE_IN_FLIGHT_RECORD}{${queue}} == 0`,
            for: notConsumedFor,
            severity: 'critical',
            summary: 'MemOS scheduler queue is not consumed',
            description: `Entries have waited in the scheduler streams of ${namespace}/${instance} for ${notConsumedFor.toHumanString()} with none delivered to a consumer of scheduler_group.`,
          },
        ],
      },
      {
        name: 'memos-api',
        alerts: [
          {
            alert: 'MemosGatewayErrorRatio',
            expr: `sum by (namespace) (rate(haproxy_frontend_http_responses_total{${api},code="5xx"}[${window}]))`
              + ` / sum by (namespace) (rate(haproxy_frontend_http_requests_total{${api}}[${window}])) > ${errorRatio}`,
            for: errorRatioFor,
            severity: 'critical',
            summary: `More than ${percent(errorRatio)} of MemOS API responses are 5xx`,
            description: `The gateway ${namespace}/${instance}-gateway has answered more than ${percent(errorRatio)} of API requests with 5xx for ${errorRatioFor.toHumanString()}.`,
          },
          {
            alert: 'MemosGatewayLatencyP99',
            expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(memos_gateway_upstream_latency_seconds_bucket{${gateway}}[${window}]))) > ${latencyTarget.toSeconds()}`,
            for: latencyFor,
            severity: 'warning',
            summary: `MemOS API p99 latency above ${latencyTarget.toHumanString()}`,
            description: `The 99th percentile of memos-api's response time through the gateway ${namespace}/${instance}-gateway has been above ${latencyTarget.toHumanString()} for ${latencyFor.toHumanString()}.`,
          },
          {
            alert: 'MemosGatewayRateLimited',
            expr: `sum by (namespace, identity) (rate(memos_gateway_rate_limited_total{${gateway}}[${window}])) > ${rateLimited}`,
            for: rateLimitedFor,
            severity: 'warning',
            summary: `One identity gets more than ${rateLimited} 429/s from the MemOS gateway`,
            description: `The gateway ${namespace}/${instance}-gateway has refused more than ${rateLimited} requests per second of {{ $labels.identity }} with 429 (over its rate limit) for ${rateLimitedFor.toHumanString()}.`,
          },
        ],
      },
      {
        name: 'memos-autoscaling',
        alerts: [
          {
            alert: 'MemosAutoscalerAtMaximum',
            expr: `kube_horizontalpodautoscaler_status_current_replicas{${ns},horizontalpodautoscaler=~${own}}`
              + ` >= on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas{${ns},horizontalpodautoscaler=~${own}}`,
            for: atMaxFor,
            severity: 'warning',
            summary: 'HPA {{ $labels.horizontalpodautoscaler }} at its maximum',
            description: `The HorizontalPodAutoscaler ${namespace}/{{ $labels.horizontalpodautoscaler }} has run at its maximum replicas for ${atMaxFor.toHumanString()}: the load needs more than the preset allows.`,
          },
          {
            alert: 'MemosAutoscalerMetricMissing',
            expr: `kube_horizontalpodautoscaler_status_condition{${ns},horizontalpodautoscaler=~${own},condition="ScalingActive",status="false"} == 1`,
            for: metricMissingFor,
            severity: 'critical',
            summary: 'HPA {{ $labels.horizontalpodautoscaler }} cannot read its metrics',
            description: `The HorizontalPodAutoscaler ${namespace}/{{ $labels.horizontalpodautoscaler }} has been unable to compute a scale (ScalingActive=False) for ${metricMissingFor.toHumanString()}, usually because the external metric redis_queue_depth is not served.`,
          },
        ],
      },
      {
        name: 'memos-workloads',
        alerts: [
          {
            alert: 'MemosStatefulSetNotReady',
            expr: `kube_statefulset_status_replicas_ready{${ns},statefulset=~${own}}`
              + ` < on (namespace, statefulset) kube_statefulset_replicas{${ns},statefulset=~${own}}`,
            for: notReadyFor,
            severity: 'critical',
            summary: 'StatefulSet {{ $labels.statefulset }} has pods not ready',
            description: `The store ${namespace}/{{ $labels.statefulset }} has had fewer ready pods than replicas for ${notReadyFor.toHumanString()}.`,
          },
          {
            alert: 'MemosQdrantPeersMissing',
            // Qdrant's cluster_peers_total: the peers in this node's Raft configuration (dead ones
            // included; those show as pods not ready).
            expr: `min by (namespace) (cluster_peers_total{${ns},service="${instance}-qdrant-headless"}) < ${qdrantNodes}`,
            for: notReadyFor,
            severity: 'critical',
            summary: `A Qdrant node knows fewer than ${qdrantNodes} peers`,
            description: `A node of ${namespace}/${instance}-qdrant has had fewer than ${qdrantNodes} peers in its Raft configuration for ${notReadyFor.toHumanString()}: it did not join the cluster, or a peer was removed.`,
          },
          {
            alert: 'MemosDeploymentNotAvailable',
            expr: `kube_deployment_status_replicas_available{${ns},deployment=~${own}}`
              + ` < on (namespace, deployment) kube_deployment_spec_replicas{${ns},deployment=~${own}}`,
            for: notReadyFor,
            severity: 'critical',
            summary: 'Deployment {{ $labels.deployment }} has pods not available',
            description: `The Deployment ${namespace}/{{ $labels.deployment }} has had fewer available pods than replicas for ${notReadyFor.toHumanString()}.`,
          },
          {
            alert: 'MemosVolumeFilling',
            expr: `kubelet_volume_stats_used_bytes{${ns},persistentvolumeclaim=~".*${instance}-.*"}`
              + ` / on (namespace, persistentvolumeclaim) kubelet_volume_stats_capacity_bytes{${ns},persistentvolumeclaim=~".*${instance}-.*"} > ${volumeUsage}`,
            for: volumeFor,
            severity: 'warning',
            summary: `Volume {{ $labels.persistentvolumeclaim }} more than ${percent(volumeUsage)} full`,
            description: `The PersistentVolumeClaim ${namespace}/{{ $labels.persistentvolumeclaim }} has been more than ${percent(volumeUsage)} full for ${volumeFor.toHumanString()}.`,
          },
          {
            alert: 'MemosPodCrashLooping',
            expr: `kube_pod_container_status_waiting_reason{${ns},pod=~${own},reason="CrashLoopBackOff"} == 1`,
            for: crashLoopFor,
            severity: 'critical',
            summary: 'Container {{ $labels.container }} of {{ $labels.pod }} is crash-looping',
            description: `The container {{ $labels.container }} of ${namespace}/{{ $labels.pod }} has been in CrashLoopBackOff for ${crashLoopFor.toHumanString()}.`,
          },
          {
            alert: 'MemosContainerOomKilled',
            expr: `increase(kube_pod_container_status_restarts_total{${ns},pod=~${own}}[${promDuration(oomWindow)}]) > 0`
              + ` and on (namespace, pod, container) kube_pod_container_status_last_terminated_reason{${ns},pod=~${own},reason="OOMKilled"} == 1`,
            for: Duration.seconds(0),
            severity: 'warning',
            summary: 'Container {{ $labels.container }} of {{ $labels.pod }} was OOM-killed',
            description: `The container {{ $labels.container }} of ${namespace}/{{ $labels.pod }} restarted in the last ${oomWindow.toHumanString()} after being killed for exceeding its memory limit.`,
          },
        ],
      },
      {
        name: 'memos-backups',
        alerts: [
          {
            alert: 'MemosBackupTooOld',
            expr: `time() - kube_cronjob_status_last_successful_time{${ns},cronjob=~"${instance}-.*-backup"} > ${backupMaxAge.toSeconds()}`,
            for: Duration.minutes(5),
            severity: 'critical',
            summary: 'Backup {{ $labels.cronjob }} has not succeeded recently',
            description: `The last successful run of the CronJob ${namespace}/{{ $labels.cronjob }} is more than ${backupMaxAge.toHumanString()} old.`,
          },
          {
            alert: 'MemosBackupJobFailed',
            // Jobs of a CronJob are named `<cronjob>-<scheduled minute>`.
            expr: `kube_job_status_failed{${ns},job_name=~"${instance}-.*-backup-[0-9]+"} > 0`,
            for: Duration.seconds(0),
            severity: 'warning',
            summary: 'Backup job {{ $labels.job_name }} failed',
            description: `The backup Job ${namespace}/{{ $labels.job_name }} failed. It stays (and this alert with it) until the CronJob's history limit removes it or it is deleted.`,
          },
          {
            alert: 'MemosNeo4jStopped',
            expr: `kube_statefulset_replicas{${ns},statefulset="${instance}-neo4j"} == 0`,
            for: neo4jStoppedFor,
            severity: 'critical',
            summary: `Neo4j ${instance}-neo4j left at 0 replicas`,
            description: `The StatefulSet ${namespace}/${instance}-neo4j has been scaled to 0 for ${neo4jStoppedFor.toHumanString()}: an offline backup of Neo4j Community did not start it again.`,
          },
        ],
      },
    ];

    this.rule = new PrometheusRule(this, 'Rule', {
      metadata: {
        name: this.ruleName,
        namespace: monitoringNamespace,
        labels: { ...componentLabels(instance, 'alerts'), ...labels },
      },
      spec: {
        groups: groups.map((group) => ({
          name: group.name,
          rules: group.alerts.map((a) => ({
            alert: a.alert,
            expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
            ...(a.for.toSeconds() > 0 ? { for: promDuration(a.for) } : {}),
            labels: { severity: a.severity, [INSTANCE_LABEL]: instance },
            annotations: {
              summary: a.summary,
              description: a.description,
              runbook_url: `${runbookBaseUrl}#${a.alert.toLowerCase()}`,
            },
          })),
        })),
      },
    });
  }
}

/** A Prometheus duration: `15m`, `26h`, `90s`. */
function promDuration(d: Duration): string {
  const s = d.toSeconds();
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}
