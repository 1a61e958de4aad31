import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CHARTS_CHECKING_CAPACITY, MemosStack } from './memos-stack';
import { MemosStackProps } from './memos-stack-props';
import { MemosSyncWaves } from './sync-waves';
import { MANAGED_BY, PART_OF, PodSecurityLevel, podSecurityLabels } from '../src/kubernetes';
import { reportAs, requireDnsLabel, requireEnum, requireLabels } from '../src/validation';

/** Properties of {@link MemosChart}: one deployable MemOS stack in its own namespace. */
export interface MemosChartProps extends MemosStackProps {
  /**
   * Namespace of every object.
   * @default 'memos'
   */
  readonly namespace?: string;
  /**
   * Create the namespace (with Pod Security Admission labels). Turn off when the namespace is
   * managed elsewhere.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Pod Security Admission level enforced on the namespace (cce_10_0466).
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Extra labels on every object (for example a team or cost-centre label).
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * A chart holding one {@link MemosStack} and, by default, its namespace: what `dist/<env>/`
 * contains. To put MemOS into a chart of your own, use {@link MemosStack} directly.
 *
 * Every object carries an Argo CD sync wave (`argocd.argoproj.io/sync-wave`, see
 * {@link MemosSyncWaves}): Namespace, PriorityClasses, RBAC and ConfigMaps, NetworkPolicies,
 * stores, the Qdrant collection Job and backups, model servers, MemOS, the gateway, then the
 * monitoring add-on's objects (which also skip Argo CD's dry run while their CRDs are missing).
 * `kubectl apply` ignores the waves.
 *
 * ```ts
 * new MemosChart(app, 'prod', { size: MemosSize.SMALL, namespace: 'memos-prod' });
 * ```
 */
export class MemosChart extends Chart {
  /** The MemOS stack. */
  public readonly stack: MemosStack;
  /** The namespace, when the chart creates it. */
  public readonly namespaceObject?: kplus.Namespace;

  constructor(scope: Construct, id: string, props: MemosChartProps) {
    const namespace = props.namespace ?? 'memos';
    super(scope, id, {
      namespace,
      labels: { ...props.labels, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY },
    });
    requireDnsLabel(this, 'namespace', namespace);
    requireLabels(this, 'labels', props.labels);
    const podSecurity = requireEnum(this, 'podSecurity', props.podSecurity ?? PodSecurityLevel.RESTRICTED, PodSecurityLevel);

    if (props.createNamespace ?? true) {
      this.namespaceObject = new kplus.Namespace(this, 'Namespace', {
        metadata: { name: namespace, labels: podSecurityLabels(podSecurity) },
      });
      // The chart stamps its namespace on every object; a Namespace is cluster-scoped.
      ApiObject.of(this.namespaceObject).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    // The id `Default` keeps the stack out of object names and `cdk8s.io/metadata.addr` hashes,
    // and its errors are reported as this chart's, under the props the user wrote.
    CHARTS_CHECKING_CAPACITY.add(this);
    this.stack = reportAs(this, {}, () => new MemosStack(this, 'Default', props));
  }

  /**
   * The chart's objects, each with its Argo CD sync wave ({@link MemosSyncWaves}, from its kind
   * and labels: objects you add to the chart get one too); throws when the stack does not fit its
   * node pools. The check reads the objects synth resolves anyway, instead of resolving the
   * workloads a second time in validation.
   */
  public toJson(): any[] {
    const objects = super.toJson();
    const problem = this.stack._capacityProblem(objects);
    if (problem) throw new Error(problem);
    return MemosSyncWaves.annotate(objects);
  }
}
