import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { MemScheduler, MemSchedulerProps } from '../constructs/mem-scheduler';
import { MEMOS_SERVER_ENV_VARS } from '../src/memos';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { container, only, testConfig } from './support/synth';
import { ZoneSpread } from '../src/kubernetes';

function synthScheduler(props: Partial<MemSchedulerProps> = {}, configExtra: Record<string, string> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const config = testConfig(chart, { extraSettings: configExtra });
  new MemScheduler(chart, 'Scheduler', { instance: 'memos', config, ...props });
  const objects = Testing.synth(chart);
  const deployment = only(objects, 'Deployment');
  return { objects, deployment, pod: deployment.spec.template.spec, main: container(deployment, 'mem-scheduler') };
}

const selector = { 'app.kubernetes.io/name': 'mem-scheduler', 'app.kubernetes.io/instance': 'memos' };

describe('MemScheduler', () => {
  test('a Deployment without a Service: consumers have no identity or storage to keep (redis_queue.py L77)', () => {
    const { objects, deployment } = synthScheduler();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment']);
    expect(deployment.metadata.name).toBe('memos-scheduler');
    expect(deployment.spec.selector).toEqual({ matchLabels: selector });
    expect(deployment.spec.replicas).toBe(1);
    // The new consumer starts before the old one stops: one pod keeps consuming through a rollout.
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(deployment.spec.serviceName).toBeUndefined();
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('exposes the Deployment and no Service', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const scheduler = new MemScheduler(chart, 'Scheduler', { instance: 'memos', config: testConfig(chart) });
    expect(scheduler.deployment.name).toBe('memos-scheduler');
    expect((scheduler as any).service).toBeUndefined();
    expect((scheduler as any).statefulSet).toBeUndefined();
  });

  test('runs the MemOS server as a queue consumer with the shared settings', () => {
    const { main } = synthScheduler();
    expect(main.image).toBe('swr.cn-north-4.myhuaweicloud.com/memos/memos:2.0.31');
    expect([...main.command, ...main.args]).toEqual(['uvicorn', 'memos.api.server_api:app', '--host', '0.0.0.0', '--port', '8000', '--workers', '1']);
    expect(main.envFrom).toEqual([{ configMapRef: { name: 'memos-config' } }]);
    expect(main.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'true' });
    for (const env of main.env) expect(MEMOS_SERVER_ENV_VARS).toContain(env.name);
    expect(main.startupProbe.httpGet.path).toBe('/health');
    expect(main.readinessProbe.httpGet.path).toBe('/health');
    // Restarted only when it stops accepting connections; /health failing only takes it out of service.
    expect(main.livenessProbe.tcpSocket).toEqual({ port: 8000 });
  });

  test('hardened like memos-api, seed resources, two-minute grace period, zone spread per ReplicaSet', () => {
    const { pod, main } = synthScheduler();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(main.resources).toEqual({
      requests: { cpu: '1', memory: '2048Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '2', memory: '4096Mi', 'ephemeral-storage': '4Gi' },
    });
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    // Counted per ReplicaSet, so a rollout does not skew the spread.
    const common = { maxSkew: 1, labelSelector: { matchLabels: selector }, matchLabelKeys: ['pod-template-hash'] };
    expect(pod.topologySpreadConstraints).toEqual([
      { ...common, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
      { ...common, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
    ]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
  });

  test('sharded: three consumers get a PodDisruptionBudget; one does not', () => {
    const three = synthScheduler({ replicas: 3 });
    expect(three.deployment.spec.replicas).toBe(3);
    expect(only(three.objects, 'PodDisruptionBudget').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(synthScheduler().objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('resources without ephemeral storage keep the default disk request and limit', () => {
    const { main } = synthScheduler({ resources: { cpu: { request: Cpu.units(2), limit: Cpu.units(4) }, memory: { request: Size.gibibytes(4), limit: Size.gibibytes(8) } } });
    expect(main.resources).toEqual({
      requests: { cpu: '2', memory: '4096Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '4', memory: '8192Mi', 'ephemeral-storage': '4Gi' },
    });
    const own = synthScheduler({ resources: { ephemeralStorage: { request: Size.gibibytes(2), limit: Size.gibibytes(6) } } }).main;
    expect(own.resources).toEqual({ requests: { 'ephemeral-storage': '2Gi' }, limits: { 'ephemeral-storage': '6Gi' } });
  });

  test('consumer tuning overrides the ConfigMap per pod', () => {
    const { main } = synthScheduler({ threadPoolSize: 120, consumeIntervalSeconds: 0.05 });
    expect(main.env).toContainEqual({ name: 'MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS', value: '120' });
    expect(main.env).toContainEqual({ name: 'MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS', value: '0.05' });
  });

  test('image, grace period, zone spread and pull secrets are props', () => {
    const { pod, main } = synthScheduler({ image: 'swr.cn-east-3.myhuaweicloud.com/acme/memos:2.0.31', terminationGracePeriod: Duration.minutes(5), zoneSpread: ZoneSpread.PREFERRED, imagePullSecrets: ['acme'] });
    expect(main.image).toBe('swr.cn-east-3.myhuaweicloud.com/acme/memos:2.0.31');
    expect(pod.terminationGracePeriodSeconds).toBe(300);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(pod.imagePullSecrets).toEqual([{ name: 'acme' }]);
  });

  const invalid: [string, Partial<MemSchedulerProps>, RegExp][] = [
    ['0 replicas', { replicas: 0 }, /MemScheduler 'test\/Scheduler': invalid replicas 0; allowed: an integer from 1 to 100/],
    ['a thread pool of 0', { threadPoolSize: 0 }, /invalid threadPoolSize 0; allowed: an integer from 1 to 10000/],
    ['a zero consume interval', { consumeIntervalSeconds: 0 }, /invalid consumeIntervalSeconds 0; allowed: a number of seconds above 0 and at most 10/],
    ['an unpinned image', { image: 'memos' }, /invalid image "memos"/],
    ['an unknown zone spread', { zoneSpread: 'strict' as never }, /invalid zoneSpread "strict"/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthScheduler(props)).toThrow(message);
  });
});
