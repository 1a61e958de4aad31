/**
 * MemOS's side, checked with MemOS's own code (issue 12, item 14).
 *
 * The shipped `small` environment is built with the TypeScript API, and the environment a
 * memos-api pod gets is read from it: the image recipe's ENV (when the repository has one),
 * then the ConfigMaps of `envFrom`, then the container's `env` (Kubernetes' order), with
 * `dummy-<key>` for every Secret key. Nothing of it is written here.
 *
 * (a) test/memos-runtime/resolve.py feeds that environment to MemOS's own config builders
 *     (MemoryOS memos/api/handlers/config_builders.py, memos/api/config.py APIConfig, the
 *     scheduler's Redis queue and status tracker) and prints what they resolve. The test checks
 *     it against the other synthesized objects: the graph, Qdrant, embedding and Redis addresses
 *     must reach the Services and workloads the chart creates, the Secret keys must be the ones
 *     the servers use, the queue-depth exporter must watch the queue MemOS writes, and the
 *     Hugging Face settings must let the tokenizer load offline. Every name the library sets must
 *     change what MemOS resolves, or be listed in KNOWN_INERT with the reason.
 * (b) `uvicorn memos.api.server_api:app` (the container's command) starts for real with that
 *     environment, the hub offline, a local redis-server, a Qdrant REST endpoint over
 *     qdrant-client's embedded mode (test/memos-runtime/qdrant_rest_shim.py says why) and no
 *     Neo4j (none can run here; MemOS's neo4j-community backend only warns at start-up), and
 *     GET /health must answer 200. The same start with an empty Hugging Face cache must fail on
 *     the gpt2 tokenizer: the tokenizer really is loaded at start-up.
 *
 * Needs the virtualenv of `.ci/memos-runtime.sh` ($MEMOS_RUNTIME_VENV, else
 * `${XDG_CACHE_HOME:-~/.cache}/cdk8s-memos-cce/memos-venv`) and redis-server/redis-cli (Debian:
 * redis-server). The test downloads nothing. `.ci/run` sets MEMOS_INTEGRATION=required, so CI
 * fails instead of skipping when they are missing.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../app/environments';
import { MemosChart } from '../charts/memos-chart';
import { debianTool, missingFor } from './support/integration';
import { MEMOS_PYTHON, MEMOS_VENV } from './support/memos-venv';
import { temporaryFolders } from './support/tmp';

type Obj = Record<string, any>;

const root = path.join(__dirname, '..');
const helpers = path.join(__dirname, 'memos-runtime');
const venv = MEMOS_VENV;
const python = MEMOS_PYTHON;
const hfHome = path.join(venv, 'hf-home');

const missing = missingFor('memos-runtime.integration.test.ts (MemOS\'s own code on the memos-api environment)', [
  { name: `the MemOS virtualenv (${python})`, present: fs.existsSync(python), install: 'bash .ci/memos-runtime.sh' },
  { name: `the gpt2 tokenizer cache (${hfHome})`, present: fs.existsSync(path.join(hfHome, 'hub', 'models--gpt2', 'refs', 'main')), install: 'bash .ci/memos-runtime.sh' },
  debianTool('redis-server'), debianTool('redis-cli'),
]);
const temporaryFolder = temporaryFolders();

/**
 * Names the library sets that change nothing MemOS 2.0.30 resolves, and why (file and line in
 * the MemoryOS 2.0.30 package). The test fails on any other name that changes nothing. Names
 * listed here that the library stops setting are fine.
 */
const KNOWN_INERT: Record<string, string> = {
  ENABLE_CHAT_API: 'read in init_server (memos/api/handlers/component_init.py L178, L183) and server_router.py L91 as `os.getenv("ENABLE_CHAT_API", "false") == "true"`: "false" is the default',
  API_SCHEDULER_ON: 'read in init_server (memos/api/handlers/component_init.py L305), default "true": setting "true" is the default',
};

// ---------------------------------------------------------------------------------------------
// The environment of a memos-api pod, from the synthesized objects.

const small = ENVIRONMENTS.find((e) => e.name === 'small');
if (!small) throw new Error('no `small` entry in ENVIRONMENTS');
const objects: Obj[] = Testing.synth(new MemosChart(Testing.app(), 'small', small));
const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
const apiWorkload = (() => {
  const found = workloads.filter((w) => w.spec.template.metadata?.labels?.['app.kubernetes.io/name'] === 'memos-api');
  if (found.length !== 1) throw new Error(`expected one memos-api workload, found ${found.length}`);
  return found[0];
})();
const apiContainer: Obj = (() => {
  const found = (apiWorkload.spec.template.spec.containers as Obj[]).filter((c) => [...(c.command ?? []), ...(c.args ?? [])].includes('memos.api.server_api:app'));
  if (found.length !== 1) throw new Error(`expected one container running memos.api.server_api:app in ${apiWorkload.metadata.name}`);
  return found[0];
})();

function configMapData(name: string): Record<string, string> {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  if (!cm) throw new Error(`ConfigMap ${name} (referenced by ${apiContainer.name}) is not in the chart`);
  return cm.data ?? {};
}

/** `ENV` and `WORKDIR` of the MemOS image recipe in this repository, when there is one. */
function imageRecipe(): { file?: string; env: Record<string, string>; workdir?: string } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', '.git', 'dist', 'lib', 'jsii-dist', 'cdk.out'].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^(Dockerfile|Containerfile)/.test(entry.name) && /MemoryOS/i.test(fs.readFileSync(full, 'utf8'))) files.push(full);
    }
  };
  walk(root);
  if (files.length === 0) return { env: {} };
  if (files.length > 1) throw new Error(`more than one MemOS image recipe: ${files.join(', ')}`);
  const text = fs.readFileSync(files[0], 'utf8').replace(/\\\r?\n/g, ' ');
  const env: Record<string, string> = {};
  let workdir: string | undefined;
  const unquote = (v: string) => v.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  // Only the last stage is the image.
  const stages = text.split(/^\s*FROM\s/im);
  for (const line of stages[stages.length - 1].split(/\r?\n/)) {
    const m = /^\s*(ENV|WORKDIR)\s+(.*)$/i.exec(line);
    if (!m) continue;
    if (m[1].toUpperCase() === 'WORKDIR') { workdir = unquote(m[2].trim()); continue; }
    const body = m[2].trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*\s+[^=]*$/.test(body) && !body.includes('=')) {
      const [k, ...rest] = body.split(/\s+/);
      env[k] = unquote(rest.join(' '));
    } else {
      for (const pair of body.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)/g) ?? []) {
        const i = pair.indexOf('=');
        env[pair.slice(0, i)] = unquote(pair.slice(i + 1));
      }
    }
  }
  return { file: path.relative(root, files[0]), env, workdir };
}

const recipe = imageRecipe();
/** Which Secret key each env name comes from. */
const secretKeyOf: Record<string, string> = {};
const podEnv: Record<string, string> = (() => {
  const env: Record<string, string> = { ...recipe.env };
  for (const from of apiContainer.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMapData(from.configMapRef.name));
    else throw new Error(`envFrom ${JSON.stringify(from)} is not supported by this test: its keys are not in the chart`);
  }
  for (const e of apiContainer.env ?? []) {
    const ref = e.valueFrom;
    if (e.value !== undefined) {
      // Kubernetes expands $(NAME) of names defined before; $$ escapes.
      env[e.name] = String(e.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all: string, n?: string) => (n === undefined ? '$' : env[n] ?? all));
    } else if (ref?.secretKeyRef) {
      env[e.name] = `dummy-${ref.secretKeyRef.key}`;
      secretKeyOf[e.name] = ref.secretKeyRef.key;
    } else if (ref?.configMapKeyRef) {
      env[e.name] = configMapData(ref.configMapKeyRef.name)[ref.configMapKeyRef.key];
    } else if (ref?.fieldRef) {
      env[e.name] = `field-${ref.fieldRef.fieldPath}`;
    } else {
      env[e.name] = '';
    }
  }
  return env;
})();
/** What the library itself sets (the image recipe's ENV is the image's, not a setting). */
const librarySet = Object.keys(podEnv).filter((n) => !(n in recipe.env) || (apiContainer.env ?? []).some((e: Obj) => e.name === n)
  || (apiContainer.envFrom ?? []).some((f: Obj) => f.configMapRef && n in configMapData(f.configMapRef.name)));

/** The workloads a `host:port` reaches through a Service of the chart, and the container port it lands on. */
function reach(host: string, port: number): { workload: Obj; container: Obj } {
  const namespace = apiWorkload.metadata.namespace;
  const name = host.replace(new RegExp(`\\.${namespace}(\\.svc(\\..*)?)?$`), '');
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === name);
  if (!service) throw new Error(`${host}:${port}: no Service ${name} in the chart`);
  const servicePort = (service.spec.ports as Obj[]).find((p) => p.port === port);
  if (!servicePort) throw new Error(`${host}:${port}: Service ${name} has no port ${port}`);
  const selector: Record<string, string> = service.spec.selector ?? {};
  const targets = workloads.filter((w) => Object.entries(selector).every(([k, v]) => w.spec.template.metadata?.labels?.[k] === v));
  if (targets.length !== 1) throw new Error(`${host}:${port}: Service ${name} selects ${targets.length} workloads`);
  const target = servicePort.targetPort ?? port;
  const c = (targets[0].spec.template.spec.containers as Obj[]).find((x) => (x.ports ?? []).some((p: Obj) => p.containerPort === target || p.name === target));
  if (!c) throw new Error(`${host}:${port}: no container of ${targets[0].metadata.name} declares port ${target}`);
  return { workload: targets[0], container: c };
}

function url(u: string): { host: string; port: number; path: string; scheme: string } {
  const parsed = new URL(u);
  const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'bolt:': 7687, 'neo4j:': 7687, 'redis:': 6379 };
  return { scheme: parsed.protocol, host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaults[parsed.protocol], path: parsed.pathname };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
(missing ? describe.skip : describe)('MemOS resolves the memos-api pod environment (its own config builders)', () => {
  let out: Obj;
  let r: Obj;
  // Made in beforeAll, not while jest collects the tests (a skipped suite never runs its afterAll).
  let scratch = '';

  beforeAll(() => {
    scratch = temporaryFolder('memos-resolve-');
    const started = Date.now();
    const spec = { env: podEnv, workdir: apiContainer.workingDir ?? recipe.workdir ?? '/app', home: '/home/memos', probes: librarySet };
    const stdout = execFileSync(python, [path.join(helpers, 'resolve.py')], {
      input: JSON.stringify(spec),
      // TMPDIR too: Python's tempfile falls back to /tmp, which nothing would clean.
      env: { PATH: process.env.PATH, HOME: scratch, TMPDIR: scratch, MEMOS_RESOLVE_SCRATCH: scratch, PYTHONDONTWRITEBYTECODE: '1' },
      cwd: scratch,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    out = JSON.parse(stdout);
    r = out.resolved;
    console.log(`resolve.py: MemoryOS ${out.memosVersion}, ${librarySet.length} names probed in ${((Date.now() - started) / 1000).toFixed(1)}s`
      + (recipe.file ? `, image ENV from ${recipe.file}` : ', no image recipe in the repository'));
  }, 300000);

  test('MemoryOS 2.0.x, and no .env on the way that would override the pod environment', () => {
    expect(out.memosVersion).toMatch(/^2\.0\.\d+$/);
    // memos/api/config.py L26: load_dotenv(override=True).
    expect(out.dotenvFile).toBe('');
    for (const key of Object.keys(r)) expect([key, r[key]?.error]).toEqual([key, undefined]);
  });

  test('graph: neo4j-community at the chart\'s Neo4j Service, with the Secret\'s password', () => {
    const g = r.graphDb;
    expect(g.backend).toBe('neo4j-community');
    const bolt = url(g.config.uri);
    expect(bolt.scheme).toBe('bolt:');
    const neo4j = reach(bolt.host, bolt.port);
    expect(neo4j.container.image).toMatch(/(^|\/)neo4j:/);
    expect(g.config.password).toBe(`dummy-${secretKeyOf.NEO4J_PASSWORD}`);
    // The server's own password comes from the same Secret key.
    const serverKeys = (neo4j.container.env ?? []).map((e: Obj) => e.valueFrom?.secretKeyRef?.key).filter(Boolean);
    expect(serverKeys).toContain(secretKeyOf.NEO4J_PASSWORD);
  });

  test('Qdrant: URL at the chart\'s Qdrant Service, API key from the Secret key the server checks', () => {
    const q = r.graphDb.config.vec_config;
    expect(q.backend).toBe('qdrant');
    // QdrantVecDB uses url (+ api_key) when set, host/port otherwise (memos/vec_dbs/qdrant.py L34-46).
    const u = url(q.config.url);
    const qdrant = reach(u.host, u.port);
    expect(qdrant.container.image).toMatch(/(^|\/)qdrant:/);
    expect(q.config.api_key).toBe(`dummy-${secretKeyOf.QDRANT_API_KEY}`);
    const serverKey = (qdrant.container.env ?? []).find((e: Obj) => e.name === 'QDRANT__SERVICE__API_KEY');
    expect(serverKey?.valueFrom?.secretKeyRef?.key).toBe(secretKeyOf.QDRANT_API_KEY);
  });

  test('embedder: universal_api at the chart\'s embedding server, its served model, one dimension everywhere', () => {
    const e = r.embedder;
    expect(e.backend).toBe('universal_api');
    const u = url(e.config.base_url);
    expect(u.path.replace(/\/$/, '')).toBe('/v1');
    const server = reach(u.host, u.port);
    const args: string[] = server.container.args ?? [];
    const served = args[args.indexOf('--served-model-name') + 1];
    expect(args).toContain('--served-model-name');
    expect(e.config.model_name_or_path).toBe(served);
    const dim = e.config.embedding_dims;
    expect(r.graphDb.config.embedding_dimension).toBe(dim);
    expect(r.graphDb.config.vec_config.config.vector_dimension).toBe(dim);
    expect(String(dim)).toBe(podEnv.EMBEDDING_DIMENSION);
    // One request, as MemOS sends it: the served model, at the embedding server.
    expect(r.embeddingRequest).toHaveLength(1);
    expect(r.embeddingRequest[0].model).toBe(served);
    expect(r.embeddingRequest[0].baseUrl.replace(/\/$/, '')).toBe(e.config.base_url.replace(/\/$/, ''));
  });

  test('reranker: cosine_local for search and feedback when the chart runs no reranker, else the reranker Service', () => {
    const rerankers = workloads.filter((w) => JSON.stringify(w.spec.template.spec.containers).match(/rerank/i));
    for (const which of ['reranker', 'feedbackReranker']) {
      if (rerankers.length === 0) {
        expect([which, r[which].backend]).toEqual([which, 'cosine_local']);
      } else {
        expect([which, r[which].backend]).toEqual([which, 'http_bge']);
        const u = url(r[which].config.url);
        expect(rerankers).toContain(reach(u.host, u.port).workload);
      }
    }
  });

  test('Redis queue: on, at the configured Redis, and the queue-depth exporter watches the same db and stream prefix', () => {
    expect(r.scheduler.config.use_redis_queue).toBe(true);
    const queue = r.redisQueue;
    expect(queue.connected).toBe(true);
    expect(queue.connections).toHaveLength(1);
    const conn = queue.connections[0];
    expect(conn.password).toBe(`dummy-${secretKeyOf.MEMSCHEDULER_REDIS_PASSWORD}`);
    // The status tracker (memos/mem_scheduler/orm_modules/api_redis_model.py) opens the same Redis.
    expect(r.statusTrackerRedis.connected).toBe(true);
    const tracker = r.statusTrackerRedis.connections[0];
    expect([tracker.host, tracker.port, tracker.db]).toEqual([conn.host, conn.port, conn.db]);

    const exporter = workloads.flatMap((w) => w.spec.template.spec.containers as Obj[]).find((c) => (c.env ?? []).some((e: Obj) => e.name === 'REDIS_EXPORTER_CHECK_STREAMS'));
    expect(exporter).toBeDefined();
    const envOf = (n: string) => (exporter!.env as Obj[]).find((e) => e.name === n);
    const addr = url(envOf('REDIS_ADDR')!.value);
    expect([addr.host, addr.port]).toEqual([conn.host, conn.port]);
    expect(envOf('REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(secretKeyOf.MEMSCHEDULER_REDIS_PASSWORD);
    const [db, pattern] = envOf('REDIS_EXPORTER_CHECK_STREAMS')!.value.split('=');
    expect(db).toBe(`db${conn.db}`);
    expect(pattern).toBe(`${queue.streamKeyPrefix}:*`);
  });

  test('Hugging Face: hub offline, and the cache MemOS reads is not hidden by an emptyDir', () => {
    // Item 5: with the hub unreachable, the gpt2 tokenizer must come from the cache without a network try.
    expect(r.hf.HF_HUB_OFFLINE).toBe(true);
    // ...because the library itself says so, not only the image's ENV.
    expect(configMapData('memos-config').HF_HUB_OFFLINE).toBe('1');
    // The tokenizer is baked into the image under HF_HOME: an emptyDir mounted at it or above
    // it replaces the image's files with an empty folder.
    const volumes: Obj[] = apiWorkload.spec.template.spec.volumes ?? [];
    const hiding = (apiContainer.volumeMounts ?? []).filter((m: Obj) => {
      const v = volumes.find((x) => x.name === m.name);
      const mount = m.mountPath.replace(/\/$/, '');
      return v?.emptyDir !== undefined && (r.hf.HF_HUB_CACHE === mount || r.hf.HF_HUB_CACHE.startsWith(`${mount}/`));
    }).map((m: Obj) => `${m.name} at ${m.mountPath}`);
    expect({ HF_HUB_CACHE: r.hf.HF_HUB_CACHE, hiddenBy: hiding }).toEqual({ HF_HUB_CACHE: r.hf.HF_HUB_CACHE, hiddenBy: [] });
  });

  test('MemOS\'s state folder is writable under the read-only root', () => {
    const readOnly = apiContainer.securityContext?.readOnlyRootFilesystem === true;
    const covered = (apiContainer.volumeMounts ?? []).some((m: Obj) => r.memosDir === m.mountPath.replace(/\/$/, '') || r.memosDir.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    expect({ memosDir: r.memosDir, writable: !readOnly || covered }).toEqual({ memosDir: r.memosDir, writable: true });
  });

  test('every name the library sets changes what MemOS resolves, or is a known no-op', () => {
    const rows: string[] = [];
    const inert: string[] = [];
    const defaults: string[] = [];
    for (const name of librarySet.sort()) {
      const p = out.probes[name];
      if (!p) continue;
      const effect = [...p.mutationChanges, ...p.removalChanges];
      if (effect.length === 0) {
        inert.push(name);
        rows.push(`  ${name}: changes nothing: ${KNOWN_INERT[name] ?? 'NOT EXPLAINED'}`);
      } else if (p.removalChanges.length === 0) {
        defaults.push(name);
      }
    }
    console.log(`env names that change nothing in MemoryOS ${out.memosVersion}:\n${rows.join('\n')}\n`
      + `env names whose value is MemOS's own default (they take effect when changed): ${defaults.join(', ')}`);
    expect(inert.filter((n) => !(n in KNOWN_INERT))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
(missing ? describe.skip : describe)('server_api starts offline with the memos-api environment', () => {
  // Made in beforeAll, not while jest collects the tests (a skipped suite never runs its afterAll).
  let dir = '';
  const started: ChildProcess[] = [];
  const redisPassword = podEnv.MEMSCHEDULER_REDIS_PASSWORD;
  let redisPort = 0;
  let shimLog = '';
  let run: { health?: { status: number; body: string }; log: string; seconds: number } = { log: '', seconds: 0 };

  function start(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): ChildProcess {
    // Its own process group, so everything it starts goes with it at the end.
    const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    return child;
  }

  function stop(child: ChildProcess): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  function get(port: number, route: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: route, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
  }

  /** Starts the container's command like the pod, with the overrides this machine needs; waits for /health or the exit. */
  async function serve(name: string, overrides: Record<string, string>, limitSeconds: number) {
    const port = await freePort();
    const work = path.join(dir, name);
    fs.mkdirSync(path.join(work, 'base'), { recursive: true });
    // MemOS falls back to spawning `redis-server --port 6379` in its own session when Redis
    // fails (memos/mem_scheduler/webservice_modules/redis_service.py L218-225): a stub that fails keeps it from doing so.
    const stubs = path.join(dir, 'stubs');
    fs.mkdirSync(stubs, { recursive: true });
    fs.writeFileSync(path.join(stubs, 'redis-server'), '#!/bin/sh\necho "redis-server stub: MemOS must not start its own Redis" >&2\nexit 1\n', { mode: 0o755 });
    const command: string[] = [...(apiContainer.command ?? []), ...(apiContainer.args ?? [])];
    const hostAt = command.indexOf('--host');
    const portAt = command.indexOf('--port');
    expect([command[0], hostAt > 0, portAt > 0]).toEqual(['uvicorn', true, true]);
    command[hostAt + 1] = '127.0.0.1';
    command[portAt + 1] = String(port);
    const env: NodeJS.ProcessEnv = {
      ...podEnv,
      PATH: [stubs, path.join(venv, 'bin'), '/usr/bin', '/bin'].join(path.delimiter),
      HOME: work,
      // The pod's /tmp is an emptyDir; here, a folder of this test (Python's tempfile falls back to /tmp).
      TMPDIR: work,
      MEMOS_BASE_PATH: path.join(work, 'base'),
      // Offline as the pod is (from its ConfigMap); only the cache moves to this machine's copy.
      HF_HUB_OFFLINE: podEnv.HF_HUB_OFFLINE,
      HF_HOME: hfHome,
      PYTHONPATH: helpers,
      PYTHONDONTWRITEBYTECODE: '1',
      MEMOS_ENV_TRACE: path.join(work, 'env-reads.tsv'),
      ...overrides,
    };
    if (env.FILE_LOCAL_PATH) {
      env.FILE_LOCAL_PATH = path.join(work, 'files');
      fs.mkdirSync(env.FILE_LOCAL_PATH);
    }
    const t0 = Date.now();
    const server = start(command[0], command.slice(1), { env, cwd: work });
    let log = '';
    server.stdout!.on('data', (d) => { log += d; });
    server.stderr!.on('data', (d) => { log += d; });
    const deadline = t0 + limitSeconds * 1000;
    let health: { status: number; body: string } | undefined;
    while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) {
      try {
        health = await get(port, '/health');
        if (health.status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (health?.status !== 200) {
      // Let the last output of an exited server arrive.
      await new Promise((r) => { if (server.exitCode !== null || server.signalCode !== null) setTimeout(r, 1000); else r(undefined); });
    }
    return { health, log, seconds: (Date.now() - t0) / 1000, exitCode: server.exitCode, server, work };
  }

  beforeAll(async () => {
    dir = temporaryFolder('memos-server-');
    // A local Redis with the Secret key's (dummy) password: MemOS must authenticate with it.
    redisPort = await freePort();
    const redisArgs = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    if (redisPassword) redisArgs.push('--requirepass', redisPassword);
    start('redis-server', redisArgs, { env: { PATH: process.env.PATH } });
    const qdrantPort = await freePort();
    const qdrantImage: string = workloads.flatMap((w) => w.spec.template.spec.containers as Obj[]).find((c) => /(^|\/)qdrant:/.test(c.image))?.image ?? 'qdrant:v1.15.0';
    const shim = start(python, [path.join(helpers, 'qdrant_rest_shim.py'), '--port', String(qdrantPort), '--path', path.join(dir, 'qdrant'),
      '--api-key', podEnv.QDRANT_API_KEY ?? '', '--version', qdrantImage.split(':').pop()!.replace(/^v/, '')], { env: { PATH: process.env.PATH, TMPDIR: dir, PYTHONDONTWRITEBYTECODE: '1' } });
    shim.stdout!.on('data', (d) => { shimLog += d; });
    const ready = Date.now() + 60000;
    while (!shimLog.includes('listening')) {
      if (Date.now() > ready || shim.exitCode !== null) throw new Error(`the Qdrant shim did not start:\n${shimLog}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const closedPort = await freePort();
    const served = await serve('offline', {
      QDRANT_URL: `http://127.0.0.1:${qdrantPort}`,
      // No Neo4j can run here: a closed port. neo4j-community only warns when index creation fails.
      NEO4J_URI: `bolt://127.0.0.1:${closedPort}`,
      MEMSCHEDULER_REDIS_HOST: '127.0.0.1',
      MEMSCHEDULER_REDIS_PORT: String(redisPort),
    }, 150);
    run = served;
    if (served.health?.status !== 200) {
      stop(served.server);
      throw new Error(`server_api did not answer /health 200 within 150s (exit ${served.exitCode}):\n${served.log.split('\n').slice(-40).join('\n')}`);
    }
    console.log(`server_api answered /health 200 after ${served.seconds.toFixed(1)}s`);
  }, 300000);

  afterAll(() => {
    for (const child of started.reverse()) stop(child);
  });

  test('GET /health is 200 from MemOS', () => {
    expect(run.health?.status).toBe(200);
    expect(JSON.parse(run.health!.body)).toMatchObject({ status: 'healthy', service: 'memos' });
  });

  test('MemOS created its Qdrant collection with the embedding dimension, sending the API key', () => {
    const requests = shimLog.split('\n').filter((l) => l.startsWith('{"method"')).map((l) => JSON.parse(l));
    const create = requests.find((q) => q.method === 'PUT' && /^\/collections\/[^/]+$/.test(q.path));
    expect(create?.body?.vectors).toEqual({ size: Number(podEnv.EMBEDDING_DIMENSION), distance: 'Cosine' });
    expect(requests.every((q) => q.apiKeyOk)).toBe(true);
  });

  test('MemOS holds connections to the Redis queue, authenticated with the Secret key\'s password', () => {
    const auth = redisPassword ? ['--no-auth-warning', '-a', redisPassword] : [];
    const clients = execFileSync('redis-cli', ['-p', String(redisPort), ...auth, 'CLIENT', 'LIST'], { encoding: 'utf8' })
      .split('\n').filter((l) => l.includes('addr=') && !l.includes('cmd=client'));
    expect(clients.length).toBeGreaterThanOrEqual(1);
  });

  test('which library env names the server read at start-up (reported)', () => {
    const reads = fs.readFileSync(path.join(dir, 'offline', 'env-reads.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const site = /.*\/site-packages\//;
    const readers: Record<string, Set<string>> = {};
    for (const [name, where] of reads) (readers[name] ??= new Set()).add(where.replace(site, ''));
    const unread = librarySet.filter((n) => !readers[n]).sort();
    console.log(`env names the library sets that server_api never read at start-up: ${unread.join(', ') || 'none'}\n`
      + librarySet.filter((n) => readers[n]).sort().map((n) => `  ${n}: ${[...readers[n]].slice(0, 3).join(', ')}`).join('\n'));
    // The tokenizer load at start-up is what needs the hub settings.
    expect(readers.HF_HUB_OFFLINE).toBeDefined();
  });

  test('without the gpt2 tokenizer in the cache the same start fails: the tokenizer is loaded at start-up, offline', async () => {
    const empty = path.join(dir, 'empty-hf');
    fs.mkdirSync(empty);
    const qdrantPort = /"listening": (\d+)/.exec(shimLog)![1];
    const failed = await serve('no-tokenizer', {
      HF_HOME: empty,
      QDRANT_URL: `http://127.0.0.1:${qdrantPort}`,
      NEO4J_URI: `bolt://127.0.0.1:${await freePort()}`,
      MEMSCHEDULER_REDIS_HOST: '127.0.0.1',
      MEMSCHEDULER_REDIS_PORT: String(redisPort),
    }, 150);
    stop(failed.server);
    expect(failed.health?.status).not.toBe(200);
    expect(failed.log).toMatch(/Tokenizer not found/);
    expect(failed.log).toMatch(/outgoing traffic has been disabled|offline/i);
  }, 200000);
});
