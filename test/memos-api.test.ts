import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ElbAlgorithm } from '../src/cce';
import { ZoneSpread } from '../src/kubernetes';
import { ElbLoadBalancer } from '../index';
import { ApiService, MemosApi, MemosApiProps } from '../constructs/memos-api';
import { QueueDepthMetric } from '../constructs/queue-depth-metric';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  MEMOS_HF_HOME, MEMOS_LOG_BACKUPS, MEMOS_LOG_MAX_BYTES, MEMOS_OFFLINE_HF_SETTINGS, MEMOS_PYPI_VERSION, MEMOS_SERVER_ENV_VARS, MEMOS_UID, MEMOS_VERSION,
} from '../src/memos';
import { container, only, testConfig, TEST_CONFIG_PROPS } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

function synthApi(props: Partial<MemosApiProps> | ((queueDepth: QueueDepthMetric) => Partial<MemosApiProps>) = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const config = testConfig(chart);
  const queueDepth = new QueueDepthMetric(chart, 'QueueDepth', { instance: 'memos', redis: TEST_CONFIG_PROPS.redis });
  new MemosApi(chart, 'Api', { instance: 'memos', config, ...(typeof props === 'function' ? props(queueDepth) : props) });
  const objects = Testing.synth(chart);
  const deployment = only(objects, 'Deployment', 'memos-api');
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
    expect(main.livenessProbe).toEqual({ tcpSocket: { port: 8000 }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 });
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

  test('defaults: seed resources, zero-unavailable rollout, SWR pull secret, 60s grace', () => {
    const { deployment, pod, main } = synthApi();
    expect(main.resources).toEqual({
      requests: { cpu: '2', memory: '4096Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '4', memory: '8192Mi', 'ephemeral-storage': '4Gi' },
    });
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(60);
  });

  test('the config checksum rolls the pods when settings change', () => {
    const { deployment } = synthApi();
    expect(deployment.spec.template.metadata.annotations['checksum/memos-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  const selector = { 'app.kubernetes.io/name': 'memos-api', 'app.kubernetes.io/instance': 'memos' };

  test('selects its pods by stable labels; a private shared ELB Service selects the same pods', () => {
    const { objects, deployment } = synthApi();
    expect(deployment.spec.selector).toEqual({ matchLabels: selector });
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
    const service = only(objects, 'Service', 'memos-api');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8000 }]);
    expect(service.spec.loadBalancerIP).toBeUndefined();
    expect(service.metadata.annotations).toEqual({
      'kubernetes.io/elb.class': 'union',
      'kubernetes.io/elb.autocreate': '{"type":"inner"}',
      'kubernetes.io/elb.lb-algorithm': 'ROUND_ROBIN',
      'kubernetes.io/elb.health-check-flag': 'on',
      'kubernetes.io/elb.health-check-option': '{"protocol":"HTTP","delay":"5","timeout":"10","max_retries":"3","path":"/health"}',
    });
  });

  test('ApiService.elb options reach the ELB annotations; ApiService.clusterIp() gives a ClusterIP Service', () => {
    const elb = only(synthApi({ service: ApiService.elb({ loadBalancer: ElbLoadBalancer.existing('5083f225-9bf8-48fa-9c8b-67bd9693c4c0'), algorithm: ElbAlgorithm.LEAST_CONNECTIONS }) }).objects, 'Service', 'memos-api');
    expect(elb.metadata.annotations['kubernetes.io/elb.id']).toBe('5083f225-9bf8-48fa-9c8b-67bd9693c4c0');
    expect(elb.metadata.annotations['kubernetes.io/elb.lb-algorithm']).toBe('LEAST_CONNECTIONS');
    const internal = only(synthApi({ service: ApiService.clusterIp() }).objects, 'Service', 'memos-api');
    expect(internal.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8000, targetPort: 8000 }], selector });
    expect(internal.metadata.annotations).toBeUndefined();
  });

  test('spreads pods across zones (required) and nodes (preferred), per ReplicaSet', () => {
    const { pod } = synthApi();
    const common = { maxSkew: 1, labelSelector: { matchLabels: selector }, matchLabelKeys: ['pod-template-hash'] };
    expect(pod.topologySpreadConstraints).toEqual([
      { ...common, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
      { ...common, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
    ]);
    expect(synthApi({ zoneSpread: ZoneSpread.PREFERRED }).pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
  });

  test('autoscales 3-10 pods on CPU by default, with no fixed replica count', () => {
    const { objects, deployment } = synthApi();
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = only(objects, 'HorizontalPodAutoscaler', 'memos-api');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'memos-api' });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  });

  test('scales on redis_queue_depth (AverageValue 100) for this instance, and scales down slowly', () => {
    const { objects } = synthApi((queueDepth) => ({ autoscaling: { minReplicas: 3, maxReplicas: 10, queueDepth } }));
    const hpa = only(objects, 'HorizontalPodAutoscaler', 'memos-api');
    expect(hpa.spec.metrics[1]).toEqual({
      type: 'External',
      external: { metric: { name: 'redis_queue_depth', selector: { matchLabels: { memos_instance: 'memos' } } }, target: { type: 'AverageValue', averageValue: 100 } },
    });
    expect(hpa.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 600, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
    expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).toBe(0);
  });

  test('API pods consume the queue unless told not to', () => {
    expect(synthApi().main.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'true' });
    expect(synthApi({ consumesQueue: false }).main.env).toContainEqual({ name: 'API_SCHEDULER_ON', value: 'false' });
  });

  test('a PodDisruptionBudget lets one pod go at a time, and none exists for a single pod', () => {
    const pdb = only(synthApi().objects, 'PodDisruptionBudget');
    expect(pdb.metadata.name).toBe('memos-api');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(synthApi({ replicas: 1 }).objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(synthApi({ autoscaling: { minReplicas: 1, maxReplicas: 3 } }).objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('props override image, replicas, resources, pull secrets and grace period', () => {
    const { objects, deployment, pod, main } = synthApi({
      image: 'swr.cn-east-3.myhuaweicloud.com/acme/memos@sha256:' + 'a'.repeat(64),
      replicas: 5,
      resources: { cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(1) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } },
      imagePullSecrets: ['default-secret', 'acme-registry'],
      terminationGracePeriod: Duration.seconds(120),
    });
    expect(main.image).toBe('swr.cn-east-3.myhuaweicloud.com/acme/memos@sha256:' + 'a'.repeat(64));
    expect(deployment.spec.replicas).toBe(5);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    // Resources without ephemeral storage keep the default disk bound (item 9 of issue 12).
    expect(main.resources).toEqual({
      requests: { cpu: '500m', memory: '1024Mi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '1', memory: '2048Mi', 'ephemeral-storage': '4Gi' },
    });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }, { name: 'acme-registry' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
  });

  const invalid: [string, Partial<MemosApiProps>, RegExp][] = [
    ['image latest', { image: 'swr.cn-north-4.myhuaweicloud.com/memos/memos:latest' }, /MemosApi 'test\/Api': invalid image ".*memos:latest"; allowed: an image pinned to a tag other than 'latest'/],
    ['image without tag', { image: 'swr.cn-north-4.myhuaweicloud.com:443/memos/memos' }, /invalid image "swr.cn-north-4.myhuaweicloud.com:443\/memos\/memos"/],
    ['replicas 0', { replicas: 0 }, /MemosApi 'test\/Api': invalid replicas 0; allowed: an integer from 1 to 1000/],
    ['replicas 1.5', { replicas: 1.5 }, /invalid replicas 1.5/],
    ['pull secret', { imagePullSecrets: ['Default Secret'] }, /invalid imagePullSecrets\[0\] "Default Secret"/],
    ['replicas with autoscaling', { replicas: 3, autoscaling: { minReplicas: 3, maxReplicas: 5 } }, /invalid replicas 3; allowed: either replicas \(fixed\) or autoscaling, not both/],
    ['minReplicas 0', { autoscaling: { minReplicas: 0, maxReplicas: 5 } }, /invalid autoscaling.minReplicas 0; allowed: an integer from 1 to 1000/],
    ['maxReplicas below minReplicas', { autoscaling: { minReplicas: 4, maxReplicas: 3 } }, /invalid autoscaling.maxReplicas 3; allowed: an integer from 4 to 1000/],
    ['CPU target 0', { autoscaling: { minReplicas: 3, maxReplicas: 5, targetCpuUtilization: 0 } }, /invalid autoscaling.targetCpuUtilization 0; allowed: an integer from 1 to 100/],
    ['a stabilization window over an hour', { autoscaling: { minReplicas: 3, maxReplicas: 5, scaleDownStabilization: Duration.hours(2) } }, /invalid autoscaling.scaleDownStabilization 7200; allowed: an integer from 0 to 3600/],
    ['zoneSpread', { zoneSpread: 'always' as never }, /invalid zoneSpread "always"; allowed: required, preferred/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthApi(props)).toThrow(message);
  });

  test('rejects queue-depth scaling when API pods do not consume the queue', () => {
    expect(() => synthApi((queueDepth) => ({ consumesQueue: false, autoscaling: { minReplicas: 3, maxReplicas: 5, queueDepth } })))
      .toThrow(/MemosApi 'test\/Api': invalid autoscaling.queueDepth "redis_queue_depth"; allowed: no queue-depth scaling while consumesQueue is false/);
  });
});

describe('MemOS pods start offline (item 5 of issue 12)', () => {
  test('HF_HOME is the tokenizer cache baked into the image, and no emptyDir hides it', () => {
    const { objects, main } = synthApi();
    const settings = only(objects, 'ConfigMap').data;
    expect(settings.HF_HOME).toBe('/opt/huggingface');
    for (const mount of main.volumeMounts) {
      expect(settings.HF_HOME === mount.mountPath || settings.HF_HOME.startsWith(`${mount.mountPath}/`)).toBe(false);
    }
  });

  // Needs constructs/memos-config.ts to emit MEMOS_OFFLINE_HF_SETTINGS (the lead's part).
  test('HF_HUB_OFFLINE=1: no call to the hub at start', () => {
    const settings = only(synthApi().objects, 'ConfigMap').data;
    expect(settings).toMatchObject(MEMOS_OFFLINE_HF_SETTINGS);
    expect(settings.HF_ENDPOINT).toBeUndefined();
  });
});

/** The instructions of a Dockerfile: continuation lines joined, comments and blank lines dropped. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  const joined = text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n').replace(/\\\n/g, '');
  return joined.split('\n').map((line) => line.trim()).filter((line) => line !== '').map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ').replace(/\s+/g, ' ') };
  });
}

describe('MemOS image recipe (images/memos, items 5 and 9 of issue 12)', () => {
  const dir = path.join(__dirname, '..', 'images', 'memos');
  const instructions = dockerInstructions(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
  const stageStarts = instructions.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []));
  const globals = instructions.slice(0, stageStarts[0]);
  const build = instructions.slice(stageStarts[0], stageStarts[stageStarts.length - 1]);
  const runtime = instructions.slice(stageStarts[stageStarts.length - 1]);
  const args = (keyword: string, stage = runtime) => stage.filter((ins) => ins.keyword === keyword).map((ins) => ins.args);
  const env = (stage: typeof runtime) => Object.fromEntries(args('ENV', stage).flatMap((a) => [...a.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]])));
  const argDefault = (stage: typeof runtime, name: string) => args('ARG', stage).map((a) => a.split('=')).find(([n]) => n === name)?.[1];

  test('two stages from a base image pinned to a Python patch release', () => {
    expect(stageStarts).toHaveLength(2);
    expect(argDefault(globals, 'PYTHON_IMAGE')).toMatch(/^python:3\.11\.\d+-slim-bookworm$/);
    expect(args('FROM', instructions)).toEqual(['${PYTHON_IMAGE} AS build', '${PYTHON_IMAGE}']);
  });

  test('installs MemOS from PyPI at the version whose code is v2.0.31, and labels the image 2.0.31', () => {
    expect(MEMOS_VERSION).toBe('2.0.31');
    expect(argDefault(build, 'MEMOS_PACKAGE_VERSION')).toBe(MEMOS_PYPI_VERSION);
    expect(MEMOS_PYPI_VERSION).toBe('2.0.30');
    const install = args('RUN', build).find((a) => a.includes('pip install'))!;
    expect(install).toContain('"MemoryOS[tree-mem,mem-scheduler,mem-reader,pref-mem,skill-mem]==${MEMOS_PACKAGE_VERSION}"');
    expect(install).toContain('--constraint /build/constraints.txt');
    expect(install).toMatch(/qdrant-client jieba rank-bm25 psycopg2-binary/);
    expect(install).toContain("find_spec('tiktoken')");
    expect(args('LABEL').join(' ')).toContain(`org.opencontainers.image.version="${MEMOS_VERSION}"`);
  });

  test('runs as UID 1000 like MemOS\'s root Dockerfile, from /app, with the command the pods run', () => {
    expect(args('RUN')).toContain(`useradd -m -u ${MEMOS_UID} memos`);
    expect(args('WORKDIR')).toEqual(['/app']);
    expect(args('USER')).toEqual([`${MEMOS_UID}:${MEMOS_UID}`]);
    expect(args('EXPOSE')).toEqual(['8000']);
    const { main } = synthApi();
    expect(JSON.parse(args('CMD')[0])).toEqual([...main.command, ...main.args]);
  });

  test('bakes the gpt2 tokenizer into HF_HOME at build time and starts with HF_HUB_OFFLINE=1', () => {
    expect(env(build).HF_HOME).toBe(MEMOS_HF_HOME);
    const runs = args('RUN', build);
    // What chonkie 1.1.0 loads first (tokenizer.json through `tokenizers`), and its transformers fallback.
    expect(runs).toContainEqual(expect.stringContaining('python -c "from tokenizers import Tokenizer; Tokenizer.from_pretrained(\'gpt2\')"'));
    expect(runs).toContainEqual(expect.stringContaining('AutoTokenizer.from_pretrained(\'gpt2\')'));
    // Checked offline with MemOS's own chunker, which must load it through `tokenizers`.
    const check = runs.find((a) => a.startsWith('HF_HUB_OFFLINE=1 '))!;
    expect(check).toContain("SentenceChunker(SentenceChunkerConfig(tokenizer_or_token_counter='gpt2'");
    expect(check).toContain("assert backend == 'tokenizers'");
    expect(args('COPY')).toContain(`--from=build ${MEMOS_HF_HOME} ${MEMOS_HF_HOME}`);
    expect(env(runtime)).toMatchObject({ ...MEMOS_OFFLINE_HF_SETTINGS, MEMOS_BASE_PATH: '/app' });
  });

  test('bounds the log file at (3 + 1) x 64 MiB, well inside the state emptyDir', () => {
    expect(argDefault(build, 'MEMOS_LOG_MAX_BYTES')).toBe(String(MEMOS_LOG_MAX_BYTES));
    expect(args('RUN', build)).toContainEqual(expect.stringMatching(/^python \/build\/bound_log_file\.py "\$\{MEMOS_LOG_MAX_BYTES\}" && python -m compileall/));
    expect(args('RUN', build).find((a) => a.startsWith('HF_HUB_OFFLINE=1 '))).toContain('== [(${MEMOS_LOG_MAX_BYTES}, 3)]');
    const { pod } = synthApi();
    const state = pod.volumes.find((v: any) => v.name === 'memos-state').emptyDir.sizeLimit;
    expect(state).toBe('1024Mi');
    expect((MEMOS_LOG_BACKUPS + 1) * MEMOS_LOG_MAX_BYTES).toBeLessThanOrEqual(1024 * 1024 * 1024 / 2);
  });

  test('copies only files of the recipe and pins what its guarantees rest on', () => {
    expect(args('COPY', build)).toEqual(['constraints.txt bound_log_file.py /build/']);
    for (const file of ['constraints.txt', 'bound_log_file.py']) expect(fs.existsSync(path.join(dir, file))).toBe(true);
    const pins = fs.readFileSync(path.join(dir, 'constraints.txt'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    for (const pin of pins) expect(pin).toMatch(/^[a-z0-9-]+==[0-9][0-9a-z.]*$/);
    expect(pins).toEqual(expect.arrayContaining(['chonkie==1.1.0', 'tokenizers==0.22.1', 'huggingface-hub==0.36.0', 'concurrent-log-handler==0.9.28']));
  });

  describe('bound_log_file.py', () => {
    // The file handler of MemOS v2.0.31 src/memos/log.py L272-281, as the script expects it.
    const handler = [
      'LOGGING_CONFIG = {',
      '    "handlers": {',
      '        "file": {',
      '            "level": "INFO",',
      '            "class": "concurrent_log_handler.ConcurrentTimedRotatingFileHandler",',
      '            "when": "midnight",',
      '            "interval": 1,',
      '            "backupCount": 3,',
      '            "filename": _setup_logfile(),',
      '            "formatter": "standard",',
      '        },',
      '    },',
      '}',
      '',
    ].join('\n');

    function run(logPy: string, maxBytes: string) {
      const root = temporaryFolder('memos-log-');
      fs.mkdirSync(path.join(root, 'memos'));
      fs.writeFileSync(path.join(root, 'memos', '__init__.py'), '');
      fs.writeFileSync(path.join(root, 'memos', 'log.py'), logPy);
      // Any Python 3 will do: the script uses the standard library only, and the fake package is all it reads.
      const result = spawnSync('python3', [path.join(dir, 'bound_log_file.py'), maxBytes], { env: { ...process.env, PYTHONPATH: root }, encoding: 'utf8' });
      if (result.error) throw new Error(`python3 is needed to test images/memos/bound_log_file.py: ${result.error.message}`);
      return { status: result.status, stderr: result.stderr, patched: fs.readFileSync(path.join(root, 'memos', 'log.py'), 'utf8'), root };
    }

    test('adds maxBytes to the file handler, once', () => {
      const first = run(handler, String(MEMOS_LOG_MAX_BYTES));
      expect(first.status).toBe(0);
      expect(first.patched).toContain([
        '            "class": "concurrent_log_handler.ConcurrentTimedRotatingFileHandler",',
        `            "maxBytes": ${MEMOS_LOG_MAX_BYTES},  # images/memos/bound_log_file.py`,
        '            "when": "midnight",',
      ].join('\n'));
      const again = run(first.patched, String(MEMOS_LOG_MAX_BYTES));
      expect(again.status).not.toBe(0);
      expect(again.stderr).toMatch(/not the file handler this patch expects/);
    });

    test.each([
      ['another handler class', handler.replace('ConcurrentTimedRotatingFileHandler', 'RotatingFileHandler'), String(MEMOS_LOG_MAX_BYTES), /not the file handler this patch expects/],
      ['another backup count', handler.replace('"backupCount": 3,', '"backupCount": 7,'), String(MEMOS_LOG_MAX_BYTES), /not the file handler this patch expects/],
      ['a bound under 1 MiB', handler, '1000', /use at least 1 MiB/],
    ])('fails the build on %s', (_name, logPy, maxBytes, message) => {
      const result = run(logPy, maxBytes);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.patched).toBe(logPy);
    });
  });
});
