import { Chart, Size, Testing } from 'cdk8s';
import { RedisServer, RedisServerProps } from '../constructs/redis-server';
import { EvsDiskType, EvsStorageClass } from '../src/cce';
import { Credentials } from '../src/credentials';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only } from './support/synth';

const credentials = Credentials.fromSecret('memos-secrets');

function synthRedis(props: Partial<RedisServerProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  new RedisServer(chart, 'Redis', { instance: 'memos', credentials, ...props });
  return Testing.synth(chart);
}

describe('RedisServer', () => {
  test('a hardened single-pod StatefulSet with a client Service at the host MemOS uses', () => {
    const objects = synthRedis();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/memos-redis', 'Service/memos-redis-headless', 'StatefulSet/memos-redis']);
    expect(only(objects, 'Service', 'memos-redis').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] });
    const sts = only(objects, 'StatefulSet');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe('memos-redis-headless');
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(pod.containers[0].image).toBe('docker.io/library/redis:7.2.7-alpine');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('persists to an SSD EVS disk on csi-disk-topology, with AOF and noeviction', () => {
    const sts = only(synthRedis(), 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', labels: expect.objectContaining({ 'app.kubernetes.io/name': 'redis' }), annotations: { 'everest.io/disk-volume-type': 'SSD' } },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'csi-disk-topology', resources: { requests: { storage: '10Gi' } } },
    }]);
    const redis = sts.spec.template.spec.containers[0];
    expect(redis.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(redis.command[2]).toContain('--appendonly yes --appendfsync everysec --maxmemory 768mb --maxmemory-policy noeviction');
  });

  test('password from the MemOS Secret, required; probes on PING and the port', () => {
    const redis = only(synthRedis(), 'StatefulSet').spec.template.spec.containers[0];
    expect(redis.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MEMSCHEDULER_REDIS_PASSWORD', optional: false } } }]);
    expect(redis.readinessProbe.exec.command).toEqual(['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping | grep -q PONG']);
    expect(redis.startupProbe.failureThreshold).toBe(60);
    expect(redis.livenessProbe.tcpSocket).toEqual({ port: 6379 });
  });

  test('memory, storage and image are props', () => {
    const sts = only(synthRedis({ memory: Size.gibibytes(8), storage: { size: Size.gibibytes(50), diskType: EvsDiskType.ESSD }, image: 'swr.cn-north-4.myhuaweicloud.com/mirror/redis:7.2.7-alpine' }), 'StatefulSet');
    const redis = sts.spec.template.spec.containers[0];
    expect(redis.resources).toEqual({ requests: { cpu: '250m', memory: '8192Mi' }, limits: { cpu: '1', memory: '8192Mi' } });
    expect(redis.command[2]).toContain('--maxmemory 6144mb');
    expect(redis.image).toBe('swr.cn-north-4.myhuaweicloud.com/mirror/redis:7.2.7-alpine');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(sts.spec.volumeClaimTemplates[0].metadata.annotations['everest.io/disk-volume-type']).toBe('ESSD');
  });

  const invalid: [string, Partial<RedisServerProps>, RegExp][] = [
    ['too little memory', { memory: Size.mebibytes(128) }, /RedisServer 'test\/Redis': invalid memory "128Mi"; allowed: a whole number of MiB from 256Mi to 64Gi/],
    ['an unknown disk type', { storage: { diskType: 'NVME' as never } }, /invalid storage.diskType "NVME"; allowed: SSD, GPSSD, ESSD, GPSSD2, SAS, SATA/],
    ['storage below 1Gi', { storage: { size: Size.mebibytes(512) } }, /invalid storage.size "512Mi"; allowed: a whole number of GiB from 1Gi to 32768Gi/],
    ['an unknown storage class', { storage: { storageClass: 'csi-nas' as never } }, /invalid storage.storageClass "csi-nas"; allowed: csi-disk-topology, csi-disk/],
    ['csi-disk without a zone', { storage: { storageClass: EvsStorageClass.CSI_DISK, region: 'cn-north-4' } }, /invalid storage.zone \(missing\)/],
    ['a zone with csi-disk-topology', { storage: { zone: 'cn-north-4a' } }, /invalid storage.zone "cn-north-4a"; allowed: no region or zone with 'csi-disk-topology'/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthRedis(props)).toThrow(message);
  });

  test('rejects credentials that are not a Credentials reference', () => {
    expect(() => synthRedis({ credentials: 'memos-secrets' as never })).toThrow(/RedisServer 'test\/Redis': invalid credentials "memos-secrets"; allowed: Credentials.fromSecret/);
  });

  test('stands alone with credentials only, and exposes what a client needs', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const redis = new RedisServer(chart, 'Redis', { instance: 'queue', credentials: Credentials.fromSecret('redis-auth', { keys: { MEMSCHEDULER_REDIS_PASSWORD: 'password' } }) });
    expect([redis.host, redis.port]).toEqual(['queue-redis', 6379]);
    expect([redis.password.secretName, redis.password.key]).toEqual(['redis-auth', 'password']);
    expect(redis.headlessService.name).toBe('queue-redis-headless');
    const objects = Testing.synth(chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/queue-redis', 'Service/queue-redis-headless', 'StatefulSet/queue-redis']);
    expect(only(objects, 'StatefulSet').spec.template.spec.containers[0].env).toEqual([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password', optional: false } } },
    ]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('csi-disk claims carry the region and zone labels', () => {
    const claim = only(synthRedis({ storage: { storageClass: EvsStorageClass.CSI_DISK, region: 'cn-north-4', zone: 'cn-north-4a' } }), 'StatefulSet').spec.volumeClaimTemplates[0];
    expect(claim.metadata.labels).toMatchObject({ 'failure-domain.beta.kubernetes.io/region': 'cn-north-4', 'failure-domain.beta.kubernetes.io/zone': 'cn-north-4a' });
    expect(claim.spec.storageClassName).toBe('csi-disk');
  });
});
