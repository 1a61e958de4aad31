import { Chart, Duration, JsonPatch, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheusrule-monitoring.coreos.com';
import { ServiceMonitor, ServiceMonitorSpecEndpointsMetricRelabelingsAction } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_CUSTOM_METRICS_APISERVER, CCE_SWR_PULL_SECRET } from '../src/cce';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setImagePullSecrets, selectPods, httpProbe } from '../src/kubernetes';
import { MEMOS_CONSUMER_GROUP, MEMOS_STREAM_KEY_PREFIX } from '../src/memos';
import { RedisConnection } from '../src/memos-settings';
import { DefaultPorts } from '../src/ports';
import { invalidProp, requireDnsLabel, requireInteger, requirePinnedImage } from '../src/validation';

/**
 * redis_exporter (github.com/oliver006/redis_exporter): `--check-streams` SCANs for stream keys
 * by pattern and exports `redis_stream_length{db,stream}` (XLEN) and
 * `redis_stream_group_messages_pending{db,stream,group}` (XINFO GROUPS `pending`) per stream
 * (exporter/streams.go). The image runs as 59000:59000 and listens on 9121 (docker/Dockerfile).
 */
export const DEFAULT_QUEUE_EXPORTER_IMAGE = 'docker.io/oliver006/redis_exporter:v1.80.1';
const EXPORTER_UID = 59000;
const EXPORTER_PORT = 9121;

/** Name of the external metric the memos-api HPA scales on. */
export const QUEUE_DEPTH_METRIC = 'redis_queue_depth';
/** Recording rule behind {@link QUEUE_DEPTH_METRIC}: Σ XLEN of the scheduler streams, per MemOS instance. */
export const QUEUE_DEPTH_RECORD = 'memos:redis_queue_depth:sum';
/** Recording rule: Σ entries delivered to a consumer and not yet acknowledged. */
export const QUEUE_IN_FLIGHT_RECORD = 'memos:redis_queue_in_flight:sum';
/** Series label naming the MemOS instance (set by the ServiceMonitor from the Service's labels). */
export const INSTANCE_LABEL = 'memos_instance';

/** What a user may tune on {@link QueueDepthMetric}. */
export interface QueueDepthMetricOptions {
  /**
   * redis_exporter image, pinned. Mirror it to SWR where Docker Hub is unreachable.
   * @default DEFAULT_QUEUE_EXPORTER_IMAGE
   */
  readonly exporterImage?: string;
  /**
   * Scrape and rule evaluation interval. The exporter SCANs Redis on every scrape.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Labels on the ServiceMonitor and PrometheusRule, for Prometheus instances that select them
   * by label.
   * @default - none
   */
  readonly monitoringLabels?: { [key: string]: string };
  /**
   * Emit the add-on's `user-adapter-config` ConfigMap with the external-metric rule. It replaces
   * the whole ConfigMap: turn this off when you keep other rules there, and merge the rule
   * (`QueueDepthMetric.adapterRules()`, docs/operations.md) yourself.
   * @default true
   */
  readonly adapterConfig?: boolean;
  /**
   * Register `v1beta1.external.metrics.k8s.io` with the add-on's `custom-metrics-apiserver`
   * (prometheus-adapter). Turn off when another provider (KEDA) serves external metrics.
   * @default true
   */
  readonly registerExternalMetricsApi?: boolean;
}

/** Properties of {@link QueueDepthMetric}. */
export interface QueueDepthMetricProps extends QueueDepthMetricOptions {
  /** Instance name: prefix of object names and value of the `memos_instance` series label. */
  readonly instance: string;
  /** The Redis holding MemOS's scheduler streams (the password is read as optional). */
  readonly redis: RedisConnection;
  /**
   * Namespace of CCE's Cloud Native Cluster Monitoring add-on: the ServiceMonitor, the
   * PrometheusRule and the adapter configuration go there.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Prefix of MemOS's scheduler stream keys (`MemosConfig.streamKeyPrefix`).
   * @default 'scheduler:messages:stream:v2.0' (MemOS's default)
   */
  readonly streamKeyPrefix?: string;
  /**
   * Image pull secrets (existing Secrets in the namespace).
   * @default ['default-secret'] (created by CCE for SWR)
   */
  readonly imagePullSecrets?: string[];
}

/**
 * Makes `redis_queue_depth` exist: a redis_exporter reading MemOS's scheduler streams, a
 * ServiceMonitor, a recording rule summing their lengths per MemOS instance, and the
 * prometheus-adapter external rule (in CCE's `user-adapter-config` form) that serves the sum in
 * `external.metrics.k8s.io`.
 *
 * Queue depth = Σ XLEN over `<prefix>:*` streams: MemOS acknowledges and deletes each entry once
 * processed (XACK + XDEL), so XLEN counts waiting plus in-flight tasks (memos-runtime.md §8).
 */
export class QueueDepthMetric extends Construct {
  /** redis_exporter, pinned. */
  public static readonly DEFAULT_EXPORTER_IMAGE = DEFAULT_QUEUE_EXPORTER_IMAGE;

  /**
   * The prometheus-adapter rules (docs/config.md of kubernetes-sigs/prometheus-adapter) that CCE's
   * Cloud Native Cluster Monitoring reads from `config.yaml` of `user-adapter-config` (cce_10_0406).
   * The external rule is the same for every MemOS instance: series are told apart by namespace
   * (from the HPA's namespace) and `memos_instance` (from the HPA's label selector).
   */
  public static adapterRules(): any {
    return adapterRules();
  }

  /** External metric name for HPAs. */
  public readonly metricName: string = QUEUE_DEPTH_METRIC;
  /** Label selector an HPA must use so it only sees this instance's queue. */
  public readonly metricSelector: { [key: string]: string };
  /** The exporter Deployment. */
  public readonly exporter: kplus.Deployment;
  /** The exporter's Service. */
  public readonly service: kplus.Service;
  /** The ServiceMonitor (in the monitoring namespace). */
  public readonly serviceMonitor: ServiceMonitor;
  /** The recording rules (in the monitoring namespace). */
  public readonly rules: PrometheusRule;
  /** The add-on's `user-adapter-config`, when `adapterConfig` is on. */
  public readonly adapterConfig?: kplus.ConfigMap;
  /** The external-metrics APIService, when `registerExternalMetricsApi` is on. */
  public readonly externalMetricsApi?: kplus.k8s.KubeApiService;

  constructor(scope: Construct, id: string, props: QueueDepthMetricProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'exporterImage', props.exporterImage ?? DEFAULT_QUEUE_EXPORTER_IMAGE);
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const intervalSeconds = requireInteger(this, 'interval', (props.interval ?? Duration.seconds(30)).toSeconds(), 10, 300);
    const namespace = Chart.of(this).namespace ?? 'default';
    const redis = props.redis;
    const streamKeyPrefix = props.streamKeyPrefix ?? MEMOS_STREAM_KEY_PREFIX;
    this.metricSelector = { [INSTANCE_LABEL]: instance };

    const name = `${instance}-queue-exporter`;
    const labels = componentLabels(instance, 'queue-exporter');
    const selector = selectorLabels(instance, 'queue-exporter');
    this.exporter = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, labels },
      replicas: 1,
      select: false,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(EXPORTER_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(10),
    });
    selectPods(this.exporter, selector);
    setImagePullSecrets(this, this.exporter, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);

    this.exporter.addContainer({
      name: 'redis-exporter',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: EXPORTER_PORT, name: 'metrics' }],
      envVariables: {
        REDIS_ADDR: kplus.EnvValue.fromValue(`redis://${redis.host}:${redis.port ?? DefaultPorts.REDIS}`),
        REDIS_PASSWORD: redis.password.envValue(this, { optional: true }),
        // SCAN MATCH <prefix>:* in MemOS's db, COUNT 200 like MemOS's own key discovery.
        REDIS_EXPORTER_CHECK_STREAMS: kplus.EnvValue.fromValue(`db${redis.db ?? 0}=${streamKeyPrefix}:*`),
        REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE: kplus.EnvValue.fromValue('200'),
        // Consumer names are random per MemOS process: per-consumer series would churn.
        REDIS_EXPORTER_STREAMS_EXCLUDE_CONSUMER_METRICS: kplus.EnvValue.fromValue('true'),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
      },
      securityContext: hardenedContainerSecurityContext(EXPORTER_UID),
      readiness: httpProbe('/health', EXPORTER_PORT, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
      liveness: httpProbe('/health', EXPORTER_PORT, { periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 }),
      startup: httpProbe('/health', EXPORTER_PORT, { periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 15 }),
    });

    const service = this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'metrics', port: EXPORTER_PORT, targetPort: EXPORTER_PORT }],
    });
    selectPods(service, selector);

    // Objects in the shared monitoring namespace carry the MemOS namespace in their names.
    const sharedName = `${namespace}-${instance}-queue-depth`;
    // Too long a name here comes from the instance (or the namespace) the user chose.
    if (sharedName.length > 63) invalidProp(this, 'instance', instance, `a shorter instance or namespace: '${sharedName}' (the monitoring objects' name) must fit in 63 characters`);
    const monitoringMetadata = { namespace: monitoringNamespace, labels: { ...labels, ...props.monitoringLabels } };
    const streamRegex = `${escapeRegex(streamKeyPrefix)}:.*`;

    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { ...monitoringMetadata, name: sharedName },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: selector },
        endpoints: [{
          port: 'metrics',
          path: '/metrics',
          interval: `${intervalSeconds}s`,
          scrapeTimeout: `${Math.min(10, intervalSeconds)}s`,
          relabelings: [{
            sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_instance'],
            targetLabel: INSTANCE_LABEL,
          }],
          // Only what the queue rules and a Redis health panel need.
          metricRelabelings: [{
            sourceLabels: ['__name__'],
            regex: 'redis_up|redis_stream_length|redis_stream_group_messages_pending|redis_stream_group_lag|redis_exporter_last_scrape_error',
            action: ServiceMonitorSpecEndpointsMetricRelabelingsAction.KEEP,
          }],
        }],
      },
    });

    this.rules = new PrometheusRule(this, 'Rules', {
      metadata: { ...monitoringMetadata, name: sharedName },
      spec: {
        groups: [{
          name: 'memos-scheduler-queue',
          interval: `${intervalSeconds}s`,
          rules: [
            {
              record: QUEUE_DEPTH_RECORD,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(`sum by (namespace, ${INSTANCE_LABEL}) (redis_stream_length{stream=~"${promString(streamRegex)}"})`),
            },
            {
              record: QUEUE_IN_FLIGHT_RECORD,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(`sum by (namespace, ${INSTANCE_LABEL}) (redis_stream_group_messages_pending{group="${MEMOS_CONSUMER_GROUP}",stream=~"${promString(streamRegex)}"})`),
            },
          ],
        }],
      },
    });

    if (props.adapterConfig ?? true) {
      this.adapterConfig = new kplus.ConfigMap(this, 'AdapterConfig', {
        metadata: { namespace: monitoringNamespace, name: 'user-adapter-config', labels: componentLabels(instance, 'metrics-adapter-config') },
        data: { 'config.yaml': Yaml.stringify(adapterRules()) },
      });
    }

    if (props.registerExternalMetricsApi ?? true) {
      const apiService = this.externalMetricsApi = new kplus.k8s.KubeApiService(this, 'ExternalMetricsApi', {
        metadata: { name: 'v1beta1.external.metrics.k8s.io', labels: componentLabels(instance, 'metrics-adapter') },
        spec: {
          group: 'external.metrics.k8s.io',
          version: 'v1beta1',
          service: { name: CCE_CUSTOM_METRICS_APISERVER, namespace: monitoringNamespace, port: 443 },
          groupPriorityMinimum: 100,
          versionPriority: 100,
          // As the add-on registers custom.metrics.k8s.io and prometheus-adapter's own chart does:
          // the adapter's serving certificate is self-signed.
          insecureSkipTlsVerify: true,
        },
      });
      // APIServices are cluster-scoped; the chart would stamp its namespace on them.
      apiService.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}

/** See {@link QueueDepthMetric.adapterRules}. */
function adapterRules(): Record<string, unknown> {
  return {
    rules: [],
    externalRules: [{
      seriesQuery: `${QUEUE_DEPTH_RECORD}{namespace!="",${INSTANCE_LABEL}!=""}`,
      resources: { overrides: { namespace: { resource: 'namespace' } } },
      name: { matches: `^${escapeRegex(QUEUE_DEPTH_RECORD)}$`, as: QUEUE_DEPTH_METRIC },
      metricsQuery: `sum by (namespace, ${INSTANCE_LABEL}) (<<.Series>>{<<.LabelMatchers>>})`,
    }],
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Escapes a value for a double-quoted PromQL string. */
function promString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
