import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { debianTool, missingFor } from './integration';

/**
 * What the backup tests run the Jobs' scripts with, for real: rclone 1.68.2 (the Jobs' image's
 * version) against moto's S3 server, under busybox `sh` with busybox applets (the images are
 * Alpine), plus curl for the Qdrant steps. .ci/backup-tools.sh builds rclone and installs moto
 * into a cache folder ($BACKUP_TOOLS, else ~/.cache/cdk8s-memos-cce/backup-tools); Debian's
 * busybox and curl come from `.ci/run`. Nothing is downloaded here.
 */

const TOOLS = process.env.BACKUP_TOOLS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cdk8s-memos-cce', 'backup-tools');
export const RCLONE = path.join(TOOLS, 'bin', 'rclone');
const MOTO_PYTHON = path.join(TOOLS, 'moto', 'bin', 'python');

export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What the script runs of the suite named `suite` miss: '' when nothing, else the message it
 * printed (the suite is then skipped; under MEMOS_INTEGRATION=required, this throws instead).
 * `extra`: Debian binaries besides busybox (e.g. curl, redis-server).
 */
export function missingBackupTools(suite: string, ...extra: string[]): string {
  return missingFor(suite, [
    { name: `rclone (${RCLONE})`, present: fs.existsSync(RCLONE), install: 'bash .ci/backup-tools.sh' },
    { name: `moto (${MOTO_PYTHON})`, present: fs.existsSync(MOTO_PYTHON), install: 'bash .ci/backup-tools.sh' },
    debianTool('busybox'),
    ...extra.map((tool) => debianTool(tool)),
  ]);
}

/** The busybox applets the Jobs' scripts use. */
const APPLETS = ['sh', 'sed', 'grep', 'tr', 'tail', 'head', 'sleep', 'cat', 'printf', 'wc', 'date', 'sort', 'find', 'awk', 'cut',
  'sha256sum', 'mkdir', 'rm', 'mv', 'cp', 'ls', 'touch', 'seq', 'stat', 'basename', 'dirname', 'test', 'timeout', 'xargs', 'env', 'id', 'chmod', 'ln', 'du', 'expr', 'uniq'];

/** A folder holding busybox applets, rclone and `extra` tools: the PATH of a script run. */
export function toolPath(dir: string, extra: string[] = []): string {
  const busybox = which('busybox')!;
  fs.mkdirSync(dir, { recursive: true });
  for (const applet of APPLETS) fs.symlinkSync(busybox, path.join(dir, applet));
  fs.symlinkSync(RCLONE, path.join(dir, 'rclone'));
  for (const tool of extra) {
    const found = which(tool);
    if (!found) throw new Error(`${tool} not found`);
    fs.rmSync(path.join(dir, tool), { force: true });
    fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within 30 s`);
}

/** A local S3 server (moto) with one bucket per name; `stop()` kills it. */
export interface S3Server {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** rclone configured for this server, with `args` (e.g. `lsf`, `obs:bucket/...`). */
  rclone(args: string[], env?: Record<string, string>): string;
  stop(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Server> {
  const port = await freePort();
  const child = spawn(MOTO_PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    await waitForPort(port, child, 'moto');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const server: S3Server = {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'test-access-key',
    secretAccessKey: 'test-secret-key',
    region: 'cn-north-4',
    rclone(args, env = {}) {
      return execFileSync(RCLONE, args, { env: { ...process.env, ...rcloneEnv(server, 'obs'), ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
  try {
    for (const bucket of buckets) server.rclone(['mkdir', `obs:${bucket}`], { RCLONE_CONFIG_OBS_LOCATION_CONSTRAINT: server.region, RCLONE_CONFIG_OBS_NO_CHECK_BUCKET: 'false' });
  } catch (error) {
    // The caller never gets the server to stop: stop it here.
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * The rclone remote `name` for the test server, as the Jobs configure theirs (provider HuaweiOBS;
 * an IP-literal endpoint makes rclone fall back to path-style addressing, which moto needs).
 */
export function rcloneEnv(s3: S3Server, name: string): Record<string, string> {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  return {
    [`${p}TYPE`]: 's3', [`${p}PROVIDER`]: 'HuaweiOBS', [`${p}ENDPOINT`]: s3.endpoint, [`${p}REGION`]: s3.region,
    [`${p}ACCESS_KEY_ID`]: s3.accessKeyId, [`${p}SECRET_ACCESS_KEY`]: s3.secretAccessKey, [`${p}NO_CHECK_BUCKET`]: 'true',
  };
}

/** A container of a synthesized pod spec (only what the runs read). */
export interface SpecContainer {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface RunResult { code: number; stdout: string; stderr: string }

/**
 * Runs a container's `sh -c` script from the synthesized YAML, with its environment: literal
 * values as rendered, secretKeyRef values from `secrets` (`<secret>/<key>`, a missing one fails),
 * every env var in `overrides` replaced (paths: the pod's mount paths moved into a test folder),
 * and `PATH` = `pathDir`.
 */
export function runContainer(container: SpecContainer, options: {
  pathDir: string; secrets?: Record<string, string>; overrides?: Record<string, string>; rewrite?: (script: string) => string; timeoutMs?: number;
}): Promise<RunResult> {
  const env: Record<string, string> = { PATH: options.pathDir, HOME: os.tmpdir(), LANG: 'C' };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
      const value = options.secrets?.[ref];
      if (value === undefined) throw new Error(`container ${container.name}: no test value for secret ${ref}`);
      env[e.name] = value;
    }
  }
  Object.assign(env, options.overrides ?? {});
  const [sh, flag, script] = container.command ?? [];
  if (sh !== '/bin/sh' || flag !== '-c' || typeof script !== 'string') throw new Error(`container ${container.name} does not run a sh -c script`);
  const body = options.rewrite ? options.rewrite(script) : script;
  return new Promise((resolve) => {
    const child = spawn(path.join(options.pathDir, 'sh'), ['-c', body], { env, cwd: os.tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/** The pod spec of a CronJob or Job object. */
export function podSpec(object: any): any {
  return object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec;
}

/** Init containers then containers, in the order the kubelet runs them. */
export function containersInOrder(object: any): SpecContainer[] {
  const spec = podSpec(object);
  return [...(spec.initContainers ?? []), ...spec.containers];
}
