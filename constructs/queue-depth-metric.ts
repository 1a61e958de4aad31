import { Chart, Duration, JsonPatch, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ADAPTER_CONFIG_MAP, adapterMergeCommand, AdapterMergeCommandOptions, adapterRules, adapterRulesSnippet, escapeRegex, INSTANCE_LABEL, QUEUE_DEPTH_METRIC, QUEUE_DEPTH_RECORD } from './queue-depth-adapter';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheusrule-monitoring.coreos.com';
import { ServiceMonitor, ServiceMonitorSpecEndpointsMetricRelabelingsAction } from '../imports/servicemonitor-monitoring.coreos.com';
import { CCE_MONITORING_NAMESPACE, CCE_CUSTOM_METRICS_APISERVER, CCE_SWR_PULL_SECRET } from '../src/cce';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setImagePullSecrets, selectPods, httpProbe, tcpProbe, KUBE_SCORE_IGNORE } from '../src/kubernetes';
import { MEMOS_CONSUMER_GROUP, MEMOS_STREAM_KEY_PREFIX } from '../src/memos';
import { RedisConnection } from '../src/memos-settings';
import { DefaultPorts } from '../src/ports';
import { Connections, tcp } from '../src/network';
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

/** Recording rule: Σ entries delivered to a consumer and not yet acknowledged. */
export const QUEUE_IN_FLIGHT_RECORD = 'memos:redis_queue_in_flight:sum';
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
   * Emit `user-adapter-config` in the monitoring namespace, holding only the queue-depth rule.
   * **It replaces the add-on's own ConfigMap wholesale**: the `resourceRules` it holds (the
   * `metrics.k8s.io` API behind CPU autoscaling and `kubectl top`, served by the same adapter) and
   * every other rule are gone, and `kubectl delete -f` of the manifests deletes the add-on's
   * object. Only for a monitoring namespace whose adapter serves nothing else. Otherwise leave it
   * off and merge the rule into the add-on's ConfigMap: `QueueDepthMetric.adapterMergeCommand()`
   * (docs/operations.md, "Plugging it into CCE").
   * @default false
   */
  readonly adapterConfig?: boolean;
  /**
   * Register `v1beta1.external.metrics.k8s.io` with the add-on's `custom-metrics-apiserver`
   * (prometheus-adapter). Only when nothing else serves it (`kubectl get apiservice
   * v1beta1.external.metrics.k8s.io` finds nothing; KEDA registers the same name) and after the
   * rule is merged and the adapter restarted: prometheus-adapter serves external metrics only when
   * `externalRules` is non-empty at start. An APIService whose backend does not serve its group is
   * Unavailable, and an Unavailable aggregated API breaks discovery for the whole cluster
   * (`kubectl api-resources`, the garbage collector, namespace deletion stuck in Terminating).
   * @default false
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
 *
 * The add-on's adapter objects are not ours: by default neither its ConfigMap nor the
 * external-metrics APIService is emitted. Merge the rule with {@link adapterMergeCommand}, and
 * register the API only when asked (`registerExternalMetricsApi`).
 */
export class QueueDepthMetric extends Construct {
  /** redis_exporter, pinned. */
  public static readonly DEFAULT_EXPORTER_IMAGE = DEFAULT_QUEUE_EXPORTER_IMAGE;
  /** The add-on's adapter ConfigMap (cce_10_0406; `adapter-config` in older add-on versions). */
  public static readonly ADAPTER_CONFIG_MAP = ADAPTER_CONFIG_MAP;

  /**
   * The prometheus-adapter rules (docs/config.md of kubernetes-sigs/prometheus-adapter) that CCE's
   * Cloud Native Cluster Monitoring reads from `config.yaml` of `user-adapter-config` (cce_10_0406).
   * The external rule is the same for every MemOS instance: series are told apart by namespace
   * (from the HPA's namespace) and `memos_instance` (from the HPA's label selector).
   * This is the whole file `adapterConfig` emits; to add the rule to the add-on's own file, merge
   * only `externalRules` ({@link adapterRulesSnippet}, {@link adapterMergeCommand}).
   */
  public static adapterRules(): any {
    return adapterRules();
  }

  /**
   * The `externalRules` entry as YAML, to add by hand under `config.yaml` of the add-on's
   * `user-adapter-config` (`kubectl -n monitoring edit configmap user-adapter-config`), next to
   * the `rules` and `resourceRules` already there. Then restart `custom-metrics-apiserver`.
   */
  public static adapterRulesSnippet(): string {
    return adapterRulesSnippet();
  }

  /**
   * A shell command (kubectl, python3 with PyYAML) that merges the queue-depth rule into the
   * add-on's adapter ConfigMap and restarts the adapter: it reads `config.yaml`, keeps every key
   * (`rules`, `resourceRules`, other `externalRules`), replaces an earlier `redis_queue_depth`
   * external rule (so it can run again), writes it back with `kubectl replace` (which fails
   * instead of overwriting a concurrent change) and restarts `custom-metrics-apiserver`, which
   * reads its configuration only at start (prometheus-adapter `cmd/adapter/adapter.go`).
   */
  public static adapterMergeCommand(options: AdapterMergeCommandOptions = {}): string {
    return adapterMergeCommand(options);
  }

  /** External metric name for HPAs. */
  public readonly metricName: string = QUEUE_DEPTH_METRIC;
  /** Label selector an HPA must use so it only sees this instance's queue. */
  public readonly metricSelector: { [key: string]: string };
  /** The exporter Deployment. */
  public readonly exporter: kplus.Deployment;
  /**
   * The exporter's network connections: Prometheus scrapes it; wire its Redis with
   * `redis.connections.allowFrom(metric.connections, redis.clientPorts)` (or egress to DCS).
   */
  public readonly connections: Connections;
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
    this.connections = new Connections({ name: 'queue-exporter', selector });
    this.connections.allowFromNamespace(monitoringNamespace, tcp(EXPORTER_PORT));
    this.exporter = new kplus.Deployment(this, 'Deployment', {
      // One exporter: a second would only double every series (Prometheus scrapes each pod).
      metadata: { name, labels, annotations: { [KUBE_SCORE_IGNORE]: 'deployment-replicas' } },
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
      liveness: tcpProbe(EXPORTER_PORT, { periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 }),
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

    // Both records exist, as 0, while there is no backlog: a sum over no stream is no series, and
    // streams come and go (none on a fresh install; MemOS deletes streams idle for 2 h,
    // redis_queue.py DEFAULT_STREAM_INACTIVITY_DELETE_SECONDS = 7200), while an HPA skips
    // scale-down whenever one of its metrics cannot be read (kubernetes/website
    // content/en/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale.md, "Algorithm
    // details"). The 0 comes from `redis_up == 1` of the same target: redis_exporter reports
    // redis_up 0 and no stream series when it cannot reach Redis (exporter/exporter.go `Collect`,
    // `scrapeRedisHost`), and then the records stay absent, so the HPA holds its size instead of
    // scaling down on a queue nobody can read; a missing exporter does the same. `sum by` on both
    // sides gives both the label set {namespace, memos_instance}, so `or` adds the 0 only for an
    // instance without stream series (prometheus/prometheus docs/querying/operators.md, "Logical/set binary
    // operators"). `max by (..., stream)` first: while the exporter Deployment rolls, two pods
    // report the same streams, which a plain sum would count twice.
    // Left open: a SCAN error with Redis up is only logged by the exporter (exporter/streams.go
    // `extractStreamMetrics`) and reads as 0 here; MemOS finds its streams with the same SCAN.
    const streams = `stream=~"${promString(streamRegex)}"`;
    const byInstance = `namespace, ${INSTANCE_LABEL}`;
    const zeroWhileRedisUp = `0 * max by (${byInstance}) (redis_up{${INSTANCE_LABEL}!=""} == 1)`;
    this.rules = new PrometheusRule(this, 'Rules', {
      metadata: { ...monitoringMetadata, name: sharedName },
      spec: {
        groups: [{
          name: 'memos-scheduler-queue',
          interval: `${intervalSeconds}s`,
          rules: [
            {
              record: QUEUE_DEPTH_RECORD,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(
                `sum by (${byInstance}) (max by (${byInstance}, db, stream) (redis_stream_length{${streams}})) or ${zeroWhileRedisUp}`),
            },
            {
              record: QUEUE_IN_FLIGHT_RECORD,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(
                `sum by (${byInstance}) (max by (${byInstance}, db, stream, group) (redis_stream_group_messages_pending{group="${MEMOS_CONSUMER_GROUP}",${streams}})) or ${zeroWhileRedisUp}`),
            },
          ],
        }],
      },
    });

    // Opt-in only: this replaces the add-on's ConfigMap (see ADAPTER_CONFIG_MAP in queue-depth-adapter.ts).
    if (requireBoolean(this, 'adapterConfig', props.adapterConfig ?? false)) {
      this.adapterConfig = new kplus.ConfigMap(this, 'AdapterConfig', {
        metadata: { namespace: monitoringNamespace, name: ADAPTER_CONFIG_MAP, labels: componentLabels(instance, 'metrics-adapter-config') },
        data: { 'config.yaml': Yaml.stringify(adapterRules()) },
      });
    }

    // Opt-in only: Unavailable until the adapter serves external metrics, and then it breaks
    // discovery cluster-wide (see ADAPTER_CONFIG_MAP in queue-depth-adapter.ts).
    if (requireBoolean(this, 'registerExternalMetricsApi', props.registerExternalMetricsApi ?? false)) {
      const apiService = this.externalMetricsApi = new kplus.k8s.KubeApiService(this, 'ExternalMetricsApi', {
        metadata: { name: 'v1beta1.external.metrics.k8s.io', labels: componentLabels(instance, 'metrics-adapter') },
        spec: {
          group: 'external.metrics.k8s.io',
          version: 'v1beta1',
          service: { name: CCE_CUSTOM_METRICS_APISERVER, namespace: monitoringNamespace, port: 443 },
          groupPriorityMinimum: 100,
          versionPriority: 100,
          // As CCE registers metrics.k8s.io with the same adapter (cce_10_0406, "Providing Basic
          // Resource Metrics Through the Metrics API"): the serving certificate is self-signed.
          insecureSkipTlsVerify: true,
        },
      });
      // APIServices are cluster-scoped; the chart would stamp its namespace on them.
      apiService.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}

/** `value` when it is a boolean (plain JavaScript callers may pass `'false'`, which is truthy). */
function requireBoolean(scope: Construct, property: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return invalidProp(scope, property, value, 'true or false');
}

/** Escapes a value for a double-quoted PromQL string. */
function promString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
