/**
 * Pod escape hatches (src/pod-overrides.ts): the stack's `pods` prop and the constructs' `pod` prop
 * add tolerations, node affinity, a priority class, env, volumes, sidecars, labels and annotations,
 * merged with what the stack sets, and refuse what the construct manages.
 */
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ENVIRONMENTS } from '../app/environments';
import { MemosChart } from '../charts/memos-chart';
import { MemosChartProps } from '../charts/memos-chart';
import { MemosSize } from '../charts/presets';
import { RedisServer } from '../constructs/redis-server';
import { mergeNodeAffinity } from '../src/kubernetes';
import { PodOverrides } from '../src/pod-overrides';
import { validateManifests } from './support/schema';
import { container, only, synthChart, TEST_CREDENTIALS } from './support/synth';

const medium = ENVIRONMENTS.find((e) => e.name === 'medium')!;
const synthMedium = (pods: MemosChartProps['pods']) => {
  const { name: _name, ...props } = medium;
  return Testing.synth(new MemosChart(Testing.app(), 'memos', { ...props, pods } as MemosChartProps));
};
const podSpec = (o: any) => o.spec.template.spec;

const logShipper: kplus.ContainerProps = {
  name: 'log-shipper',
  image: 'docker.io/fluent/fluent-bit:3.1.9',
  resources: { cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
};

describe('the stack\'s pods prop', () => {
  test('tolerations are added to the node pool\'s; node affinity is ANDed with none; the result validates', () => {
    const objects = synthMedium({
      qdrant: {
        tolerations: [{ key: 'example.com/ssd', operator: 'Exists', effect: 'NoSchedule' }],
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'Exists' }] }] } },
      },
    });
    const qdrant = podSpec(only(objects, 'StatefulSet', 'memos-qdrant'));
    expect(qdrant.tolerations).toEqual([
      { key: 'memos.io/dedicated', operator: 'Equal', value: 'qdrant', effect: 'NoSchedule' },
      { key: 'example.com/ssd', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(qdrant.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'Exists' }] },
    ]);
    // Still the pod anti-affinity the construct set.
    expect(qdrant.affinity.podAntiAffinity).toBeDefined();
    expect(validateManifests(objects)).toEqual([]);
  });

  test('a priority class, env, a CSI volume, a sidecar, pod labels and annotations', () => {
    const objects = synthMedium({
      neo4j: {
        priorityClassName: 'critical-databases',
        env: { TZ: kplus.EnvValue.fromValue('Asia/Shanghai') },
        volumeMounts: [{ path: '/mnt/secrets-store', volume: kplus.Volume.fromCsi(Testing.chart(), 'Csi', 'secrets-store.csi.k8s.io', { name: 'secrets-store', readOnly: true }) }],
        sidecars: [logShipper],
        labels: { team: 'data' },
        annotations: { 'example.com/logs': 'neo4j' },
      },
    });
    const neo4j = only(objects, 'StatefulSet', 'memos-neo4j');
    const spec = podSpec(neo4j);
    expect(spec.priorityClassName).toBe('critical-databases');
    expect(container(neo4j, 'neo4j').env).toContainEqual({ name: 'TZ', value: 'Asia/Shanghai' });
    expect(container(neo4j, 'neo4j').volumeMounts).toContainEqual({ name: 'secrets-store', mountPath: '/mnt/secrets-store', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'secrets-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true } });
    const sidecar = container(neo4j, 'log-shipper');
    expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(sidecar.resources.limits).toMatchObject({ cpu: '100m', memory: '128Mi' });
    expect(neo4j.spec.template.metadata.labels.team).toBe('data');
    expect(neo4j.spec.template.metadata.annotations['example.com/logs']).toBe('neo4j');
    // The selector is untouched.
    expect(neo4j.spec.selector.matchLabels.team).toBeUndefined();
    expect(validateManifests(objects)).toEqual([]);
  });

  test('milvus applies to every Milvus role; backups to every backup CronJob', () => {
    const objects = synthMedium({ milvus: { annotations: { a: 'b' } }, backups: { labels: { backup: 'yes' } } });
    const roles = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('memos-milvus-'));
    expect(roles.length).toBe(5);
    for (const role of roles) expect(role.spec.template.metadata.annotations.a).toBe('b');
    expect(only(objects, 'StatefulSet', 'memos-milvus-etcd').spec.template.metadata.annotations?.a).toBeUndefined();
    const cronJobs = objects.filter((o) => o.kind === 'CronJob');
    expect(cronJobs.length).toBeGreaterThan(2);
    for (const c of cronJobs) expect(c.spec.jobTemplate.spec.template.metadata.labels.backup).toBe('yes');
  });

  test('a sidecar\'s image is mirrored with the others', () => {
    const { name: _name, ...props } = medium;
    const chart = new MemosChart(Testing.app(), 'memos', { ...props, pods: { gateway: { sidecars: [logShipper] } }, imageMirror: { region: 'cn-north-4', organization: 'memos' } } as MemosChartProps);
    const gateway = only(Testing.synth(chart), 'Deployment', 'memos-gateway');
    expect(container(gateway, 'log-shipper').image).toBe('swr.cn-north-4.myhuaweicloud.com/memos/fluent-bit:3.1.9');
  });

  test.each<[string, PodOverrides | any, string, RegExp]>([
    ['an env var the construct sets', { env: { NEO4J_AUTH: kplus.EnvValue.fromValue('x') } }, 'neo4j', /invalid pods\.neo4j\.env\.NEO4J_AUTH .*the construct manages NEO4J_AUTH/],
    ['a MemOS setting through env (it is in memos-config)', { env: { QDRANT_URL: kplus.EnvValue.fromValue('x') } }, 'api', /invalid pods\.api\.env\.QDRANT_URL /],
    ['an env name', { env: { '1BAD': kplus.EnvValue.fromValue('x') } }, 'qdrant', /invalid pods\.qdrant\.env "1BAD"/],
    ['a plain string as env value', { env: { TZ: 'UTC' } }, 'qdrant', /invalid pods\.qdrant\.env\.TZ "UTC"; allowed: a kplus\.EnvValue/],
    ['a toleration operator', { tolerations: [{ key: 'k', operator: 'In' }] }, 'qdrant', /invalid pods\.qdrant\.tolerations\[0\]\.operator "In"; allowed: Exists, Equal/],
    ['a toleration effect', { tolerations: [{ key: 'k', effect: 'NoRun' }] }, 'qdrant', /invalid pods\.qdrant\.tolerations\[0\]\.effect "NoRun"/],
    ['tolerationSeconds without NoExecute', { tolerations: [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 30 }] }, 'qdrant', /tolerations\[0\]\.tolerationSeconds 30; allowed: only with effect 'NoExecute'/],
    ['empty required node terms', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }, 'qdrant', /invalid pods\.qdrant\.nodeAffinity /],
    ['a priority class name', { priorityClassName: 'Critical_DB' }, 'neo4j', /invalid pods\.neo4j\.priorityClassName "Critical_DB"/],
    ['a mount on a path the construct mounts', { volumeMounts: [{ path: '/qdrant/storage', volume: kplus.Volume.fromEmptyDir(Testing.chart(), 'E1', 'extra') }] }, 'qdrant', /invalid pods\.qdrant\.volumeMounts\[0\]\.path "\/qdrant\/storage"; allowed: a path outside those/],
    ['a relative mount path', { volumeMounts: [{ path: 'data', volume: kplus.Volume.fromEmptyDir(Testing.chart(), 'E2', 'extra') }] }, 'qdrant', /invalid pods\.qdrant\.volumeMounts\[0\]\.path "data"/],
    ['a sidecar without resources', { sidecars: [{ name: 'x', image: 'docker.io/busybox:1.36' }] }, 'gateway', /invalid pods\.gateway\.sidecars\[0\]\.resources .*CPU and memory/],
    ['a sidecar named like a container', { sidecars: [{ ...logShipper, name: 'qdrant' }] }, 'qdrant', /invalid pods\.qdrant\.sidecars\[0\]\.name "qdrant"; allowed: a container name the pod does not use yet/],
    ['a selector label', { labels: { 'app.kubernetes.io/name': 'x' } }, 'qdrant', /invalid pods\.qdrant\.labels "app\.kubernetes\.io\/name"; allowed: a label outside the pods' selector/],
    ['an annotation key', { annotations: { 'bad key': 'x' } }, 'qdrant', /invalid pods\.qdrant\.annotations "bad key"/],
    ['a workload the stack does not run', { labels: { a: 'b' } }, 'redis', /invalid pods\.redis \["labels"\]; allowed: overrides only for workloads the stack runs: it runs no redis/],
  ])('rejects %s, naming the prop', (_what, overrides, key, message) => {
    expect(() => synthMedium({ [key]: overrides })).toThrow(message);
    expect(() => synthMedium({ [key]: overrides })).toThrow(/^MemosChart 'memos'/);
  });
});

describe('the constructs\' pod prop', () => {
  test('a construct used on its own applies it, naming its own prop in errors', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    new RedisServer(chart, 'Redis', { instance: 'memos', credentials: TEST_CREDENTIALS, pod: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'redis', effect: 'NoSchedule' }] } });
    const redis = only(Testing.synth(chart), 'StatefulSet');
    expect(podSpec(redis).tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'redis', effect: 'NoSchedule' }]);
    const other = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    expect(() => new RedisServer(other, 'Redis', { instance: 'memos', credentials: TEST_CREDENTIALS, pod: { labels: { 'bad key!': 'x' } } } as any))
      .toThrow(/RedisServer 'test\/Redis': invalid pod\.labels /);
  });
});

describe('mergeNodeAffinity', () => {
  const term = (key: string) => ({ matchExpressions: [{ key, operator: 'Exists' }] });
  test('required terms of both must hold: each pair of terms becomes one', () => {
    const merged = mergeNodeAffinity(
      { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term('npu')] } },
      { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term('a'), term('b')] }, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term('c') }] },
    );
    expect(merged).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'npu', operator: 'Exists' }, { key: 'a', operator: 'Exists' }] },
        { matchExpressions: [{ key: 'npu', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] },
      ] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term('c') }],
    });
  });

  test('the embedding server on an NPU pool keeps its NPU requirement when a user adds one', () => {
    const large = ENVIRONMENTS.find((e) => e.name === 'large')!;
    const { name: _name, ...props } = large;
    const objects = Testing.synth(new MemosChart(Testing.app(), 'memos', {
      ...props,
      pods: { embedding: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term('topology.kubernetes.io/zone')] } } } },
    } as MemosChartProps));
    const terms = podSpec(only(objects, 'Deployment', 'memos-embedding')).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(1);
    expect(terms[0].matchExpressions.map((e: any) => e.key)).toEqual(['accelerator/huawei-npu', 'topology.kubernetes.io/zone']);
  });
});

test('without pods, the small stack is what it was (no field added)', () => {
  const objects = synthChart({ size: MemosSize.SMALL });
  const api = only(objects, 'Deployment', 'memos-api');
  expect(podSpec(api).tolerations).toBeUndefined();
  expect(api.spec.template.metadata.annotations?.['example.com/logs']).toBeUndefined();
});
