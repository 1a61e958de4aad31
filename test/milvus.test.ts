import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { EtcdCluster } from '../constructs/etcd-cluster';
import { MemosConfig } from '../constructs/memos-config';
import { Milvus, MilvusProps } from '../constructs/milvus';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { CLUSTER_SERVICES, container, only, synthChart } from './support/synth';

function synthMilvus(props: Partial<MilvusProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const config = new MemosConfig(chart, 'Config', { instance: 'memos', milvus: { uri: 'http://memos-milvus:19530' } });
  const milvus = new Milvus(chart, 'Milvus', { instance: 'memos', config, ...props });
  const objects = Testing.synth(chart).filter((o) => o.kind !== 'ConfigMap');
  return { milvus, objects };
}
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
const DISTRIBUTED = { mode: 'distributed', ...CLUSTER_SERVICES.milvus } as const;

describe('Milvus standalone', () => {
  test('one StatefulSet with a volume template, no etcd or MinIO pods; valid and policy-clean', () => {
    const { objects, milvus } = synthMilvus();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/memos-milvus', 'Service/memos-milvus-standalone-headless', 'StatefulSet/memos-milvus-standalone',
      'PodDisruptionBudget/memos-milvus-standalone', 'Service/memos-milvus-metrics', 'ServiceMonitor/memos-memos-milvus',
    ]);
    const sts = only(objects, 'StatefulSet');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({ metadata: { name: 'milvus-data' }, spec: { storageClassName: 'csi-disk-topology', resources: { requests: { storage: '200Gi' } } } });
    expect(container(sts, 'standalone').volumeMounts).toContainEqual({ name: 'milvus-data', mountPath: '/var/lib/milvus' });
    expect(milvus.uri).toBe('http://memos-milvus:19530');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('milvus run standalone with embedded etcd, local storage, Woodpecker on the local volume, authentication on', () => {
    const main = container(only(synthMilvus().objects, 'StatefulSet'), 'standalone');
    expect(main.command).toEqual(['milvus', 'run', 'standalone']);
    expect(main.image).toBe('docker.io/milvusdb/milvus:v2.6.15');
    expect(envOf(main)).toEqual({
      COMMON_SECURITY_AUTHORIZATIONENABLED: 'true',
      COMMON_SECURITY_DEFAULTROOTPASSWORD: { name: 'memos-secrets', key: 'MILVUS_PASSWORD', optional: false },
      COMMON_STORAGETYPE: 'local',
      ETCD_USE_EMBED: 'true',
      ETCD_DATA_DIR: '/var/lib/milvus/etcd',
      MQ_TYPE: 'woodpecker',
      WOODPECKER_STORAGE_TYPE: 'local',
    });
  });

  test('non-root on a read-only root, probes on 9091, no service links', () => {
    const sts = only(synthMilvus().objects, 'StatefulSet');
    const pod = sts.spec.template.spec;
    const main = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(main.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 9091, scheme: 'HTTP' });
    expect(main.startupProbe.httpGet.path).toBe('/healthz');
    expect(main.livenessProbe.tcpSocket).toEqual({ port: 9091 });
    expect(pod.enableServiceLinks).toBe(false);
    expect(main.ports).toEqual([{ containerPort: 19530, name: 'milvus' }, { containerPort: 9091, name: 'metrics' }]);
  });

  test('OBS by prop: S3 settings in env, credentials from the Secret', () => {
    const main = container(only(synthMilvus({ objectStorage: { bucket: 'memos-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4', rootPath: 'prod' } }).objects, 'StatefulSet'), 'standalone');
    expect(envOf(main)).toMatchObject({
      COMMON_STORAGETYPE: 'remote', MINIO_ADDRESS: 'obs.cn-north-4.myhuaweicloud.com', MINIO_PORT: '443', MINIO_USESSL: 'true',
      MINIO_BUCKETNAME: 'memos-milvus', MINIO_ROOTPATH: 'prod', MINIO_REGION: 'cn-north-4', MINIO_USEVIRTUALHOST: 'true',
      MINIO_ACCESSKEYID: { name: 'memos-secrets', key: 'OBS_ACCESS_KEY_ID', optional: false },
      MINIO_SECRETACCESSKEY: { name: 'memos-secrets', key: 'OBS_SECRET_ACCESS_KEY', optional: false },
      MQ_TYPE: 'woodpecker', WOODPECKER_STORAGE_TYPE: 'local',
    });
  });

  test('a ServiceMonitor on 9091 labelled by component', () => {
    const monitor = only(synthMilvus().objects, 'ServiceMonitor');
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
  });
});

describe('Milvus distributed', () => {
  const { objects } = synthMilvus({ ...DISTRIBUTED, queryNodes: 3, resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) } });

  test('the 2.6 components with HA replica counts, a 3-member etcd; valid and policy-clean', () => {
    const replicas = Object.fromEntries(objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)).map((o) => [o.metadata.name, o.spec.replicas]));
    expect(replicas).toEqual({
      'memos-milvus-etcd': 3,
      'memos-milvus-proxy': 2, 'memos-milvus-mixcoord': 2, 'memos-milvus-querynode': 3, 'memos-milvus-datanode': 2, 'memos-milvus-streamingnode': 2,
    });
    expect(only(objects, 'Deployment', 'memos-milvus-mixcoord').spec.template.spec.containers[0].command).toEqual(['milvus', 'run', 'mixture', '-rootcoord', '-querycoord', '-datacoord', '-indexcoord']);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('every component: OBS, Kafka, etcd endpoints, active-standby coordinators', () => {
    const env = envOf(only(objects, 'Deployment', 'memos-milvus-querynode').spec.template.spec.containers[0]);
    expect(env).toMatchObject({
      COMMON_STORAGETYPE: 'remote', MQ_TYPE: 'kafka', KAFKA_BROKERLIST: 'kafka-1.dms.example:9092',
      ETCD_ENDPOINTS: [0, 1, 2].map((i) => `memos-milvus-etcd-${i}.memos-milvus-etcd-headless:2379`).join(','),
      MIXCOORD_ENABLEACTIVESTANDBY: 'true',
    });
    expect(env.ETCD_USE_EMBED).toBeUndefined();
  });

  test('clients reach the proxies; each component has a PDB, anti-affinity and zone spread', () => {
    expect(only(objects, 'Service', 'memos-milvus').spec.selector).toMatchObject({ 'app.kubernetes.io/component': 'proxy' });
    for (const component of ['proxy', 'mixcoord', 'querynode', 'datanode', 'streamingnode']) {
      const d = only(objects, 'Deployment', `memos-milvus-${component}`);
      expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
      expect(d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
      expect(d.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
      expect(only(objects, 'PodDisruptionBudget', `memos-milvus-${component}`).spec.maxUnavailable).toBe(1);
    }
    expect(only(objects, 'Deployment', 'memos-milvus-querynode').spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '6', memory: '24576Mi' });
  });

  test('Kafka with SASL: user in env, password from the Secret', () => {
    const { objects: sasl } = synthMilvus({ ...DISTRIBUTED, kafka: { brokers: ['k1:9093'], saslUser: 'memos' } });
    expect(envOf(only(sasl, 'Deployment', 'memos-milvus-proxy').spec.template.spec.containers[0])).toMatchObject({
      KAFKA_SASLUSERNAME: 'memos', KAFKA_SASLPASSWORD: { name: 'memos-secrets', key: 'KAFKA_SASL_PASSWORD', optional: false }, KAFKA_SECURITYPROTOCOL: 'SASL_SSL',
    });
  });

  const invalid: [string, Partial<MilvusProps>, RegExp][] = [
    ['distributed without OBS', { mode: 'distributed', kafka: CLUSTER_SERVICES.milvus.kafka }, /Milvus 'test\/Milvus': invalid objectStorage \(missing\); allowed: OBS bucket, endpoint and region/],
    ['distributed without Kafka', { mode: 'distributed', objectStorage: CLUSTER_SERVICES.milvus.objectStorage }, /invalid kafka \(missing\); allowed: Kafka brokers \(Huawei DMS for Kafka\): Woodpecker does not support OBS/],
    ['Kafka in standalone mode', { kafka: { brokers: ['k:9092'] } }, /invalid kafka \["k:9092"\]; allowed: nothing in standalone mode/],
    ['query nodes in standalone mode', { queryNodes: 3 }, /invalid queryNodes 3; allowed: nothing in standalone mode/],
    ['a volume when distributed', { ...DISTRIBUTED, storage: { size: Size.gibibytes(10) } }, /invalid storage .*; allowed: nothing when distributed: data lives in OBS/],
    ['a bad bucket', { objectStorage: { bucket: 'Memos_Bucket', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' } }, /invalid objectStorage.bucket "Memos_Bucket"/],
    ['an endpoint with a scheme', { objectStorage: { bucket: 'memos', endpoint: 'https://obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' } }, /invalid objectStorage.endpoint "https:\/\/obs.cn-north-4.myhuaweicloud.com"; allowed: a host name/],
    ['bad brokers', { mode: 'distributed', objectStorage: CLUSTER_SERVICES.milvus.objectStorage, kafka: { brokers: ['kafka'] } }, /invalid kafka.brokers \["kafka"\]; allowed: one or more host:port broker addresses/],
    ['an unknown mode', { mode: 'cluster' as never }, /invalid mode "cluster"; allowed: standalone, distributed/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMilvus(props)).toThrow(message);
  });
});

describe('EtcdCluster', () => {
  function synthEtcd(members?: number) {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    new EtcdCluster(chart, 'Etcd', { name: 'memos-milvus-etcd', instance: 'memos', members });
    return Testing.synth(chart);
  }

  test('members bootstrap statically by DNS name with Milvus tuning, on EVS, hardened', () => {
    const objects = synthEtcd();
    const sts = only(objects, 'StatefulSet');
    const env = envOf(sts.spec.template.spec.containers[0]);
    expect(env).toMatchObject({
      ETCD_NAME: '$(POD_NAME)',
      ETCD_INITIAL_CLUSTER: [0, 1, 2].map((i) => `memos-milvus-etcd-${i}=http://memos-milvus-etcd-${i}.memos-milvus-etcd-headless:2380`).join(','),
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://$(POD_NAME).memos-milvus-etcd-headless:2380',
      ETCD_ADVERTISE_CLIENT_URLS: 'http://$(POD_NAME).memos-milvus-etcd-headless:2379',
      ETCD_QUOTA_BACKEND_BYTES: '4294967296', ETCD_AUTO_COMPACTION_MODE: 'revision', ETCD_AUTO_COMPACTION_RETENTION: '1000',
      ETCD_HEARTBEAT_INTERVAL: '500', ETCD_ELECTION_TIMEOUT: '2500',
    });
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(only(objects, 'Service').spec.publishNotReadyAddresses).toBe(true);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('rejects an even member count', () => {
    expect(() => synthEtcd(2)).toThrow(/EtcdCluster 'test\/Etcd': invalid members 2; allowed: an odd number/);
  });
});

describe('Milvus in MemosChart', () => {
  test('MemOS gets MILVUS_URI and user in the ConfigMap, the password from the Secret; no credentials in ConfigMaps', () => {
    const objects = synthChart({ size: 'small' });
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(data).toMatchObject({ MILVUS_URI: 'http://memos-milvus:19530', MILVUS_USER_NAME: 'root' });
    expect(container(only(objects, 'Deployment', 'memos-api'), 'memos-api').env).toContainEqual({ name: 'MILVUS_PASSWORD', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'MILVUS_PASSWORD', optional: false } } });
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) expect(JSON.stringify(cm.data)).not.toMatch(/PASSWORD|SECRET|ACCESS_?KEY/i);
  });

  test('milvus: false leaves Milvus out and MemOS without MILVUS_*', () => {
    const objects = synthChart({ size: 'small', milvus: false });
    expect(objects.filter((o) => o.metadata.name.includes('milvus'))).toEqual([]);
    expect(Object.keys(only(objects, 'ConfigMap', 'memos-config').data).filter((k) => k.startsWith('MILVUS'))).toEqual([]);
  });

  test('medium and large go distributed with the preset query nodes; medium without OBS fails with the reason', () => {
    const medium = synthChart({ size: 'medium', ...CLUSTER_SERVICES });
    expect(only(medium, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(3);
    expect(() => synthChart({ size: 'medium', neo4j: CLUSTER_SERVICES.neo4j })).toThrow(/Milvus 'test\/Milvus': invalid objectStorage \(missing\)/);
  });
});
