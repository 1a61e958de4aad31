/**
 * MilvusBackup: the rendered CronJob, ConfigMap and restore Job for both topologies, the
 * validations, and the scripts run for real under busybox sh, with a stub `milvus-backup` on the
 * PATH (it records its arguments and writes a fake backup into the bucket) and rclone 1.68.2
 * against moto (test/support/backup.ts). milvus-backup itself cannot be installed here (the Go
 * module proxy refuses it), so what it does with its configuration is not exercised.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { Milvus, MilvusProps } from '../constructs/milvus';
import { MilvusBackup, MilvusBackupProps } from '../constructs/milvus-backup';
import { MilvusTopology } from '../constructs/milvus-topology';
import { Qdrant } from '../constructs/qdrant';
import { QdrantBackup } from '../constructs/qdrant-backup';
import { ObsStorageClass } from '../src/backup';
import { Credentials, SecretKeyRef } from '../src/credentials';
import { placeOnNodePool } from '../src/kubernetes';
import {
  containersInOrder, missingBackupTools, podSpec, rcloneEnv, runContainer, RunResult, S3Server, SpecContainer, startS3, toolPath,
} from './support/backup';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();
const CREDENTIALS = Credentials.fromSecret('memos-secrets');
const OBS = { bucket: 'memos-test-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' };
const DISTRIBUTED = MilvusTopology.distributed({ objectStorage: OBS, kafka: { brokers: ['kafka-1.dms.example:9092'] } });
const BUCKET = 'memos-backups';
const ID = '20261127T020000Z';

function synth(milvusProps: Partial<MilvusProps> = {}, backupProps: Partial<MilvusBackupProps> = {}, options: { taints?: boolean } = {}) {
  const app = new App();
  const chart = new Chart(app, 'memos', { namespace: 'memos' });
  const milvus = new Milvus(chart, 'Milvus', { instance: 'memos', credentials: CREDENTIALS, ...milvusProps });
  const backup = new MilvusBackup(chart, 'Backup', { milvus, location: { bucket: BUCKET, region: 'cn-north-4' }, ...backupProps });
  // As the stack does: Milvus is placed on its pool after the backup exists.
  if (options.taints) placeOnNodePool(chart, milvus.workloads.standalone as any, { name: 'vectors', taints: [{ key: 'dedicated', value: 'milvus', effect: 'NoSchedule' }] });
  const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
  backup.restore(restoreChart, 'Restore', ID);
  const objects = chart.toJson();
  const restoreObjects = restoreChart.toJson();
  const cronJob = objects.find((o) => o.kind === 'CronJob');
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'memos-milvus-backup');
  const job = restoreObjects.find((o) => o.kind === 'Job');
  return { milvus, backup, objects, restoreObjects, cronJob, configMap, job, config: YAML.parse(configMap.data['backup.yaml']) };
}
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
const named = (object: any, name: string) => containersInOrder(object).find((c) => c.name === name) as any;

describe('MilvusBackup: rendering', () => {
  test('names, labels, the pinned image, and the contract the other stores follow', () => {
    const { cronJob, job, configMap, backup } = synth();
    expect(MilvusBackup.DEFAULT_IMAGE).toBe('docker.io/milvusdb/milvus-backup:v0.6.0');
    expect(MilvusBackup.DEFAULT_SCHEDULE).toBe('30 2 * * *');
    expect(cronJob.metadata.name).toBe('memos-milvus-backup');
    expect(configMap.metadata.name).toBe('memos-milvus-backup');
    expect(job.metadata.name).toBe(`memos-milvus-restore-${ID.toLowerCase()}`);
    expect(job.metadata.labels['memos.cce/restore-of']).toBe(ID);
    expect(backup.cronJob.name).toBe('memos-milvus-backup');
    const selector = { 'app.kubernetes.io/name': 'milvus-backup', 'app.kubernetes.io/instance': 'memos' };
    expect(cronJob.spec.jobTemplate.spec.template.metadata.labels).toMatchObject(selector);
    expect(job.spec.template.metadata.labels).toMatchObject(selector);
    expect(backup.connections.selector).toEqual(selector);
    expect(containersInOrder(cronJob).map((c) => c.name)).toEqual(['create', 'complete']);
    expect(containersInOrder(job).map((c) => c.name)).toEqual(['check', 'restore']);
    expect(named(cronJob, 'create').image).toBe('docker.io/milvusdb/milvus-backup:v0.6.0');
    expect(named(job, 'restore').image).toBe('docker.io/milvusdb/milvus-backup:v0.6.0');
    expect(named(cronJob, 'complete').image).toBe('docker.io/rclone/rclone:1.68.2');
    expect(named(job, 'check').image).toBe('docker.io/rclone/rclone:1.68.2');
    expect(cronJob.spec.schedule).toBe('30 2 * * *');
    expect(cronJob.spec.timeZone).toBe('Asia/Shanghai');
    expect(envOf(named(cronJob, 'complete'))).toMatchObject({ DEST: `${BUCKET}/memos/memos/milvus`, RETENTION_DAYS: '7' });
    expect(envOf(named(job, 'check'))).toMatchObject({ DEST: `${BUCKET}/memos/memos/milvus`, BACKUP_ID: ID });
    expect(envOf(named(job, 'restore')).BACKUP_ID).toBe(ID);
  });

  test('the CronJob is scheduled and hardened as BackupCronJob does it (compared with QdrantBackup)', () => {
    const { cronJob, job } = synth();
    const chart = new Chart(Testing.app(), 'q', { namespace: 'memos' });
    const qdrant = new Qdrant(chart, 'Qdrant', { instance: 'memos', replicas: 1, credentials: CREDENTIALS } as any);
    new QdrantBackup(chart, 'Backup', { qdrant, location: { bucket: BUCKET, region: 'cn-north-4' } });
    const reference = chart.toJson().find((o) => o.kind === 'CronJob');
    for (const key of ['concurrencyPolicy', 'startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
      expect([key, cronJob.spec[key]]).toEqual([key, reference.spec[key]]);
    }
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ activeDeadlineSeconds: 4 * 3600, backoffLimit: reference.spec.jobTemplate.spec.backoffLimit });
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 4 * 3600, backoffLimit: 0, ttlSecondsAfterFinished: 7 * 86400 });
    for (const workload of [cronJob, job]) {
      const spec = podSpec(workload);
      expect(spec).toMatchObject({ automountServiceAccountToken: false, restartPolicy: 'Never', imagePullSecrets: [{ name: 'default-secret' }] });
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
      for (const c of containersInOrder(workload) as any[]) {
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.resources.limits).toHaveProperty('memory');
        expect(c.resources.requests).toHaveProperty('cpu');
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
      const tool = containersInOrder(workload).find((c) => c.name === 'create' || c.name === 'restore') as any;
      expect(tool.volumeMounts).toContainEqual({ name: 'logs', mountPath: '/app/logs' });
      expect(tool.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/milvus-backup', readOnly: true });
      expect(spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name).sort()).toEqual(['logs', 'state', 'tmp']);
    }
  });

  test('distributed: OBS to OBS on one endpoint (server-side copy), the proxy for the GC pause', () => {
    const { config, cronJob } = synth({ topology: DISTRIBUTED });
    expect(config.configVersion).toBe('v2');
    expect(config.milvus).toMatchObject({
      user: 'root',
      grpc: { address: 'memos-milvus', port: 19530 },
      management: { endpoint: 'http://memos-milvus:9091' },
      storage: { provider: 'hwc', address: 'obs.cn-north-4.myhuaweicloud.com', port: 443, region: 'cn-north-4', useSSL: true, bucketName: 'memos-test-milvus', rootPath: 'memos', auth: { type: 'static' } },
    });
    expect(config.backup).toEqual({
      storage: { provider: 'hwc', address: 'obs.cn-north-4.myhuaweicloud.com', port: 443, region: 'cn-north-4', useSSL: true, bucketName: BUCKET, rootPath: 'memos/memos/milvus', auth: { type: 'static' } },
      pauseGC: true,
    });
    expect(config.transfer).toEqual({ mode: 'auto' });
    expect(config.log.file.path).toBe('/app/logs/backup.log');
    const spec = podSpec(cronJob);
    expect(spec.affinity).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
    expect(spec.volumes.some((v: any) => v.persistentVolumeClaim)).toBe(false);
  });

  test('a standalone Milvus with OBS storage is read from OBS, without its volume', () => {
    const { config, cronJob } = synth({ topology: MilvusTopology.standalone({ objectStorage: { ...OBS, rootPath: 'vectors' } }) });
    expect(config.milvus.storage).toMatchObject({ provider: 'hwc', bucketName: 'memos-test-milvus', rootPath: 'vectors' });
    expect(config.transfer.mode).toBe('auto');
    expect(podSpec(cronJob).affinity).toBeUndefined();
  });

  test('standalone on its volume: provider local, streamed, the pods on its node with its claim and taints', () => {
    const { config, cronJob, job, milvus } = synth({}, {}, { taints: true });
    expect(milvus.dataClaimName).toBe('milvus-data-memos-milvus-standalone-0');
    expect(config.milvus.storage).toEqual({ provider: 'local', bucketName: '', rootPath: '/var/lib/milvus/data' });
    expect(config.backup.storage).toMatchObject({ provider: 'hwc', bucketName: BUCKET, rootPath: 'memos/memos/milvus' });
    expect(config.transfer).toEqual({ mode: 'streaming', concurrency: 16 });
    for (const [workload, tool, readOnly] of [[cronJob, 'create', true], [job, 'restore', false]] as const) {
      const spec = podSpec(workload);
      expect(spec.affinity).toEqual({
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'milvus', 'app.kubernetes.io/instance': 'memos', 'app.kubernetes.io/component': 'standalone' } },
            topologyKey: 'kubernetes.io/hostname',
          }],
        },
      });
      expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'milvus', effect: 'NoSchedule' }]);
      expect(spec.volumes).toContainEqual(expect.objectContaining({ name: 'milvus-data', persistentVolumeClaim: expect.objectContaining({ claimName: 'milvus-data-memos-milvus-standalone-0' }) }));
      // Mounted where Milvus mounts it (rootPath is Milvus's localStorage.path): read-only for a backup.
      expect(named(workload, tool).volumeMounts).toContainEqual({ name: 'milvus-data', mountPath: '/var/lib/milvus', readOnly });
      expect(podSpec(workload).securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    }
    // The standalone pod itself uses the same UID and fsGroup.
    const sts = Testing.synth(Chart.of(milvus)).find((o) => o.kind === 'StatefulSet');
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
  });

  test('without taints on Milvus, the backup pods tolerate nothing extra', () => {
    const { cronJob } = synth();
    expect(podSpec(cronJob).tolerations).toEqual([]);
  });

  test('credentials only as secretKeyRefs; the ConfigMap holds no credential', () => {
    const { cronJob, job, configMap, objects, restoreObjects } = synth({ topology: DISTRIBUTED }, {
      location: { bucket: BUCKET, region: 'cn-north-4', accessKeyId: SecretKeyRef.of('backup-keys', 'ak'), secretAccessKey: SecretKeyRef.of('backup-keys', 'sk') },
    });
    for (const [workload, tool] of [[cronJob, 'create'], [job, 'restore']] as const) {
      expect(envOf(named(workload, tool))).toMatchObject({
        MILVUS_PASSWORD: { name: 'memos-secrets', key: 'MILVUS_PASSWORD' },
        MILVUS_STORAGE_AUTH_ACCESS_KEY_ID: { name: 'memos-secrets', key: 'OBS_ACCESS_KEY_ID' },
        MILVUS_STORAGE_AUTH_SECRET_ACCESS_KEY: { name: 'memos-secrets', key: 'OBS_SECRET_ACCESS_KEY' },
        BACKUP_STORAGE_AUTH_ACCESS_KEY_ID: { name: 'backup-keys', key: 'ak' },
        BACKUP_STORAGE_AUTH_SECRET_ACCESS_KEY: { name: 'backup-keys', key: 'sk' },
        MILVUS_BACKUP_CONFIG: '/etc/milvus-backup/backup.yaml',
      });
    }
    expect(envOf(named(cronJob, 'complete')).RCLONE_CONFIG_OBS_SECRET_ACCESS_KEY).toEqual({ name: 'backup-keys', key: 'sk', optional: false });
    for (const c of [...containersInOrder(cronJob), ...containersInOrder(job)]) {
      for (const e of c.env ?? []) if (/PASSWORD|SECRET|ACCESS_KEY/.test(e.name)) expect([e.name, e.value]).toEqual([e.name, undefined]);
    }
    expect(configMap.data['backup.yaml']).not.toMatch(/accessKeyID|secretAccessKey|password/i);
    expect(policyViolations([...objects, ...restoreObjects])).toEqual([]);
    expect(validateManifests([...objects, ...restoreObjects])).toEqual([]);
  });

  test('local standalone: no Milvus storage keys in the environment; valid and policy-clean', () => {
    const { cronJob, objects, restoreObjects } = synth({}, {}, { taints: true });
    expect(envOf(named(cronJob, 'create'))).not.toHaveProperty('MILVUS_STORAGE_AUTH_ACCESS_KEY_ID');
    expect(policyViolations([...objects, ...restoreObjects])).toEqual([]);
    expect(validateManifests([...objects, ...restoreObjects])).toEqual([]);
  });

  test('network: the proxies admit the backup pods on 19530 and 9091, the other roles do not; OBS is left to the stack', () => {
    const { backup, milvus } = synth({ topology: DISTRIBUTED });
    expect(milvus.clientConnections.selector['app.kubernetes.io/component']).toBe('proxy');
    const rule = milvus.clientConnections._ingress.find((r) => r.peer === backup.connections);
    expect(rule?.ports.map((p) => p.port).sort()).toEqual([19530, 9091].sort());
    expect(milvus.connections._ingress.find((r) => r.peer === backup.connections)).toBeUndefined();
    expect(backup.connections._egress.find((r) => r.peer === milvus.clientConnections)?.ports.map((p) => p.port)).toEqual([19530, 9091]);
    // OBS egress is the stack's to add, with the CIDRs it knows (MemosStack.isolate).
    expect(backup.connections._external).toEqual([]);
  });

  test('a replica bucket gets its own remote and folder', () => {
    const { cronJob } = synth({}, { replica: { bucket: 'memos-backups-dr', region: 'cn-east-3' } });
    expect(envOf(named(cronJob, 'complete'))).toMatchObject({
      REPLICA_DEST: 'memos-backups-dr/memos/memos/milvus', RCLONE_CONFIG_REPLICA_ENDPOINT: 'https://obs.cn-east-3.myhuaweicloud.com',
    });
  });
});

describe('MilvusBackup: validation', () => {
  const make = (backupProps: Partial<MilvusBackupProps>, milvusProps: Partial<MilvusProps> = {}) => () => synth(milvusProps, backupProps);

  test('milvus must be the Milvus construct', () => {
    expect(make({ milvus: { instance: 'memos' } as any })).toThrow(/milvus.*in-cluster Milvus construct/s);
  });
  test('the image must be pinned', () => {
    expect(make({ image: 'milvusdb/milvus-backup:latest' })).toThrow(/image/);
    expect(make({ image: 'milvusdb/milvus-backup' })).toThrow(/image/);
  });
  test('schedule, time zone, retention and timeout are checked by the shared rules', () => {
    expect(make({ schedule: '61 2 * * *' })).toThrow(/schedule/);
    expect(make({ schedule: '* * * * *' })).toThrow(/schedule.*at least timeout/s);
    expect(make({ timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
    expect(make({ retentionDays: 0 })).toThrow(/retentionDays/);
    expect(make({ retentionDays: 1.5 })).toThrow(/retentionDays/);
    expect(make({ timeout: Duration.minutes(1) })).toThrow(/timeout/);
  });
  test('only the Standard storage class: milvus-backup writes the objects itself', () => {
    expect(make({ storageClass: ObsStorageClass.COLD })).toThrow(/storageClass.*STANDARD/s);
    expect(make({ storageClass: ObsStorageClass.WARM })).toThrow(/storageClass/);
    expect(make({ storageClass: ObsStorageClass.STANDARD })).not.toThrow();
  });
  test('locations are checked by the shared rules', () => {
    expect(make({ location: undefined as any })).toThrow(/location/);
    expect(make({ location: { bucket: 'Bad_Bucket', region: 'cn-north-4' } })).toThrow(/location.bucket/);
    expect(make({ location: { bucket: BUCKET, region: 'cn-north-4', prefix: '/abs' } })).toThrow(/location.prefix/);
    expect(make({ replica: { bucket: BUCKET, region: 'cn-north-4' } })).toThrow(/replica/);
    expect(make({ rcloneImage: 'rclone/rclone' })).toThrow(/rcloneImage/);
  });
  test('backups may not sit inside Milvus\'s own data in its bucket, nor contain it', () => {
    const milvusOnBackupBucket = { topology: MilvusTopology.distributed({ objectStorage: { ...OBS, bucket: BUCKET, rootPath: 'memos' }, kafka: { brokers: ['k:9092'] } }) };
    expect(make({ location: { bucket: BUCKET, region: 'cn-north-4', prefix: 'memos/backups' } }, milvusOnBackupBucket)).toThrow(/location.prefix.*outside Milvus/s);
    expect(make({ location: { bucket: BUCKET, region: 'cn-north-4', prefix: 'backups' } }, milvusOnBackupBucket)).not.toThrow();
  });
  test('a restore needs a backup id', () => {
    const { backup } = synth();
    const chart = new Chart(Testing.app(), 'r');
    expect(() => backup.restore(chart, 'R', 'backup_20261127T020000Z')).toThrow(/backupId/);
    expect(() => backup.restore(chart, 'R2', '2026-11-27')).toThrow(/backupId/);
  });
});

/*
 * The scripts, for real.
 */
const missing = missingBackupTools('milvus-backup.test.ts (the MilvusBackup scripts, run for real)');
const describeRuns = missing ? describe.skip : describe;

describeRuns('MilvusBackup scripts (busybox sh, stub milvus-backup, rclone against moto)', () => {
  let s3: S3Server;
  let bin: string;
  const DR = 'memos-backups-dr';
  const FOLDER = `${BUCKET}/memos/memos/milvus`;
  beforeAll(async () => {
    s3 = await startS3([BUCKET, DR]);
    bin = toolPath(temporaryFolder('milvus-backup-bin-'));
    // The stub: records its arguments; `create` writes a backup's objects as milvus-backup lays
    // them out (binlogs/, meta/backup_meta.json last); `get` and `restore` fail without the meta.
    fs.writeFileSync(path.join(bin, 'milvus-backup'), `#!${path.join(bin, 'sh')}
set -eu
printf '%s\\n' "$*" >> "$STUB_LOG"
cmd=$1; shift
name=''
while [ $# -gt 0 ]; do case "$1" in -n) name=$2; shift 2 ;; *) shift ;; esac; done
dir="obs:$STUB_DEST/$name"
has_meta() { rclone lsf "$dir/meta/backup_meta.json" 2>/dev/null | grep -q backup_meta.json; }
case "$cmd" in
  create)
    printf 'insert-binlog-of-%s' "$name" | rclone rcat "$dir/binlogs/insert_log/1/2/3/100/1"
    if [ -n "\${STUB_CREATE_FAIL:-}" ]; then echo "Error: create: execute task: flush failed" >&2; exit 1; fi
    printf 'delta' | rclone rcat "$dir/binlogs/delta_log/1/2/3/1"
    if [ -z "\${STUB_NO_META:-}" ]; then printf '{"name":"%s"}' "$name" | rclone rcat "$dir/meta/backup_meta.json"; fi ;;
  get) has_meta || { echo "Error: backup $name not found" >&2; exit 1; }; echo "{\\"name\\": \\"$name\\"}" ;;
  restore)
    has_meta || { echo "Error: backup $name not found" >&2; exit 1; }
    if [ -n "\${STUB_RESTORE_FAIL:-}" ]; then echo "Error: collection c1 already exists" >&2; exit 1; fi
    echo "restored $name" ;;
  *) echo "stub: unexpected command $cmd" >&2; exit 2 ;;
esac
`, { mode: 0o755 });
  }, 60_000);
  afterAll(async () => { await s3?.stop(); });

  interface Pod { state: string; config: string; log: string }
  function newPod(configMap: any): Pod {
    const dir = temporaryFolder('milvus-backup-pod-');
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    const config = path.join(dir, 'backup.yaml');
    fs.writeFileSync(config, configMap.data['backup.yaml']);
    return { state, config, log: path.join(dir, 'stub.log') };
  }
  function run(container: SpecContainer, pod: Pod, overrides: Record<string, string> = {}): Promise<RunResult> {
    return runContainer(container, {
      pathDir: bin,
      secrets: {
        'memos-secrets/MILVUS_PASSWORD': 'test-milvus-password', 'memos-secrets/OBS_ACCESS_KEY_ID': s3.accessKeyId, 'memos-secrets/OBS_SECRET_ACCESS_KEY': s3.secretAccessKey,
      },
      overrides: {
        PATH: bin, STATE: pod.state, MILVUS_BACKUP_CONFIG: pod.config, STUB_LOG: pod.log, STUB_DEST: FOLDER,
        ...rcloneEnv(s3, 'obs'), ...rcloneEnv(s3, 'replica'), ...overrides,
      },
    });
  }
  const stubCalls = (pod: Pod) => (fs.existsSync(pod.log) ? fs.readFileSync(pod.log, 'utf8').trim().split('\n') : []);
  const lsf = (folder: string) => s3.rclone(['lsf', `obs:${folder}/`]).trim().split('\n').filter(Boolean).sort();
  function seed(object: string, content: string): void {
    const file = path.join(temporaryFolder('milvus-backup-seed-'), 'f');
    fs.writeFileSync(file, content);
    s3.rclone(['copyto', file, `obs:${object}`]);
  }

  async function backUp(backupProps: Partial<MilvusBackupProps> = {}, overrides: Record<string, string> = {}) {
    const { cronJob, configMap } = synth({}, backupProps);
    const [create, complete] = containersInOrder(cronJob);
    const pod = newPod(configMap);
    const created = await run(create, pod, overrides);
    const id = fs.existsSync(path.join(pod.state, 'id')) ? fs.readFileSync(path.join(pod.state, 'id'), 'utf8').trim() : '';
    // The kubelet starts the main container only after the init container exited 0.
    const completed = created.code === 0 ? await run(complete, pod, overrides) : undefined;
    return { id, created, completed, pod, complete, cronJob };
  }

  test('a backup: create -n backup_<id> --rbac and get, then MANIFEST and COMPLETE; the restore runs restore --rebuild_index', async () => {
    const { id, created, completed, pod } = await backUp();
    if (created.code !== 0 || completed?.code !== 0) console.log(created, completed);
    expect(created.code).toBe(0);
    expect(completed).toMatchObject({ code: 0 });
    expect(id).toMatch(/^\d{8}T\d{6}Z$/);
    expect(stubCalls(pod)).toEqual([
      `create --config ${pod.config} -n backup_${id} --rbac`,
      `get --config ${pod.config} -n backup_${id}`,
    ]);
    const dir = `${FOLDER}/backup_${id}`;
    expect(s3.rclone(['lsf', '-R', '--files-only', `obs:${dir}/`]).trim().split('\n').sort()).toEqual([
      'COMPLETE', 'MANIFEST', 'binlogs/delta_log/1/2/3/1', 'binlogs/insert_log/1/2/3/100/1', 'meta/backup_meta.json']);
    const manifest = s3.rclone(['cat', `obs:${dir}/MANIFEST`]);
    expect(manifest).toBe([
      'binlogs/delta_log/1/2/3/1 5', `binlogs/insert_log/1/2/3/100/1 ${`insert-binlog-of-backup_${id}`.length}`, `meta/backup_meta.json ${`{"name":"backup_${id}"}`.length}`, ''].join('\n'));
    expect(s3.rclone(['cat', `obs:${dir}/COMPLETE`])).toMatch(new RegExp(`^id=${id}\nstore=milvus\nname=backup_${id}\nobjects=3\n`));
    expect(created.stdout + created.stderr + completed!.stdout + completed!.stderr).not.toContain('test-milvus-password');

    const result = await restoreWithId(id);
    if (result.restored?.code !== 0) console.log(result);
    expect(result.checked.code).toBe(0);
    expect(result.restored).toMatchObject({ code: 0 });
    expect(stubCalls(result.pod)).toEqual([
      `get --config ${result.pod.config} -n backup_${id}`,
      `restore --config ${result.pod.config} -n backup_${id} --rebuild_index`,
    ]);
  }, 120_000);

  /** A restore Job for any id (synth() always makes one for ID). */
  async function restoreWithId(backupId: string, overrides: Record<string, string> = {}) {
    const app = new App();
    const chart = new Chart(app, 'memos', { namespace: 'memos' });
    const milvus = new Milvus(chart, 'Milvus', { instance: 'memos', credentials: CREDENTIALS });
    const backup = new MilvusBackup(chart, 'Backup', { milvus, location: { bucket: BUCKET, region: 'cn-north-4' } });
    const restoreChart = new Chart(app, 'restore', { namespace: 'memos' });
    backup.restore(restoreChart, 'Restore', backupId);
    const job = restoreChart.toJson().find((o) => o.kind === 'Job');
    const configMap = chart.toJson().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'memos-milvus-backup');
    const [check, restoreStep] = containersInOrder(job);
    const pod = newPod(configMap);
    const checked = await run(check, pod, overrides);
    const restored = checked.code === 0 ? await run(restoreStep, pod, overrides) : undefined;
    return { checked, restored, pod, restoreStep };
  }

  test('a failed create leaves no id: the backup stays incomplete and nothing is sealed', async () => {
    const before = lsf(FOLDER);
    const { created, completed, id } = await backUp({}, { STUB_CREATE_FAIL: '1' });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toMatch(/milvus-backup create -n backup_\d{8}T\d{6}Z failed/);
    expect(id).toBe('');
    expect(completed).toBeUndefined();
    const added = lsf(FOLDER).filter((d) => !before.includes(d));
    expect(added).toHaveLength(1);
    expect(s3.rclone(['lsf', '-R', '--files-only', `obs:${FOLDER}/${added[0]}`]).trim()).toBe('binlogs/insert_log/1/2/3/100/1');
    // A restore of it fails in the check, before milvus-backup runs.
    const failed = await restoreWithId(added[0].replace(/^backup_|\/$/g, ''));
    expect(failed.checked.code).not.toBe(0);
    expect(failed.checked.stderr).toContain('is missing or incomplete');
    expect(failed.restored).toBeUndefined();
    expect(stubCalls(failed.pod)).toEqual([]);
  }, 120_000);

  test('without milvus-backup\'s meta the backup is not sealed', async () => {
    const { created, completed, id } = await backUp({}, { STUB_NO_META: '1' });
    // `get` fails on a backup without meta, so the create step already fails.
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('cannot read back the backup');
    expect(id).toBe('');
    expect(completed).toBeUndefined();
  }, 120_000);

  test('the complete step refuses a backup whose meta is missing (no COMPLETE written)', async () => {
    const { cronJob, configMap } = synth();
    const [, complete] = containersInOrder(cronJob);
    const pod = newPod(configMap);
    const id = '20261101T000000Z';
    seed(`${FOLDER}/backup_${id}/binlogs/insert_log/9/9/9/9/1`, 'x');
    fs.writeFileSync(path.join(pod.state, 'id'), `${id}\n`);
    const result = await run(complete, pod);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('has no meta/backup_meta.json');
    expect(lsf(`${FOLDER}/backup_${id}`)).toEqual(['binlogs/']);
    // And without an id at all.
    const empty = newPod(configMap);
    const none = await run(complete, empty);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('recorded no backup id');
  }, 60_000);

  test('pruning: older than retention goes (COMPLETE first), the newest complete backup always stays', async () => {
    const folder = `${BUCKET}/prune/milvus`;
    const complete = (id: string) => {
      seed(`${folder}/backup_${id}/meta/backup_meta.json`, '{}');
      seed(`${folder}/backup_${id}/COMPLETE`, `id=${id}\n`);
    };
    complete('20200101T000000Z');
    seed(`${folder}/backup_20200102T000000Z/binlogs/insert_log/1/1/1/1/1`, 'incomplete');
    complete('20200103T000000Z');
    seed(`${folder}/not-a-backup/x`, 'kept');
    const { cronJob, configMap } = synth({}, { location: { bucket: BUCKET, region: 'cn-north-4', prefix: 'prune' }, retentionDays: 30 });
    const [, completeStep] = containersInOrder(cronJob);
    // The run seals an old backup (as if the clock were far ahead): it is the newest complete one.
    const pod = newPod(configMap);
    seed(`${folder}/backup_20200104T000000Z/meta/backup_meta.json`, '{}');
    fs.writeFileSync(path.join(pod.state, 'id'), '20200104T000000Z\n');
    const result = await run(completeStep, pod, { STUB_DEST: folder });
    if (result.code !== 0) console.log(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('keeping 20200104T000000Z: the newest complete backup');
    expect(lsf(folder)).toEqual(['backup_20200104T000000Z/', 'not-a-backup/']);
    // A recent one is never pruned.
    const recent = newPod(configMap);
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    seed(`${folder}/backup_${now}/meta/backup_meta.json`, '{}');
    fs.writeFileSync(path.join(recent.state, 'id'), `${now}\n`);
    expect((await run(completeStep, recent)).code).toBe(0);
    expect(lsf(folder)).toEqual([`backup_${now}/`, 'not-a-backup/']);
  }, 120_000);

  test('a replica bucket gets the same objects, MANIFEST and COMPLETE', async () => {
    const { id, created, completed } = await backUp({ replica: { bucket: DR, region: 'cn-north-4' } });
    expect(created.code).toBe(0);
    if (completed?.code !== 0) console.log(completed);
    expect(completed).toMatchObject({ code: 0 });
    const primary = s3.rclone(['lsf', '-R', '--files-only', `obs:${FOLDER}/backup_${id}/`]);
    const copy = s3.rclone(['lsf', '-R', '--files-only', `obs:${DR}/memos/memos/milvus/backup_${id}/`]);
    expect(copy).toBe(primary);
    expect(s3.rclone(['cat', `obs:${DR}/memos/memos/milvus/backup_${id}/MANIFEST`])).toBe(s3.rclone(['cat', `obs:${FOLDER}/backup_${id}/MANIFEST`]));
  }, 120_000);

  describe('restores that fail before Milvus is touched', () => {
    let id: string;
    beforeAll(async () => {
      ({ id } = await backUp());
    }, 60_000);

    test('a missing backup: the check lists the complete ones', async () => {
      const result = await restoreWithId('20250101T000000Z');
      expect(result.checked.code).not.toBe(0);
      expect(result.checked.stderr).toContain('backup 20250101T000000Z of milvus is missing or incomplete');
      expect(result.checked.stderr).toContain(id);
      expect(stubCalls(result.pod)).toEqual([]);
    }, 60_000);

    test('an object gone since the backup (expired, half-pruned): the MANIFEST check fails', async () => {
      const victim = '20261001T000000Z';
      for (const object of ['binlogs/insert_log/1/2/3/100/1', 'meta/backup_meta.json']) seed(`${FOLDER}/backup_${victim}/${object}`, 'data');
      seed(`${FOLDER}/backup_${victim}/MANIFEST`, 'binlogs/insert_log/1/2/3/100/1 4\nbinlogs/insert_log/1/2/3/100/2 4\nmeta/backup_meta.json 4\n');
      seed(`${FOLDER}/backup_${victim}/COMPLETE`, `id=${victim}\n`);
      const result = await restoreWithId(victim);
      expect(result.checked.code).not.toBe(0);
      expect(result.checked.stderr).toContain('binlogs/insert_log/1/2/3/100/2 4');
      expect(result.checked.stderr).toContain('does not match its MANIFEST: nothing restored');
      expect(stubCalls(result.pod)).toEqual([]);
    }, 60_000);

    test('the restore step alone refuses an unverified backup', async () => {
      const { job, configMap } = synth();
      const [, restoreStep] = containersInOrder(job);
      const pod = newPod(configMap);
      const result = await run(restoreStep, pod);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('the backup was not verified: nothing restored');
      fs.writeFileSync(path.join(pod.state, 'verified'), '20200101T000000Z\n');
      const other = await run(restoreStep, pod);
      expect(other.stderr).toContain(`the verified backup is not ${ID}`);
      expect(stubCalls(pod)).toEqual([]);
    }, 60_000);

    test('milvus-backup failing the restore fails the Job loudly', async () => {
      const result = await restoreWithId(id, { STUB_RESTORE_FAIL: '1' });
      expect(result.checked.code).toBe(0);
      expect(result.restored!.code).not.toBe(0);
      expect(result.restored!.stderr).toContain('collection c1 already exists');
      expect(result.restored!.stderr).toContain(`milvus-backup restore -n backup_${id} failed`);
    }, 60_000);
  });
});
