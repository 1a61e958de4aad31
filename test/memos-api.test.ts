import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemosApi, MemosApiProps } from '../constructs/memos-api';
import { MemosConfig } from '../constructs/memos-config';
import { MEMOS_SERVER_ENV_VARS } from '../src/memos';
import { container, only } from './support/synth';

function synthApi(props: Partial<MemosApiProps> = {}) {
  const chart = Testing.chart();
  const config = new MemosConfig(chart, 'Config', { instance: 'memos' });
  new MemosApi(chart, 'Api', { instance: 'memos', config, ...props });
  const objects = Testing.synth(chart);
  const deployment = only(objects, 'Deployment');
  return { objects, deployment, pod: deployment.spec.template.spec, main: container(deployment, 'memos-api') };
}

describe('MemosApi', () => {
  test('runs the MemOS server with one uvicorn worker on port 8000', () => {
    const { main } = synthApi();
    expect(main.image).toBe('swr.cn-north-4.myhuaweicloud.com/memos/memos:2.0.31');
    expect(main.imagePullPolicy).toBe('IfNotPresent');
    expect([...main.command, ...main.args]).toEqual(['uvicorn', 'memos.api.server_api:app', '--host', '0.0.0.0', '--port', '8000', '--workers', '1']);
    expect(main.ports).toEqual([{ containerPort: 8000, name: 'http' }]);
  });

  test('probes /health with a startup budget of five minutes', () => {
    const { main } = synthApi();
    const get = { path: '/health', port: 8000, scheme: 'HTTP' };
    expect(main.startupProbe).toEqual({ httpGet: get, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 });
    expect(main.readinessProbe).toEqual({ httpGet: get, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
    expect(main.livenessProbe).toEqual({ httpGet: get, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 });
    expect(main.lifecycle.preStop).toEqual({ exec: { command: ['sleep', '10'] } });
  });

  test('is hardened: UID 1000, read-only root with writable emptyDirs, no token, no capabilities', () => {
    const { pod, main } = synthApi();
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch' });
    expect(main.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, privileged: false, readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(main.volumeMounts).toEqual([
      { mountPath: '/app/.memos', name: 'memos-state' },
      { mountPath: '/tmp', name: 'tmp' },
      { mountPath: '/home/memos/.cache', name: 'cache' },
    ]);
    expect(pod.volumes.map((v: any) => [v.name, v.emptyDir.sizeLimit])).toEqual([['memos-state', '1024Mi'], ['tmp', '1024Mi'], ['cache', '1024Mi']]);
  });

  test('sets only environment variables MemOS reads', () => {
    const { main } = synthApi();
    for (const env of main.env) expect(MEMOS_SERVER_ENV_VARS).toContain(env.name);
  });

  test('defaults: seed resources, 3 replicas, zero-unavailable rollout, SWR pull secret, 60s grace', () => {
    const { deployment, pod, main } = synthApi();
    expect(main.resources).toEqual({
      requests: { cpu: '2', memory: '4096Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '4', memory: '8192Mi', 'ephemeral-storage': '4Gi' },
    });
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(60);
  });

  test('the config checksum rolls the pods when settings change', () => {
    const { deployment } = synthApi();
    expect(deployment.spec.template.metadata.annotations['checksum/memos-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('selects its pods by stable labels, and the Service selects the same pods', () => {
    const { objects, deployment } = synthApi();
    const selector = { 'app.kubernetes.io/name': 'memos-api', 'app.kubernetes.io/instance': 'memos' };
    expect(deployment.spec.selector).toEqual({ matchLabels: selector });
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
    const service = only(objects, 'Service');
    expect(service.metadata.name).toBe('memos-api');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8000 }]);
  });

  test('props override image, replicas, resources, pull secrets and grace period', () => {
    const { deployment, pod, main } = synthApi({
      image: 'swr.cn-east-3.myhuaweicloud.com/acme/memos@sha256:' + 'a'.repeat(64),
      replicas: 5,
      resources: { cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(1) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } },
      imagePullSecrets: ['default-secret', 'acme-registry'],
      terminationGracePeriod: Duration.seconds(120),
    });
    expect(main.image).toBe('swr.cn-east-3.myhuaweicloud.com/acme/memos@sha256:' + 'a'.repeat(64));
    expect(deployment.spec.replicas).toBe(5);
    expect(main.resources).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '1', memory: '2048Mi' } });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }, { name: 'acme-registry' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
  });

  const invalid: [string, Partial<MemosApiProps>, RegExp][] = [
    ['image latest', { image: 'swr.cn-north-4.myhuaweicloud.com/memos/memos:latest' }, /MemosApi 'test\/Api': invalid image ".*memos:latest"; allowed: an image pinned to a tag other than 'latest'/],
    ['image without tag', { image: 'swr.cn-north-4.myhuaweicloud.com:443/memos/memos' }, /invalid image "swr.cn-north-4.myhuaweicloud.com:443\/memos\/memos"/],
    ['replicas 0', { replicas: 0 }, /MemosApi 'test\/Api': invalid replicas 0; allowed: an integer from 1 to 1000/],
    ['replicas 1.5', { replicas: 1.5 }, /invalid replicas 1.5/],
    ['pull secret', { imagePullSecrets: ['Default Secret'] }, /invalid imagePullSecrets\[0\] "Default Secret"/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthApi(props)).toThrow(message);
  });
});
