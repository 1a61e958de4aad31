/**
 * End to end on this machine: a real Redis holding streams shaped like MemOS's scheduler queue,
 * redis_exporter started with exactly the environment the synthesized exporter Deployment has,
 * and promtool evaluating the synthesized recording rules and the adapter's query on what the
 * exporter exported. Proves `redis_queue_depth` counts MemOS's streams and nothing else.
 *
 * Needs redis-server, redis-cli, redis_exporter and promtool (Debian: redis-server,
 * prometheus-redis-exporter, prometheus); `.ci/run` installs them and sets
 * MEMOS_INTEGRATION=required, so CI fails instead of skipping when they are missing.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { QueueDepthMetric } from '../constructs/queue-depth-metric';
import { MemosSize } from '../charts/presets';
import { container, only, synthChart } from './support/synth';

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
const missing = Object.entries(tools).filter(([, p]) => !p).map(([name]) => name);
if (missing.length && process.env.MEMOS_INTEGRATION === 'required') {
  throw new Error(`MEMOS_INTEGRATION=required but missing: ${missing.join(', ')}`);
}

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

(missing.length ? describe.skip : describe)('queue depth, end to end (Redis + redis_exporter + promtool)', () => {
  const password = 'integration-test-password';
  const processes: ChildProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-queue-'));
  const objects = synthChart({ size: MemosSize.SMALL });
  const exporterEnv = container(only(objects, 'Deployment', 'memos-queue-exporter'), 'redis-exporter').env as { name: string; value?: string }[];
  const groups = only(objects, 'PrometheusRule').spec.groups;
  let metrics = '';

  const STREAM = 'scheduler:messages:stream:v2.0';
  const streams = { [`${STREAM}:user-1:cube-1:mem_read`]: 5, [`${STREAM}:user-2:cube-1:add`]: 3 };

  beforeAll(async () => {
    const redisPort = await freePort();
    const exporterPort = await freePort();
    processes.push(spawn(tools.redisServer!, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password], { stdio: 'ignore' }));
    const cli = (...args: string[]) => execFileSync(tools.redisCli!, ['-p', String(redisPort), '--no-auth-warning', '-a', password, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    await until('redis', async () => (cli('PING') === 'PONG' ? true : undefined));

    for (const [key, count] of Object.entries(streams)) {
      for (let i = 0; i < count; i++) cli('XADD', key, '*', 'item', String(i));
    }
    // One consumer holds two entries of the first stream in flight, as MemOS's consumer does.
    const first = Object.keys(streams)[0];
    cli('XGROUP', 'CREATE', first, 'scheduler_group', '0');
    cli('XREADGROUP', 'GROUP', 'scheduler_group', 'scheduler_consumer_0a1b2c3d', 'COUNT', '2', 'STREAMS', first, '>');
    // Streams of something else in the same database must not count.
    for (let i = 0; i < 10; i++) cli('XADD', 'other:stream', '*', 'item', String(i));

    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const { name, value } of exporterEnv) {
      if (name === 'REDIS_ADDR') env[name] = `redis://127.0.0.1:${redisPort}`;
      else if (name === 'REDIS_PASSWORD') env[name] = password; // the secretKeyRef, resolved
      else env[name] = value!;
    }
    env.REDIS_EXPORTER_WEB_LISTEN_ADDRESS = `127.0.0.1:${exporterPort}`;
    processes.push(spawn(tools.exporter!, [], { env, stdio: 'ignore' }));
    metrics = await until('redis_exporter', async () => {
      const response = await fetch(`http://127.0.0.1:${exporterPort}/metrics`);
      const text = await response.text();
      return response.ok && text.includes('redis_up 1') ? text : undefined;
    });
  }, 30000);

  afterAll(() => {
    for (const p of processes) p.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function samples(metric: string): { labels: Record<string, string>; value: number }[] {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const line of metrics.split('\n')) {
      const match = line.match(new RegExp(`^${metric}\\{(.*)\\} (\\S+)$`));
      if (!match) continue;
      const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      out.push({ labels, value: Number(match[2]) });
    }
    return out;
  }

  test('the exporter, configured as synthesized, exports the length of every MemOS stream and only those', () => {
    const lengths = Object.fromEntries(samples('redis_stream_length').map((s) => [s.labels.stream, s.value]));
    expect(lengths).toEqual(streams);
    const pending = samples('redis_stream_group_messages_pending');
    expect(pending.map((s) => [s.labels.stream, s.labels.group, s.value])).toEqual([[Object.keys(streams)[0], 'scheduler_group', 2]]);
  });

  test('the recording rules and the adapter query turn the scrape into redis_queue_depth = 8 for this instance', () => {
    // What the ServiceMonitor adds to every scraped series: the target's namespace and the
    // memos_instance relabeling.
    const scraped = [...samples('redis_stream_length'), ...samples('redis_stream_group_messages_pending')];
    const metricName = (s: { labels: Record<string, string> }) => ('group' in s.labels ? 'redis_stream_group_messages_pending' : 'redis_stream_length');
    const inputSeries = scraped.map((s) => ({
      series: `${metricName(s)}{${Object.entries({ ...s.labels, namespace: 'memos', memos_instance: 'memos' }).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
      values: `${s.value}x10`,
    }));
    // A stream of another application that the exporter might be told to watch too: the rule's
    // stream filter must leave it out.
    inputSeries.push({ series: 'redis_stream_length{db="db0",stream="other:stream",namespace="memos",memos_instance="memos"}', values: '10x10' });

    const adapter = QueueDepthMetric.adapterRules().externalRules as { metricsQuery: string }[];
    const adapterQuery = adapter[0].metricsQuery
      .replace('<<.Series>>', 'memos:redis_queue_depth:sum')
      .replace('<<.LabelMatchers>>', 'namespace="memos",memos_instance="memos"');

    fs.writeFileSync(path.join(dir, 'rules.yaml'), YAML.stringify({ groups }));
    fs.writeFileSync(path.join(dir, 'test.yaml'), YAML.stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '30s',
      tests: [{
        interval: '30s',
        input_series: inputSeries,
        promql_expr_test: [
          { expr: 'memos:redis_queue_depth:sum', eval_time: '2m', exp_samples: [{ labels: 'memos:redis_queue_depth:sum{namespace="memos",memos_instance="memos"}', value: 8 }] },
          { expr: 'memos:redis_queue_in_flight:sum', eval_time: '2m', exp_samples: [{ labels: 'memos:redis_queue_in_flight:sum{namespace="memos",memos_instance="memos"}', value: 2 }] },
          { expr: adapterQuery, eval_time: '2m', exp_samples: [{ labels: '{namespace="memos",memos_instance="memos"}', value: 8 }] },
        ],
      }],
    }));
    const run = (() => {
      try {
        return { status: 0, output: execFileSync(tools.promtool!, ['test', 'rules', 'test.yaml'], { cwd: dir, encoding: 'utf8' }) };
      } catch (error) {
        const e = error as { status: number; stdout: string; stderr: string };
        return { status: e.status, output: `${e.stdout}${e.stderr}` };
      }
    })();
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});
