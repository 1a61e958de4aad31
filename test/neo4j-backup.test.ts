/**
 * Neo4jBackup: the synthesized CronJobs, Jobs, RBAC and NetworkPolicy wiring of both paths
 * (Enterprise online backup with a seeded restore; Community stop, dump, start), the validations,
 * and the scripts run for real: the Community `stop`/`start` steps with curl against a stub
 * Kubernetes API over HTTPS, the neo4j-admin and cypher-shell steps with stub executables that
 * record their arguments, the framework's upload and download through a local S3 (moto).
 *
 * The script runs need rclone and moto (.ci/backup-tools.sh), busybox, curl and openssl.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import { Neo4j, Neo4jLicenseAgreement, Neo4jProps } from '../constructs/neo4j';
import { DEFAULT_NEO4J_BACKUP_CURL_IMAGE, Neo4jBackup, Neo4jBackupProps } from '../constructs/neo4j-backup';
import { ObsStorageClass } from '../src/backup';
import { Credentials } from '../src/credentials';
import { TlsCertificate } from '../src/tls';
import {
  containersInOrder, freePort, missingBackupTools, podSpec, runContainer, RunResult, S3Server, SpecContainer, startS3, toolPath, which,
} from './support/backup';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { temporaryFolders } from './support/tmp';

const CREDENTIALS = Credentials.fromSecret('memos-secrets');
const BUCKET = 'memos-backups';
const LOCATION = { bucket: BUCKET, region: 'cn-north-4' };
const CLUSTER: Partial<Neo4jProps> = { servers: 3, licenseAgreement: Neo4jLicenseAgreement.EVALUATION };
const NEO4J_SELECTOR = { 'app.kubernetes.io/name': 'neo4j', 'app.kubernetes.io/instance': 'memos' };
const BACKUP_SELECTOR = { 'app.kubernetes.io/name': 'neo4j-backup', 'app.kubernetes.io/instance': 'memos' };

function synth(neo4jProps: Partial<Neo4jProps> = {}, backupProps: Partial<Neo4jBackupProps> = {}, backupId = '20261127T030000Z') {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: CREDENTIALS, ...neo4jProps });
  const backup = new Neo4jBackup(chart, 'Backup', { neo4j, location: LOCATION, ...backupProps });
  const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
  const job = backup.restore(restoreChart, 'Restore', backupId);
  const objects = chart.toJson();
  const restoreObjects = restoreChart.toJson();
  const cronJob = objects.find((o) => o.kind === 'CronJob');
  const restoreJob = restoreObjects.find((o) => o.kind === 'Job');
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  return { app, chart, neo4j, backup, job, objects, restoreObjects, cronJob, restoreJob, sts };
}

const byName = (object: any) => Object.fromEntries(containersInOrder(object).map((c) => [c.name, c as any]));
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const HARDENED = { runAsNonRoot: true, runAsUser: 7474, runAsGroup: 7474, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } };

describe('Neo4jBackup, Community (stop, dump, start)', () => {
  test('the CronJob: stop, dump, start, upload; the servers\' image and user; hardened; on the server\'s node with its disk', () => {
    const { cronJob, neo4j, sts, objects } = synth();
    expect(cronJob.metadata.name).toBe('memos-neo4j-backup');
    expect(cronJob.spec.schedule).toBe(Neo4jBackup.DEFAULT_SCHEDULE);
    expect(Neo4jBackup.DEFAULT_SCHEDULE).toBe('0 3 * * *');
    expect(cronJob.spec.timeZone).toBe('Asia/Shanghai');
    const containers = containersInOrder(cronJob).map((c) => c.name);
    expect(containers).toEqual(['stop', 'dump', 'start', 'upload']);
    const c = byName(cronJob);
    expect(c.dump.image).toBe(neo4j.image);
    expect(c.dump.image).toBe(sts.spec.template.spec.containers[0].image);
    expect(c.dump.image).toBe('docker.io/library/neo4j:5.26.6');
    expect(c.stop.image).toBe(DEFAULT_NEO4J_BACKUP_CURL_IMAGE);
    expect(c.start.image).toBe('docker.io/curlimages/curl:8.16.0');
    for (const container of Object.values(c)) expect(container.securityContext).toMatchObject(HARDENED);
    // The image's entrypoint is bypassed; neo4j-admin from the image's home.
    expect(c.dump.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(envOf(c.dump)).toMatchObject({ NEO4J_HOME: '/var/lib/neo4j', HEAP_SIZE: '1g', DATABASE: 'neo4j' });
    expect(envOf(c.dump).NEO4J_ACCEPT_LICENSE_AGREEMENT).toBeUndefined();
    expect(c.dump.command[2]).toContain('neo4j-admin database dump --to-path="$STAGING/data" "$DATABASE"');
    const pod = podSpec(cronJob);
    expect(pod.securityContext).toMatchObject({ runAsUser: 7474, runAsGroup: 7474, fsGroup: 7474, runAsNonRoot: true });
    // The server's data volume, on the dump step only, with writable /tmp and /logs.
    expect(pod.volumes.find((v: any) => v.name === 'neo4j-data')).toEqual({ name: 'neo4j-data', persistentVolumeClaim: { claimName: 'data-memos-neo4j-0', readOnly: false } });
    expect(neo4j.dataClaimNames).toEqual(['data-memos-neo4j-0']);
    expect(c.dump.volumeMounts.map((m: any) => `${m.name}:${m.mountPath}`).sort()).toEqual(['logs:/logs', 'neo4j-data:/data', 'staging:/backup', 'tmp:/tmp']);
    for (const name of ['stop', 'start', 'upload']) expect(c[name].volumeMounts.some((m: any) => m.name === 'neo4j-data')).toBe(false);
    expect(pod.affinity).toEqual({
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: NEO4J_SELECTOR }, topologyKey: 'kubernetes.io/hostname' }] },
    });
    expect(pod.tolerations).toEqual([]);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('memos-neo4j-backup');
    expect(envOf(c.stop)).toMatchObject({
      KUBERNETES_API: 'https://kubernetes.default.svc', SERVICE_ACCOUNT: '/var/run/secrets/kubernetes.io/serviceaccount',
      NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } }, STATEFULSET: 'memos-neo4j', POD: 'memos-neo4j-0', STOP_WAIT_SECONDS: '900',
    });
    // 4 h deadline: 15 min stop, 15 min start, the rest halved between dump and upload.
    expect(envOf(c.dump).DUMP_TIMEOUT_SECONDS).toBe(String((4 * 3600 - 1800) / 2));
    // Archive storage (the seed's OBS归档存储) by default.
    expect(envOf(c.upload).STORAGE_CLASS).toBe('GLACIER');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('tolerates the taints the servers tolerate, as finally synthesized', () => {
    const app = new App();
    const chart = new Chart(app, 'memos', { namespace: 'memos' });
    const neo4j = new Neo4j(chart, 'Neo4j', { instance: 'memos', credentials: CREDENTIALS });
    const backup = new Neo4jBackup(chart, 'Backup', { neo4j, location: LOCATION });
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'graph', effect: 'NoSchedule' }];
    // Added after the backup: still copied.
    ApiObject.of(neo4j.statefulSet).addJsonPatch(JsonPatch.add('/spec/template/spec/tolerations', tolerations));
    const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
    backup.restore(restoreChart, 'Restore', '20261127T030000Z');
    expect(podSpec(chart.toJson().find((o) => o.kind === 'CronJob')).tolerations).toEqual(tolerations);
    expect(podSpec(restoreChart.toJson().find((o) => o.kind === 'Job')).tolerations).toEqual(tolerations);
  });

  test('RBAC: its own ServiceAccount may get and patch this StatefulSet\'s scale and get its pod, nothing else', () => {
    const { objects, backup } = synth();
    const sa = objects.filter((o) => o.kind === 'ServiceAccount');
    expect(sa.map((o) => o.metadata.name)).toEqual(['memos-neo4j-backup']);
    expect(sa[0].automountServiceAccountToken).toBe(false);
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles).toHaveLength(1);
    expect(roles[0].metadata.name).toBe('memos-neo4j-backup');
    expect(roles[0].rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: ['memos-neo4j'], verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['pods'], resourceNames: ['memos-neo4j-0'], verbs: ['get'] },
    ]);
    const binding = objects.find((o) => o.kind === 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'memos-neo4j-backup' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'memos-neo4j-backup' }]);
    expect(backup.serviceAccount?.name).toBe('memos-neo4j-backup');
    expect(backup.role?.name).toBe('memos-neo4j-backup');
  });

  test('connections: no port on Neo4j; the Kubernetes API and OBS for the stack to wire (with its CIDRs)', () => {
    const { backup, neo4j } = synth();
    expect(backup.connections.selector).toEqual(BACKUP_SELECTOR);
    expect(backup.connections._external).toEqual([]);
    expect(backup.serviceAccount).toBeDefined();
    expect(backup.obsClients).toEqual([backup.connections]);
    expect(backup.connections._egress).toEqual([]);
    expect(neo4j.connections._ingress.some((r) => r.peer === backup.connections)).toBe(false);
  });

  test('restore: a Job for a stopped server: the verified download, then neo4j-admin load on server 0\'s disk', () => {
    const { restoreJob, neo4j, restoreObjects } = synth();
    expect(restoreJob.metadata.name).toBe('memos-neo4j-restore-20261127t030000z');
    expect(containersInOrder(restoreJob).map((c) => c.name)).toEqual(['download', 'load']);
    const load = byName(restoreJob).load;
    expect(load.image).toBe(neo4j.image);
    expect(load.securityContext).toMatchObject(HARDENED);
    expect(load.command[2]).toContain('neo4j-admin database load --from-path="$STAGING/data" --overwrite-destination=true "$DATABASE"');
    const pod = podSpec(restoreJob);
    expect(pod.volumes.find((v: any) => v.name === 'neo4j-data').persistentVolumeClaim.claimName).toBe('data-memos-neo4j-0');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.metadata).toBeUndefined();
    expect(restoreJob.spec.template.metadata.labels).toMatchObject(BACKUP_SELECTOR);
    expect(validateManifests(restoreObjects)).toEqual([]);
    expect(policyViolations(restoreObjects)).toEqual([]);
  });
});

describe('Neo4jBackup, Enterprise (online backup, seeded restore)', () => {
  test('the CronJob: neo4j-admin database backup from every server, the servers\' image, licence and user', () => {
    const { cronJob, neo4j, sts, objects } = synth(CLUSTER);
    expect(containersInOrder(cronJob).map((c) => c.name)).toEqual(['backup', 'upload']);
    const { backup } = byName(cronJob);
    expect(backup.image).toBe(neo4j.image);
    expect(backup.image).toBe(sts.spec.template.spec.containers[0].image);
    expect(backup.image).toBe('docker.io/library/neo4j:5.26.6-enterprise');
    expect(backup.securityContext).toMatchObject(HARDENED);
    expect(backup.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const env = envOf(backup);
    const serverEnv = envOf(sts.spec.template.spec.containers[0]);
    expect(env.NEO4J_ACCEPT_LICENSE_AGREEMENT).toBe('eval');
    expect(env.NEO4J_ACCEPT_LICENSE_AGREEMENT).toBe(serverEnv.NEO4J_ACCEPT_LICENSE_AGREEMENT);
    expect(env).toMatchObject({ NEO4J_HOME: '/var/lib/neo4j', HEAP_SIZE: '2g', SERVERS: '3', STATEFULSET: 'memos-neo4j', HEADLESS: 'memos-neo4j-headless', BACKUP_PORT: '6362' });
    expect(backup.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/backup', '/logs', '/tmp']);
    const pod = podSpec(cronJob);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.affinity).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.name)).toEqual(['memos-neo4j-discovery']);
    // The backup's temporary store and the artifact: twice the data volume.
    expect(pod.volumes.find((v: any) => v.name === 'staging').ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe('200Gi');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('the servers listen for backups on 0.0.0.0:6362, seed from https URLs, and admit the backup pods on 6362 and Bolt only', () => {
    const { sts, neo4j, backup } = synth(CLUSTER);
    const env = envOf(sts.spec.template.spec.containers[0]);
    expect(env.NEO4J_server_backup_listen__address).toBe('0.0.0.0:6362');
    expect(env.NEO4J_dbms_databases_seed__from__uri__providers).toBe('S3SeedProvider,CloudSeedProvider,URLConnectionSeedProvider');
    expect(sts.spec.template.spec.containers[0].ports).toContainEqual({ containerPort: 6362, name: 'tcp-backup' });
    const rule = neo4j.connections._ingress.find((r) => r.peer === backup.connections);
    expect(rule?.ports).toEqual([{ port: 6362 }, { port: 7687 }]);
    expect(backup.connections._egress.find((r) => r.peer === neo4j.connections)?.ports).toEqual([{ port: 6362 }, { port: 7687 }]);
    expect(backup.connections._external).toEqual([]);
    // Every server downloads the seed from OBS: the stack gives them egress with its OBS CIDRs.
    expect(backup.obsClients).toEqual([backup.connections, neo4j.connections]);
    // Nobody else gets 6362: the servers among themselves do not.
    expect(neo4j.connections._ingress.filter((r) => r.ports.some((p) => p.port === 6362)).map((r) => r.peer)).toEqual([backup.connections]);
  });

  test('one Enterprise server is backed up online too', () => {
    const { cronJob } = synth({ edition: 'enterprise' as any, licenseAgreement: Neo4jLicenseAgreement.COMMERCIAL });
    const { backup } = byName(cronJob);
    expect(envOf(backup)).toMatchObject({ SERVERS: '1', NEO4J_ACCEPT_LICENSE_AGREEMENT: 'yes' });
  });

  test('restore: download, presigned URL, then cypher-shell as neo4j with the password from its Secret', () => {
    const { restoreJob, neo4j, restoreObjects } = synth(CLUSTER);
    expect(containersInOrder(restoreJob).map((c) => c.name)).toEqual(['download', 'seed-url', 'restore-database']);
    const c = byName(restoreJob);
    expect(c['seed-url'].image).toBe('docker.io/rclone/rclone:1.68.2');
    expect(envOf(c['seed-url'])).toMatchObject({ DEST: 'memos-backups/memos/memos/neo4j', LINK_EXPIRY: '2h', BACKUP_ID: '20261127T030000Z' });
    expect(c['restore-database'].image).toBe(neo4j.image);
    for (const container of Object.values(c)) expect(container.securityContext).toMatchObject(HARDENED);
    expect(envOf(c['restore-database'])).toMatchObject({
      NEO4J_ADDRESS: 'neo4j://memos-neo4j:7687', NEO4J_USERNAME: 'neo4j', SERVERS: '3', PRIMARIES: '3',
      NEO4J_PASSWORD: { secretKeyRef: { name: 'memos-secrets', key: 'NEO4J_PASSWORD', optional: false } },
    });
    expect(validateManifests(restoreObjects)).toEqual([]);
    expect(policyViolations(restoreObjects)).toEqual([]);
  });

  test('restore with TLS: the CA is mounted and trusted', () => {
    const { restoreJob } = synth({ ...CLUSTER, tls: TlsCertificate.fromSecret('neo4j-tls') });
    const step = byName(restoreJob)['restore-database'];
    expect(envOf(step)).toMatchObject({ NEO4J_ADDRESS: 'neo4j+s://memos-neo4j:7687', NEO4J_CA_CERT: '/etc/neo4j-ca/ca.crt' });
    expect(step.volumeMounts).toContainEqual({ name: 'neo4j-ca', mountPath: '/etc/neo4j-ca', readOnly: true });
    expect(podSpec(restoreJob).volumes.find((v: any) => v.name === 'neo4j-ca').secret).toMatchObject({ secretName: 'neo4j-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  });

  test('no credential in the YAML: every password and key comes from a Secret', () => {
    for (const props of [{}, CLUSTER]) {
      const { objects, restoreObjects } = synth(props);
      for (const object of [...objects, ...restoreObjects].filter((o) => o.kind === 'CronJob' || o.kind === 'Job')) {
        for (const container of containersInOrder(object)) {
          for (const e of container.env ?? []) {
            if (/PASSWORD|SECRET|ACCESS_KEY/.test(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
          }
        }
      }
      expect(JSON.stringify([...objects, ...restoreObjects])).not.toMatch(/"kind":"Secret"/);
    }
  });
});

describe('Neo4jBackup validation', () => {
  test.each([
    ['neo4j', { neo4j: {} as any }, /neo4j/],
    ['database: system', { database: 'system' }, /database/],
    ['database: uppercase', { database: 'Neo4j' }, /database/],
    ['database: too short', { database: 'ab' }, /database/],
    ['database: a dot', { database: 'my.db' }, /database/],
    ['curlImage: not pinned', { curlImage: 'docker.io/curlimages/curl' }, /curlImage/],
    ['timeout below an hour (Community)', { timeout: Duration.minutes(30) }, /timeout.*1 hour/],
    ['storageClass', { storageClass: 'ARCHIVE' as any }, /storageClass/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => synth({}, props as any)).toThrow(message);
  });

  test('rejects curlImage with Enterprise, which calls no API', () => {
    expect(() => synth(CLUSTER, { curlImage: DEFAULT_NEO4J_BACKUP_CURL_IMAGE })).toThrow(/curlImage/);
  });

  test('a timeout under an hour is fine for Enterprise', () => {
    expect(() => synth(CLUSTER, { timeout: Duration.minutes(30) })).not.toThrow();
  });

  test('rejects a malformed backup id', () => {
    expect(() => synth({}, {}, '2026-11-27')).toThrow(/backupId/);
  });

  test('defaults: 03:00, Cold; the storage class and database can be set', () => {
    const { cronJob, backup } = synth({}, { storageClass: ObsStorageClass.STANDARD, database: 'memos-graph' });
    expect(envOf(byName(cronJob).upload).STORAGE_CLASS).toBe('STANDARD');
    expect(envOf(byName(cronJob).dump).DATABASE).toBe('memos-graph');
    expect(backup.database).toBe('memos-graph');
  });
});

describe('Neo4j.storageSize', () => {
  test('is the data volume size', () => {
    expect(synth({ storage: { size: Size.gibibytes(250) } }).neo4j.storageSize.toGibibytes()).toBe(250);
    expect(Testing.synth(synth().chart).length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The scripts, run for real.

const missing = missingBackupTools('curl', 'openssl');
if (missing) console.log(`neo4j-backup script runs: skipping (${missing})`);
const temporaryFolder = temporaryFolders();
const describeRuns = missing ? describe.skip : describe;
const TOKEN = 'test-service-account-token';
const PASSWORD = 'test-neo4j-password';

/** A stub Kubernetes API over HTTPS: the scale of one StatefulSet and its pod. */
class StubKubernetes {
  public replicas = 1;
  public podPresent = true;
  /** GETs of the pod that still find it after the scale-down. */
  public podLingers = 2;
  /** Scale PATCHes to 1 answered 500 before one succeeds. */
  public failScaleUps = 0;
  public readonly calls: { method: string; path: string; body: string; auth: string }[] = [];
  public port = 0;
  private server?: https.Server;

  constructor(private readonly cert: { key: string; cert: string }) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = https.createServer({ key: this.cert.key, cert: this.cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.handle(req.method!, req.url!, Buffer.concat(chunks).toString(), String(req.headers.authorization ?? ''), req.headers['content-type'], res));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }

  private handle(method: string, url: string, body: string, auth: string, contentType: string | undefined, res: any): void {
    this.calls.push({ method, path: url, body, auth });
    const json = (status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    if (auth !== `Bearer ${TOKEN}`) return json(401, { kind: 'Status', message: 'Unauthorized' });
    const scale = () => json(200, {
      kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'memos-neo4j', namespace: 'memos' },
      // autoscaling/v1 omits replicas when 0.
      spec: this.replicas ? { replicas: this.replicas } : {}, status: { replicas: this.podPresent ? 1 : 0, selector: 'app.kubernetes.io/name=neo4j' },
    });
    if (url === '/apis/apps/v1/namespaces/memos/statefulsets/memos-neo4j/scale') {
      if (method === 'GET') return scale();
      if (method === 'PATCH') {
        if (contentType !== 'application/merge-patch+json') return json(415, { message: 'unsupported media type' });
        const wanted = JSON.parse(body).spec.replicas;
        if (wanted === 1 && this.failScaleUps > 0) { this.failScaleUps--; return json(500, { message: 'etcd timeout' }); }
        this.replicas = wanted;
        if (wanted === 1) this.podPresent = true;
        return scale();
      }
    }
    if (url === '/api/v1/namespaces/memos/pods/memos-neo4j-0' && method === 'GET') {
      if (this.replicas === 0 && this.podPresent) {
        if (this.podLingers-- <= 0) this.podPresent = false;
      }
      return this.podPresent ? json(200, { kind: 'Pod', metadata: { name: 'memos-neo4j-0' } }) : json(404, { kind: 'Status', reason: 'NotFound' });
    }
    json(404, { kind: 'Status', reason: 'NotFound', message: url });
  }
}

/** Stub executables that record their arguments (one per line, then `--`) and what the scripts need. */
function stubNeo4jHome(): { home: string; log: string } {
  const home = temporaryFolder('neo4j-home-');
  const log = path.join(home, 'calls.log');
  const busybox = which('busybox')!;
  fs.mkdirSync(path.join(home, 'bin'));
  const stub = (name: string, body: string) => {
    fs.writeFileSync(path.join(home, 'bin', name), `#!${busybox} sh\nfor a in "$@"; do printf '%s\\n' "$a" >> "${log}"; done\nprintf -- '--\\n' >> "${log}"\n${body}\n`, { mode: 0o755 });
  };
  stub('neo4j-admin', `
arg() { for a in "$@"; do case "$a" in --$1=*) printf '%s' "\${a#--$1=}";; esac; done; }
[ -z "\${STUB_FAIL:-}" ] || { echo "The database is in use. Stop database 'neo4j' and try again." >&2; exit 1; }
case "$1 $2" in
  "database dump") to=$(arg to-path "$@"); eval "db=\\\${$#}"; printf 'dump of %s\\n' "$db" > "$to/$db.dump" ;;
  "database backup") to=$(arg to-path "$@"); eval "db=\\\${$#}"; [ -d "$(arg temp-path "$@")" ] || exit 2; printf 'backup of %s\\n' "$db" > "$to/$db-2026-11-27T03-00-05.backup" ;;
  "database load") [ -s "$(arg from-path "$@")/neo4j.dump" ] || exit 1 ;;
esac`);
  stub('cypher-shell', `
file=''; prev=''
for a in "$@"; do [ "$prev" = -f ] && file=$a; prev=$a; done
printf 'password=%s\\n' "$NEO4J_PASSWORD" >> "${log}"
cat "$file" >> "${log}"
case "$(cat "$file")" in
  "SHOW SERVERS"*) echo 'state, health'; i=0; while [ $i -lt "\${STUB_READY:-3}" ]; do echo '"Enabled", "Available"'; i=$((i+1)); done
    [ "\${STUB_READY:-3}" = 3 ] || echo '"Enabled", "Unavailable"' ;;
  "SHOW DATABASE"*) echo 'address, currentStatus, statusMessage'
    for i in 0 1 2; do echo "\\"memos-neo4j-$i-internals:7687\\", \\"\${STUB_DB_STATUS:-online}\\", \\"\${STUB_DB_MESSAGE:-}\\""; done ;;
esac`);
  return { home, log };
}

const calls = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');

describeRuns('Neo4jBackup scripts, for real', () => {
  let s3: S3Server;
  let bin: string;
  let cert: { key: string; cert: string; dir: string };
  const stubs: StubKubernetes[] = [];
  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    bin = toolPath(temporaryFolder('neo4j-backup-bin-'), ['curl']);
    const dir = temporaryFolder('neo4j-backup-tls-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'ca.crt')], { stdio: 'ignore' });
    fs.writeFileSync(path.join(dir, 'token'), TOKEN);
    cert = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), dir };
  }, 60_000);
  afterAll(async () => {
    for (const stub of stubs) await stub.stop();
    await s3?.stop();
  });

  async function kubernetes(): Promise<StubKubernetes> {
    const stub = new StubKubernetes(cert);
    await stub.start();
    stubs.push(stub);
    return stub;
  }

  function run(container: SpecContainer, staging: string, overrides: Record<string, string> = {}): Promise<RunResult> {
    return runContainer(container, {
      pathDir: bin,
      secrets: { 'memos-secrets/NEO4J_PASSWORD': PASSWORD, 'memos-secrets/OBS_ACCESS_KEY_ID': s3.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': s3.secretAccessKey },
      overrides: { STAGING: staging, RCLONE_CONFIG_OBS_ENDPOINT: s3.endpoint, RCLONE_CACHE_DIR: path.join(staging, '.rclone-cache'), ...overrides },
    });
  }

  const kubeOverrides = (stub: StubKubernetes) => ({
    KUBERNETES_API: `https://127.0.0.1:${stub.port}`, SERVICE_ACCOUNT: cert.dir, NAMESPACE: 'memos', POLL_SECONDS: '0', RETRY_SECONDS: '0', START_ATTEMPTS: '5',
  });

  /** The Community CronJob's pod, container by container, as the kubelet runs it (stops at the first failure). */
  async function communityBackup(stub: StubKubernetes, neo4jAdmin: { home: string }, extra: Record<string, string> = {}) {
    const { cronJob } = synth({}, { storageClass: ObsStorageClass.STANDARD });
    const staging = temporaryFolder('neo4j-backup-staging-');
    const results: Record<string, RunResult> = {};
    for (const container of containersInOrder(cronJob)) {
      results[container.name] = await run(container, staging, { ...kubeOverrides(stub), NEO4J_HOME: neo4jAdmin.home, ...extra });
      if (results[container.name].code !== 0) break;
    }
    return { results, staging };
  }

  test('Community: stop, dump, start, upload; the token from the mounted folder, the API verified with its CA', async () => {
    const stub = await kubernetes();
    const admin = stubNeo4jHome();
    const { results, staging } = await communityBackup(stub, admin);
    for (const [name, r] of Object.entries(results)) if (r.code !== 0) console.log(name, r.stdout, r.stderr);
    expect(Object.keys(results)).toEqual(['stop', 'dump', 'start', 'upload']);
    expect(Object.values(results).map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(stub.replicas).toBe(1);
    const patches = stub.calls.filter((c) => c.method === 'PATCH').map((c) => c.body);
    expect(patches).toEqual(['{"spec":{"replicas":0}}', '{"spec":{"replicas":1}}']);
    // The pod was gone before the dump: three GETs of the pod (two lingering, then 404).
    expect(stub.calls.filter((c) => c.path.endsWith('/pods/memos-neo4j-0'))).toHaveLength(3);
    expect(stub.calls.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(calls(admin.log)).toBe(`database\ndump\n--to-path=${staging}/data\nneo4j\n--\n`);
    expect(results.start.stdout).toContain('dump: ok: neo4j.dump');
    const id = /backup (\d{8}T\d{6}Z) of neo4j done/.exec(results.upload.stdout)?.[1];
    expect(id).toBeDefined();
    expect(s3.rclone(['cat', `obs:${BUCKET}/memos/memos/neo4j/${id}/data/neo4j.dump`])).toBe('dump of neo4j\n');

    // Restore it: download, then load into the (stopped) server's volume.
    const { restoreJob } = synth({}, {}, id!);
    const [download, load] = containersInOrder(restoreJob);
    const restoreStaging = temporaryFolder('neo4j-restore-staging-');
    const loadAdmin = stubNeo4jHome();
    expect(await run(download, restoreStaging)).toMatchObject({ code: 0 });
    const loaded = await run(load, restoreStaging, { NEO4J_HOME: loadAdmin.home });
    expect(loaded).toMatchObject({ code: 0 });
    expect(calls(loadAdmin.log)).toBe(`database\nload\n--from-path=${restoreStaging}/data\n--overwrite-destination=true\nneo4j\n--\n`);
  });

  test('Community: a failed dump still starts Neo4j again, and the upload then fails', async () => {
    const stub = await kubernetes();
    stub.failScaleUps = 2;
    const admin = stubNeo4jHome();
    const { results } = await communityBackup(stub, admin, { STUB_FAIL: '1' });
    expect(Object.keys(results)).toEqual(['stop', 'dump', 'start', 'upload']);
    expect(results.dump.code).toBe(0);
    expect(results.dump.stdout).toContain('failed: neo4j-admin database dump exited 1');
    expect(results.dump.stderr).toContain('The database is in use');
    expect(results.start.code).toBe(0);
    expect(results.start.stdout).toContain('retrying');
    expect(stub.replicas).toBe(1);
    expect(stub.calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual(['{"spec":{"replicas":0}}', ...Array(3).fill('{"spec":{"replicas":1}}')]);
    expect(results.upload.code).not.toBe(0);
    expect(results.upload.stderr).toContain('wrote no backup id');
  });

  test('Community: a StatefulSet not at 1 replica is left alone', async () => {
    const stub = await kubernetes();
    stub.replicas = 0;
    stub.podPresent = false;
    const { results } = await communityBackup(stub, stubNeo4jHome());
    expect(Object.keys(results)).toEqual(['stop']);
    expect(results.stop.code).toBe(1);
    expect(results.stop.stderr).toContain('has 0 replicas, not 1');
    expect(stub.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
  });

  test('Community: a wrong token changes nothing', async () => {
    const stub = await kubernetes();
    const dir = temporaryFolder('neo4j-backup-sa-');
    fs.copyFileSync(path.join(cert.dir, 'ca.crt'), path.join(dir, 'ca.crt'));
    fs.writeFileSync(path.join(dir, 'token'), 'wrong');
    const { results } = await communityBackup(stub, stubNeo4jHome(), { SERVICE_ACCOUNT: dir });
    expect(results.stop.code).toBe(1);
    expect(results.stop.stderr).toContain('HTTP 401');
    expect(stub.replicas).toBe(1);
  });

  test('Community: a server that does not stop in time is started again, no dump, the upload fails', async () => {
    const stub = await kubernetes();
    stub.podLingers = 1000;
    const admin = stubNeo4jHome();
    const { results } = await communityBackup(stub, admin, { STOP_WAIT_SECONDS: '0' });
    expect(results.stop).toMatchObject({ code: 0 });
    expect(results.stop.stdout).toContain('still there');
    expect(results.dump.stdout).toContain('Neo4j was not stopped');
    expect(calls(admin.log)).toBe('');
    expect(stub.replicas).toBe(1);
    expect(results.upload.stderr).toContain('wrote no backup id');
  });

  test('Enterprise: backup from every server, upload, then a restore seeded from a presigned URL of the verified artifact', async () => {
    const admin = stubNeo4jHome();
    const { cronJob } = synth(CLUSTER, { storageClass: ObsStorageClass.STANDARD });
    const [step, upload] = containersInOrder(cronJob);
    const staging = temporaryFolder('neo4j-backup-staging-');
    const backedUp = await run(step, staging, { NEO4J_HOME: admin.home });
    if (backedUp.code !== 0) console.log(backedUp.stdout, backedUp.stderr);
    expect(backedUp.code).toBe(0);
    const from = [0, 1, 2].map((i) => `memos-neo4j-${i}.memos-neo4j-headless:6362`).join(',');
    expect(calls(admin.log)).toBe(['database', 'backup', `--from=${from}`, `--to-path=${staging}/data`, `--temp-path=${staging}/work`,
      '--type=FULL', '--include-metadata=all', '--pagecache=1g', 'neo4j', '--', ''].join('\n'));
    expect(fs.existsSync(path.join(staging, 'work'))).toBe(false);
    const uploaded = await run(upload, staging);
    expect(uploaded.code).toBe(0);
    const id = fs.readFileSync(path.join(staging, 'id'), 'utf8').trim();

    const { restoreJob } = synth(CLUSTER, {}, id);
    const [download, seedUrl, restore] = containersInOrder(restoreJob);
    const restoreStaging = temporaryFolder('neo4j-restore-staging-');
    const shell = stubNeo4jHome();
    // Without the verified download, neither step starts.
    for (const container of [seedUrl, restore]) {
      const refused = await run(container, restoreStaging, { NEO4J_HOME: shell.home });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('the backup was not verified: nothing restored');
    }
    expect(calls(shell.log)).toBe('');
    expect(await run(download, restoreStaging)).toMatchObject({ code: 0 });
    // Without the seed URL, the restore does not start either.
    const noUrl = await run(restore, restoreStaging, { NEO4J_HOME: shell.home });
    expect(noUrl.stderr).toContain('no seed URL');
    const linked = await run(seedUrl, restoreStaging);
    if (linked.code !== 0) console.log(linked.stdout, linked.stderr);
    expect(linked.code).toBe(0);
    const url = fs.readFileSync(path.join(restoreStaging, 'seed-url'), 'utf8').trim();
    expect(fs.statSync(path.join(restoreStaging, 'seed-url')).mode & 0o077).toBe(0);
    expect(linked.stdout + linked.stderr).not.toContain(url);
    // The URL fetches the artifact without credentials, as each server will.
    expect(execFileSync('curl', ['-sSf', url], { encoding: 'utf8' })).toBe('backup of neo4j\n');

    const restored = await run(restore, restoreStaging, { NEO4J_HOME: shell.home, POLL_SECONDS: '0' });
    if (restored.code !== 0) console.log(restored.stdout, restored.stderr);
    expect(restored.code).toBe(0);
    const shellArgs = '-a\nneo4j://memos-neo4j:7687\n-d\nsystem\n--format\nplain\n--non-interactive\n-f\n/tmp/restore.cypher\n--\n';
    expect(calls(shell.log)).toBe([
      `${shellArgs}password=${PASSWORD}\nSHOW SERVERS YIELD name, state, health RETURN state, health;`,
      `${shellArgs}password=${PASSWORD}\nDROP DATABASE \`neo4j\` IF EXISTS WAIT;`,
      `${shellArgs}password=${PASSWORD}\nCREATE DATABASE \`neo4j\` TOPOLOGY 3 PRIMARIES OPTIONS {existingData: 'use', seedURI: '${url}'} WAIT ${4 * 3600 - 3600} SECONDS;`,
      `${shellArgs}password=${PASSWORD}\nSHOW DATABASE \`neo4j\` YIELD address, currentStatus, statusMessage RETURN address, currentStatus, statusMessage;`,
      '',
    ].join('\n'));
    expect(restored.stdout).toContain('online on 3 servers');
    expect(restored.stdout + restored.stderr).not.toContain(url);
  });

  /** A restore staging folder that passed the download and the seed-url steps (their outputs written by hand). */
  function verifiedStaging(): string {
    const staging = temporaryFolder('neo4j-restore-staging-');
    fs.mkdirSync(path.join(staging, 'data'));
    fs.writeFileSync(path.join(staging, 'verified'), '20261127T030000Z\n');
    fs.writeFileSync(path.join(staging, 'seed-url'), 'https://memos-backups.obs.cn-north-4.myhuaweicloud.com/x?X-Amz-Signature=abc\n');
    fs.writeFileSync(path.join(staging, 'seed-artifact'), 'neo4j-2026-11-27T03-00-05.backup\n');
    return staging;
  }

  test('Enterprise restore: refuses to drop anything unless every server is available', async () => {
    const shell = stubNeo4jHome();
    const restore = containersInOrder(synth(CLUSTER).restoreJob)[2];
    const result = await run(restore, verifiedStaging(), { NEO4J_HOME: shell.home, STUB_READY: '2' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 of 3 servers are enabled and available');
    expect(calls(shell.log)).not.toContain('DROP');
  });

  test('Enterprise restore: fails loudly when the database does not start from the seed', async () => {
    const shell = stubNeo4jHome();
    const restore = containersInOrder(synth(CLUSTER).restoreJob)[2];
    const result = await run(restore, verifiedStaging(), { NEO4J_HOME: shell.home, STUB_DB_STATUS: 'offline', STUB_DB_MESSAGE: 'Unable to start database', POLL_SECONDS: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('did not start from the seed');
  });

  test('Enterprise restore: gives up when the database is not online everywhere in time', async () => {
    const shell = stubNeo4jHome();
    const restore = containersInOrder(synth(CLUSTER).restoreJob)[2];
    const result = await run(restore, verifiedStaging(), { NEO4J_HOME: shell.home, STUB_DB_STATUS: 'starting', POLL_SECONDS: '1', WAIT_SECONDS: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('online on 0 of 3 servers after 1 s');
  });

  test('Community load refuses to start without the verified download', async () => {
    const admin = stubNeo4jHome();
    const load = containersInOrder(synth().restoreJob)[1];
    const staging = temporaryFolder('neo4j-restore-staging-');
    fs.mkdirSync(path.join(staging, 'data'));
    fs.writeFileSync(path.join(staging, 'data', 'neo4j.dump'), 'dump');
    const result = await run(load, staging, { NEO4J_HOME: admin.home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the backup was not verified: nothing restored');
    expect(calls(admin.log)).toBe('');
  });
});
