import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { MemosChart } from './memos-chart';
import { ArgoSyncPolicy, MemosArgoApplication } from './argocd-application';
import { MANAGED_BY, PART_OF } from '../src/kubernetes';
import { invalidProp, requireDnsLabel } from '../src/validation';

/** Properties of {@link MemosArgoApplications}. */
export interface MemosArgoApplicationsProps {
  /**
   * The environments: one {@link MemosChart} each, whose id names its folder
   * (`<manifestsFolder>/<id>/`) and its Application (`<namePrefix>-<id>`).
   */
  readonly charts: MemosChart[];
  /** Git repository holding the manifests (`https://host/path`, `git@host:path` or `ssh://host/path`). */
  readonly repoUrl: string;
  /**
   * Branch, tag or commit to deploy.
   * @default 'main'
   */
  readonly targetRevision?: string;
  /**
   * Argo CD project of every Application.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * Namespace Argo CD runs in.
   * @default 'argocd'
   */
  readonly argoNamespace?: string;
  /**
   * API server of the cluster the environments are deployed to (the cluster Argo CD runs in, or
   * one registered with `argocd cluster add`).
   * @default 'https://kubernetes.default.svc'
   */
  readonly destinationServer?: string;
  /**
   * API servers of single environments, by environment (chart id), overriding
   * `destinationServer`. Two environments may share a cluster only in different namespaces.
   * @default - every environment on `destinationServer`
   */
  readonly destinationServers?: { [environment: string]: string };
  /**
   * When the environments' Applications sync.
   * @default ArgoSyncPolicy.automated()
   */
  readonly syncPolicy?: ArgoSyncPolicy;
  /**
   * Folder of the environments' manifests in the repository.
   * @default 'dist'
   */
  readonly manifestsFolder?: string;
  /**
   * Folder of the environments' Application files in the repository: what the app of apps syncs.
   * @default 'dist-argocd/apps'
   */
  readonly applicationsFolder?: string;
  /**
   * Prefix of the environments' Application names.
   * @default 'memos'
   */
  readonly namePrefix?: string;
  /**
   * Name of the app of apps.
   * @default 'memos-apps'
   */
  readonly appOfAppsName?: string;
}

/**
 * Argo CD Applications for a set of environments, one chart (one file) each, plus an app of
 * apps that syncs the folder of those files: applying the app of apps once is the whole
 * bootstrap. Each environment's Application ignores the replica counts its stack leaves to the
 * cluster (see {@link MemosArgoApplication}).
 *
 * The app of apps syncs automatically and prunes: an environment removed from the folder loses
 * its Application, and its workloads stay running (no deletion finalizer) until deleted by hand.
 */
export class MemosArgoApplications extends Construct {
  /** One chart per environment, in the order given, each holding its Application; ids are the environments' names. */
  public readonly environmentCharts: Chart[];
  /** The chart holding the app of apps. */
  public readonly appOfAppsChart: Chart;
  /** The environments' Applications, in the order given. */
  public readonly applications: MemosArgoApplication[];
  /** The Application syncing {@link MemosArgoApplicationsProps.applicationsFolder}. */
  public readonly appOfApps: MemosArgoApplication;

  constructor(scope: Construct, id: string, props: MemosArgoApplicationsProps) {
    super(scope, id);
    const argoNamespace = requireDnsLabel(this, 'argoNamespace', props.argoNamespace ?? 'argocd');
    const manifestsFolder = trimSlashes(props.manifestsFolder ?? 'dist');
    const applicationsFolder = trimSlashes(props.applicationsFolder ?? 'dist-argocd/apps');
    const prefix = requireDnsLabel(this, 'namePrefix', props.namePrefix ?? 'memos', 40);
    if (!Array.isArray(props.charts) || props.charts.length === 0) invalidProp(this, 'charts', props.charts, 'at least one MemosChart');
    const common = {
      repoUrl: props.repoUrl,
      targetRevision: props.targetRevision,
      project: props.project,
      argoNamespace,
      destinationServer: props.destinationServer,
    };
    const labels = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': MANAGED_BY };
    const servers = props.destinationServers ?? {};
    const environments = new Set(props.charts.map((chart) => chart?.node?.id));
    for (const environment of Object.keys(servers)) {
      if (!environments.has(environment)) invalidProp(this, 'destinationServers', environment, `environments among the charts: ${[...environments].join(', ')}`);
    }
    // Two stacks in one namespace of one cluster would overwrite each other's objects (and their
    // PriorityClasses, named after the namespace).
    const destinations = new Map<string, string>();
    const seen = new Set<string>();
    this.environmentCharts = [];
    this.applications = [];
    props.charts.forEach((chart, index) => {
      // Not `instanceof`: cdk8s's Chart answers it for every chart.
      if (!MemosChart.prototype.isPrototypeOf(chart)) invalidProp(this, `charts[${index}]`, String(chart), 'a MemosChart');
      const environment = requireDnsLabel(this, `charts[${index}] id`, chart.node.id);
      if (seen.has(environment)) invalidProp(this, `charts[${index}] id`, environment, 'an id no other chart has: it names the folder and the Application');
      seen.add(environment);
      const server = servers[environment] ?? props.destinationServer ?? 'https://kubernetes.default.svc';
      const destination = `${server} namespace ${chart.namespace}`;
      const other = destinations.get(destination);
      if (other !== undefined) {
        invalidProp(this, props.destinationServers?.[environment] !== undefined ? `destinationServers.${environment}` : 'destinationServers',
          props.destinationServers?.[environment] ?? environment,
          `a cluster where environment ${environment} does not share namespace ${chart.namespace} with environment ${other} (give one of them its own cluster here, or another namespace)`);
      }
      destinations.set(destination, environment);
      const holder = new Chart(this, environment, { namespace: argoNamespace, labels });
      this.environmentCharts.push(holder);
      this.applications.push(new MemosArgoApplication(holder, 'Application', {
        ...common,
        name: `${prefix}-${environment}`,
        path: `${manifestsFolder}/${environment}`,
        destinationServer: server,
        syncPolicy: props.syncPolicy,
        stack: chart.stack,
      }));
    });
    this.appOfAppsChart = new Chart(this, 'AppOfApps', { namespace: argoNamespace, labels });
    this.appOfApps = new MemosArgoApplication(this.appOfAppsChart, 'Application', {
      ...common,
      name: props.appOfAppsName ?? `${prefix}-apps`,
      path: applicationsFolder,
      destinationNamespace: argoNamespace,
      syncPolicy: ArgoSyncPolicy.automated({ prune: true, selfHeal: true }),
    });
  }
}

function trimSlashes(folder: string): string {
  return typeof folder === 'string' ? folder.replace(/^\.\//, '').replace(/\/+$/, '') : folder;
}
