import { createHash } from 'crypto';
import { Chart, Size, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { Milvus, MilvusKafka, MilvusLogFormat, MilvusLogLevel, MilvusObjectStorage, MilvusProps, MilvusTopology } from '../index';
import { Credentials } from '../src/credentials';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only } from './support/synth';

const OBS: MilvusObjectStorage = { bucket: 'memos-test-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' };
const KAFKA: MilvusKafka = { brokers: ['kafka-1.dms.example:9092'] };
const DISTRIBUTED = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA });
const ROLES = ['proxy', 'mixcoord', 'querynode', 'datanode', 'streamingnode'];

function synthMilvus(props: Partial<MilvusProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const milvus = new Milvus(chart, 'Milvus', { instance: 'memos', credentials: Credentials.fromSecret('memos-secrets'), ...props });
  return { milvus, objects: Testing.synth(chart) };
}
const podTemplates = (objects: any[]) => objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name.startsWith('memos-milvus-') && o.metadata.name !== 'memos-milvus-etcd');
const userYaml = (objects: any[]) => only(objects, 'ConfigMap', 'memos-milvus-config').data['user.yaml'];

describe('Milvus user.yaml', () => {
  const config = { queryNode: { segcore: { chunkRows: 256 } }, proxy: { maxTaskNum: 2048, accessLog: { enable: true } }, 'dataCoord.segment.maxSize': 1024 };

  test('no config, no log settings: no ConfigMap, no mount, no checksum (today\'s pods)', () => {
    for (const topology of [MilvusTopology.standalone(), DISTRIBUTED]) {
      const { objects, milvus } = synthMilvus({ topology });
      expect(milvus.userConfig).toBeUndefined();
      expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'memos-milvus-config')).toEqual([]);
      for (const w of podTemplates(objects)) {
        expect(w.spec.template.metadata.annotations?.['checksum/config']).toBeUndefined();
        expect(w.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath)).not.toContain('/milvus/configs/user.yaml');
      }
    }
    expect(synthMilvus({ config: {} }).milvus.userConfig).toBeUndefined();
  });

  test('config, logLevel and logFormat render one user.yaml, mounted in every distributed role with a checksum', () => {
    const { objects, milvus } = synthMilvus({ topology: DISTRIBUTED, config, logLevel: MilvusLogLevel.WARN, logFormat: MilvusLogFormat.JSON });
    expect(milvus.userConfig?.name).toBe('memos-milvus-config');
    const yaml = userYaml(objects);
    expect(YAML.parse(yaml)).toEqual({
      queryNode: { segcore: { chunkRows: 256 } },
      proxy: { maxTaskNum: 2048, accessLog: { enable: true } },
      dataCoord: { segment: { maxSize: 1024 } },
      log: { level: 'warn', format: 'json' },
    });
    const checksum = createHash('sha256').update(yaml).digest('hex');
    expect(podTemplates(objects).map((w) => w.metadata.name).sort()).toEqual(ROLES.map((c) => `memos-milvus-${c}`).sort());
    for (const w of podTemplates(objects)) {
      const pod = w.spec.template.spec;
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'milvus-config', mountPath: '/milvus/configs/user.yaml', subPath: 'user.yaml', readOnly: true });
      expect(pod.volumes).toContainEqual({ name: 'milvus-config', configMap: { name: 'memos-milvus-config' } });
      expect(w.spec.template.metadata.annotations['checksum/config']).toBe(checksum);
    }
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('standalone: mounted next to the embedded etcd config, both checksums', () => {
    const { objects } = synthMilvus({ logLevel: MilvusLogLevel.DEBUG });
    expect(YAML.parse(userYaml(objects))).toEqual({ log: { level: 'debug' } });
    const sts = only(objects, 'StatefulSet', 'memos-milvus-standalone');
    expect(sts.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/milvus/configs/user.yaml', '/milvus/configs/embed-etcd']));
    expect(Object.keys(sts.spec.template.metadata.annotations).sort()).toEqual(['checksum/config', 'checksum/embed-etcd']);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('logFormat alone; a config change changes the checksum (pods roll)', () => {
    expect(YAML.parse(userYaml(synthMilvus({ logFormat: MilvusLogFormat.TEXT }).objects))).toEqual({ log: { format: 'text' } });
    const checksum = (c: Record<string, any>) => only(synthMilvus({ config: c }).objects, 'StatefulSet').spec.template.metadata.annotations['checksum/config'];
    expect(checksum({ proxy: { maxTaskNum: 1 } })).not.toBe(checksum({ proxy: { maxTaskNum: 2 } }));
    expect(checksum({ a: 1, b: 2 })).toBe(checksum({ b: 2, a: 1 }));
  });

  test('strings, lists, null and awkward keys stay YAML', () => {
    const c = { autoIndex: { params: { build: '{"M": 18, "index_type": "HNSW"}' } }, common: { preCreatedTopic: { names: ['t1', 't2'] } }, trace: { otlp: { endpoint: null } }, queryNode: { 'weird key': 'a: b # c' } };
    expect(YAML.parse(userYaml(synthMilvus({ config: c }).objects))).toEqual(c);
  });

  const managed: [string, Record<string, any>, RegExp][] = [
    ['etcd.endpoints', { etcd: { endpoints: 'x:2379' } }, /Milvus 'test\/Milvus': invalid config.etcd.endpoints "x:2379"; allowed: nothing here: managed by the construct; use topology/],
    ['a dotted etcd.endpoints key', { 'etcd.endpoints': 'x:2379' }, /invalid config.etcd.endpoints "x:2379"; allowed: nothing here: managed by the construct; use topology/],
    ['a differently cased key', { ETCD: { Endpoints: 'x' } }, /invalid config.ETCD.Endpoints "x"; allowed: nothing here: managed by the construct; use topology/],
    ['the etcd section as a value', { etcd: 'x' }, /invalid config.etcd "x"; allowed: nothing here: managed by the construct/],
    ['etcd.use.embed', { etcd: { use: { embed: false } } }, /invalid config.etcd.use.embed false; allowed: nothing here: managed by the construct; use topology/],
    ['minio.bucketName', { minio: { bucketName: 'b' } }, /invalid config.minio.bucketName "b"; allowed: nothing here: managed by the construct; use topology.objectStorage.bucket/],
    ['minio.address', { minio: { address: 'h' } }, /invalid config.minio.address "h"; allowed: .*use topology.objectStorage.endpoint/],
    ['common.storageType', { common: { storageType: 'local' } }, /invalid config.common.storageType "local"; allowed: .*use topology.objectStorage/],
    ['mq.type', { mq: { type: 'pulsar' } }, /invalid config.mq.type "pulsar"; allowed: nothing here: managed by the construct; use topology/],
    ['kafka.brokerList', { kafka: { brokerList: 'k:9092' } }, /invalid config.kafka.brokerList "k:9092"; allowed: .*use topology.kafka.brokers/],
    ['woodpecker.storage.type', { woodpecker: { storage: { type: 'minio' } } }, /invalid config.woodpecker.storage.type "minio"; allowed: .*use topology/],
    ['common.security.authorizationEnabled', { common: { security: { authorizationEnabled: false } } }, /invalid config.common.security.authorizationEnabled false; allowed: .*authentication is always on/],
    ['mixCoord.enableActiveStandby', { mixCoord: { enableActiveStandby: false } }, /invalid config.mixCoord.enableActiveStandby false; allowed: .*use topology.mixCoord/],
    ['proxy.port', { proxy: { port: 19531 } }, /invalid config.proxy.port 19531; allowed: .*19530/],
    ['common.metricsPort', { common: { metricsPort: 9092 } }, /invalid config.common.metricsPort 9092; allowed: .*9091/],
    ['streamingNode.port', { streamingNode: { port: 1 } }, /invalid config.streamingNode.port 1; allowed: .*22222/],
    ['localStorage.path', { localStorage: { path: '/data' } }, /invalid config.localStorage.path "\/data"; allowed: .*\/var\/lib\/milvus/],
    ['log.level', { log: { level: 'debug' } }, /invalid config.log.level "debug"; allowed: nothing here: managed by the construct; use logLevel/],
    ['log.format', { log: { format: 'json' } }, /invalid config.log.format "json"; allowed: .*use logFormat/],
  ];
  test.each(managed)('refuses the managed key %s, naming the prop to use', (_name, c, message) => {
    expect(() => synthMilvus({ topology: DISTRIBUTED, config: c })).toThrow(message);
  });

  const credentials: [string, Record<string, any>, string][] = [
    ['minio.secretAccessKey', { minio: { secretAccessKey: 'S3CR3T-VALUE' } }, 'config.minio.secretAccessKey'],
    ['minio.accessKeyID', { minio: { accessKeyID: 'S3CR3T-VALUE' } }, 'config.minio.accessKeyID'],
    ['kafka.saslPassword', { kafka: { saslPassword: 'S3CR3T-VALUE' } }, 'config.kafka.saslPassword'],
    ['common.security.defaultRootPassword', { common: { security: { defaultRootPassword: 'S3CR3T-VALUE' } } }, 'config.common.security.defaultRootPassword'],
    ['etcd.auth.password', { etcd: { auth: { password: 'S3CR3T-VALUE' } } }, 'config.etcd.auth.password'],
    ['a sasl section', { pulsar: { sasl: { x: 'S3CR3T-VALUE' } } }, 'config.pulsar.sasl.x'],
    ['a secret_key', { tls: { secret_key: 'S3CR3T-VALUE' } }, 'config.tls.secret_key'],
  ];
  test.each(credentials)('refuses the credential %s without echoing it', (_name, c, property) => {
    let message = '';
    try {
      synthMilvus({ config: c });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`invalid ${property} "(hidden)"; allowed: no credential in config`);
    expect(message).toContain('credentials come only from Secrets');
    expect(message).not.toContain('S3CR3T-VALUE');
  });

  const invalid: [string, Partial<MilvusProps>, RegExp][] = [
    ['a config that is a list', { config: [1] as never }, /invalid config \[1\]; allowed: a map of milvus.yaml sections/],
    ['a config that is a string', { config: 'log: x' as never }, /invalid config "log: x"; allowed: a map of milvus.yaml sections/],
    ['a Size as a value', { config: { queryNode: { cache: Size.gibibytes(1) } } }, /invalid config.queryNode.cache .*; allowed: a string, finite number, boolean, null, list of those or nested map/],
    ['a function as a value', { config: { proxy: { f: () => 1 } } }, /invalid config.proxy.f .*; allowed: a string, finite number, boolean/],
    ['NaN', { config: { proxy: { maxTaskNum: NaN } } }, /invalid config.proxy.maxTaskNum .*; allowed: a string, finite number/],
    ['an empty key segment', { config: { 'proxy..maxTaskNum': 1 } }, /invalid config.proxy..maxTaskNum 1; allowed: non-empty key segments/],
    ['an unknown log level', { logLevel: 'trace' as never }, /Milvus 'test\/Milvus': invalid logLevel "trace"; allowed: debug, info, warn, error/],
    ['an unknown log format', { logFormat: 'xml' as never }, /Milvus 'test\/Milvus': invalid logFormat "xml"; allowed: text, json/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMilvus(props)).toThrow(message);
  });
});
