// Argo CD Applications for the environments: what `dist-argocd/` holds (docs/gitops.md).
import { App, Yaml } from 'cdk8s';
import { MemosEnvironment } from './environments';
import { MemosChart } from '../charts/memos-chart';
import { MemosArgoApplications } from '../charts/argocd-applications';

/**
 * The Git repository Argo CD reads `dist/` and `dist-argocd/` from. A placeholder
 * (`.example` is a reserved domain): put your repository's URL here (`https://host/path`,
 * `git@host:path` or `ssh://host/path`; credentials go to Argo CD as a repository Secret, never
 * into the URL) and the branch Argo CD follows, then run `npm run synth`.
 */
export const GITOPS_REPOSITORY = {
  url: 'https://git.example.com/platform/memos.git',
  revision: 'main',
} as const;

/**
 * The cluster of each environment, as Argo CD knows it. The shipped environments all use
 * namespace `memos`, so each gets a cluster of its own: `small` the one Argo CD runs in, `medium`
 * and `large` placeholders (`.example`): register your clusters with `argocd cluster add` and put
 * the API server URLs it shows here, or give environments distinct namespaces and one cluster.
 */
export const GITOPS_CLUSTERS: Readonly<Record<string, string>> = {
  small: 'https://kubernetes.default.svc',
  medium: 'https://memos-medium.cce.example:5443',
  large: 'https://memos-large.cce.example:5443',
};

/** Folder of the Argo CD Applications, beside `dist/` (which the Applications sync). */
export const ARGOCD_OUTDIR = 'dist-argocd';
/** Folder of the environments' Applications below {@link ARGOCD_OUTDIR}: what the app of apps syncs. */
export const ARGOCD_APPS_FOLDER = 'apps';
/** File of the app of apps below {@link ARGOCD_OUTDIR}: the one file to apply by hand. */
export const ARGOCD_APP_OF_APPS_FILE = 'memos-apps.yaml';

/** Where the manifests and Applications live in the repository. */
export interface GitOpsOptions {
  /** @default GITOPS_REPOSITORY.url */
  readonly repoUrl?: string;
  /** @default GITOPS_REPOSITORY.revision */
  readonly targetRevision?: string;
  /** Folder of the environments' manifests, relative to the repository root. @default 'dist' */
  readonly manifestsFolder?: string;
  /** Folder this function's files are written to, relative to the repository root. @default ARGOCD_OUTDIR */
  readonly argocdFolder?: string;
  /** Cluster API server by environment; others go to the cluster Argo CD runs in. @default GITOPS_CLUSTERS */
  readonly clusters?: Readonly<Record<string, string>>;
}

/**
 * The Argo CD Applications of `environments`, in memory: file path relative to `dist-argocd/`
 * → YAML. `apps/<environment>.yaml` holds that environment's Application (syncing
 * `dist/<environment>/`); `memos-apps.yaml` the app of apps (syncing `dist-argocd/apps/`).
 * Throws on an invalid environment or repository setting, like `renderEnvironments`.
 */
export function renderArgoApplications(environments: readonly MemosEnvironment[], options: GitOpsOptions = {}): Map<string, string> {
  const argocdFolder = options.argocdFolder ?? ARGOCD_OUTDIR;
  // Each environment's chart in an App of its own, as renderEnvironments builds it: only read here.
  const charts = environments.map((environment) => new MemosChart(new App(), environment.name, environment));
  const app = new App();
  const applications = new MemosArgoApplications(app, 'argocd', {
    charts,
    repoUrl: options.repoUrl ?? GITOPS_REPOSITORY.url,
    targetRevision: options.targetRevision ?? GITOPS_REPOSITORY.revision,
    manifestsFolder: options.manifestsFolder ?? 'dist',
    applicationsFolder: `${argocdFolder}/${ARGOCD_APPS_FOLDER}`,
    // Only the environments given: a list without medium or large is fine.
    destinationServers: Object.fromEntries(Object.entries(options.clusters ?? GITOPS_CLUSTERS).filter(([name]) => environments.some((e) => e.name === name))),
  });
  // Runs the constructs' validations.
  app.synthYaml();
  const files = new Map<string, string>();
  applications.environmentCharts.forEach((chart) => files.set(`${ARGOCD_APPS_FOLDER}/${chart.node.id}.yaml`, Yaml.stringify(...chart.toJson())));
  files.set(ARGOCD_APP_OF_APPS_FILE, Yaml.stringify(...applications.appOfAppsChart.toJson()));
  return files;
}
