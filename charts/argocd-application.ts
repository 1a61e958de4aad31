import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { MemosStack } from './memos-stack';
import { Application, ApplicationSpecIgnoreDifferences, ApplicationSpecSyncPolicy } from '../imports/application-argoproj.io';
import { invalidProp, requireDnsLabel, requireInteger } from '../src/validation';

/** Options of {@link ArgoSyncPolicy.automated}. */
export interface ArgoAutomatedSyncOptions {
  /**
   * Delete objects that left the manifests (after every other object is synced and healthy:
   * the Application sets `PruneLast=true`).
   * @default true
   */
  readonly prune?: boolean;
  /** Revert changes made in the cluster (`kubectl edit`, `kubectl scale`) to the manifests. @default true */
  readonly selfHeal?: boolean;
  /**
   * Retries of a failed sync, with exponential backoff from 10 seconds up to 3 minutes: a first
   * sync may fail while a node pool or a CRD is still coming up. 0 disables retries.
   * @default 5
   */
  readonly retryLimit?: number;
}

/**
 * When Argo CD syncs an Application: automatically on every new commit, or when someone presses
 * Sync.
 */
export class ArgoSyncPolicy {
  /** Sync every new commit without asking (what a GitOps folder is for). */
  public static automated(options: ArgoAutomatedSyncOptions = {}): ArgoSyncPolicy {
    return new ArgoSyncPolicy({ ...options });
  }

  /** Sync only on request (`argocd app sync`, the UI); Argo CD still shows the drift. */
  public static manual(): ArgoSyncPolicy {
    return new ArgoSyncPolicy(undefined);
  }

  /** @internal */
  public readonly _automated?: ArgoAutomatedSyncOptions;

  private constructor(automated: ArgoAutomatedSyncOptions | undefined) {
    this._automated = automated;
  }
}

/** Properties of {@link MemosArgoApplication}. */
export interface MemosArgoApplicationProps {
  /** Name of the Application (a DNS label), e.g. `memos-prod`. */
  readonly name: string;
  /**
   * Git repository holding the manifests: `https://host/path` (no credentials in the URL:
   * give them to Argo CD as a repository Secret) or SSH (`git@host:path`, `ssh://host/path`).
   */
  readonly repoUrl: string;
  /** Folder of the manifests in the repository, relative to its root, e.g. `dist/prod`. */
  readonly path: string;
  /**
   * Branch, tag or commit to deploy.
   * @default 'main'
   */
  readonly targetRevision?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * Namespace Argo CD runs in, where the Application object lives.
   * @default 'argocd'
   */
  readonly argoNamespace?: string;
  /**
   * API server of the cluster to deploy to.
   * @default 'https://kubernetes.default.svc' (the cluster Argo CD runs in)
   */
  readonly destinationServer?: string;
  /**
   * Namespace for objects of the manifests that name none.
   * @default - the namespace of `stack`'s chart; required without `stack`
   */
  readonly destinationNamespace?: string;
  /**
   * When to sync.
   * @default ArgoSyncPolicy.automated({ prune: true, selfHeal: true, retryLimit: 5 })
   */
  readonly syncPolicy?: ArgoSyncPolicy;
  /**
   * The stack the manifests hold: `spec.replicas` of what it scales at run time (every target
   * of its HorizontalPodAutoscalers; the Neo4j Community StatefulSet, which its backup scales to
   * 0 and back) is left to the cluster (`ignoreDifferences`, respected by syncs too).
   * @default - no ignored differences
   */
  readonly stack?: MemosStack;
}

/** Argo CD's name for the cluster it runs in. */
const IN_CLUSTER = 'https://kubernetes.default.svc';

// https://host[:port]/path, without credentials; git@host:path; ssh://[user@]host[:port]/path.
const HTTPS_REPO = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/[^\s@]+$/;
const SCP_REPO = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*$/;
const SSH_REPO = /^ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?\/\S+$/;
const HTTPS_SERVER = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/\S*)?$/;

/**
 * An Argo CD `Application` (argoproj.io/v1alpha1) deploying a folder of plain manifests, such
 * as `dist/<env>/` of this project.
 *
 * - Sync options: `PruneLast=true` (objects that left the manifests are deleted only once
 *   everything else is synced and healthy) and `RespectIgnoreDifferences=true` (a sync does not
 *   reset the replica counts the cluster owns).
 * - No `CreateNamespace`: a {@link MemosChart} creates its Namespace itself, labelled for Pod
 *   Security Admission, in the first sync wave; with `createNamespace: false` the namespace is
 *   someone else's to create.
 * - No `ServerSideApply`: every object fits the client-side `last-applied-configuration`
 *   annotation, and the README's `kubectl apply` path applies client-side too, so a cluster can
 *   move between the two without field-ownership conflicts.
 * - No deletion finalizer: deleting the Application leaves the stack running (and its volumes).
 *
 * ```ts
 * new MemosArgoApplication(chart, 'Prod', {
 *   name: 'memos-prod', repoUrl: 'https://git.example.com/platform/memos.git', path: 'dist/prod', stack: prod.stack,
 * });
 * ```
 */
export class MemosArgoApplication extends Construct {
  /** The Application object. */
  public readonly application: ApiObject;
  /** The Application's name. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: MemosArgoApplicationProps) {
    super(scope, id);
    const name = this.name = requireDnsLabel(this, 'name', props.name);
    const repoUrl = requireRepoUrl(this, 'repoUrl', props.repoUrl);
    const path = requireRepoPath(this, 'path', props.path);
    const targetRevision = requireRevision(this, 'targetRevision', props.targetRevision ?? 'main');
    const project = requireDnsLabel(this, 'project', props.project ?? 'default');
    const argoNamespace = requireDnsLabel(this, 'argoNamespace', props.argoNamespace ?? 'argocd');
    const server = props.destinationServer ?? IN_CLUSTER;
    if (typeof server !== 'string' || !HTTPS_SERVER.test(server)) {
      invalidProp(this, 'destinationServer', server, `the https:// URL of a cluster's API server Argo CD knows, e.g. ${IN_CLUSTER}`);
    }
    const stackNamespace = props.stack ? Chart.of(props.stack).namespace : undefined;
    const namespace = props.destinationNamespace ?? stackNamespace;
    if (namespace === undefined) {
      invalidProp(this, 'destinationNamespace', undefined, "a namespace (a DNS label), or stack: the MemosStack whose chart's namespace to use");
    }
    requireDnsLabel(this, 'destinationNamespace', namespace);
    const syncPolicy = props.syncPolicy ?? ArgoSyncPolicy.automated();
    if (!(syncPolicy instanceof ArgoSyncPolicy)) {
      invalidProp(this, 'syncPolicy', syncPolicy, 'ArgoSyncPolicy.automated({ prune?, selfHeal?, retryLimit? }) or ArgoSyncPolicy.manual()');
    }
    const ignoreDifferences = props.stack ? replicasOwnedByTheCluster(props.stack) : [];

    this.application = new Application(this, 'Resource', {
      metadata: { name, namespace: argoNamespace },
      spec: {
        project,
        source: { repoUrl, targetRevision, path },
        destination: { server, namespace },
        ...(ignoreDifferences.length > 0 ? { ignoreDifferences } : {}),
        syncPolicy: this.syncPolicy(syncPolicy),
      },
    });
  }

  private syncPolicy(policy: ArgoSyncPolicy): ApplicationSpecSyncPolicy {
    const syncOptions = ['PruneLast=true', 'RespectIgnoreDifferences=true'];
    const automated = policy._automated;
    if (!automated) return { syncOptions };
    const bool = (property: string, value: unknown): boolean => {
      if (value === undefined) return true;
      if (typeof value === 'boolean') return value;
      return invalidProp(this, `syncPolicy.${property}`, value, 'true or false');
    };
    const retryLimit = requireInteger(this, 'syncPolicy.retryLimit', automated.retryLimit ?? 5, 0, 100);
    return {
      automated: { prune: bool('prune', automated.prune), selfHeal: bool('selfHeal', automated.selfHeal) },
      syncOptions,
      ...(retryLimit > 0 ? { retry: { limit: retryLimit, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } } } : {}),
    };
  }
}

/**
 * `spec.replicas` of the workloads whose replica count the cluster sets: every target of the
 * stack's HorizontalPodAutoscalers, and the Neo4j Community StatefulSet when its backup scales it
 * to 0 and back. Sorted, without duplicates.
 */
function replicasOwnedByTheCluster(stack: MemosStack): ApplicationSpecIgnoreDifferences[] {
  const namespace = Chart.of(stack).namespace;
  const targets = new Map<string, ApplicationSpecIgnoreDifferences>();
  const add = (apiVersion: string, kind: string, name: string) => {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    targets.set(`${kind}/${name}`, { group, kind, name, namespace, jsonPointers: ['/spec/replicas'] });
  };
  for (const object of stack.node.findAll()) {
    if (!ApiObject.isApiObject(object) || object.kind !== 'HorizontalPodAutoscaler') continue;
    const target = object.toJson().spec?.scaleTargetRef;
    if (target?.kind && target?.name) add(target.apiVersion ?? 'apps/v1', target.kind, target.name);
  }
  if (stack.neo4j && stack.neo4jBackup?.serviceAccount) add('apps/v1', 'StatefulSet', stack.neo4j.statefulSet.name);
  return [...targets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
}

function requireRepoUrl(scope: Construct, property: string, value: unknown): string {
  if (typeof value === 'string' && (HTTPS_REPO.test(value) || SCP_REPO.test(value) || SSH_REPO.test(value))) return value;
  const hint = typeof value === 'string' && /^https?:\/\/[^/]*@/.test(value) ? ' (without credentials: give them to Argo CD as a repository Secret)' : '';
  return invalidProp(scope, property, value, `a Git repository URL: https://host/path${hint}, git@host:path or ssh://host/path`);
}

function requireRevision(scope: Construct, property: string, value: unknown): string {
  if (typeof value === 'string' && /^[^\s]+$/.test(value)) return value;
  return invalidProp(scope, property, value, 'a branch, tag or commit: non-empty, no whitespace');
}

function requireRepoPath(scope: Construct, property: string, value: unknown): string {
  const segments = typeof value === 'string' ? value.split('/') : [];
  if (typeof value === 'string' && value.length > 0 && !value.startsWith('/') && !/\s/.test(value) && !segments.includes('..')) return value;
  return invalidProp(scope, property, value, "a folder relative to the repository's root, e.g. dist/prod: non-empty, no leading '/', no '..', no whitespace");
}
