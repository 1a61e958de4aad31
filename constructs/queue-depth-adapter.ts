import { Yaml } from 'cdk8s';
import type { QueueDepthMetric } from './queue-depth-metric';
import { CCE_CUSTOM_METRICS_APISERVER, CCE_MONITORING_NAMESPACE } from '../src/cce';
import { InvalidPropError } from '../src/validation';

/*
 * The prometheus-adapter side of `redis_queue_depth` (QueueDepthMetric, queue-depth-metric.ts):
 * the names its external rule reads and serves, the add-on's adapter ConfigMap, the rule itself
 * and the command that merges it into the add-on's configuration.
 */

/** Name of the external metric the memos-api HPA scales on. */
export const QUEUE_DEPTH_METRIC = 'redis_queue_depth';
/** Recording rule behind {@link QUEUE_DEPTH_METRIC}: Σ XLEN of the scheduler streams, per MemOS instance. */
export const QUEUE_DEPTH_RECORD = 'memos:redis_queue_depth:sum';
/** Series label naming the MemOS instance (set by the ServiceMonitor from the Service's labels). */
export const INSTANCE_LABEL = 'memos_instance';

/**
 * The add-on's adapter and its ConfigMap, as upstream documents and codes them:
 * - CCE's Cloud Native Cluster Monitoring runs prometheus-adapter as `custom-metrics-apiserver`
 *   and reads `config.yaml` of `user-adapter-config` (`adapter-config` in older versions) in
 *   `monitoring`; users add their rules to it and redeploy the adapter (cce_10_0406,
 *   opentelekomcloud-docs/cloud-container-engine
 *   umn/source/add-ons/cloud_native_observability_add-ons/cloud_native_cluster_monitoring.rst,
 *   "Creating an HPA Policy Using Custom Metrics"). The same ConfigMap holds the add-on's
 *   `resourceRules` (cpu/memory `containerQuery`/`nodeQuery`), shown there as existing content
 *   (cce_10_0789, umn/source/scheduling/volcano_scheduling/resource_usage-based_scheduling/
 *   load-aware_scheduling.rst: "the rules in config.yaml are new ones and others are existing ones").
 * - prometheus-adapter `cmd/adapter/adapter.go` (kubernetes-sigs/prometheus-adapter @0032610a):
 *   `addResourceMetricsAPI` installs `metrics.k8s.io` only when `ResourceRules != nil`;
 *   `makeProvider` serves `custom.metrics.k8s.io` only when `len(Rules) > 0`;
 *   `makeExternalProvider` serves `external.metrics.k8s.io` only when `len(ExternalRules) > 0`; the
 *   file is read once, at start (`loadConfig` in `main`). So a ConfigMap replaced by ours
 *   (`rules: []`, no `resourceRules`) drops `kubectl top`, CPU autoscaling and every custom
 *   metric, and an APIService registered for one of them turns Unavailable.
 * - An Unavailable aggregated APIService fails discovery for every client that lists all groups:
 *   `kubectl api-resources` ("unable to retrieve the complete list of server APIs"), the resource
 *   quota controller, and the namespace controller, which leaves namespaces in Terminating with
 *   condition `NamespaceDeletionDiscoveryFailure` (k8s.io/api core/v1 types.go; kubernetes/kubernetes
 *   issue #83332; kubernetes-sigs/metrics-server issue #157).
 * @internal
 */
export const ADAPTER_CONFIG_MAP = 'user-adapter-config';

/**
 * Merges `externalRules` given as JSON (argv[1]) into `config.yaml` of a ConfigMap read as JSON on
 * stdin; writes the ConfigMap as JSON. Rules are matched by `name.as`.
 */
const MERGE_PROGRAM = [
  'import json, sys, yaml',
  'cm = json.load(sys.stdin)',
  'new = json.loads(sys.argv[1])',
  'data = cm.get("data") or {}',
  'config = yaml.safe_load(data.get("config.yaml") or "") or {}',
  'names = [r["name"]["as"] for r in new]',
  'kept = [r for r in config.get("externalRules") or [] if (r.get("name") or {}).get("as") not in names]',
  'config["externalRules"] = kept + new',
  'data["config.yaml"] = yaml.safe_dump(config, default_flow_style=False, sort_keys=False)',
  'cm["data"] = data',
  'cm["metadata"].pop("managedFields", None)',
  'sys.stderr.write("%s: externalRules %s merged; kept %s\\n" % (cm["metadata"]["name"], ", ".join(names), ", ".join(k for k in config if k != "externalRules") or "no other keys"))',
  'json.dump(cm, sys.stdout)',
].join('\n');

/** Where {@link QueueDepthMetric.adapterMergeCommand} merges the rule. */
export interface AdapterMergeCommandOptions {
  /**
   * Namespace of the Cloud Native Cluster Monitoring add-on (the stack's `monitoringNamespace`).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * The add-on's adapter ConfigMap. Older add-on versions name it `adapter-config` (cce_10_0406).
   * @default 'user-adapter-config'
   */
  readonly configMapName?: string;
}

/**
 * See {@link QueueDepthMetric.adapterRules}.
 * @internal
 */
export function adapterRules(): Record<string, unknown> {
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

/**
 * See {@link QueueDepthMetric.adapterRulesSnippet}.
 * @internal
 */
export function adapterRulesSnippet(): string {
  return Yaml.stringify({ externalRules: adapterRules().externalRules });
}

/**
 * See {@link QueueDepthMetric.adapterMergeCommand}.
 * @internal
 */
export function adapterMergeCommand(options: AdapterMergeCommandOptions = {}): string {
  const where = 'QueueDepthMetric.adapterMergeCommand';
  const namespace = options.monitoringNamespace ?? CCE_MONITORING_NAMESPACE;
  if (typeof namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new InvalidPropError(where, 'monitoringNamespace', namespace, 'a DNS label: lowercase letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters');
  }
  const configMap = options.configMapName ?? ADAPTER_CONFIG_MAP;
  if (typeof configMap !== 'string' || configMap.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(configMap)) {
    throw new InvalidPropError(where, 'configMapName', configMap, 'a DNS subdomain: lowercase letters, digits, \'-\' and \'.\', at most 253 characters');
  }
  const rules = JSON.stringify(adapterRules().externalRules);
  return [
    `kubectl -n ${namespace} get configmap ${configMap} -o json \\`,
    `  | python3 -c ${shellQuote(MERGE_PROGRAM)} ${shellQuote(rules)} \\`,
    '  | kubectl replace -f - \\',
    `  && kubectl -n ${namespace} rollout restart deployment ${CCE_CUSTOM_METRICS_APISERVER} \\`,
    `  && kubectl -n ${namespace} rollout status deployment ${CCE_CUSTOM_METRICS_APISERVER}`,
  ].join('\n');
}

/** Quotes a word for POSIX shells. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Escapes regular-expression metacharacters.
 * @internal
 */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
