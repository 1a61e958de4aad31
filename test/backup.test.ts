/**
 * Backups through the stack (issue 15): every environment backs up every store it runs, the
 * CronJobs are hardened and scheduled as the plan says, the NetworkPolicies admit them, bad plans
 * are rejected at synth naming the prop, and `npm run restore` writes a valid, hardened Job or
 * nothing at all.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import { ENVIRONMENTS, MemosEnvironment } from '../app/environments';
import { renderRestore, writeRestore } from '../app/restore';
import { synthEnvironments } from '../app/synth';
import {
  BackupPlan, BackupStore, Credentials, MemosChart, MemosSize, ObsStorageClass, Qdrant, QdrantBackup, RedisQueue, SecretKeyRef,
} from '../index';
import { policyViolations } from './support/policy';
import { parseManifests, validateManifests } from './support/schema';
import { only, Obj, servicesFor } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();
const LOCATION = { bucket: 'memos-test-backups', region: 'cn-north-4' };

function synth(props: Partial<MemosEnvironment> = {}): Obj[] {
  const app = new App();
  return new MemosChart(app, 'test', { size: MemosSize.SMALL, ...servicesFor(MemosSize.SMALL), backup: BackupPlan.toObs({ location: LOCATION }), ...props }).toJson();
}

/** The backup CronJobs (not the Neo4j Community backup's guard). */
const cronJobs = (objects: Obj[]) => objects.filter((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-backup'));
const podSpec = (cronJob: Obj) => cronJob.spec.jobTemplate.spec.template.spec;

describe('the shipped environments', () => {
  const rendered = new Map<string, Obj[]>();
  beforeAll(() => {
    for (const environment of ENVIRONMENTS) rendered.set(environment.name, new MemosChart(new App(), environment.name, environment).toJson());
  });

  test.each(ENVIRONMENTS.map((e) => e.name))('%s backs up every in-cluster store', (name) => {
    const objects = rendered.get(name)!;
    const stores = new Set<string>();
    for (const o of objects) {
      if (o.kind !== 'StatefulSet') continue;
      const component = o.metadata.labels['app.kubernetes.io/name'] ?? '';
      if (/qdrant/.test(component)) stores.add('qdrant');
      if (/neo4j/.test(component)) stores.add('neo4j');
      if (/milvus/.test(component) && !/etcd/.test(component)) stores.add('milvus');
      if (/redis/.test(component)) stores.add('redis');
    }
    if (objects.some((o) => o.kind === 'Deployment' && /milvus/.test(o.metadata.name))) stores.add('milvus');
    const backedUp = cronJobs(objects).map((c) => /^memos-(.+)-backup$/.exec(c.metadata.name)?.[1]).sort();
    expect(backedUp).toEqual([...stores].sort());
    expect(stores.size).toBeGreaterThan(0);
  });

  test.each(ENVIRONMENTS.map((e) => e.name))('%s: every backup CronJob is hardened, never overlaps itself and is bounded', (name) => {
    for (const cronJob of cronJobs(rendered.get(name)!)) {
      expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3, timeZone: 'Asia/Shanghai' });
      expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThanOrEqual(300);
      const spec = podSpec(cronJob);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true });
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.resources.requests.cpu).toBeDefined();
        expect(container.image).toMatch(/:[^:@/]+$|@sha256:/);
      }
      // Credentials come from Secrets only.
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const env of container.env ?? []) {
          if (/KEY|PASSWORD|SECRET|TOKEN|AUTH/.test(env.name) && !/_FILE$|NO_CHECK|CA_CERT/.test(env.name)) expect(env.valueFrom?.secretKeyRef).toBeDefined();
        }
      }
    }
  });

  test('medium and large copy every backup to cn-east-3, small does not', () => {
    const replicaEndpoint = (name: string) => cronJobs(rendered.get(name)!).map((c) => podSpec(c).containers.concat(podSpec(c).initContainers ?? [])
      .flatMap((k: Obj) => k.env ?? []).find((e: Obj) => e.name === 'RCLONE_CONFIG_REPLICA_ENDPOINT')?.value);
    expect(replicaEndpoint('small').every((v) => v === undefined)).toBe(true);
    for (const name of ['medium', 'large']) {
      const endpoints = replicaEndpoint(name);
      expect(endpoints.length).toBeGreaterThan(0);
      expect(endpoints.every((v) => v === 'https://obs.cn-east-3.myhuaweicloud.com')).toBe(true);
    }
  });

  test('the backup pods may reach their store and OBS, and the store admits them', () => {
    const objects = rendered.get('small')!;
    const policy = only(objects, 'NetworkPolicy', 'memos-qdrant-backup');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'memos', 'app.kubernetes.io/name': 'qdrant-backup' });
    const egressPorts = policy.spec.egress.flatMap((r: Obj) => (r.ports ?? []).map((p: Obj) => p.port));
    expect(egressPorts).toEqual(expect.arrayContaining([6333, 443]));
    const qdrant = only(objects, 'NetworkPolicy', 'memos-qdrant');
    const fromBackup = qdrant.spec.ingress.find((r: Obj) => r.from?.some((f: Obj) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'qdrant-backup'));
    expect(fromBackup.ports).toEqual([{ port: 6333, protocol: 'TCP' }]);
  });
});

describe('the Qdrant backup CronJob', () => {
  const objects = synth({ backup: BackupPlan.toObs({ location: { ...LOCATION, prefix: 'prod/memos' }, qdrant: { schedule: '15 1 * * *', retentionDays: 14, storageClass: ObsStorageClass.WARM, timeout: Duration.hours(3) } }) });
  const cronJob = only(objects, 'CronJob', 'memos-qdrant-backup');
  const spec = podSpec(cronJob);

  test('runs on the plan\'s schedule and deadline, with the retention and storage class it was given', () => {
    expect(cronJob.spec.schedule).toBe('15 1 * * *');
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3 * 3600);
    const upload = spec.containers.find((c: Obj) => c.name === 'upload');
    const env = Object.fromEntries(upload.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      DEST: 'memos-test-backups/prod/memos/qdrant', RETENTION_DAYS: '14', STORAGE_CLASS: 'STANDARD_IA', STORE: 'qdrant',
      RCLONE_CONFIG_OBS_PROVIDER: 'HuaweiOBS', RCLONE_CONFIG_OBS_ENDPOINT: 'https://obs.cn-north-4.myhuaweicloud.com', RCLONE_CONFIG_OBS_REGION: 'cn-north-4',
      RCLONE_CONFIG_OBS_ACCESS_KEY_ID: { secretKeyRef: { name: 'memos-secrets', key: 'OBS_ACCESS_KEY_ID', optional: false } },
    });
    expect(upload.image).toBe('docker.io/rclone/rclone:1.68.2');
  });

  test('snapshots every node through the headless Service with the API key, into an EVS staging disk sized for every node', () => {
    const step = spec.initContainers.find((c: Obj) => c.name === 'snapshot');
    const env = Object.fromEntries(step.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ STATEFULSET: 'memos-qdrant', HEADLESS: 'memos-qdrant-headless', PEERS: '1', PORT: '6333', SCHEME: 'http' });
    expect(env.QDRANT_API_KEY.secretKeyRef).toBeDefined();
    const staging = spec.volumes.find((v: Obj) => v.name === 'staging');
    expect(staging.ephemeral.volumeClaimTemplate.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'csi-disk-topology' });
    // small: one node, 50Gi snapshot volume.
    expect(staging.ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe('50Gi');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe('Never');
  });

  test('is placed on the default pool at the services\' priority', () => {
    const envObjects = new MemosChart(new App(), 'small', ENVIRONMENTS[0]).toJson();
    const s = podSpec(only(envObjects, 'CronJob', 'memos-qdrant-backup'));
    expect(s.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'memos-small-app' });
    expect(s.priorityClassName).toBe('memos-memos-services');
  });

  test('every object of every environment, with the backups, passes strict schema validation', () => {
    const all = ENVIRONMENTS.flatMap((e) => new MemosChart(new App(), e.name, e).toJson());
    expect(validateManifests(all)).toEqual([]);
  });
});

describe('bad backup plans are rejected at synth, naming the prop', () => {
  const plan = (options: object) => BackupPlan.toObs({ location: LOCATION, ...options });
  test.each([
    ['an invalid cron expression', plan({ qdrant: { schedule: '0 25 * * *' } }), /invalid backup\.qdrant\.schedule "0 25 \* \* \*"; allowed: a 5-field cron expression/],
    ['a cron expression with seconds', plan({ qdrant: { schedule: '0 0 2 * * *' } }), /invalid backup\.qdrant\.schedule/],
    ['Quartz L (the API server rejects it)', plan({ qdrant: { schedule: '0 2 L * *' } }), /invalid backup\.qdrant\.schedule/],
    ['a TZ= prefix (use timeZone)', plan({ qdrant: { schedule: 'TZ=UTC 0 2 * * *' } }), /invalid backup\.qdrant\.schedule/],
    ['retention of 0', plan({ qdrant: { retentionDays: 0 } }), /invalid backup\.qdrant\.retentionDays 0; allowed: a whole number of days from 1 to 3650/],
    ['fractional retention', plan({ qdrant: { retentionDays: 1.5 } }), /invalid backup\.qdrant\.retentionDays/],
    ['a bucket name with capitals', BackupPlan.toObs({ location: { bucket: 'Memos_Backups', region: 'cn-north-4' } }), /invalid backup\.location\.bucket "Memos_Backups"; allowed: an OBS bucket name/],
    ['a bucket name like an IP address', BackupPlan.toObs({ location: { bucket: '192.168.1.1', region: 'cn-north-4' } }), /invalid backup\.location\.bucket/],
    ['a bucket name with ".."', BackupPlan.toObs({ location: { bucket: 'memos..backups', region: 'cn-north-4' } }), /invalid backup\.location\.bucket/],
    ['a two-character bucket name', BackupPlan.toObs({ location: { bucket: 'mb', region: 'cn-north-4' } }), /invalid backup\.location\.bucket/],
    ['a schedule overlapping a running backup', plan({ qdrant: { schedule: '0 * * * *', timeout: Duration.hours(2) } }),
      /invalid backup\.qdrant\.schedule "0 \* \* \* \*"; allowed: a schedule whose runs are at least timeout \(2 hours\) apart: this one starts runs 1 hour apart/],
    ['an irregular schedule whose closest runs overlap', plan({ qdrant: { schedule: '0 2,3 * * *' } }), /invalid backup\.qdrant\.schedule .*runs 1 hour apart/],
    ['an unknown time zone', plan({ qdrant: { timeZone: 'Beijing' } }), /invalid backup\.qdrant\.timeZone "Beijing"; allowed: an IANA time zone name/],
    ['a timeout under 5 minutes', plan({ qdrant: { timeout: Duration.minutes(1) } }), /invalid backup\.qdrant\.timeout/],
    ['an unknown storage class', plan({ qdrant: { storageClass: 'GLACIER' } }), /invalid backup\.qdrant\.storageClass "GLACIER"; allowed: STANDARD, WARM, COLD/],
    ['a prefix with a leading slash', BackupPlan.toObs({ location: { ...LOCATION, prefix: '/memos' } }), /invalid backup\.location\.prefix "\/memos"/],
    ['a replica in the same place', plan({ replica: LOCATION }), /invalid backup\.replica .*another bucket/],
    ['a replica with a bad bucket', plan({ replica: { bucket: 'x', region: 'cn-east-3' } }), /invalid backup\.replica\.bucket "x"/],
    ['an unpinned rclone image', plan({ rcloneImage: 'rclone/rclone:latest' }), /invalid backup\.rcloneImage/],
    ['a plain object instead of a BackupPlan', { location: LOCATION } as unknown as BackupPlan, /invalid backup .*BackupPlan\.toObs/],
    ['keys given as literal values', BackupPlan.toObs({ location: { ...LOCATION, accessKeyId: 'AKIAABCDEFGHIJKLMNOP' as unknown as SecretKeyRef } }), /invalid backup\.location\.accessKeyId "\(not shown\)"; allowed: SecretKeyRef\.of/],
  ])('%s', (_what, backup, message) => {
    expect(() => synth({ backup })).toThrow(message);
  });

  test('a rejected plan leaves dist/ as it was', () => {
    const outdir = path.join(temporaryFolder('backup-dist-'), 'dist');
    synthEnvironments([{ name: 'ok', size: MemosSize.SMALL, ...servicesFor(MemosSize.SMALL) }], outdir);
    const before = fs.readFileSync(path.join(outdir, 'ok', 'memos.k8s.yaml'), 'utf8');
    expect(() => synthEnvironments([{ name: 'ok', size: MemosSize.SMALL, ...servicesFor(MemosSize.SMALL), backup: BackupPlan.toObs({ location: LOCATION, qdrant: { retentionDays: 0 } }) }], outdir))
      .toThrow(/retentionDays/);
    expect(fs.readFileSync(path.join(outdir, 'ok', 'memos.k8s.yaml'), 'utf8')).toBe(before);
  });

  test('valid edge cases are accepted: descriptors, names, lists, weekly, and a schedule exactly timeout apart', () => {
    for (const schedule of ['@daily', '@weekly', '0 2 * * MON-FRI', '30 1 1,15 * *', '0 */6 * * *', '0 3 * JAN,JUL SUN']) {
      expect(() => synth({ backup: BackupPlan.toObs({ location: LOCATION, qdrant: { schedule, timeout: Duration.hours(1) } }) })).not.toThrow();
    }
    expect(() => synth({ backup: BackupPlan.toObs({ location: LOCATION, qdrant: { schedule: '0 */2 * * *', timeout: Duration.hours(2) } }) })).not.toThrow();
  });
});

describe('QdrantBackup on its own', () => {
  function chart() {
    const app = new App();
    const c = new Chart(app, 'c', { namespace: 'team' });
    const qdrant = new Qdrant(c, 'Qdrant', { instance: 'vec', replicas: 3, credentials: Credentials.fromSecret('vec-secrets') } as any);
    return { app, c, qdrant };
  }

  test('defaults: prefix <namespace>/<instance>, keys from memos-secrets, 02:00 Shanghai, 7 days, Standard; staging for every node', () => {
    const { c, qdrant } = chart();
    new QdrantBackup(c, 'Backup', { qdrant, location: LOCATION });
    const cronJob = c.toJson().find((o) => o.kind === 'CronJob');
    expect(cronJob.metadata.name).toBe('vec-qdrant-backup');
    expect(cronJob.spec).toMatchObject({ schedule: QdrantBackup.DEFAULT_SCHEDULE, timeZone: 'Asia/Shanghai' });
    const upload = podSpec(cronJob).containers[0];
    const env = Object.fromEntries(upload.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ DEST: 'memos-test-backups/team/vec/qdrant', RETENTION_DAYS: '7', STORAGE_CLASS: 'STANDARD' });
    expect(env.RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY).toEqual({ secretKeyRef: { name: 'memos-secrets', key: 'OBS_SECRET_ACCESS_KEY', optional: false } });
    const staging = podSpec(cronJob).volumes.find((v: Obj) => v.name === 'staging');
    expect(staging.ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe(`${3 * qdrant.snapshotStorage.toGibibytes()}Gi`);
  });

  test('a restore Job: no retry, the backup id in its name, the download first, kept a week', () => {
    const { app, c, qdrant } = chart();
    const backup = new QdrantBackup(c, 'Backup', { qdrant, location: LOCATION });
    const r = new Chart(app, 'r', { namespace: 'team' });
    backup.restore(r, 'Restore', '20261127T020000Z');
    const job = r.toJson().find((o) => o.kind === 'Job');
    expect(job.metadata.name).toBe('vec-qdrant-restore-20261127t020000z');
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 7 * 86400 });
    expect(job.spec.template.spec.initContainers.map((k: Obj) => k.name)).toEqual(['download']);
    expect(job.spec.template.spec.containers.map((k: Obj) => k.name)).toEqual(['restore-snapshots']);
    expect(job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('qdrant-backup');
    expect(() => backup.restore(r, 'Bad', 'latest')).toThrow(/QdrantBackup 'c\/Backup': invalid backupId "latest"/);
  });

  test('a missing qdrant is named', () => {
    const { c } = chart();
    expect(() => new QdrantBackup(c, 'Backup', { qdrant: undefined as unknown as Qdrant, location: LOCATION })).toThrow(/invalid qdrant/);
  });
});

describe('npm run restore', () => {
  test('writes the restore Job of an environment\'s store, valid against the schemas', () => {
    const file = path.join(temporaryFolder('restore-'), 'qdrant.yaml');
    const result = writeRestore(ENVIRONMENTS, 'medium', 'qdrant', '20261127T020000Z', file);
    expect(result).toMatchObject({ objects: 1, namespace: 'memos', jobName: 'memos-qdrant-restore-20261127t020000z' });
    const objects = parseManifests(fs.readFileSync(file, 'utf8'));
    expect(objects.map((o) => o.kind)).toEqual(['Job']);
    expect(validateManifests(objects as any)).toEqual([]);
    const env = Object.fromEntries(objects[0].spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));
    expect(env).toMatchObject({ PEERS: '3', BACKUP_ID: '20261127T020000Z' });
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('644');
  });

  // Every store every shipped environment backs up: the restore Job of each is valid and hardened.
  const CASES = ENVIRONMENTS.flatMap((e) => {
    const stack = new MemosChart(new App(), e.name, e).stack;
    return [
      [stack.qdrantBackup, BackupStore.QDRANT], [stack.neo4jBackup, BackupStore.NEO4J], [stack.milvusBackup, BackupStore.MILVUS], [stack.redisBackup, BackupStore.REDIS],
    ].filter(([b]) => b !== undefined).map(([, store]) => [e.name, store as string]);
  });

  test('the shipped environments back up 9 stores between them', () => {
    expect(CASES.map(([env, store]) => `${env}/${store}`)).toEqual([
      'small/qdrant', 'small/neo4j', 'small/milvus', 'medium/qdrant', 'medium/neo4j', 'medium/milvus', 'large/qdrant', 'large/neo4j', 'large/milvus']);
  });

  test.each(CASES)('%s %s: the restore Job is schema-valid, hardened, runs where its backup runs, and holds no credential', (env, store) => {
    const { yaml, jobName } = renderRestore(ENVIRONMENTS, env, store, '20261127T020000Z');
    const objects = parseManifests(yaml);
    expect(validateManifests(objects as any)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toBe(jobName);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    const spec = job.spec.template.spec;
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      expect([c.name, c.securityContext.readOnlyRootFilesystem, c.securityContext.allowPrivilegeEscalation]).toEqual([c.name, true, false]);
    }
    // Labelled as its store's backup pods, so their NetworkPolicy admits it.
    const backup = only(new MemosChart(new App(), env, ENVIRONMENTS.find((e) => e.name === env)!).toJson(), 'CronJob', `memos-${store}-backup`);
    expect(job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe(`${store}-backup`);
    expect(spec.nodeSelector).toEqual(podSpec(backup).nodeSelector);
    expect(spec.priorityClassName).toBe(podSpec(backup).priorityClassName);
  });

  test.each([
    ['an unknown environment', 'staging', 'qdrant', '20261127T020000Z', /unknown environment "staging"; allowed: small, medium, large/],
    ['an unknown store', 'small', 'postgres', '20261127T020000Z', /invalid --store "postgres"; allowed: qdrant, neo4j, milvus, redis/],
    ['a store the environment does not run', 'small', 'redis', '20261127T020000Z', /invalid store "redis"; allowed: a store this stack backs up/],
    ['a malformed backup id', 'small', 'qdrant', 'yesterday', /invalid backupId "yesterday"/],
  ])('%s writes nothing', (_what, env, store, id, message) => {
    const dir = temporaryFolder('restore-bad-');
    expect(() => writeRestore(ENVIRONMENTS, env, store, id, path.join(dir, 'out.yaml'))).toThrow(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('renders without touching the disk', () => {
    const { yaml } = renderRestore(ENVIRONMENTS, 'small', BackupStore.QDRANT, '20261127T020000Z');
    expect(yaml).toContain('kind: Job');
  });
});

test('a stack without a plan backs nothing up', () => {
  const objects = new MemosChart(new App(), 'plain', { size: MemosSize.SMALL, queue: RedisQueue.inCluster(), ...servicesFor(MemosSize.SMALL) }).toJson();
  expect(cronJobs(objects)).toEqual([]);
});
