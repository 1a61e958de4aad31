/** The annotation Argo CD orders a sync by: lower waves are applied, and must be healthy, first. */
const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** Per-object Argo CD sync options. */
const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
/** Lets a sync proceed when the cluster does not serve a CRD-backed kind yet (no monitoring add-on). */
const SKIP_DRY_RUN = 'SkipDryRunOnMissingResource=true';

/** Kinds served by CRDs of the monitoring add-on (Prometheus Operator), not by Kubernetes. */
const MONITORING_KINDS = new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule']);

/**
 * The waves, lowest first. Argo CD applies one wave, waits until its objects are healthy (a Job:
 * complete), then applies the next; `kubectl apply` ignores the annotation and applies everything
 * at once (the pods then wait in their init containers and restart until what they need is up).
 */
const WAVE = {
  namespace: -10,
  priorityClasses: -9,
  rbacAndConfig: -8,
  networkPolicies: -7,
  metadataStore: 0,
  stores: 1,
  storeJobs: 2,
  modelServers: 3,
  memos: 4,
  gateway: 5,
  monitoring: 6,
  postDeploy: 7,
} as const;

/** Waves by kind, whatever the component: what every pod needs before it starts. */
const WAVE_BY_KIND: Readonly<Record<string, number>> = {
  Namespace: WAVE.namespace,
  PriorityClass: WAVE.priorityClasses,
  ServiceAccount: WAVE.rbacAndConfig,
  Role: WAVE.rbacAndConfig,
  RoleBinding: WAVE.rbacAndConfig,
  ClusterRole: WAVE.rbacAndConfig,
  ClusterRoleBinding: WAVE.rbacAndConfig,
  ConfigMap: WAVE.rbacAndConfig,
  Secret: WAVE.rbacAndConfig,
  // Before any pod: a pod started before its policies would briefly run unisolated.
  NetworkPolicy: WAVE.networkPolicies,
  ServiceMonitor: WAVE.monitoring,
  PodMonitor: WAVE.monitoring,
  PrometheusRule: WAVE.monitoring,
  // The opt-in external-metrics registration: Unavailable until the add-on serves it, so last,
  // where it holds nothing up.
  APIService: WAVE.monitoring,
};

/**
 * Waves of everything else (workloads, their Services, autoscalers and disruption budgets) by
 * component, the `app.kubernetes.io/name` label. Milvus's etcd is named after the instance
 * (`<instance>-milvus-etcd`) and is looked up as `milvus-etcd`.
 * @internal
 */
export const _WAVE_BY_COMPONENT: Readonly<Record<string, number>> = {
  'milvus-etcd': WAVE.metadataStore,
  'neo4j': WAVE.stores,
  'qdrant': WAVE.stores,
  'milvus': WAVE.stores,
  'redis': WAVE.stores,
  // After Qdrant: it waits for every Qdrant node to join, then creates MemOS's collection.
  'qdrant-collection': WAVE.storeJobs,
  // After their store: the first run finds it up.
  'qdrant-backup': WAVE.storeJobs,
  'neo4j-backup': WAVE.storeJobs,
  'milvus-backup': WAVE.storeJobs,
  'redis-backup': WAVE.storeJobs,
  // Argo CD PostSync hooks (run after the sync whatever their wave); the wave orders them for
  // tools that read it: after everything they check.
  'neo4j-enable-servers': WAVE.postDeploy,
  'smoke-test': WAVE.postDeploy,
  'embedding': WAVE.modelServers,
  'reranker': WAVE.modelServers,
  'memos-api': WAVE.memos,
  'mem-scheduler': WAVE.memos,
  'queue-exporter': WAVE.memos,
  'gateway': WAVE.gateway,
};

/**
 * The Argo CD sync waves of the objects a {@link MemosChart} emits: a pure function of an
 * object's kind and labels, so the same object always lands in the same wave.
 *
 * | Wave | Objects |
 * |-----:|---------|
 * | -10 | Namespace |
 * | -9 | PriorityClasses |
 * | -8 | ServiceAccounts, Roles, RoleBindings, ConfigMaps (Secrets, if any) |
 * | -7 | NetworkPolicies |
 * | 0 | Milvus's etcd (distributed Milvus) |
 * | 1 | stores: Neo4j, Qdrant, Milvus, Redis, with their Services and PodDisruptionBudgets |
 * | 2 | the Qdrant collection Job, the backup CronJobs |
 * | 3 | model servers: embedding, reranker |
 * | 4 | MemOS: memos-api (with its HPA), mem-scheduler, the queue-depth exporter |
 * | 5 | the gateway |
 * | 6 | ServiceMonitors, PodMonitors, PrometheusRules (and the opt-in APIService) |
 * | 7 | the post-deploy Jobs (PostSync hooks): the smoke test, Neo4j's enable-servers |
 *
 * Objects the table does not know (added to the chart by you) go with MemOS, wave 4. An object
 * that already carries a wave keeps it. `kubectl apply` ignores waves.
 */
export class MemosSyncWaves {
  /** The annotation holding an object's sync wave. */
  public static readonly ANNOTATION = SYNC_WAVE;
  /** The wave of objects the table does not know. */
  public static readonly DEFAULT_WAVE = WAVE.memos;

  /**
   * The wave of an object of `kind` with `labels` (its `app.kubernetes.io/name` and
   * `app.kubernetes.io/instance` are read).
   */
  public static waveOf(kind: string, labels?: { [key: string]: string }): number {
    const byKind = WAVE_BY_KIND[kind];
    if (byKind !== undefined) return byKind;
    const component = componentOf(labels);
    return (component !== undefined ? _WAVE_BY_COMPONENT[component] : undefined) ?? MemosSyncWaves.DEFAULT_WAVE;
  }

  /**
   * Whether Argo CD should skip the dry run of this kind when the cluster does not serve it: the
   * monitoring add-on's kinds (ServiceMonitor, PodMonitor, PrometheusRule).
   */
  public static isCrdBacked(kind: string): boolean {
    return MONITORING_KINDS.has(kind);
  }

  /**
   * Adds the sync-wave annotation (and, to CRD-backed objects, `SkipDryRunOnMissingResource`)
   * to each synthesized object in place, keeping a wave an object already has. What
   * {@link MemosChart} does to its output; call it from your own chart's `toJson()` when you use
   * {@link MemosStack} directly.
   */
  public static annotate(objects: any[]): any[] {
    for (const object of objects) {
      if (!object || typeof object !== 'object' || typeof object.kind !== 'string') continue;
      const metadata = object.metadata = object.metadata ?? {};
      const annotations: Record<string, string> = metadata.annotations = metadata.annotations ?? {};
      if (annotations[SYNC_WAVE] === undefined) annotations[SYNC_WAVE] = String(MemosSyncWaves.waveOf(object.kind, metadata.labels));
      if (MemosSyncWaves.isCrdBacked(object.kind)) {
        const options = (annotations[SYNC_OPTIONS] ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0);
        if (!options.includes(SKIP_DRY_RUN)) annotations[SYNC_OPTIONS] = [...options, SKIP_DRY_RUN].join(',');
      }
    }
    return objects;
  }

  private constructor() {}
}

function componentOf(labels: { [key: string]: string } | undefined): string | undefined {
  const name = labels?.['app.kubernetes.io/name'];
  const instance = labels?.['app.kubernetes.io/instance'];
  if (name !== undefined && instance !== undefined && name === `${instance}-milvus-etcd`) return 'milvus-etcd';
  return name;
}
