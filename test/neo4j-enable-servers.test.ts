/**
 * Neo4jEnableServers: the synthesized Job (shape, Argo CD hook, credentials only through
 * secretKeyRef, hardening, the name that follows its template, the NetworkPolicy wiring), its
 * validation, and its script run for real under busybox `sh` (busybox applets only) and under the
 * system's /bin/sh (dash, as in the Debian-based Neo4j image), with a stub `cypher-shell` that
 * records its arguments, environment and statements and answers `SHOW SERVERS` from a scripted
 * cluster (rows as cypher-shell's `--format plain` prints them).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import { NetworkPolicies } from '../constructs/network-policies';
import { Neo4j, Neo4jLicenseAgreement, Neo4jProps } from '../constructs/neo4j';
import { Neo4jEnableServers, Neo4jEnableServersProps } from '../constructs/neo4j-enable-servers';
import { Credentials } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import { debianTool, missingFor, onPath } from './support/integration';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();
const CREDENTIALS = Credentials.fromSecret('memos-secrets');
const CLUSTER: Partial<Neo4jProps> = { servers: 3, licenseAgreement: Neo4jLicenseAgreement.EVALUATION };

function synth(neo4jProps: Partial<Neo4jProps> = CLUSTER, props: Partial<Neo4jEnableServersProps> = {}) {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: CREDENTIALS, ...neo4jProps });
  const enable = new Neo4jEnableServers(chart, 'Enable', { neo4j, ...props });
  const objects = chart.toJson();
  const jobs = objects.filter((o) => o.kind === 'Job');
  expect(jobs).toHaveLength(1);
  const job = jobs[0];
  const container = job.spec.template.spec.containers[0];
  return { chart, neo4j, enable, objects, job, container, pod: job.spec.template.spec };
}

const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const HARDENED = {
  runAsNonRoot: true, runAsUser: 7474, runAsGroup: 7474, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false,
  capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

describe('Neo4jEnableServers, synthesized', () => {
  test('a Job named by its template, an Argo CD PostSync hook, retried twice, deleted after a day', () => {
    const { job, enable, pod } = synth();
    expect(job.metadata.name).toMatch(/^memos-neo4j-enable-[0-9a-f]{6}$/);
    expect(enable.jobName).toBe(job.metadata.name);
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'neo4j-enable-servers', 'app.kubernetes.io/instance': 'memos' });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'neo4j-enable-servers', 'app.kubernetes.io/instance': 'memos' });
    expect(job.spec.backoffLimit).toBe(2);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    // 30 minutes of waiting, 5 more for the rest.
    expect(job.spec.activeDeadlineSeconds).toBe(35 * 60);
    expect(enable.timeout.toMinutes()).toBe(30);
    expect(pod.restartPolicy).toBe('Never');
  });

  test('cypher-shell of the servers\' image against the routing URI, as neo4j, the password from the Secret', () => {
    const { container, neo4j } = synth();
    expect(container.image).toBe(neo4j.image);
    expect(container.image).toBe(Neo4j.DEFAULT_ENTERPRISE_IMAGE);
    expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(container.command[2]).toContain('cypher-shell -a "$NEO4J_ADDRESS" -d system --format plain --non-interactive -f "$tmp/enable-servers.cypher"');
    expect(envOf(container)).toEqual({
      NEO4J_HOME: '/var/lib/neo4j',
      NEO4J_ADDRESS: 'neo4j://memos-neo4j:7687',
      NEO4J_USERNAME: 'neo4j',
      NEO4J_PASSWORD: { secretKeyRef: { name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false } },
      SERVERS: '3',
      WAIT_SECONDS: '1800',
      POLL_SECONDS: '10',
    });
    expect(neo4j.uri).toBe('neo4j://memos-neo4j:7687');
  });

  test('no password in the YAML or on a command line', () => {
    const { objects, container } = synth();
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    for (const e of container.env) {
      if (/PASSWORD|SECRET|TOKEN/.test(e.name)) {
        expect(e.value).toBeUndefined();
        expect(e.valueFrom.secretKeyRef).toBeDefined();
      }
    }
    const script: string = container.command[2];
    // cypher-shell reads NEO4J_PASSWORD itself: the script never expands it.
    expect(script).not.toMatch(/\$\{?NEO4J_PASSWORD/);
    expect(script).not.toMatch(/ -p | --password/);
    expect(script).not.toMatch(/set -x/);
  });

  test('hardened: UID 7474, read-only root with /tmp and /logs, seccomp, no token, resources, pull secrets', () => {
    const { pod, container, objects } = synth();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 7474, runAsGroup: 7474, fsGroup: 7474, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual(HARDENED);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(container.volumeMounts.map((m: any) => `${m.name}:${m.mountPath}`).sort()).toEqual(['logs:/logs', 'tmp:/tmp']);
    expect(pod.volumes.map((v: any) => Object.keys(v).filter((k) => k !== 'name')[0]).sort()).toEqual(['emptyDir', 'emptyDir']);
    expect(container.resources.limits).toMatchObject({ cpu: '1', memory: '512Mi', 'ephemeral-storage': '1Gi' });
    expect(container.resources.requests).toMatchObject({ cpu: '100m', memory: '512Mi' });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('the servers\' pull secrets and a custom image', () => {
    const { pod, container } = synth({ ...CLUSTER, imagePullSecrets: ['swr-a', 'swr-b'] }, { image: 'swr.cn-north-4.myhuaweicloud.com/memos/neo4j:5.26.6-enterprise' });
    expect(pod.imagePullSecrets).toEqual([{ name: 'swr-a' }, { name: 'swr-b' }]);
    expect(container.image).toBe('swr.cn-north-4.myhuaweicloud.com/memos/neo4j:5.26.6-enterprise');
  });

  test('with TLS: neo4j+s, the CA alone mounted read-only and trusted', () => {
    const { container, pod } = synth({ ...CLUSTER, tls: TlsCertificate.fromSecret('neo4j-tls') });
    expect(envOf(container)).toMatchObject({ NEO4J_ADDRESS: 'neo4j+s://memos-neo4j:7687', NEO4J_CA_CERT: '/etc/neo4j-ca/ca.crt' });
    expect(container.volumeMounts).toContainEqual({ name: 'neo4j-ca', mountPath: '/etc/neo4j-ca', readOnly: true });
    expect(pod.volumes.find((v: any) => v.name === 'neo4j-ca').secret).toEqual({ secretName: 'neo4j-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 });
    expect(container.command[2]).toContain('keytool -importcert');
  });

  test('the name follows the template: same props, same name; another timeout or image, another name', () => {
    const base = synth().job.metadata.name;
    expect(synth().job.metadata.name).toBe(base);
    const longer = synth(CLUSTER, { timeout: Duration.minutes(31) });
    expect(longer.job.metadata.name).not.toBe(base);
    expect(envOf(longer.container).WAIT_SECONDS).toBe('1860');
    expect(longer.job.spec.activeDeadlineSeconds).toBe(36 * 60);
    expect(synth(CLUSTER, { image: 'docker.io/library/neo4j:5.26.7-enterprise' }).job.metadata.name).not.toBe(base);
    // 5 servers: SERVERS in the template.
    expect(synth({ ...CLUSTER, servers: 5 }).job.metadata.name).not.toBe(base);
  });

  test('its pods may reach the servers\' Bolt port, and get a NetworkPolicy of their own', () => {
    const { chart, neo4j, enable } = synth();
    expect(neo4j.connections._ingress.filter((r) => r.peer === enable.connections).map((r) => r.ports)).toEqual([[{ port: 7687 }]]);
    expect(enable.connections._egress).toEqual([{ peer: neo4j.connections, ports: [{ port: 7687 }] }]);
    expect(enable.connections.selector).toEqual({ 'app.kubernetes.io/name': 'neo4j-enable-servers', 'app.kubernetes.io/instance': 'memos' });
    const policies = new NetworkPolicies(chart, 'Policies', { instance: 'memos', connections: [neo4j.connections, enable.connections] });
    const objects = chart.toJson();
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'memos-neo4j-enable-servers');
    expect(policy).toBeDefined();
    expect(policies.policies['neo4j-enable-servers']).toBeDefined();
    expect(policy.spec.podSelector.matchLabels).toEqual(enable.connections.selector);
    const job = objects.find((o) => o.kind === 'Job');
    // The policy selects the Job's pods.
    expect(job.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    const egress = JSON.stringify(policy.spec.egress);
    expect(egress).toContain('7687');
    const neo4jPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'memos-neo4j');
    expect(JSON.stringify(neo4jPolicy.spec.ingress)).toContain('"neo4j-enable-servers"');
  });
});

describe('Neo4jEnableServers validation', () => {
  test('a one-server Neo4j is refused, naming the construct and neo4j', () => {
    expect(() => synth({})).toThrow(/^Neo4jEnableServers 'memos\/Enable': invalid neo4j .*1 server.*servers: 3 or more/);
  });

  test('a one-server Enterprise Neo4j is refused too', () => {
    expect(() => synth({ edition: 'enterprise' as any, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL })).toThrow(/invalid neo4j/);
  });

  test('something that is not a Neo4j is refused', () => {
    const chart = new Chart(new App(), 'memos');
    expect(() => new Neo4jEnableServers(chart, 'Enable', { neo4j: { servers: 3, uri: 'neo4j://x:7687' } as any })).toThrow(/Neo4jEnableServers 'memos\/Enable': invalid neo4j/);
    expect(() => new Neo4jEnableServers(chart, 'Enable2', {} as any)).toThrow(/invalid neo4j \(missing\)/);
  });

  test.each([
    ['under a minute', Duration.seconds(59)],
    ['over a day', Duration.hours(25)],
    ['a fraction of a second', Duration.millis(90_500)],
    ['a number', 600 as any],
  ])('a timeout %s is refused', (_what, timeout) => {
    expect(() => synth(CLUSTER, { timeout })).toThrow(/^Neo4jEnableServers 'memos\/Enable': invalid timeout .*allowed: a Duration from 1 minute to 24 hours/);
  });

  test('the bounds are allowed', () => {
    expect(synth(CLUSTER, { timeout: Duration.minutes(1) }).job.spec.activeDeadlineSeconds).toBe(360);
    expect(synth(CLUSTER, { timeout: Duration.hours(24) }).job.spec.activeDeadlineSeconds).toBe(24 * 3600 + 300);
  });

  test('an unpinned image is refused', () => {
    expect(() => synth(CLUSTER, { image: 'neo4j' })).toThrow(/invalid image/);
  });
});

// ---------------------------------------------------------------------------------------------
// The script, run for real.

const missing = missingFor('neo4j-enable-servers.test.ts (the script under busybox sh)', [debianTool('busybox')]);
const BUSYBOX = onPath('busybox');
const APPLETS = ['sh', 'sed', 'grep', 'cut', 'tr', 'date', 'sleep', 'cat', 'rm', 'stat', 'wc', 'printf', 'mkdir', 'touch', 'env'];
const PASSWORD = 'test-neo4j-password';
const ID = ['1e5c0a36-0b1d-4a55-9d0e-0c1f2a3b4c01', '2f6d1b47-1c2e-4b66-8e1f-1d2a3b4c5d02', '3a7e2c58-2d3f-4c77-9f20-2e3b4c5d6e03'];
const STALE = '4b8f3d69-3e40-4d88-a031-3f4c5d6e7f04';

/** A stub NEO4J_HOME whose cypher-shell answers from the state folder (see the header comment). */
function stubHome(shebang: string): { home: string; state: string } {
  const home = temporaryFolder('neo4j-home-');
  const state = temporaryFolder('neo4j-state-');
  fs.mkdirSync(path.join(home, 'bin'));
  // Each call: its arguments (one a line), what it saw of the environment, the statement file's
  // mode and content, then `--`. SHOW SERVERS: servers.txt, plus late.txt from poll
  // STUB_JOIN_AFTER + 1 on (`id|State|Health|name`), IDs in enabled.txt shown as Enabled.
  fs.writeFileSync(path.join(home, 'bin', 'cypher-shell'), `#!${shebang}
log="$STUB_STATE/calls.log"
file=''; prev=''
for a in "$@"; do printf 'arg %s\\n' "$a" >> "$log"; [ "$prev" = -f ] && file=$a; prev=$a; done
printf 'password=%s user=%s tool-options=%s\\n' "\${NEO4J_PASSWORD:-}" "\${NEO4J_USERNAME:-}" "\${JAVA_TOOL_OPTIONS:-}" >> "$log"
printf 'mode=%s\\n' "$(stat -c %a "$file")" >> "$log"
statement=$(cat "$file")
printf 'statement %s\\n--\\n' "$statement" >> "$log"
case "$statement" in
  "SHOW SERVERS"*)
    printf x >> "$STUB_STATE/polls"
    polls=$(wc -c < "$STUB_STATE/polls")
    if [ "$polls" -le "\${STUB_FAIL_POLLS:-0}" ]; then echo 'Unable to connect to memos-neo4j:7687' >&2; exit 1; fi
    echo 'serverId, state, health, name'
    rows=$(cat "$STUB_STATE/servers.txt")
    if [ -n "\${STUB_JOIN_AFTER:-}" ] && [ "$polls" -gt "$STUB_JOIN_AFTER" ]; then rows="$rows
$(cat "$STUB_STATE/late.txt")"; fi
    printf '%s\\n' "$rows" | while IFS='|' read -r id state health name; do
      [ -n "$id" ] || continue
      if grep -qxF "$id" "$STUB_STATE/enabled.txt" 2>/dev/null; then state=Enabled; fi
      printf '"%s", "%s", "%s", "%s"\\n' "$id" "$state" "$health" "$name"
    done ;;
  "ENABLE SERVER '"*)
    if [ -n "\${STUB_ENABLE_FAIL:-}" ]; then echo 'Neo.ClientError.Security.Forbidden' >&2; exit 1; fi
    id=\${statement#"ENABLE SERVER '"}; id=\${id%"';"}
    printf '%s\\n' "$id" >> "$STUB_STATE/enabled.txt" ;;
  *) echo "stub: unexpected statement: $statement" >&2; exit 3 ;;
esac
`, { mode: 0o755 });
  fs.writeFileSync(path.join(home, 'bin', 'keytool'), `#!${shebang}
for a in "$@"; do printf 'keytool %s\\n' "$a" >> "$STUB_STATE/calls.log"; done
prev=''; for a in "$@"; do [ "$prev" = -keystore ] && : > "$a"; prev=$a; done
`, { mode: 0o755 });
  return { home, state };
}

const rows = (...r: string[][]) => r.map((cols) => cols.join('|')).join('\n') + '\n';

interface Shell { name: string; sh: string; path: string; shebang: string }

function shells(): Shell[] {
  const out: Shell[] = [];
  if (BUSYBOX) {
    const dir = temporaryFolder('busybox-bin-');
    for (const applet of APPLETS) fs.symlinkSync(BUSYBOX, path.join(dir, applet));
    out.push({ name: 'busybox sh', sh: path.join(dir, 'sh'), path: dir, shebang: `${BUSYBOX} sh` });
  }
  out.push({ name: '/bin/sh', sh: '/bin/sh', path: '/usr/bin:/bin', shebang: '/bin/sh' });
  return out;
}

interface Run { code: number; stdout: string; stderr: string; calls: string; statements: string[]; state: string; tmp: string }

async function run(shell: Shell, cluster: { servers: string; late?: string }, env: Record<string, string> = {}, props: Partial<Neo4jProps> = CLUSTER): Promise<Run> {
  const { container } = synth(props);
  const { home, state } = stubHome(shell.shebang);
  const tmp = temporaryFolder('enable-tmp-');
  fs.writeFileSync(path.join(state, 'servers.txt'), cluster.servers);
  fs.writeFileSync(path.join(state, 'late.txt'), cluster.late ?? '');
  const childEnv: Record<string, string> = { PATH: shell.path, LANG: 'C', TMPDIR: tmp, STUB_STATE: state };
  for (const e of container.env) {
    if (e.value !== undefined) childEnv[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef?.name === 'memos-secrets' && e.valueFrom.secretKeyRef.key === 'NEO4J_PASSWORD') childEnv[e.name] = PASSWORD;
    else throw new Error(`no test value for ${e.name}`);
  }
  Object.assign(childEnv, { NEO4J_HOME: home, POLL_SECONDS: '0' }, env);
  const [sh, flag, script] = container.command;
  expect([sh, flag]).toEqual(['/bin/sh', '-c']);
  return new Promise((resolve) => {
    const child = spawn(shell.sh, ['-c', script], { env: childEnv, cwd: tmp });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const log = path.join(state, 'calls.log');
      const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      const statements = calls.split('\n').filter((l) => l.startsWith('statement ')).map((l) => l.slice('statement '.length));
      resolve({ code: code ?? -1, stdout, stderr, calls, statements, state, tmp });
    });
  });
}

const enables = (r: Run) => r.statements.filter((s) => s.startsWith('ENABLE'));
const polls = (r: Run) => r.statements.filter((s) => s.startsWith('SHOW SERVERS')).length;
const TWO_ENABLED = [[ID[0], 'Enabled', 'Available', 'memos-neo4j-0'], [ID[1], 'Enabled', 'Available', 'memos-neo4j-1']];

const describeRuns = missing ? describe.skip : describe;

describeRuns.each(missing ? [] : shells().map((s) => [s.name, s] as [string, Shell]))('the script under %s', (_name, shell) => {
  test('the 3rd server joins after two polls, Free: exactly it is enabled', async () => {
    // The replaced server's old entry (Enabled, Unavailable) does not count as joined.
    const r = await run(shell, {
      servers: rows(...TWO_ENABLED, [STALE, 'Enabled', 'Unavailable', STALE]),
      late: rows([ID[2], 'Free', 'Available', ID[2]]),
    }, { STUB_JOIN_AFTER: '2' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(enables(r)).toEqual([`ENABLE SERVER '${ID[2]}';`]);
    // Two polls waiting, the one that saw it, the check after enabling.
    expect(polls(r)).toBe(4);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('waiting: '))).toEqual([
      'waiting: 2 of 3 servers have joined (available, not dropped)',
      'waiting: 2 of 3 servers have joined (available, not dropped)',
    ]);
    expect(r.stdout).toContain(`enabled ${ID[2]} (${ID[2]})\n`);
    expect(r.stdout.trim().split('\n').pop()).toBe('all 3 servers enabled');
    expect(r.statements[0]).toBe('SHOW SERVERS YIELD serverId, name, address, state, health RETURN serverId, state, health, name;');
    // Every call: the routing URI, the system database, plain output, the statement from a 0600 file.
    const args = r.calls.split('--\n').filter((c) => c.trim()).map((c) => c.split('\n').filter((l) => l.startsWith('arg ')).map((l) => l.slice(4)));
    expect(args).toHaveLength(5);
    for (const a of args) {
      expect(a).toEqual(['-a', 'neo4j://memos-neo4j:7687', '-d', 'system', '--format', 'plain', '--non-interactive', '-f', path.join(r.tmp, 'enable-servers.cypher')]);
      expect(a).not.toContain(PASSWORD);
    }
    expect(r.calls.match(/^mode=.*$/gm)!.every((m) => m === 'mode=600')).toBe(true);
    // The password reached cypher-shell through its environment, and the user neo4j.
    expect(r.calls).toContain(`password=${PASSWORD} user=neo4j tool-options=\n`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(fs.existsSync(path.join(r.tmp, 'enable-servers.cypher'))).toBe(false);
  });

  test('none Free: nothing enabled, exit 0 (idempotent)', async () => {
    const r = await run(shell, { servers: rows(...TWO_ENABLED, [ID[2], 'Enabled', 'Available', 'memos-neo4j-2']) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(enables(r)).toEqual([]);
    expect(polls(r)).toBe(2);
    expect(r.stdout).toContain('no server in state Free\n');
    expect(r.stdout).not.toMatch(/^enabled /m);
    expect(r.stdout.trim().split('\n').pop()).toBe('all 3 servers enabled');
  });

  test('two Free servers, state and health in any case: both enabled, in order', async () => {
    const r = await run(shell, {
      servers: rows(TWO_ENABLED[0], [ID[1], 'free', 'available', 'memos-neo4j-1'], [ID[2], 'FREE', 'AVAILABLE', 'memos-neo4j-2']),
    });
    expect(r.code).toBe(0);
    expect(enables(r)).toEqual([`ENABLE SERVER '${ID[1]}';`, `ENABLE SERVER '${ID[2]}';`]);
    expect(r.stdout).toContain(`enabled memos-neo4j-1 (${ID[1]})\nenabled memos-neo4j-2 (${ID[2]})\n`);
  });

  test('the servers never reach 3: exits non-zero after the timeout, enabling nothing', async () => {
    const started = Date.now();
    const r = await run(shell, { servers: rows(...TWO_ENABLED, [ID[2], 'Free', 'Unavailable', ID[2]]) }, { WAIT_SECONDS: '2', POLL_SECONDS: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERROR: timed out after 2 s waiting for all 3 servers to join the cluster: 2 of 3 servers have joined (available, not dropped). Nothing enabled.');
    expect(enables(r)).toEqual([]);
    expect(polls(r)).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout).not.toContain('all 3 servers');
  });

  test('a cluster not reachable yet is waited for', async () => {
    const r = await run(shell, { servers: rows(...TWO_ENABLED, [ID[2], 'Free', 'Available', ID[2]]) }, { STUB_FAIL_POLLS: '2' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('waiting: SHOW SERVERS at neo4j://memos-neo4j:7687 failed (see above)\n');
    expect(r.stderr).toContain('Unable to connect');
    expect(enables(r)).toEqual([`ENABLE SERVER '${ID[2]}';`]);
  });

  test('an ID with a quote is refused before anything is enabled', async () => {
    const evil = "3a7e2c58'; DROP DATABASE neo4j; //";
    const r = await run(shell, {
      servers: rows(TWO_ENABLED[0], [ID[1], 'Free', 'Available', 'memos-neo4j-1'], [evil, 'Free', 'Available', 'memos-neo4j-2']),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`server memos-neo4j-2 has the ID '${evil}', not a UUID of [0-9a-f-]: refusing to quote it into ENABLE SERVER. Nothing enabled.`);
    expect(enables(r)).toEqual([]);
    expect(r.statements.some((s) => s.includes('DROP'))).toBe(false);
  });

  test('a row it cannot read (a double quote in the ID) fails', async () => {
    const r = await run(shell, { servers: rows(...TWO_ENABLED, ['3a7e"2c58', 'Free', 'Available', 'memos-neo4j-2']) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('SHOW SERVERS printed rows this script cannot read');
    expect(enables(r)).toEqual([]);
  });

  test('a refused ENABLE SERVER fails the run', async () => {
    const r = await run(shell, { servers: rows(...TWO_ENABLED, [ID[2], 'Free', 'Available', 'memos-neo4j-2']) }, { STUB_ENABLE_FAIL: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`ERROR: ENABLE SERVER '${ID[2]}' (memos-neo4j-2) failed (see above)`);
    expect(r.stdout).not.toContain('all 3 servers enabled');
  });

  test('with TLS: the CA goes into a trust store the JVM of cypher-shell is told to use', async () => {
    const r = await run(shell, { servers: rows(...TWO_ENABLED, [ID[2], 'Enabled', 'Available', 'memos-neo4j-2']) },
      { NEO4J_CA_CERT: '/etc/neo4j-ca/ca.crt' }, { ...CLUSTER, tls: TlsCertificate.fromSecret('neo4j-tls') });
    expect(r.code).toBe(0);
    const store = path.join(r.tmp, 'neo4j-trust.p12');
    expect(r.calls).toContain(`keytool -file\nkeytool /etc/neo4j-ca/ca.crt\nkeytool -keystore\nkeytool ${store}\n`);
    expect(r.calls).toContain(`tool-options=-Djavax.net.ssl.trustStore=${store} -Djavax.net.ssl.trustStorePassword=neo4j-ca -Djavax.net.ssl.trustStoreType=PKCS12\n`);
    expect(r.calls).toContain('arg neo4j+s://memos-neo4j:7687\n');
  });
});
