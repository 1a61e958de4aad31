/**
 * End to end on this machine: a real Redis holding streams shaped like MemOS's scheduler queue,
 * redis_exporter started with exactly the environment the synthesized exporter Deployment has,
 * and promtool evaluating the synthesized recording rules and the adapter's query on what the
 * exporter exported. Proves `redis_queue_depth` counts MemOS's streams and nothing else, is 0 on
 * an empty Redis (no stream at all: a fresh install, or MemOS deleted its idle streams), and is
 * absent while Redis cannot be read (so the HPA holds instead of scaling down).
 *
 * Then the adapter merge command (`QueueDepthMetric.adapterMergeCommand()`) runs for real, with
 * python3 and PyYAML, against a stand-in `kubectl` serving the add-on's ConfigMap as CCE
 * documents it.
 *
 * Needs redis-server, redis-cli, redis_exporter and promtool (Debian: redis-server,
 * prometheus-redis-exporter, prometheus), and python3 with PyYAML (Debian: python3-yaml);
 * `.ci/run` installs them and sets MEMOS_INTEGRATION=required, so CI fails instead of skipping
 * when they are missing.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as YAML from 'yaml';
import { QueueDepthMetric } from '../constructs/queue-depth-metric';
import { MemosSize } from '../charts/presets';
import { validateManifests } from './support/schema';
import { debianTool, missingFor } from './support/integration';
import { container, only, synthChart } from './support/synth';
import { temporaryFolders } from './support/tmp';

// Real processes on a possibly slow machine: promtool and python3 take a second or more each.
jest.setTimeout(60000);

function which(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

const tools = {
  redisServer: which('redis-server'),
  redisCli: which('redis-cli'),
  exporter: which('redis_exporter', 'prometheus-redis-exporter'),
  promtool: which('promtool'),
};
const python3 = which('python3');
const pyyaml = python3 !== undefined && spawnSync(python3, ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;
const missing = missingFor('queue-depth.integration.test.ts (queue depth end to end: Redis, redis_exporter, promtool)', [
  debianTool('redis-server'), debianTool('redis-cli'), debianTool('prometheus-redis-exporter', 'redis_exporter'), debianTool('promtool'),
]);
const missingForMerge = missingFor('queue-depth.integration.test.ts (the adapter merge command: bash, python3 + PyYAML)', [
  debianTool('bash'), debianTool('python3'),
  { name: 'PyYAML for python3', present: pyyaml, install: 'python3 -m pip install pyyaml' },
]);
const temporaryFolder = temporaryFolders();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function until<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Sample { readonly name: string; readonly labels: Record<string, string>; readonly value: number }

/** Every sample of an exposition-format scrape. */
function parseScrape(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

(missing ? describe.skip : describe)('queue depth, end to end (Redis + redis_exporter + promtool)', () => {
  const password = 'integration-test-password';
  const processes: ChildProcess[] = [];
  // Made in beforeAll, not while jest collects the tests (a skipped suite never runs its afterAll).
  let dir = '';
  const objects = synthChart({ size: MemosSize.SMALL });
  const exporterEnv = container(only(objects, 'Deployment', 'memos-queue-exporter'), 'redis-exporter').env as { name: string; value?: string }[];
  const groups = only(objects, 'PrometheusRule', 'memos-memos-queue-depth').spec.groups;
  const endpoint = only(objects, 'ServiceMonitor', 'memos-memos-queue-depth').spec.endpoints[0];
  const kept = new RegExp(`^(?:${endpoint.metricRelabelings[0].regex})$`);
  const scrapes = { withStreams: [] as Sample[], empty: [] as Sample[], redisDown: [] as Sample[] };

  const STREAM = 'scheduler:messages:stream:v2.0';
  const streams = { [`${STREAM}:user-1:cube-1:mem_read`]: 5, [`${STREAM}:user-2:cube-1:add`]: 3 };

  async function startRedis(): Promise<{ port: number; cli: (...args: string[]) => string }> {
    const port = await freePort();
    processes.push(spawn(tools.redisServer!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password], { stdio: 'ignore' }));
    const cli = (...args: string[]) => execFileSync(tools.redisCli!, ['-p', String(port), '--no-auth-warning', '-a', password, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    await until('redis', async () => (cli('PING') === 'PONG' ? true : undefined));
    return { port, cli };
  }

  /** Starts redis_exporter with the synthesized environment against `redisPort`; returns one scrape once it reports redis_up. */
  async function scrapeExporter(redisPort: number): Promise<Sample[]> {
    const exporterPort = await freePort();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const { name, value } of exporterEnv) {
      if (name === 'REDIS_ADDR') env[name] = `redis://127.0.0.1:${redisPort}`;
      else if (name === 'REDIS_PASSWORD') env[name] = password; // the secretKeyRef, resolved
      else env[name] = value!;
    }
    env.REDIS_EXPORTER_WEB_LISTEN_ADDRESS = `127.0.0.1:${exporterPort}`;
    processes.push(spawn(tools.exporter!, [], { env, stdio: 'ignore' }));
    const text = await until('redis_exporter', async () => {
      const response = await fetch(`http://127.0.0.1:${exporterPort}/metrics`);
      const body = await response.text();
      return response.ok && /^redis_up [01]$/m.test(body) ? body : undefined;
    });
    return parseScrape(text);
  }

  beforeAll(async () => {
    dir = temporaryFolder('memos-queue-');
    // MemOS's queue: two streams with entries, two of them delivered and not yet acknowledged.
    const busy = await startRedis();
    for (const [key, count] of Object.entries(streams)) {
      for (let i = 0; i < count; i++) busy.cli('XADD', key, '*', 'item', String(i));
    }
    const first = Object.keys(streams)[0];
    busy.cli('XGROUP', 'CREATE', first, 'scheduler_group', '0');
    busy.cli('XREADGROUP', 'GROUP', 'scheduler_group', 'scheduler_consumer_0a1b2c3d', 'COUNT', '2', 'STREAMS', first, '>');
    // Streams of something else in the same database must not count.
    for (let i = 0; i < 10; i++) busy.cli('XADD', 'other:stream', '*', 'item', String(i));
    scrapes.withStreams = await scrapeExporter(busy.port);

    // A fresh install: Redis up, no stream at all.
    const empty = await startRedis();
    scrapes.empty = await scrapeExporter(empty.port);

    // Redis unreachable: nothing listens on the port.
    scrapes.redisDown = await scrapeExporter(await freePort());
  }, 60000);

  afterAll(() => {
    for (const p of processes) p.kill('SIGTERM');
  });

  const of = (scrape: Sample[], name: string) => scrape.filter((s) => s.name === name);

  test('the exporter, configured as synthesized, exports the length of every MemOS stream and only those', () => {
    const lengths = Object.fromEntries(of(scrapes.withStreams, 'redis_stream_length').map((s) => [s.labels.stream, s.value]));
    expect(lengths).toEqual(streams);
    const pending = of(scrapes.withStreams, 'redis_stream_group_messages_pending');
    expect(pending.map((s) => [s.labels.stream, s.labels.group, s.value])).toEqual([[Object.keys(streams)[0], 'scheduler_group', 2]]);
  });

  test('on an empty Redis the exporter reports Redis up and no stream; on an unreachable one Redis down and no stream', () => {
    expect(of(scrapes.empty, 'redis_up').map((s) => s.value)).toEqual([1]);
    expect(of(scrapes.empty, 'redis_stream_length')).toEqual([]);
    expect(of(scrapes.redisDown, 'redis_up').map((s) => s.value)).toEqual([0]);
    expect(of(scrapes.redisDown, 'redis_stream_length')).toEqual([]);
  });

  /**
   * The series Prometheus stores from a scrape of one exporter pod: what the ServiceMonitor's
   * metricRelabelings keep, with the target labels prometheus-operator adds (namespace, service,
   * pod, job, ...) and the memos_instance relabeling. `values` is promtool's series notation.
   */
  function stored(scrape: Sample[], pod: string, values: (s: Sample) => string) {
    return scrape.filter((s) => kept.test(s.name)).map((s) => {
      const labels = {
        ...s.labels,
        namespace: 'memos', service: 'memos-queue-exporter', endpoint: 'metrics', job: 'memos-queue-exporter',
        pod, instance: `${pod}:9121`, container: 'redis-exporter', memos_instance: 'memos',
      };
      return { series: `${s.name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values: values(s) };
    });
  }

  const adapterQuery = (QueueDepthMetric.adapterRules().externalRules as { metricsQuery: string }[])[0].metricsQuery
    .replace('<<.Series>>', 'memos:redis_queue_depth:sum')
    .replace('<<.LabelMatchers>>', 'namespace="memos",memos_instance="memos"');

  /** Runs promtool's rule unit test on the synthesized rules; returns its verdict and output. */
  function promtool(name: string, inputSeries: { series: string; values: string }[], expectations: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[]) {
    const caseDir = path.join(dir, name);
    fs.mkdirSync(caseDir);
    fs.writeFileSync(path.join(caseDir, 'rules.yaml'), YAML.stringify({ groups }));
    fs.writeFileSync(path.join(caseDir, 'test.yaml'), YAML.stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '30s',
      tests: [{ interval: '30s', input_series: inputSeries, promql_expr_test: expectations }],
    }));
    try {
      return { status: 0, output: execFileSync(tools.promtool!, ['test', 'rules', 'test.yaml'], { cwd: caseDir, encoding: 'utf8' }) };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { status: e.status, output: `${e.stdout}${e.stderr}` };
    }
  }

  const depth = (value: number) => [{ labels: 'memos:redis_queue_depth:sum{namespace="memos",memos_instance="memos"}', value }];
  const inFlight = (value: number) => [{ labels: 'memos:redis_queue_in_flight:sum{namespace="memos",memos_instance="memos"}', value }];
  const adapter = (value: number) => [{ labels: '{namespace="memos",memos_instance="memos"}', value }];

  test('the recording rules and the adapter query turn the scrape into redis_queue_depth = 8 for this instance, once even while two exporter pods run', () => {
    const inputSeries = stored(scrapes.withStreams, 'memos-queue-exporter-7d9f-a', (s) => `${s.value}x10`);
    // A rolling update of the exporter: for a while a second pod reports the same streams.
    inputSeries.push(...stored(scrapes.withStreams, 'memos-queue-exporter-5c4b-b', (s) => `_x4 ${s.value}x6`));
    // A stream of another application that the exporter might be told to watch too: the rule's
    // stream filter must leave it out.
    inputSeries.push({ series: 'redis_stream_length{db="db0",stream="other:stream",namespace="memos",memos_instance="memos"}', values: '10x10' });
    // Another redis_exporter in the namespace, not ours (no memos_instance): it adds no series.
    inputSeries.push({ series: 'redis_up{namespace="memos",job="some-other-redis-exporter",instance="10.0.0.9:9121"}', values: '1x10' });
    const run = promtool('with-streams', inputSeries, [
      { expr: 'memos:redis_queue_depth:sum', eval_time: '1m', exp_samples: depth(8) },
      { expr: 'memos:redis_queue_depth:sum', eval_time: '4m', exp_samples: depth(8) },
      { expr: 'memos:redis_queue_in_flight:sum', eval_time: '4m', exp_samples: inFlight(2) },
      { expr: adapterQuery, eval_time: '4m', exp_samples: adapter(8) },
    ]);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  test('an empty Redis (no stream) gives redis_queue_depth = 0 and in-flight 0, not "no metrics"', () => {
    const run = promtool('empty', stored(scrapes.empty, 'memos-queue-exporter-7d9f-a', (s) => `${s.value}x10`), [
      { expr: 'memos:redis_queue_depth:sum', eval_time: '2m', exp_samples: depth(0) },
      { expr: 'memos:redis_queue_in_flight:sum', eval_time: '2m', exp_samples: inFlight(0) },
      { expr: adapterQuery, eval_time: '2m', exp_samples: adapter(0) },
    ]);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  test('streams that MemOS deletes (their series go stale) leave 0 behind', () => {
    // Scraped from the busy Redis for 2 minutes, then from the same Redis once it is empty.
    const before = stored(scrapes.withStreams, 'memos-queue-exporter-7d9f-a', (s) => (s.name === 'redis_up' ? '1x10' : `${s.value}x4 stale`));
    const run = promtool('deleted', before, [
      { expr: 'memos:redis_queue_depth:sum', eval_time: '1m', exp_samples: depth(8) },
      { expr: 'memos:redis_queue_depth:sum', eval_time: '4m', exp_samples: depth(0) },
      { expr: adapterQuery, eval_time: '4m', exp_samples: adapter(0) },
    ]);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  test('while Redis cannot be read (redis_up 0) both records are absent, so the HPA holds its size', () => {
    const run = promtool('redis-down', stored(scrapes.redisDown, 'memos-queue-exporter-7d9f-a', (s) => `${s.value}x10`), [
      { expr: 'memos:redis_queue_depth:sum', eval_time: '2m', exp_samples: [] },
      { expr: 'memos:redis_queue_in_flight:sum', eval_time: '2m', exp_samples: [] },
      { expr: adapterQuery, eval_time: '2m', exp_samples: [] },
    ]);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});

(missingForMerge ? describe.skip : describe)('adapter merge command, run for real (bash, python3 + PyYAML, a stand-in kubectl)', () => {
  // Made in beforeAll, not while jest collects the tests (a skipped suite never runs its afterAll).
  let dir = '';
  let live = '';
  let calls = '';
  beforeAll(() => {
    dir = temporaryFolder('memos-adapter-merge-');
    live = path.join(dir, 'live.json');
    calls = path.join(dir, 'calls');
    writeKubectlStub();
  });
  // Answers like kubectl for the three verbs the command uses; `replace` refuses empty input and a
  // stale resourceVersion, as the API server does.
  const writeKubectlStub = () => fs.writeFileSync(path.join(dir, 'kubectl'), [
    '#!/usr/bin/env bash',
    'set -u',
    // The commands of a pipeline start together: `replace` logs once its input is complete.
    `log() { echo "$*" >> ${JSON.stringify(calls)}; }`,
    'case "$*" in',
    `  "-n monitoring get configmap user-adapter-config -o json") log "$@"; cat ${JSON.stringify(live)} ;;`,
    '  "replace -f -")',
    '    input="$(cat)"; log "$@"',
    '    if [ -z "$input" ]; then echo "error: no objects passed to replace" >&2; exit 1; fi',
    `    printf '%s' "$input" > ${JSON.stringify(`${live}.new`)} && mv ${JSON.stringify(`${live}.new`)} ${JSON.stringify(live)} ;;`,
    '  "-n monitoring rollout restart deployment custom-metrics-apiserver") log "$@"; echo "deployment.apps/custom-metrics-apiserver restarted" ;;',
    '  "-n monitoring rollout status deployment custom-metrics-apiserver") log "$@"; echo "successfully rolled out" ;;',
    '  *) log "$@"; echo "unexpected: kubectl $*" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n'), { mode: 0o755 });

  // The add-on's ConfigMap as CCE shows it for add-on 3.12.1 (cce_10_0789): rules and
  // resourceRules, plus an external rule of someone else and an older version of ours.
  const addOnConfig = {
    rules: [{
      seriesQuery: '{__name__=~"node_cpu_seconds_total"}',
      resources: { overrides: { node: { resource: 'node' } } },
      name: { matches: 'node_cpu_seconds_total', as: 'node_cpu_usage_avg' },
      metricsQuery: 'avg_over_time((1 - avg (irate(<<.Series>>{mode="idle"}[5m])) by (node))[10m:30s])',
    }],
    resourceRules: {
      cpu: {
        containerQuery: 'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,container!="",pod!=""}[1m])) by (<<.GroupBy>>)',
        nodeQuery: 'sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>, id=\'/\'}[1m])) by (<<.GroupBy>>)',
        resources: { overrides: { node: { resource: 'node' }, namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
        containerLabel: 'container',
      },
      memory: {
        containerQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>,container!="",pod!=""}) by (<<.GroupBy>>)',
        nodeQuery: 'sum(container_memory_working_set_bytes{<<.LabelMatchers>>,id=\'/\'}) by (<<.GroupBy>>)',
        resources: { overrides: { node: { resource: 'node' }, namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
        containerLabel: 'container',
      },
      window: '1m',
    },
    externalRules: [
      { seriesQuery: 'orders_pending{namespace!=""}', resources: { overrides: { namespace: { resource: 'namespace' } } }, name: { as: 'orders_pending' }, metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})' },
      { seriesQuery: 'memos:redis_queue_depth:sum', name: { matches: 'memos:redis_queue_depth:sum', as: 'redis_queue_depth' }, metricsQuery: 'sum(<<.Series>>)' },
    ],
  };
  const liveObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'user-adapter-config', namespace: 'monitoring', resourceVersion: '184467', uid: '0b6f6c9e-3f0a-4a43-9d43-2f6de3c1d0a7',
      labels: { app: 'custom-metrics-apiserver', release: 'cceaddon-prometheus' },
      managedFields: [{ manager: 'helm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    data: { 'config.yaml': `# the add-on's rules\n${YAML.stringify(addOnConfig)}` },
  };

  function runCommand(): { status: number | null; stderr: string } {
    const result = spawnSync('bash', ['-c', QueueDepthMetric.adapterMergeCommand()], {
      env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    return { status: result.status, stderr: result.stderr };
  }
  const liveConfig = () => YAML.parse(JSON.parse(fs.readFileSync(live, 'utf8')).data['config.yaml']);

  test('adds the external rule and keeps rules, resourceRules and other external rules; again, it changes nothing', () => {
    fs.writeFileSync(live, JSON.stringify(liveObject));
    fs.writeFileSync(calls, '');
    const first = runCommand();
    expect(first.stderr).toContain('user-adapter-config: externalRules redis_queue_depth merged; kept rules, resourceRules');
    expect(first.status).toBe(0);
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      '-n monitoring get configmap user-adapter-config -o json',
      'replace -f -',
      '-n monitoring rollout restart deployment custom-metrics-apiserver',
      '-n monitoring rollout status deployment custom-metrics-apiserver',
    ]);
    const merged = JSON.parse(fs.readFileSync(live, 'utf8'));
    // replace keeps the resourceVersion it read: a concurrent change makes it fail, not vanish.
    expect(merged.metadata).toEqual({ ...liveObject.metadata, managedFields: undefined });
    expect(validateManifests([merged])).toEqual([]);
    const config = liveConfig();
    expect(config).toEqual({
      rules: addOnConfig.rules,
      resourceRules: addOnConfig.resourceRules,
      externalRules: [addOnConfig.externalRules[0], ...QueueDepthMetric.adapterRules().externalRules],
    });

    expect(runCommand().status).toBe(0);
    expect(liveConfig()).toEqual(config);
  }, 60000);

  test('a ConfigMap without config.yaml gets one with the rule', () => {
    fs.writeFileSync(live, JSON.stringify({ ...liveObject, data: undefined }));
    expect(runCommand().status).toBe(0);
    expect(liveConfig()).toEqual({ externalRules: QueueDepthMetric.adapterRules().externalRules });
  }, 30000);

  test('when the ConfigMap cannot be read, nothing is written and the adapter is not restarted', () => {
    fs.rmSync(live, { force: true });
    fs.writeFileSync(calls, '');
    const run = runCommand();
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('no objects passed to replace');
    expect(fs.existsSync(live)).toBe(false);
    expect(fs.readFileSync(calls, 'utf8')).not.toContain('rollout');
  }, 30000);
});
