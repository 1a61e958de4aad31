import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { MemosChart, MemosChartProps } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { BackupPlan } from '../charts/backup-plan';
import { MemoryStorage, Neo4jBackend, RedisQueue } from '../charts/backends';
import { MemosArgoApplications } from '../charts/argocd-applications';
import { _WAVE_BY_COMPONENT, MemosSyncWaves } from '../charts/sync-waves';
import { ArgoSyncPolicy, MemosArgoApplication, MemosArgoApplicationProps } from '../charts/argocd-application';
import { ENVIRONMENTS } from '../app/environments';
import { renderEnvironments } from '../app/synth';
import { ARGOCD_APP_OF_APPS_FILE, ARGOCD_OUTDIR, renderArgoApplications } from '../app/gitops';
import { podSpecOf } from './support/policy';
import { parseManifests, validateManifests } from './support/schema';

type Obj = Record<string, any>;

const REPO = 'https://git.example.com/platform/memos.git';
const WAVE = MemosSyncWaves.ANNOTATION;
const POD_KINDS = ['Deployment', 'StatefulSet', 'Job', 'CronJob'];
const CRD_KINDS = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'];

const rendered = renderEnvironments(ENVIRONMENTS);
const applications = renderArgoApplications(ENVIRONMENTS);

/** Beyond the shipped environments: Redis and its backup in the cluster, Neo4j Community without a backup. */
const VARIANTS: Record<string, MemosChartProps> = {
  'redis-in-cluster': {
    size: MemosSize.SMALL,
    queue: RedisQueue.inCluster(),
    backup: BackupPlan.toObs({ location: { bucket: 'memos-test-backups', region: 'cn-north-4' } }),
  },
  'no-backup': { size: MemosSize.SMALL, storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster() }) },
};

const objectSets: [string, Obj[]][] = [
  ...ENVIRONMENTS.map((e): [string, Obj[]] => [e.name, parseManifests(rendered.get(e.name)!.yaml)]),
  ...Object.entries(VARIANTS).map(([name, props]): [string, Obj[]] => [name, Testing.synth(new MemosChart(Testing.app(), name, props))]),
];

const waveOf = (o: Obj): number => Number(o.metadata?.annotations?.[WAVE]);
const id = (o: Obj) => `${o.kind}/${o.metadata.name}`;
const nameOf = (o: Obj): string | undefined => o.metadata?.labels?.['app.kubernetes.io/name'];
const podTemplateOf = (o: Obj): Obj | undefined => (o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template);
/** Whether `matchLabels` (not empty) selects `labels`. */
const selects = (matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.keys(matchLabels ?? {}).length > 0 && Object.entries(matchLabels!).every(([k, v]) => labels?.[k] === v);

/** ConfigMaps a pod reads: envFrom, env, volumes (also projected). */
function configMapsOf(spec: Obj): string[] {
  const names = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const f of c.envFrom ?? []) if (f.configMapRef?.name) names.add(f.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) names.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap?.name) names.add(s.configMap.name);
  }
  return [...names];
}

describe('dist-argocd/: the Argo CD Applications', () => {
  test('one Application per environment and the app of apps, all valid against the Argo CD CRD schema', () => {
    expect([...applications.keys()]).toEqual([...ENVIRONMENTS.map((e) => `apps/${e.name}.yaml`), ARGOCD_APP_OF_APPS_FILE]);
    for (const [file, yaml] of applications) {
      const objects = parseManifests(yaml);
      expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['argoproj.io/v1alpha1 Application']);
      expect({ file, violations: validateManifests(objects) }).toEqual({ file, violations: [] });
    }
  });

  test("each environment's Application syncs dist/<env>/ into its chart's namespace, automated, with the chosen sync options", () => {
    for (const environment of ENVIRONMENTS) {
      const [app] = parseManifests(applications.get(`apps/${environment.name}.yaml`)!);
      expect(app.metadata).toMatchObject({ name: `memos-${environment.name}`, namespace: 'argocd' });
      expect(app.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: `dist/${environment.name}` });
      expect(app.spec.destination.namespace).toBe(environment.namespace ?? 'memos');
      expect(app.spec.project).toBe('default');
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.syncOptions).toEqual(['PruneLast=true', 'RespectIgnoreDifferences=true']);
      // The chart creates its Namespace (with Pod Security labels): Argo CD must not.
      expect(app.spec.syncPolicy.syncOptions.join()).not.toMatch(/CreateNamespace|ServerSideApply/);
      // No finalizer: deleting the Application leaves the stack and its volumes alone.
      expect(app.metadata.finalizers).toBeUndefined();
    }
    // No two environments share a namespace of one cluster.
    const destinations = ENVIRONMENTS.map((e) => parseManifests(applications.get(`apps/${e.name}.yaml`)!)[0].spec.destination);
    expect(new Set(destinations.map((d) => `${d.server} ${d.namespace}`)).size).toBe(destinations.length);
  });

  test('the app of apps syncs the folder of the Applications, into the argocd namespace', () => {
    const [app] = parseManifests(applications.get(ARGOCD_APP_OF_APPS_FILE)!);
    expect(app.metadata).toMatchObject({ name: 'memos-apps', namespace: 'argocd' });
    expect(app.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: `${ARGOCD_OUTDIR}/apps` });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.ignoreDifferences).toBeUndefined();
    // The folder it syncs holds exactly the environments' Applications (not itself).
    const folder = [...applications.keys()].filter((f) => f.startsWith('apps/'));
    expect(folder).toHaveLength(ENVIRONMENTS.length);
  });

  test('ignoreDifferences covers exactly the HPA targets, and the Neo4j Community StatefulSet its backup scales', () => {
    const check = (objects: Obj[], application: Obj) => {
      const expected = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`);
      // The Community backup's Role may patch the StatefulSet's scale.
      const scaled = objects.filter((o) => o.kind === 'Role').flatMap((r) => r.rules)
        .filter((rule: Obj) => rule.resources.includes('statefulsets/scale')).flatMap((rule: Obj) => rule.resourceNames.map((n: string) => `StatefulSet/${n}`));
      const ignored = (application.spec.ignoreDifferences ?? []) as Obj[];
      expect(ignored.map((d) => `${d.kind}/${d.name}`).sort()).toEqual([...expected, ...scaled].sort());
      for (const d of ignored) {
        expect(d).toMatchObject({ group: 'apps', jsonPointers: ['/spec/replicas'], namespace: application.spec.destination.namespace });
        expect(objects.some((o) => o.kind === d.kind && o.metadata.name === d.name)).toBe(true);
      }
      return ignored.length;
    };
    for (const environment of ENVIRONMENTS) {
      const [app] = parseManifests(applications.get(`apps/${environment.name}.yaml`)!);
      expect(check(objectSets.find(([n]) => n === environment.name)![1], app)).toBeGreaterThan(0);
    }
    // small runs Neo4j Community with a backup; without a backup, or with fixed replicas, nothing of that is ignored.
    expect(parseManifests(applications.get('apps/small.yaml')!)[0].spec.ignoreDifferences.map((d: Obj) => d.name)).toContain('memos-neo4j');
    const app = new App();
    const fixed = new MemosChart(new App(), 'fixed', { size: MemosSize.SMALL, api: { replicas: 2 } });
    const argo = new MemosArgoApplications(app, 'argocd', { charts: [fixed], repoUrl: REPO });
    const [application] = Testing.synth(argo.environmentCharts[0]);
    check(Testing.synth(fixed), application);
    expect(application.spec.ignoreDifferences.map((d: Obj) => d.name)).not.toContain('memos-api');
    const noBackup = new MemosChart(new App(), 'nobackup', VARIANTS['no-backup']);
    const [withoutBackup] = Testing.synth(new MemosArgoApplications(new App(), 'argocd', { charts: [noBackup], repoUrl: REPO }).environmentCharts[0]);
    expect(check(Testing.synth(noBackup), withoutBackup)).toBeGreaterThan(0);
    expect(withoutBackup.spec.ignoreDifferences.map((d: Obj) => d.name)).not.toContain('memos-neo4j');
  });
});

describe.each(objectSets.map(([name]) => name))('sync waves of %s, against the object graph', (name) => {
  const objects = objectSets.find(([n]) => n === name)![1];
  const workloads = objects.filter((o) => POD_KINDS.includes(o.kind));
  /** Argo CD hooks run after the sync, whatever their wave. */
  const isHook = (o: any): boolean => o.metadata.annotations?.['argocd.argoproj.io/hook'] !== undefined;
  const find = (kind: string, objectName: string) => objects.find((o) => o.kind === kind && o.metadata.name === objectName);

  test('every object has an integer wave; the table knows every component (no fallback)', () => {
    for (const o of objects) {
      expect({ object: id(o), wave: o.metadata.annotations?.[WAVE] }).toEqual({ object: id(o), wave: expect.stringMatching(/^-?\d+$/) });
      const byKind = ['Namespace', 'PriorityClass', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'NetworkPolicy', ...CRD_KINDS].includes(o.kind);
      const component = nameOf(o)?.replace(/^.*-milvus-etcd$/, 'milvus-etcd');
      if (!byKind) expect({ object: id(o), component, known: component !== undefined && component in _WAVE_BY_COMPONENT }).toMatchObject({ known: true });
    }
  });

  test('the Namespace comes first; everything in it later', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace')!;
    for (const o of objects.filter((x) => x.metadata.namespace === namespace.metadata.name)) {
      expect({ object: id(o), after: waveOf(o) > waveOf(namespace) }).toEqual({ object: id(o), after: true });
    }
    expect(Math.min(...objects.map(waveOf))).toBe(waveOf(namespace));
  });

  test("every pod's ServiceAccount, ConfigMaps, PriorityClass and NetworkPolicies come in an earlier wave", () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    for (const workload of workloads) {
      const spec = podSpecOf(workload)!;
      const labels = podTemplateOf(workload)!.metadata?.labels;
      const needs: Obj[] = [];
      if (spec.serviceAccountName) needs.push(find('ServiceAccount', spec.serviceAccountName)!);
      if (spec.priorityClassName) needs.push(find('PriorityClass', spec.priorityClassName)!);
      for (const configMap of configMapsOf(spec)) needs.push(find('ConfigMap', configMap)!);
      const selecting = policies.filter((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 || Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0 || selects(p.spec.podSelector.matchLabels, labels));
      expect(selecting.length).toBeGreaterThan(0);
      needs.push(...selecting);
      for (const need of needs) {
        expect({ workload: id(workload), needs: need && id(need), earlier: need !== undefined && waveOf(need) < waveOf(workload) })
          .toEqual({ workload: id(workload), needs: need && id(need), earlier: true });
      }
    }
  });

  test('every workload comes after the workloads its NetworkPolicy lets it reach (memos-api and the scheduler after their stores)', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const reached = (workload: Obj): Obj[] => {
      const labels = podTemplateOf(workload)!.metadata?.labels;
      const own = policies.filter((p) => selects(p.spec.podSelector?.matchLabels, labels));
      const selectors = own.flatMap((p) => p.spec.egress ?? []).flatMap((rule: Obj) => rule.to ?? [])
        .filter((peer: Obj) => peer.podSelector && !peer.namespaceSelector).map((peer: Obj) => peer.podSelector.matchLabels);
      return workloads.filter((w) => nameOf(w) !== nameOf(workload) && selectors.some((s: Obj) => selects(s, podTemplateOf(w)!.metadata?.labels)));
    };
    for (const workload of workloads) {
      for (const target of reached(workload)) {
        expect({ client: id(workload), server: id(target), after: waveOf(workload) > waveOf(target) }).toEqual({ client: id(workload), server: id(target), after: true });
      }
    }
    for (const client of ['memos-api', 'memos-scheduler']) {
      const deployment = find('Deployment', client)!;
      const stores = reached(deployment).map(nameOf);
      expect(stores).toEqual(expect.arrayContaining(['neo4j', 'qdrant']));
      if (name === 'redis-in-cluster') expect(stores).toContain('redis');
    }
    // The collection Job after Qdrant, MemOS after the Job (its pods wait for the collection).
    const job = workloads.find((w) => nameOf(w) === 'qdrant-collection')!;
    expect(waveOf(job)).toBeGreaterThan(waveOf(find('StatefulSet', 'memos-qdrant')!));
    expect(waveOf(find('Deployment', 'memos-api')!)).toBeGreaterThan(waveOf(job));
  });

  test('backups after their store; the gateway last among the workloads', () => {
    for (const backup of workloads.filter((w) => /-backup$/.test(nameOf(w) ?? ''))) {
      const store = nameOf(backup)!.replace(/-backup$/, '');
      const storeWorkloads = workloads.filter((w) => nameOf(w) === store);
      expect(storeWorkloads.length).toBeGreaterThan(0);
      for (const s of storeWorkloads) expect(waveOf(backup)).toBeGreaterThan(waveOf(s));
    }
    const gateway = find('Deployment', 'memos-gateway')!;
    for (const w of workloads.filter((x) => x !== gateway && !isHook(x))) {
      expect({ workload: id(w), beforeGateway: waveOf(w) < waveOf(gateway) }).toEqual({ workload: id(w), beforeGateway: true });
    }
  });

  test('the post-deploy Jobs are PostSync hooks, in the last wave', () => {
    const hooks = workloads.filter(isHook);
    expect(hooks.map((h) => nameOf(h))).toContain('smoke-test');
    const last = Math.max(...objects.map(waveOf));
    for (const h of hooks) {
      expect(h.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
      expect(waveOf(h)).toBe(last);
    }
  });

  test('ServiceMonitors and PrometheusRules after the workloads they watch, skipping the dry run while their CRDs are missing', () => {
    const crdObjects = objects.filter((o) => CRD_KINDS.includes(o.kind));
    expect(crdObjects.length).toBeGreaterThan(0);
    for (const o of crdObjects) {
      expect(o.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
      const watched = o.kind === 'PrometheusRule'
        ? workloads.filter((w) => !isHook(w))
        : objects.filter((s) => s.kind === 'Service' && selects(o.spec.selector.matchLabels, s.metadata.labels))
          .flatMap((s) => [s, ...workloads.filter((w) => selects(s.spec.selector, podTemplateOf(w)!.metadata?.labels))]);
      expect(watched.length).toBeGreaterThan(0);
      for (const w of watched) expect({ monitor: id(o), watched: id(w), after: waveOf(o) > waveOf(w) }).toEqual({ monitor: id(o), watched: id(w), after: true });
    }
    for (const o of objects.filter((x) => !CRD_KINDS.includes(x.kind))) expect(o.metadata.annotations['argocd.argoproj.io/sync-options']).toBeUndefined();
  });
});

describe('MemosSyncWaves', () => {
  test('a pure function of kind and labels; objects added to a MemosChart get the default wave, a wave set by hand is kept', () => {
    expect(MemosSyncWaves.waveOf('Deployment', { 'app.kubernetes.io/name': 'gateway' })).toBe(5);
    expect(MemosSyncWaves.waveOf('ConfigMap', { 'app.kubernetes.io/name': 'gateway' })).toBe(-8);
    expect(MemosSyncWaves.waveOf('StatefulSet', { 'app.kubernetes.io/name': 'acme-milvus-etcd', 'app.kubernetes.io/instance': 'acme' })).toBe(0);
    expect(MemosSyncWaves.waveOf('Deployment')).toBe(MemosSyncWaves.DEFAULT_WAVE);
    const chart = new MemosChart(Testing.app(), 'test', { size: MemosSize.SMALL });
    new ApiObject(chart, 'Extra', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'extra' }, spec: { ports: [{ port: 80 }] } });
    new ApiObject(chart, 'Pinned', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'pinned', annotations: { [WAVE]: '42' } }, spec: { ports: [{ port: 80 }] } });
    const objects = Testing.synth(chart);
    expect(waveOf(objects.find((o) => o.metadata.name === 'extra')!)).toBe(MemosSyncWaves.DEFAULT_WAVE);
    expect(waveOf(objects.find((o) => o.metadata.name === 'pinned')!)).toBe(42);
  });

  test('annotate() keeps other sync options of a CRD-backed object', () => {
    const [monitor] = MemosSyncWaves.annotate([{ kind: 'ServiceMonitor', metadata: { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } } }]);
    expect(monitor.metadata.annotations).toEqual({ [WAVE]: '6', 'argocd.argoproj.io/sync-options': 'Prune=false,SkipDryRunOnMissingResource=true' });
  });
});

describe('invalid Argo CD props are rejected, naming the prop', () => {
  const base: MemosArgoApplicationProps = { name: 'memos-prod', repoUrl: REPO, path: 'dist/prod', destinationNamespace: 'memos' };
  const build = (props: Partial<MemosArgoApplicationProps>) => () => new MemosArgoApplication(Testing.chart(), 'App', { ...base, ...props } as MemosArgoApplicationProps);

  test('valid URLs: https, scp-like SSH, ssh://', () => {
    for (const repoUrl of [REPO, 'git@github.com:acme/memos.git', 'ssh://git@git.example.com:2222/platform/memos.git', 'https://git.example.com:8443/memos']) {
      expect(build({ repoUrl })).not.toThrow();
    }
    expect(build({ syncPolicy: ArgoSyncPolicy.manual() })).not.toThrow();
  });

  test.each([
    ['repoUrl', { repoUrl: 'http://git.example.com/memos.git' }, /invalid repoUrl "http:\/\/git.example.com\/memos.git"; allowed: a Git repository URL/],
    ['repoUrl', { repoUrl: 'https://user:token@git.example.com/memos.git' }, /invalid repoUrl .*without credentials/],
    ['repoUrl', { repoUrl: '' }, /invalid repoUrl ""/],
    ['repoUrl', { repoUrl: 'git.example.com/memos' }, /invalid repoUrl/],
    ['targetRevision', { targetRevision: '' }, /invalid targetRevision ""; allowed: a branch, tag or commit/],
    ['targetRevision', { targetRevision: 'release 1' }, /invalid targetRevision "release 1"/],
    ['name', { name: 'Memos_Prod' }, /invalid name "Memos_Prod"; allowed: a DNS label/],
    ['project', { project: 'Team A' }, /invalid project "Team A"/],
    ['path', { path: '/dist/prod' }, /invalid path "\/dist\/prod"/],
    ['path', { path: '../dist' }, /invalid path "..\/dist"/],
    ['destinationServer', { destinationServer: 'kubernetes.default.svc' }, /invalid destinationServer/],
    ['destinationNamespace', { destinationNamespace: undefined }, /invalid destinationNamespace \(missing\); allowed: a namespace/],
    ['argoNamespace', { argoNamespace: 'Argo' }, /invalid argoNamespace "Argo"/],
    ['syncPolicy', { syncPolicy: { automated: true } as unknown as ArgoSyncPolicy }, /invalid syncPolicy .*ArgoSyncPolicy.automated/],
    ['syncPolicy.retryLimit', { syncPolicy: ArgoSyncPolicy.automated({ retryLimit: -1 }) }, /invalid syncPolicy.retryLimit -1/],
    ['syncPolicy.prune', { syncPolicy: ArgoSyncPolicy.automated({ prune: 'false' as unknown as boolean }) }, /invalid syncPolicy.prune "false"; allowed: true or false/],
  ])('%s', (_prop, props, message) => {
    expect(build(props as Partial<MemosArgoApplicationProps>)).toThrow(message);
  });

  test('MemosArgoApplications: two environments in one namespace of one cluster, an unknown environment, no charts', () => {
    const twins = [new MemosChart(new App(), 'a', { size: MemosSize.SMALL }), new MemosChart(new App(), 'b', { size: MemosSize.SMALL })];
    expect(() => new MemosArgoApplications(new App(), 'argocd', { charts: twins, repoUrl: REPO }))
      .toThrow(/MemosArgoApplications 'argocd': invalid destinationServers "b"; allowed: a cluster where environment b does not share namespace memos with environment a/);
    expect(() => new MemosArgoApplications(new App(), 'argocd', { charts: twins, repoUrl: REPO, destinationServers: { b: 'https://b.cce.example:5443' } })).not.toThrow();
    expect(() => new MemosArgoApplications(new App(), 'argocd', { charts: twins, repoUrl: REPO, destinationServers: { c: 'https://c.cce.example:5443', b: 'https://b.cce.example:5443' } }))
      .toThrow(/invalid destinationServers "c"; allowed: environments among the charts: a, b/);
    expect(() => new MemosArgoApplications(new App(), 'argocd', { charts: [], repoUrl: REPO })).toThrow(/invalid charts \[\]; allowed: at least one MemosChart/);
    expect(() => new MemosArgoApplications(new App(), 'argocd', { charts: [new Chart(new App(), 'plain') as MemosChart], repoUrl: REPO }))
      .toThrow(/invalid charts\[0\]/);
    expect(() => renderArgoApplications(ENVIRONMENTS, { repoUrl: 'ftp://x' })).toThrow(/MemosArgoApplication 'argocd\/small\/Application': invalid repoUrl "ftp:\/\/x"/);
  });
});
