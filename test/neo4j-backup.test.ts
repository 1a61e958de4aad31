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
  const cronJob = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'memos-neo4j-backup');
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
    // The launcher and its JVM get SIGTERM at the dump's limit, SIGKILL 30 s later.
    expect(c.dump.command[2]).toContain('timeout -k 30 "$DUMP_TIMEOUT_SECONDS" neo4j-admin database dump');
    // Never retried: a retry would stop Neo4j again.
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(0);
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
      NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } }, STATEFULSET: 'memos-neo4j', STATE_CONFIGMAP: 'memos-neo4j-backup-state', POD: 'memos-neo4j-0',
      STOP_WAIT_SECONDS: '900',
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

  test('the guard: every 10 minutes, hardened, the backup pods\' labels and ServiceAccount, no disk, no placement', () => {
    const { objects, backup } = synth();
    const guard = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'memos-neo4j-backup-guard');
    expect(guard).toBeDefined();
    expect(ApiObject.of(backup.guard!).toJson()).toEqual(guard);
    expect(Neo4jBackup.GUARD_SCHEDULE).toBe('*/10 * * * *');
    expect(guard.spec).toMatchObject({
      schedule: '*/10 * * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 300, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1,
    });
    expect(guard.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 300, backoffLimit: 0 });
    const pod = podSpec(guard);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 7474, runAsGroup: 7474, fsGroup: 7474, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.serviceAccountName).toBe('memos-neo4j-backup');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
    // Neither the server's node nor its disk; the stack decides the placement.
    expect(pod.affinity).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }]);
    expect(pod.initContainers).toBeUndefined();
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container.name).toBe('guard');
    expect(container.image).toBe(DEFAULT_NEO4J_BACKUP_CURL_IMAGE);
    expect(container.securityContext).toMatchObject({ ...HARDENED, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.resources).toEqual({
      requests: { 'cpu': '10m', 'memory': '64Mi', 'ephemeral-storage': '16Mi' },
      limits: { 'cpu': '500m', 'memory': '64Mi', 'ephemeral-storage': '64Mi' },
    });
    expect(envOf(container)).toEqual({
      KUBERNETES_API: 'https://kubernetes.default.svc', SERVICE_ACCOUNT: '/var/run/secrets/kubernetes.io/serviceaccount',
      NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } }, STATEFULSET: 'memos-neo4j', STATE_CONFIGMAP: 'memos-neo4j-backup-state',
      STALE_SECONDS: String(4 * 3600 + 600),
    });
    // The backup pods' labels: their NetworkPolicy (the Kubernetes API) applies.
    expect(guard.spec.jobTemplate.spec.template.metadata.labels).toMatchObject(backup.connections.selector);
    expect(validateManifests([guard])).toEqual([]);
    expect(policyViolations([guard])).toEqual([]);
    // Its deadline follows the backup's.
    const longer = synth({}, { timeout: Duration.hours(6) });
    expect(envOf(podSpec(ApiObject.of(longer.backup.guard!).toJson()).containers[0]).STALE_SECONDS).toBe(String(6 * 3600 + 600));
    expect(Neo4jBackup.STOPPED_FOR_BACKUP_KEY).toBe('stopped-for-backup');
  });

  test('the state ConfigMap: labelled, without data (what the Jobs write is never reset by an apply)', () => {
    const { objects, backup } = synth();
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('backup'));
    expect(configMaps).toHaveLength(1);
    const [state] = configMaps;
    expect(state.metadata.name).toBe('memos-neo4j-backup-state');
    expect(state.metadata.labels).toMatchObject(BACKUP_SELECTOR);
    expect(state.data).toBeUndefined();
    expect(state.binaryData).toBeUndefined();
    expect(state.immutable).not.toBe(true);
    expect(backup.stateConfigMap?.name).toBe('memos-neo4j-backup-state');
    expect(ApiObject.of(backup.stateConfigMap!).toJson()).toEqual(state);
    expect(validateManifests([state])).toEqual([]);
    // Enterprise stops nothing: no state.
    const enterprise = synth(CLUSTER);
    expect(enterprise.backup.stateConfigMap).toBeUndefined();
    expect(enterprise.objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('backup'))).toEqual([]);
  });

  test('RBAC: its own ServiceAccount may get and patch the scale of the StatefulSet and the state ConfigMap, and get the pod, nothing else', () => {
    const { objects, backup } = synth();
    const sa = objects.filter((o) => o.kind === 'ServiceAccount');
    expect(sa.map((o) => o.metadata.name)).toEqual(['memos-neo4j-backup']);
    expect(sa[0].automountServiceAccountToken).toBe(false);
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles).toHaveLength(1);
    expect(roles[0].metadata.name).toBe('memos-neo4j-backup');
    expect(roles[0].rules).toEqual([
      // stop, start, the guard: the scale subresource only.
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: ['memos-neo4j'], verbs: ['get', 'patch'] },
      // stop, start, the guard: the mark.
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['memos-neo4j-backup-state'], verbs: ['get', 'patch'] },
      // stop: is the server's pod gone?
      { apiGroups: [''], resources: ['pods'], resourceNames: ['memos-neo4j-0'], verbs: ['get'] },
    ]);
    // Never the StatefulSet itself: patching it could rewrite its pod template (privilege escalation).
    expect(roles[0].rules.some((r: any) => r.resources.includes('statefulsets'))).toBe(false);
    expect(objects.filter((o) => o.kind === 'RoleBinding')).toHaveLength(1);
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
    // No stop, so no guard; the framework's one retry.
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual(['memos-neo4j-backup']);
    expect(synth(CLUSTER).backup.guard).toBeUndefined();
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(1);
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

const missing = missingBackupTools('neo4j-backup.test.ts (the Neo4jBackup scripts, run for real)', 'curl', 'openssl');
const temporaryFolder = temporaryFolders();
const describeRuns = missing ? describe.skip : describe;
const TOKEN = 'test-service-account-token';
const PASSWORD = 'test-neo4j-password';

const STS_PATH = '/apis/apps/v1/namespaces/memos/statefulsets/memos-neo4j';
const SCALE_PATH = `${STS_PATH}/scale`;
const STATE_PATH = '/api/v1/namespaces/memos/configmaps/memos-neo4j-backup-state';
const POD_PATH = '/api/v1/namespaces/memos/pods/memos-neo4j-0';
const MARK = 'stopped-for-backup';

/**
 * A stub Kubernetes API over HTTPS, as the backup's Role lets it see it: the StatefulSet's scale
 * subresource (merge patches of spec.replicas, with the resourceVersion precondition), the state
 * ConfigMap (merge patches of its data, with the resourceVersion precondition), the server's pod;
 * the StatefulSet itself is forbidden (403). Like the API server, it pretty-prints JSON for curl's
 * User-Agent.
 */
class StubKubernetes {
  public replicas = 1;
  public podPresent = true;
  /** GETs of the pod that still find it after the scale-down. */
  public podLingers = 2;
  /** Scale PATCHes to 1 answered 500 before one succeeds. */
  public failScaleUps = 0;
  /** PATCHes removing the mark answered 500 before one succeeds. */
  public failUnmarks = 0;
  /** The state ConfigMap's data. */
  public state: Record<string, string> = {};
  /** The StatefulSet's resourceVersion (its scale's). */
  public resourceVersion = 1000;
  /** The state ConfigMap's resourceVersion. */
  public stateVersion = 500;
  /** `METHOD path` of requests applied, then answered with a body cut off (the connection closed mid-response), once each. */
  public readonly cut = new Set<string>();
  /** Bump the StatefulSet's resourceVersion after each GET of its scale (someone else changed it meanwhile). */
  public changeAfterRead = false;
  /** Bump the ConfigMap's resourceVersion after each GET of it (someone else changed it meanwhile). */
  public changeStateAfterRead = false;
  /** Each request, with whether the ConfigMap held the mark when it arrived. */
  public readonly calls: { method: string; path: string; body: string; auth: string; marked: boolean }[] = [];
  public port = 0;
  private server?: https.Server;

  constructor(private readonly cert: { key: string; cert: string }) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = https.createServer({ key: this.cert.key, cert: this.cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.handle(req.method!, req.url!, Buffer.concat(chunks).toString(), String(req.headers.authorization ?? ''),
        req.headers['content-type'], String(req.headers['user-agent'] ?? ''), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise((resolve) => this.server!.close(resolve));
    }
  }

  /**
   * The PATCH bodies, in order, named: `mark <stamp>`, `unmark`, `scale <n>`, with ` if <version>`
   * when conditional on a resourceVersion.
   */
  get patches(): string[] {
    return this.calls.filter((c) => c.method === 'PATCH').map((c) => {
      const body = JSON.parse(c.body);
      const condition = body.metadata?.resourceVersion !== undefined ? ` if ${body.metadata.resourceVersion}` : '';
      if (c.path === SCALE_PATH) return `scale ${body.spec.replicas}${condition}`;
      const value = body.data[MARK];
      return `${value === null ? 'unmark' : `mark ${value}`}${condition}`;
    });
  }

  private configMap(): unknown {
    const lastApplied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'memos-neo4j-backup-state' }, data: { [MARK]: '1' } };
    return {
      kind: 'ConfigMap', apiVersion: 'v1',
      metadata: {
        name: 'memos-neo4j-backup-state', namespace: 'memos', uid: '5c0ffee0-0000-4000-8000-000000000001', resourceVersion: String(this.stateVersion),
        labels: { 'app.kubernetes.io/name': 'neo4j-backup' },
        // Decoys the guard must not read: an escaped copy with other values, managed fields.
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) },
        managedFields: [{ manager: 'curl', operation: 'Update', fieldsV1: { 'f:data': { [`f:${MARK}`]: {} } } }],
      },
      // The API server omits an empty data.
      ...(Object.keys(this.state).length ? { data: { ...this.state } } : {}),
    };
  }

  private scale(): unknown {
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: 'memos-neo4j', namespace: 'memos', uid: '5c0ffee0-0000-4000-8000-000000000000', resourceVersion: String(this.resourceVersion) },
      // autoscaling/v1 omits replicas when 0.
      spec: this.replicas ? { replicas: this.replicas } : {}, status: { replicas: this.podPresent ? 1 : 0, selector: 'app.kubernetes.io/name=neo4j' },
    };
  }

  private handle(method: string, url: string, body: string, auth: string, contentType: string | undefined, userAgent: string, res: any): void {
    this.calls.push({ method, path: url, body, auth, marked: MARK in this.state });
    const cut = this.cut.delete(`${method} ${url}`);
    const json = (status: number, value: unknown) => {
      const text = userAgent.startsWith('curl') ? JSON.stringify(value, null, 2) : JSON.stringify(value);
      if (cut) {
        // The whole JSON, but the connection closes before the announced length: curl exits 18.
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text) + 100) });
        res.write(text);
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (auth !== `Bearer ${TOKEN}`) return json(401, { kind: 'Status', message: 'Unauthorized' });
    const conflict = () => json(409, { kind: 'Status', reason: 'Conflict' });
    if (method === 'PATCH' && contentType !== 'application/merge-patch+json') return json(415, { message: 'unsupported media type' });
    if (url === SCALE_PATH) {
      if (method === 'GET') {
        const answer = this.scale();
        if (this.changeAfterRead) this.resourceVersion++;
        return json(200, answer);
      }
      if (method === 'PATCH') {
        const patch = JSON.parse(body);
        const version = patch.metadata?.resourceVersion;
        if (version !== undefined && version !== String(this.resourceVersion)) return conflict();
        const wanted = patch.spec.replicas;
        if (wanted === 1 && this.failScaleUps > 0) { this.failScaleUps--; return json(500, { message: 'etcd timeout' }); }
        this.replicas = wanted;
        if (wanted === 1) this.podPresent = true;
        this.resourceVersion++;
        return json(200, this.scale());
      }
    }
    if (url === STATE_PATH) {
      if (method === 'GET') {
        const answer = this.configMap();
        if (this.changeStateAfterRead) this.stateVersion++;
        return json(200, answer);
      }
      if (method === 'PATCH') {
        const patch = JSON.parse(body);
        const version = patch.metadata?.resourceVersion;
        if (version !== undefined && version !== String(this.stateVersion)) return conflict();
        if (patch.data?.[MARK] === null && this.failUnmarks > 0) { this.failUnmarks--; return json(500, { message: 'etcd timeout' }); }
        for (const [key, value] of Object.entries(patch.data ?? {})) {
          if (value === null) delete this.state[key];
          else this.state[key] = value as string;
        }
        this.stateVersion++;
        return json(200, this.configMap());
      }
    }
    // What the Role does not grant.
    if (url.startsWith(STS_PATH)) return json(403, { kind: 'Status', reason: 'Forbidden', message: `${method} ${url} is forbidden` });
    if (url === POD_PATH && method === 'GET') {
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
[ -z "\${STUB_SLEEP:-}" ] || exec sleep "$STUB_SLEEP"
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
    // Marked before the scale-down, the mark removed after the scale-up: the guard would have
    // found the mark at any moment Neo4j was stopped.
    const patches = stub.patches;
    expect(patches.map((p) => p.replace(/^mark \d+$/, 'mark <now>'))).toEqual(['mark <now>', 'scale 0', 'scale 1', 'unmark']);
    const stamp = Number(patches[0].split(' ')[1]);
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(120);
    const scaleDown = stub.calls.find((c) => c.method === 'PATCH' && c.path === SCALE_PATH)!;
    expect(scaleDown.marked).toBe(true);
    expect(stub.calls.filter((c) => c.path === POD_PATH).every((c) => c.marked)).toBe(true);
    expect(stub.calls.filter((c) => c.method === 'PATCH' && c.path === SCALE_PATH).map((c) => c.marked)).toEqual([true, true]);
    const unmark = stub.calls.findIndex((c) => c.method === 'PATCH' && c.path === STATE_PATH && c.body.includes('null'));
    expect(unmark).toBeGreaterThan(stub.calls.findIndex((c) => c.method === 'PATCH' && c.path === SCALE_PATH && c.body.includes('"replicas":1')));
    expect(stub.state).toEqual({});
    // Only the scale, the state ConfigMap and the pod: never the StatefulSet itself.
    expect([...new Set(stub.calls.map((c) => c.path))].sort()).toEqual([POD_PATH, STATE_PATH, SCALE_PATH].sort());
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
    expect(stub.patches.slice(1)).toEqual(['scale 0', 'scale 1', 'scale 1', 'scale 1', 'unmark']);
    expect(stub.state).toEqual({});
    expect(results.upload.code).not.toBe(0);
    expect(results.upload.stderr).toContain('wrote no backup id');
  });

  test('Community: a mark the API keeps refusing to remove fails the start step loudly, Neo4j running', async () => {
    const stub = await kubernetes();
    stub.failUnmarks = 100;
    const { results } = await communityBackup(stub, stubNeo4jHome());
    expect(Object.keys(results)).toEqual(['stop', 'dump', 'start']);
    expect(results.start.code).toBe(1);
    expect(stub.replicas).toBe(1);
    expect(Object.keys(stub.state)).toEqual([MARK]);
    expect(results.start.stdout).toContain('removing the mark answered HTTP 500; retrying');
    expect(results.start.stderr).toContain('removing the mark stopped-for-backup from ConfigMap memos-neo4j-backup-state failed 5 times');
    expect(results.start.stderr).toContain(`Run: kubectl -n memos patch configmap/memos-neo4j-backup-state --type=merge -p '{"data":{"${MARK}":null}}'`);
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
    expect(stub.patches).toEqual([]);
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
    expect(stub.state).toEqual({});
    expect(results.upload.stderr).toContain('wrote no backup id');
  });

  test('Community: a dump that hangs is ended by timeout, and Neo4j started again', async () => {
    const stub = await kubernetes();
    const admin = stubNeo4jHome();
    const { results } = await communityBackup(stub, admin, { DUMP_TIMEOUT_SECONDS: '1', STUB_SLEEP: '60' });
    expect(results.dump.code).toBe(0);
    // busybox timeout here (143), GNU coreutils' in the Neo4j image (124): both take -k.
    expect(results.dump.stdout).toMatch(/failed: neo4j-admin database dump exited (124|143)/);
    expect(stub.replicas).toBe(1);
    expect(stub.state).toEqual({});
  }, 30_000);

  /** How a curl failure shows: curl's own message, then the step's, with status 000 and curl's exit code. */
  const CURL_18 = /curl: \(18\)[^]*HTTP 000\)?: curl failed with exit code 18/;

  test('Community: a curl failure is a failure, whatever HTTP status curl printed', async () => {
    // The scale is read whole, then the connection closes before the announced length: curl
    // prints 200 and exits 18. Nothing is changed.
    const stub = await kubernetes();
    stub.cut.add(`GET ${SCALE_PATH}`);
    const { results } = await communityBackup(stub, stubNeo4jHome());
    expect(Object.keys(results)).toEqual(['stop']);
    expect(results.stop.code).toBe(1);
    expect(results.stop.stderr).toMatch(CURL_18);
    expect(stub.patches).toEqual([]);

    // The mark is applied but its answer is cut off: Neo4j is not stopped, the start step removes
    // the mark (it may have been set), and the run fails at the upload.
    const marked = await kubernetes();
    marked.cut.add(`PATCH ${STATE_PATH}`);
    const second = await communityBackup(marked, stubNeo4jHome());
    expect(second.results.stop.code).toBe(0);
    expect(second.results.stop.stdout).toMatch(/failed: marking StatefulSet memos-neo4j \(ConfigMap memos-neo4j-backup-state\) answered HTTP 000: curl failed with exit code 18/);
    expect(second.results.dump.stdout).toContain('Neo4j was not stopped');
    expect(marked.patches.map((p) => p.replace(/\d+$/, 'N'))).toEqual(['mark N', 'scale N', 'unmark']);
    expect(marked.replicas).toBe(1);
    expect(marked.state).toEqual({});
    expect(second.results.upload.stderr).toContain('wrote no backup id');

    // The scale-down is applied but its answer is cut off: no dump, Neo4j started again, unmarked.
    const scaled = await kubernetes();
    scaled.cut.add(`PATCH ${SCALE_PATH}`);
    const third = await communityBackup(scaled, stubNeo4jHome());
    expect(third.results.stop.stdout).toMatch(/failed: scaling StatefulSet memos-neo4j to 0 answered HTTP 000: curl failed with exit code 18/);
    expect(third.results.dump.stdout).toContain('Neo4j was not stopped');
    expect(scaled.patches.map((p) => p.replace(/^mark \d+$/, 'mark N'))).toEqual(['mark N', 'scale 0', 'scale 1', 'unmark']);
    expect(scaled.replicas).toBe(1);
    expect(scaled.state).toEqual({});

    // The guard: a read of the ConfigMap or of the scale cut off is a failure, nothing is changed.
    for (const [read, message] of [
      [`GET ${STATE_PATH}`, /reading ConfigMap memos-neo4j-backup-state failed \(HTTP 000\): curl failed with exit code 18/],
      [`GET ${SCALE_PATH}`, /reading the scale of StatefulSet memos-neo4j failed \(HTTP 000\): curl failed with exit code 18/],
    ] as const) {
      const guarded = await kubernetes();
      guarded.replicas = 0;
      guarded.podPresent = false;
      guarded.state = { [MARK]: '1' };
      guarded.cut.add(read);
      const guard = await runGuard(guarded);
      expect(guard.code).toBe(1);
      expect(guard.stderr).toMatch(message);
      expect(guarded.patches).toEqual([]);
      expect(guarded.replicas).toBe(0);
    }
  });

  /** The guard's one container, run against `stub`. */
  async function runGuard(stub: StubKubernetes): Promise<RunResult> {
    const { backup } = synth();
    const [container] = containersInOrder(ApiObject.of(backup.guard!).toJson());
    return run(container, temporaryFolder('neo4j-guard-'), kubeOverrides(stub));
  }

  /** The backup's deadline (4 h) and the guard's margin (10 min). */
  const STALE = 4 * 3600 + 600;
  const secondsAgo = (seconds: number) => String(Math.floor(Date.now() / 1000) - seconds);

  test('guard: starts Neo4j a backup left stopped longer than the deadline plus 10 minutes, and removes the mark', async () => {
    const stub = await kubernetes();
    stub.replicas = 0;
    stub.podPresent = false;
    stub.state = { [MARK]: secondsAgo(STALE + 60), other: 'kept' };
    const version = stub.resourceVersion;
    const stateVersion = stub.stateVersion;
    const result = await runGuard(stub);
    if (result.code !== 0) console.log(result.stdout, result.stderr);
    expect(result.code).toBe(0);
    expect(stub.replicas).toBe(1);
    expect(stub.state).toEqual({ other: 'kept' });
    // The scale-up, conditional on the scale read, then the mark removed, conditional on the ConfigMap read.
    expect(stub.patches).toEqual([`scale 1 if ${version}`, `unmark if ${stateVersion}`]);
    expect(stub.calls.find((c) => c.method === 'PATCH' && c.path === SCALE_PATH)!.body)
      .toBe(`{"metadata":{"resourceVersion":"${version}"},"spec":{"replicas":1}}`);
    expect(stub.calls.find((c) => c.method === 'PATCH' && c.path === STATE_PATH)!.body)
      .toBe(`{"metadata":{"resourceVersion":"${stateVersion}"},"data":{"${MARK}":null}}`);
    expect(stub.calls.some((c) => c.path === STS_PATH)).toBe(false);
    expect(result.stderr).toContain('NEO4J WAS LEFT STOPPED BY A BACKUP');
    expect(result.stderr).toContain('NEO4J STARTED AGAIN by the guard');
    expect(stub.calls.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  test.each([
    ['a fresh mark (a backup under way)', 0, { [MARK]: secondsAgo(STALE - 120) }, 'stopped by a backup'],
    ['no mark (scaled to 0 by a person, e.g. for a restore)', 0, {}, 'not marked as stopped by a backup'],
    ['1 replica with an old mark', 1, { [MARK]: secondsAgo(STALE + 3600) }, 'WARNING'],
    ['1 replica with a fresh mark', 1, { [MARK]: secondsAgo(60) }, 'a backup is under way'],
  ])('guard: leaves alone a StatefulSet with %s', async (_what, replicas, state, message) => {
    const stub = await kubernetes();
    stub.replicas = replicas;
    stub.podPresent = replicas > 0;
    stub.state = { ...state };
    const result = await runGuard(stub);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
    expect(stub.patches).toEqual([]);
    expect(stub.replicas).toBe(replicas);
    expect(stub.state).toEqual(state);
  });

  test('guard: a StatefulSet changed since it was read is left to the next run; a malformed mark is reported', async () => {
    const stub = await kubernetes();
    stub.replicas = 0;
    stub.podPresent = false;
    stub.state = { [MARK]: secondsAgo(STALE + 60) };
    stub.changeAfterRead = true;
    const conflict = await runGuard(stub);
    expect(conflict.code).toBe(0);
    expect(conflict.stderr).toContain('HTTP 409');
    expect(stub.replicas).toBe(0);
    // The mark stays: the next run tries again.
    expect(Object.keys(stub.state)).toEqual([MARK]);
    expect(stub.patches.map((p) => p.replace(/\d+$/, 'N'))).toEqual(['scale 1 if N']);

    for (const value of ['yesterday', '']) {
      const malformed = await kubernetes();
      malformed.replicas = 0;
      malformed.podPresent = false;
      malformed.state = { [MARK]: value };
      const result = await runGuard(malformed);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`is '${value}', not Unix seconds`);
      expect(malformed.patches).toEqual([]);
    }
  });

  test('guard: a mark changed between the read and its removal (a new backup) is left', async () => {
    const stub = await kubernetes();
    stub.replicas = 0;
    stub.podPresent = false;
    stub.state = { [MARK]: secondsAgo(STALE + 60) };
    stub.changeStateAfterRead = true;
    const result = await runGuard(stub);
    expect(result.code).toBe(0);
    expect(stub.replicas).toBe(1);
    expect(result.stderr).toContain('ConfigMap memos-neo4j-backup-state changed since it was read (HTTP 409');
    expect(Object.keys(stub.state)).toEqual([MARK]);
  });

  test('guard: a patch whose answer is lost fails loudly', async () => {
    const stub = await kubernetes();
    stub.replicas = 0;
    stub.podPresent = false;
    stub.state = { [MARK]: secondsAgo(STALE + 60) };
    stub.cut.add(`PATCH ${SCALE_PATH}`);
    const result = await runGuard(stub);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NEO4J MAY STILL BE STOPPED');
    expect(result.stderr).toContain(`kubectl -n memos patch configmap/memos-neo4j-backup-state --type=merge -p '{"data":{"${MARK}":null}}'`);
    expect(result.stderr).toMatch(CURL_18);

    // Neo4j started, but the removal of the mark is cut off: a failure, with the command to run.
    const unmarked = await kubernetes();
    unmarked.replicas = 0;
    unmarked.podPresent = false;
    unmarked.state = { [MARK]: secondsAgo(STALE + 60) };
    unmarked.cut.add(`PATCH ${STATE_PATH}`);
    const second = await runGuard(unmarked);
    expect(second.code).toBe(1);
    expect(unmarked.replicas).toBe(1);
    expect(second.stderr).toContain('NEO4J STARTED AGAIN by the guard');
    expect(second.stderr).toContain('Neo4j runs again, but removing the mark stopped-for-backup from ConfigMap memos-neo4j-backup-state answered HTTP 000');
    expect(second.stderr).toMatch(CURL_18);
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
