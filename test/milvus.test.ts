import { Chart, Size, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import * as kplus from 'cdk8s-plus-28';
import { MemosSize, MilvusDeployment } from '../index';
import { EtcdCluster, EtcdClusterProps } from '../constructs/etcd-cluster';
import { Milvus, MilvusKafka, MilvusMode, MilvusObjectStorage, MilvusPorts, MilvusProps, MilvusTopology } from '../index';
import { EvsStorageClass } from '../src/cce';
import { Credentials } from '../src/credentials';
import { ZoneSpread } from '../src/kubernetes';
import { expectNoCredentialsInConfigMaps, policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { container, only, servicesFor, synthChart } from './support/synth';

const CREDENTIALS = Credentials.fromSecret('memos-secrets');
const OBS: MilvusObjectStorage = { bucket: 'memos-test-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' };
const KAFKA: MilvusKafka = { brokers: ['kafka-1.dms.example:9092'] };
const DISTRIBUTED = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA });

function synthMilvus(props: Partial<MilvusProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const milvus = new Milvus(chart, 'Milvus', { instance: 'memos', credentials: CREDENTIALS, ...props });
  const objects = Testing.synth(chart);
  return { milvus, objects };
}
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));

describe('Milvus standalone', () => {
  test('one StatefulSet with a volume template, no etcd or MinIO pods; valid and policy-clean', () => {
    const { objects, milvus } = synthMilvus();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/memos-milvus', 'ConfigMap/memos-milvus-embed-etcd', 'Service/memos-milvus-standalone-headless', 'StatefulSet/memos-milvus-standalone',
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

  test('synthesizes alone in a plain Chart with only credentials and placement', () => {
    const chart = new Chart(Testing.app(), 'alone', { namespace: 'vectors' });
    new Milvus(chart, 'Milvus', { instance: 'pref', credentials: Credentials.fromSecret('pref-secrets'), zoneSpread: ZoneSpread.PREFERRED, imagePullSecrets: ['my-pull'] });
    const objects = Testing.synth(chart);
    const pod = only(objects, 'StatefulSet', 'pref-milvus-standalone').spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'my-pull' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(envOf(pod.containers[0]).COMMON_SECURITY_DEFAULTROOTPASSWORD).toEqual({ name: 'pref-secrets', key: 'MILVUS_PASSWORD', optional: false });
    expect(only(objects, 'ServiceMonitor').metadata.name).toBe('vectors-pref-milvus');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('exposes what a client needs and the children to patch', () => {
    const { milvus } = synthMilvus();
    expect(milvus.host).toBe('memos-milvus');
    expect(milvus.port).toBe(19530);
    expect(milvus.port).toBe(MilvusPorts.GRPC);
    expect(milvus.uri).toBe(`http://${milvus.host}:${milvus.port}`);
    expect(milvus.user).toBe('root');
    expect(milvus.password.secretName).toBe('memos-secrets');
    expect(milvus.password.key).toBe('MILVUS_PASSWORD');
    expect(milvus.mode).toBe(MilvusMode.STANDALONE);
    expect(Object.keys(milvus.workloads)).toEqual(['standalone']);
    expect(milvus.workloads.standalone).toBeInstanceOf(kplus.StatefulSet);
    expect(Object.keys(milvus.disruptionBudgets)).toEqual(['standalone']);
    expect(milvus.disruptionBudgets.standalone.name).toBe('memos-milvus-standalone');
    expect(milvus.service.name).toBe('memos-milvus');
    expect(milvus.headlessService?.name).toBe('memos-milvus-standalone-headless');
    expect(milvus.metricsService.name).toBe('memos-milvus-metrics');
    expect(milvus.serviceMonitor.name).toBe('memos-memos-milvus');
    expect(milvus.etcd).toBeUndefined();
    expect(Milvus.DEFAULT_IMAGE).toBe('docker.io/milvusdb/milvus:v2.6.15');
  });

  test('the password key follows the credentials key override', () => {
    const { milvus, objects } = synthMilvus({ credentials: Credentials.fromSecret('vault', { keys: { MILVUS_PASSWORD: 'milvus-root' } }) });
    expect(milvus.password.secretName).toBe('vault');
    expect(milvus.password.key).toBe('milvus-root');
    expect(envOf(container(only(objects, 'StatefulSet'), 'standalone')).COMMON_SECURITY_DEFAULTROOTPASSWORD).toEqual({ name: 'vault', key: 'milvus-root', optional: false });
  });

  test('milvus run standalone with embedded etcd, local storage, Woodpecker on the local volume, authentication on', () => {
    const main = container(only(synthMilvus().objects, 'StatefulSet'), 'standalone');
    expect(main.args).toEqual(['milvus', 'run', 'standalone']);
    expect(main.command).toBeUndefined();
    expect(main.image).toBe('docker.io/milvusdb/milvus:v2.6.15');
    expect(envOf(main)).toEqual({
      COMMON_SECURITY_AUTHORIZATIONENABLED: 'true',
      COMMON_SECURITY_DEFAULTROOTPASSWORD: { name: 'memos-secrets', key: 'MILVUS_PASSWORD', optional: false },
      COMMON_STORAGETYPE: 'local',
      ETCD_USE_EMBED: 'true',
      ETCD_DATA_DIR: '/var/lib/milvus/etcd',
      ETCD_CONFIG_PATH: '/milvus/configs/embed-etcd/embedEtcd.yaml',
      MQ_TYPE: 'woodpecker',
      WOODPECKER_STORAGE_TYPE: 'local',
    });
  });

  test('non-root on a read-only root, probes on 9091, no service links', () => {
    const sts = only(synthMilvus().objects, 'StatefulSet');
    const pod = sts.spec.template.spec;
    const main = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 0, fsGroup: 1000, runAsNonRoot: true });
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(main.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 9091, scheme: 'HTTP' });
    expect(main.startupProbe.httpGet.path).toBe('/healthz');
    expect(main.livenessProbe.tcpSocket).toEqual({ port: 9091 });
    expect(pod.enableServiceLinks).toBe(false);
    expect(main.ports).toEqual([{ containerPort: 19530, name: 'milvus' }, { containerPort: 9091, name: 'metrics' }]);
  });

  test('the embedded etcd gets upstream\'s embedEtcd.yaml (compaction, 4 GiB quota) read-only from a ConfigMap; data stays on the volume', () => {
    const { objects, milvus } = synthMilvus();
    const config = only(objects, 'ConfigMap', 'memos-milvus-embed-etcd');
    expect(milvus.embeddedEtcdConfig?.name).toBe('memos-milvus-embed-etcd');
    expect(Object.keys(config.data)).toEqual(['embedEtcd.yaml']);
    // milvus scripts/standalone_embed.sh run_embed(); listening on localhost only (etcd's default) instead of 0.0.0.0.
    expect(YAML.parse(config.data['embedEtcd.yaml'])).toEqual({
      'listen-client-urls': 'http://localhost:2379',
      'advertise-client-urls': 'http://localhost:2379',
      'quota-backend-bytes': 4294967296,
      'auto-compaction-mode': 'revision',
      'auto-compaction-retention': '1000',
    });
    const sts = only(objects, 'StatefulSet');
    const pod = sts.spec.template.spec;
    const main = container(sts, 'standalone');
    const mount = main.volumeMounts.find((m: any) => m.mountPath === '/milvus/configs/embed-etcd');
    expect(mount).toEqual({ name: 'embed-etcd', mountPath: '/milvus/configs/embed-etcd', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'embed-etcd', configMap: { name: 'memos-milvus-embed-etcd' } });
    expect(envOf(main).ETCD_CONFIG_PATH).toBe(`${mount.mountPath}/embedEtcd.yaml`);
    expect(envOf(main).ETCD_DATA_DIR).toBe('/var/lib/milvus/etcd');
    expect(sts.spec.template.metadata.annotations['checksum/embed-etcd']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('runs as UID 1000 with GID 0 (the image\'s program is root:root 0774) and fsGroup 1000, within restricted', () => {
    const pod = only(synthMilvus().objects, 'StatefulSet').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 0, fsGroup: 1000 });
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 0 });
    expect(pod.securityContext.supplementalGroups).toBeUndefined();
  });

  test('the volume is the only thing at /var/lib/milvus; the image\'s tini stays PID 1', () => {
    const main = container(only(synthMilvus().objects, 'StatefulSet'), 'standalone');
    expect(main.volumeMounts.filter((m: any) => m.mountPath.startsWith('/var/lib/milvus'))).toEqual([{ name: 'milvus-data', mountPath: '/var/lib/milvus' }]);
    expect(main.command).toBeUndefined();
  });

  test('OBS by prop: S3 settings in env, credentials from the Secret', () => {
    const topology = MilvusTopology.standalone({ objectStorage: { bucket: 'memos-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4', rootPath: 'prod' } });
    const main = container(only(synthMilvus({ topology }).objects, 'StatefulSet'), 'standalone');
    expect(envOf(main)).toMatchObject({
      COMMON_STORAGETYPE: 'remote', MINIO_ADDRESS: 'obs.cn-north-4.myhuaweicloud.com', MINIO_PORT: '443', MINIO_USESSL: 'true',
      MINIO_BUCKETNAME: 'memos-milvus', MINIO_ROOTPATH: 'prod', MINIO_REGION: 'cn-north-4', MINIO_USEVIRTUALHOST: 'true',
      MINIO_ACCESSKEYID: { name: 'memos-secrets', key: 'OBS_ACCESS_KEY_ID', optional: false },
      MINIO_SECRETACCESSKEY: { name: 'memos-secrets', key: 'OBS_SECRET_ACCESS_KEY', optional: false },
      MQ_TYPE: 'woodpecker', WOODPECKER_STORAGE_TYPE: 'local',
    });
  });

  test('the volume takes the given storage options', () => {
    const topology = MilvusTopology.standalone({ storage: { size: Size.gibibytes(500) } });
    const sts = only(synthMilvus({ topology }).objects, 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('500Gi');
  });

  test('a ServiceMonitor on 9091 labelled by component', () => {
    const monitor = only(synthMilvus().objects, 'ServiceMonitor');
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
  });
});

describe('MilvusTopology', () => {
  test('kafka or query nodes in standalone and a volume when distributed cannot be expressed', () => {
    // @ts-expect-error kafka is not a standalone option
    const standaloneWithKafka = MilvusTopology.standalone({ kafka: KAFKA });
    // @ts-expect-error queryNodes is not a standalone option
    const standaloneWithQueryNodes = MilvusTopology.standalone({ queryNodes: 3 });
    // @ts-expect-error storage is not a distributed option
    const distributedWithStorage = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, storage: { size: Size.gibibytes(10) } });
    // Untyped callers: the extra values are not read.
    expect(standaloneWithKafka._kafka).toBeUndefined();
    expect(standaloneWithQueryNodes._queryNodes).toBeUndefined();
    expect(distributedWithStorage._storage).toBeUndefined();
    const env = envOf(container(only(synthMilvus({ topology: standaloneWithKafka }).objects, 'StatefulSet'), 'standalone'));
    expect(env.MQ_TYPE).toBe('woodpecker');
    expect(env.KAFKA_BROKERLIST).toBeUndefined();
  });

  test('_withDefaults fills only what the user left unset', () => {
    const defaults = { queryNodes: 5, storageSize: Size.gibibytes(1024) };
    expect(MilvusTopology.standalone()._withDefaults(defaults)._storage?.size?.toGibibytes()).toBe(1024);
    const ssd = MilvusTopology.standalone({ storage: { storageClass: EvsStorageClass.CSI_DISK_TOPOLOGY } })._withDefaults(defaults);
    expect(ssd._storage).toMatchObject({ storageClass: 'csi-disk-topology' });
    expect(ssd._storage?.size?.toGibibytes()).toBe(1024);
    expect(MilvusTopology.standalone({ storage: { size: Size.gibibytes(300) } })._withDefaults(defaults)._storage?.size?.toGibibytes()).toBe(300);
    expect(MilvusTopology.standalone()._withDefaults({})._storage).toBeUndefined();
    expect(MilvusTopology.standalone()._withDefaults(defaults)._queryNodes).toBeUndefined();
    expect(DISTRIBUTED._withDefaults(defaults)._queryNodes).toBe(5);
    expect(DISTRIBUTED._withDefaults(defaults)._storage).toBeUndefined();
    expect(MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNodes: 3 })._withDefaults(defaults)._queryNodes).toBe(3);
    const filled = DISTRIBUTED._withDefaults(defaults);
    expect([filled._mode, filled._objectStorage, filled._kafka]).toEqual([MilvusMode.DISTRIBUTED, OBS, KAFKA]);
  });
});

describe('Milvus distributed', () => {
  const { objects, milvus } = synthMilvus({
    topology: MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNodes: 3 }),
    resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) },
  });

  test('the 2.6 components with HA replica counts, a 3-member etcd; valid and policy-clean', () => {
    const replicas = Object.fromEntries(objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)).map((o) => [o.metadata.name, o.spec.replicas]));
    expect(replicas).toEqual({
      'memos-milvus-etcd': 3,
      'memos-milvus-proxy': 2, 'memos-milvus-mixcoord': 2, 'memos-milvus-querynode': 3, 'memos-milvus-datanode': 2, 'memos-milvus-streamingnode': 2,
    });
    expect(only(objects, 'Deployment', 'memos-milvus-mixcoord').spec.template.spec.containers[0].args).toEqual(['milvus', 'run', 'mixture', '-rootcoord', '-querycoord', '-datacoord', '-indexcoord']);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('exposes the mode, the components, their budgets and the etcd cluster', () => {
    expect(milvus.mode).toBe(MilvusMode.DISTRIBUTED);
    const components = ['proxy', 'mixcoord', 'querynode', 'datanode', 'streamingnode'];
    expect(Object.keys(milvus.workloads)).toEqual(components);
    expect(Object.keys(milvus.disruptionBudgets)).toEqual(components);
    for (const component of components) expect(milvus.workloads[component]).toBeInstanceOf(kplus.Deployment);
    expect(milvus.headlessService).toBeUndefined();
    expect(milvus.etcd?.endpoints).toEqual([0, 1, 2].map((i) => `memos-milvus-etcd-${i}.memos-milvus-etcd-headless:2379`));
    expect(milvus.etcd?.node.id).toBe('Etcd');
    expect(milvus.uri).toBe('http://memos-milvus:19530');
  });

  test('query nodes default to 2', () => {
    const { objects: defaults } = synthMilvus({ topology: DISTRIBUTED });
    expect(only(defaults, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(2);
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

  const components = ['proxy', 'mixcoord', 'querynode', 'datanode', 'streamingnode'];
  const main = (component: string) => only(objects, 'Deployment', `memos-milvus-${component}`).spec.template.spec.containers[0];

  test('every component runs `milvus run <role>` as args under the image\'s tini, as UID 1000 / GID 0', () => {
    for (const component of components) {
      const pod = only(objects, 'Deployment', `memos-milvus-${component}`).spec.template.spec;
      expect(pod.containers[0].command).toBeUndefined();
      expect(pod.containers[0].args.slice(0, 2)).toEqual(['milvus', 'run']);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 0, fsGroup: 1000 });
      expect(pod.containers[0].securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 0, readOnlyRootFilesystem: true });
    }
    expect(main('querynode').args).toEqual(['milvus', 'run', 'querynode']);
  });

  test('every component has one writable emptyDir at /var/lib/milvus and nothing mounted below it', () => {
    const sizes: Record<string, string> = {};
    for (const component of components) {
      const pod = only(objects, 'Deployment', `memos-milvus-${component}`).spec.template.spec;
      const mounts = pod.containers[0].volumeMounts.filter((m: any) => m.mountPath.startsWith('/var/lib/milvus'));
      expect(mounts).toEqual([{ name: 'milvus-data', mountPath: '/var/lib/milvus' }]);
      const volume = pod.volumes.find((v: any) => v.name === 'milvus-data');
      sizes[component] = volume.emptyDir.sizeLimit;
    }
    expect(sizes).toEqual({ proxy: '1024Mi', mixcoord: '1024Mi', querynode: '51200Mi', datanode: '51200Mi', streamingnode: '10240Mi' });
  });

  test('only the proxy declares 19530; the others declare their own port and metrics', () => {
    const ports = Object.fromEntries(components.map((c) => [c, main(c).ports]));
    expect(ports).toEqual({
      proxy: [{ containerPort: 19530, name: 'milvus' }, { containerPort: 9091, name: 'metrics' }],
      mixcoord: [{ containerPort: 9091, name: 'metrics' }],
      querynode: [{ containerPort: 21123, name: 'querynode' }, { containerPort: 9091, name: 'metrics' }],
      datanode: [{ containerPort: 21124, name: 'datanode' }, { containerPort: 9091, name: 'metrics' }],
      streamingnode: [{ containerPort: 22222, name: 'streamingnode' }, { containerPort: 9091, name: 'metrics' }],
    });
  });

  test('no embedded etcd configuration when distributed', () => {
    expect(milvus.embeddedEtcdConfig).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(envOf(main('proxy')).ETCD_CONFIG_PATH).toBeUndefined();
  });

  test('Kafka with SASL: user in env, password from the Secret', () => {
    const { objects: sasl } = synthMilvus({ topology: MilvusTopology.distributed({ objectStorage: OBS, kafka: { brokers: ['k1:9093'], saslUser: 'memos' } }) });
    expect(envOf(only(sasl, 'Deployment', 'memos-milvus-proxy').spec.template.spec.containers[0])).toMatchObject({
      KAFKA_SASLUSERNAME: 'memos', KAFKA_SASLPASSWORD: { name: 'memos-secrets', key: 'KAFKA_SASL_PASSWORD', optional: false }, KAFKA_SECURITYPROTOCOL: 'SASL_SSL',
    });
  });
});

describe('Milvus validation', () => {
  const distributed = (objectStorage: unknown, kafka: unknown, queryNodes?: number) =>
    MilvusTopology.distributed({ objectStorage, kafka, queryNodes } as never);
  const invalid: [string, Partial<MilvusProps>, RegExp][] = [
    ['distributed without OBS (untyped caller)', { topology: distributed(undefined, KAFKA) }, /Milvus 'test\/Milvus': invalid topology.objectStorage \(missing\); allowed: OBS bucket, endpoint and region/],
    ['distributed without Kafka (untyped caller)', { topology: distributed(OBS, undefined) }, /invalid topology.kafka \(missing\); allowed: Kafka brokers \(Huawei DMS for Kafka\): Woodpecker does not support OBS/],
    ['a bad bucket', { topology: MilvusTopology.standalone({ objectStorage: { ...OBS, bucket: 'Memos_Bucket' } }) }, /invalid topology.objectStorage.bucket "Memos_Bucket"; allowed: an OBS bucket name/],
    ['a bad bucket when distributed', { topology: distributed({ ...OBS, bucket: 'x' }, KAFKA) }, /invalid topology.objectStorage.bucket "x"; allowed: an OBS bucket name/],
    ['an endpoint with a scheme', { topology: MilvusTopology.standalone({ objectStorage: { ...OBS, endpoint: 'https://obs.cn-north-4.myhuaweicloud.com' } }) }, /invalid topology.objectStorage.endpoint "https:\/\/obs.cn-north-4.myhuaweicloud.com"; allowed: a host name/],
    ['an empty region', { topology: MilvusTopology.standalone({ objectStorage: { ...OBS, region: '' } }) }, /invalid topology.objectStorage.region ""; allowed: a non-empty string/],
    ['bad brokers', { topology: distributed(OBS, { brokers: ['kafka'] }) }, /invalid topology.kafka.brokers \["kafka"\]; allowed: one or more host:port broker addresses/],
    ['no brokers', { topology: distributed(OBS, { brokers: [] }) }, /invalid topology.kafka.brokers \[\]; allowed: one or more host:port/],
    ['an empty SASL user', { topology: distributed(OBS, { ...KAFKA, saslUser: '' }) }, /invalid topology.kafka.saslUser ""; allowed: a non-empty string/],
    ['no query nodes', { topology: distributed(OBS, KAFKA, 0) }, /invalid topology.queryNodes 0; allowed: an integer from 1 to 100/],
    ['a volume of a fraction of a GiB', { topology: MilvusTopology.standalone({ storage: { size: Size.mebibytes(1500) } }) }, /invalid topology.storage.size "1500Mi"; allowed: a whole number of GiB/],
    ['an unknown storage class', { topology: MilvusTopology.standalone({ storage: { storageClass: 'csi-nas' as never } }) }, /invalid topology.storage.storageClass "csi-nas"; allowed: csi-disk-topology, csi-disk/],
    ['a topology that is not a MilvusTopology', { topology: { mode: 'cluster' } as never }, /invalid topology \{"mode":"cluster"\}; allowed: MilvusTopology.standalone\(...\) or MilvusTopology.distributed\(...\)/],
    ['an unknown zone spread', { zoneSpread: 'sometimes' as never }, /invalid zoneSpread "sometimes"; allowed: required, preferred/],
    ['no credentials', { credentials: undefined }, /invalid credentials \(missing\); allowed: Credentials.fromSecret/],
    ['an unpinned image', { image: 'docker.io/milvusdb/milvus:latest' }, /invalid image "docker.io\/milvusdb\/milvus:latest"; allowed: an image/],
    ['a long instance name', { instance: 'a'.repeat(41) }, /invalid instance "a{41}"; allowed: a DNS label/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMilvus(props)).toThrow(message);
  });
});

describe('EtcdCluster', () => {
  function synthEtcd(props: Partial<EtcdClusterProps> = {}) {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const etcd = new EtcdCluster(chart, 'Etcd', { name: 'memos-milvus-etcd', instance: 'memos', ...props });
    return { etcd, objects: Testing.synth(chart) };
  }

  test('members bootstrap statically by DNS name with Milvus tuning, on EVS, hardened', () => {
    const { objects } = synthEtcd();
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

  test('exposes its endpoints, StatefulSet, headless Service and PDB', () => {
    const { etcd } = synthEtcd({ members: 5 });
    expect(etcd.endpoints).toEqual([0, 1, 2, 3, 4].map((i) => `memos-milvus-etcd-${i}.memos-milvus-etcd-headless:2379`));
    expect(etcd.statefulSet.name).toBe('memos-milvus-etcd');
    expect(etcd.statefulSet.replicas).toBe(5);
    expect(etcd.headlessService.name).toBe('memos-milvus-etcd-headless');
    expect(etcd.disruptionBudget.name).toBe('memos-milvus-etcd');
    expect(EtcdCluster.DEFAULT_IMAGE).toBe('quay.io/coreos/etcd:v3.5.17');
  });

  test('the data volume takes the given storage options', () => {
    const { objects } = synthEtcd({ storage: { size: Size.gibibytes(20) } });
    expect(only(objects, 'StatefulSet').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
  });

  test('rejects an even member count', () => {
    expect(() => synthEtcd({ members: 2 })).toThrow(/EtcdCluster 'test\/Etcd': invalid members 2; allowed: an odd number/);
  });

  test('resources and a ServiceMonitor by prop; none by default', () => {
    const { objects: plain, etcd: plainEtcd } = synthEtcd();
    expect(plain.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    expect(plainEtcd.metricsService).toBeUndefined();
    const { objects, etcd } = synthEtcd({ resources: { cpu: kplus.Cpu.millis(750), memory: Size.gibibytes(3) }, serviceMonitor: true });
    expect(only(objects, 'StatefulSet').spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '750m', memory: '3072Mi' });
    expect(only(objects, 'ServiceMonitor').metadata).toMatchObject({ name: 'memos-memos-milvus-etcd', namespace: 'monitoring' });
    expect(etcd.connections._fromNamespaces).toEqual([{ namespaceName: 'monitoring', ports: [{ port: 2381 }] }]);
  });

  test('rejects bad resources and a bad monitoring namespace', () => {
    expect(() => synthEtcd({ resources: { cpu: 1 as never, memory: Size.gibibytes(1) } })).toThrow(/EtcdCluster 'test\/Etcd': invalid resources.cpu/);
    expect(() => synthEtcd({ serviceMonitor: true, monitoringNamespace: 'Prom' })).toThrow(/EtcdCluster 'test\/Etcd': invalid monitoringNamespace "Prom"; allowed: a DNS label/);
  });

  test('rejects a bad volume size and an unknown zone spread', () => {
    expect(() => synthEtcd({ storage: { size: Size.gibibytes(0) } })).toThrow(/invalid storage.size "0Mi"; allowed: a whole number of GiB/);
    expect(() => synthEtcd({ zoneSpread: 'sometimes' as never })).toThrow(/invalid zoneSpread "sometimes"; allowed: required, preferred/);
  });
});

describe('Milvus distributed: per-role sizing', () => {
  const ROLES = ['proxy', 'mixcoord', 'querynode', 'datanode', 'streamingnode'];
  const deployment = (objects: any[], component: string) => only(objects, 'Deployment', `memos-milvus-${component}`);
  const resourcesOf = (objects: any[], component: string) => deployment(objects, component).spec.template.spec.containers[0].resources;

  test('defaults: today\'s replicas and resources, no HPA, an etcd ServiceMonitor, etcd sizing', () => {
    const { objects, milvus } = synthMilvus({ topology: DISTRIBUTED });
    expect(Object.fromEntries(ROLES.map((c) => [c, deployment(objects, c).spec.replicas]))).toEqual({ proxy: 2, mixcoord: 2, querynode: 2, datanode: 2, streamingnode: 2 });
    expect(Object.fromEntries(ROLES.map((c) => [c, resourcesOf(objects, c)]))).toEqual({
      proxy: { requests: { cpu: '2', memory: '4096Mi' }, limits: { cpu: '2', memory: '4096Mi' } },
      mixcoord: { requests: { cpu: '1', memory: '4096Mi' }, limits: { cpu: '1', memory: '4096Mi' } },
      querynode: { requests: { cpu: '4', memory: '16384Mi' }, limits: { cpu: '4', memory: '16384Mi' } },
      datanode: { requests: { cpu: '4', memory: '8192Mi' }, limits: { cpu: '4', memory: '8192Mi' } },
      streamingnode: { requests: { cpu: '2', memory: '4096Mi' }, limits: { cpu: '2', memory: '4096Mi' } },
    });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(milvus.autoscalers).toEqual({});
    // The etcd members are monitored like every store (a ServiceMonitor on their metrics port 2381).
    expect(objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name).sort()).toEqual(['memos-memos-milvus', 'memos-memos-milvus-etcd']);
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toContain('memos-milvus-etcd-metrics');
    expect(milvus.etcd?.serviceMonitor).toBeDefined();
    expect(milvus.etcd?.connections._fromNamespaces.length).toBeGreaterThan(0);
    const etcd = only(objects, 'StatefulSet', 'memos-milvus-etcd');
    expect(etcd.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' }, limits: { cpu: '1', memory: '2048Mi' } });
    expect(etcd.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'csi-disk-topology', resources: { requests: { storage: '10Gi' } } });
  });

  test('replicas and resources per role; queryNode.resources wins over resources', () => {
    const topology = MilvusTopology.distributed({
      objectStorage: OBS, kafka: KAFKA,
      proxy: { replicas: 3, resources: { cpu: kplus.Cpu.units(3), memory: Size.gibibytes(6) } },
      mixCoord: { replicas: 1, resources: { cpu: kplus.Cpu.millis(1500), memory: Size.gibibytes(2) } },
      queryNode: { replicas: 4, resources: { cpu: kplus.Cpu.units(8), memory: Size.gibibytes(32) } },
      dataNode: { replicas: 3, resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(12) } },
      streamingNode: { replicas: 5, resources: { cpu: kplus.Cpu.units(1), memory: Size.gibibytes(3) } },
    });
    const { objects } = synthMilvus({ topology, resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) } });
    expect(Object.fromEntries(ROLES.map((c) => [c, deployment(objects, c).spec.replicas]))).toEqual({ proxy: 3, mixcoord: 1, querynode: 4, datanode: 3, streamingnode: 5 });
    expect(Object.fromEntries(ROLES.map((c) => [c, resourcesOf(objects, c).limits]))).toEqual({
      proxy: { cpu: '3', memory: '6144Mi' }, mixcoord: { cpu: '1500m', memory: '2048Mi' }, querynode: { cpu: '8', memory: '32768Mi' },
      datanode: { cpu: '6', memory: '12288Mi' }, streamingnode: { cpu: '1', memory: '3072Mi' },
    });
    expect(resourcesOf(objects, 'querynode').requests).toEqual({ cpu: '8', memory: '32768Mi' });
    // One mixCoord: nothing to keep apart; still a PDB.
    expect(deployment(objects, 'mixcoord').spec.template.spec.affinity).toBeUndefined();
    expect(only(objects, 'PodDisruptionBudget', 'memos-milvus-mixcoord').spec.maxUnavailable).toBe(1);
    expect(deployment(objects, 'proxy').spec.template.spec.affinity.podAntiAffinity).toBeDefined();
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('queryNode.resources alone leaves the other roles and the count as they were', () => {
    const topology = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNodes: 3, queryNode: { resources: { cpu: kplus.Cpu.units(2), memory: Size.gibibytes(8) } } });
    const { objects } = synthMilvus({ topology, resources: { cpu: kplus.Cpu.units(6), memory: Size.gibibytes(24) } });
    expect(deployment(objects, 'querynode').spec.replicas).toBe(3);
    expect(resourcesOf(objects, 'querynode').limits).toEqual({ cpu: '2', memory: '8192Mi' });
    expect(resourcesOf(objects, 'proxy').limits).toEqual({ cpu: '2', memory: '4096Mi' });
  });

  test('a proxy HPA on CPU (milvus-helm proxy-hpa.yaml): no replicas on the Deployment, PDB and anti-affinity kept', () => {
    const topology = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, proxy: { autoscaling: { minReplicas: 2, maxReplicas: 6 } } });
    const { objects, milvus } = synthMilvus({ topology });
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata.name).toBe('memos-milvus-proxy');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'memos-milvus-proxy' },
      minReplicas: 2, maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 40 } } }],
    });
    expect(hpa.spec.behavior.scaleDown).toMatchObject({ stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] });
    const proxy = deployment(objects, 'proxy');
    expect(proxy.spec.replicas).toBeUndefined();
    expect(proxy.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    const pdb = only(objects, 'PodDisruptionBudget', 'memos-milvus-proxy');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(proxy.spec.selector.matchLabels);
    expect(Object.keys(milvus.autoscalers)).toEqual(['proxy']);
    expect(deployment(objects, 'querynode').spec.replicas).toBe(2);
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('a query-node HPA with its own CPU target; one minimum pod still keeps pods apart (up to maxReplicas)', () => {
    const topology = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNode: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuUtilization: 70 } } });
    const { objects, milvus } = synthMilvus({ topology });
    const hpa = only(objects, 'HorizontalPodAutoscaler', 'memos-milvus-querynode');
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 70 } } }] });
    expect(deployment(objects, 'querynode').spec.replicas).toBeUndefined();
    expect(deployment(objects, 'querynode').spec.template.spec.affinity.podAntiAffinity).toBeDefined();
    expect(Object.keys(milvus.autoscalers)).toEqual(['querynode']);
  });

  test('_withDefaults leaves queryNodes unset when queryNode sets the count; the chart honours it', () => {
    const byReplicas = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNode: { replicas: 7 } });
    expect(byReplicas._withDefaults({ queryNodes: 5 })._queryNodes).toBeUndefined();
    expect(byReplicas._withDefaults({ queryNodes: 5 })._roles.queryNode?.replicas).toBe(7);
    const withEtcd = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNode: { resources: { cpu: kplus.Cpu.units(1), memory: Size.gibibytes(1) } }, etcd: { serviceMonitor: true } });
    expect(withEtcd._withDefaults({ queryNodes: 5 })._queryNodes).toBe(5);
    expect(withEtcd._withDefaults({ queryNodes: 5 })._etcd).toEqual({ serviceMonitor: true });
    const topology = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNode: { autoscaling: { minReplicas: 3, maxReplicas: 8 } } });
    const medium = synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM), milvus: MilvusDeployment.inCluster({ topology }) });
    expect(only(medium, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBeUndefined();
    expect(only(medium, 'HorizontalPodAutoscaler', 'memos-milvus-querynode').spec).toMatchObject({ minReplicas: 3, maxReplicas: 8 });
  });

  test('etcd members: storage, resources and a ServiceMonitor on the metrics listener, admitted from the monitoring namespace', () => {
    const topology = MilvusTopology.distributed({
      objectStorage: OBS, kafka: KAFKA,
      etcd: { storage: { size: Size.gibibytes(30) }, resources: { cpu: kplus.Cpu.units(2), memory: Size.gibibytes(4) }, serviceMonitor: true },
    });
    const { objects, milvus } = synthMilvus({ topology, monitoringNamespace: 'prom' });
    const sts = only(objects, 'StatefulSet', 'memos-milvus-etcd');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'csi-disk-topology', resources: { requests: { storage: '30Gi' } } });
    expect(sts.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '2', memory: '4096Mi' }, limits: { cpu: '2', memory: '4096Mi' } });
    const service = only(objects, 'Service', 'memos-milvus-etcd-metrics');
    expect(service.spec).toMatchObject({ clusterIP: 'None', ports: [{ name: 'metrics', port: 2381, targetPort: 2381 }] });
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'memos-milvus-etcd', 'app.kubernetes.io/instance': 'memos' });
    expect(sts.spec.template.spec.containers[0].ports).toContainEqual({ containerPort: 2381, name: 'metrics' });
    const monitor = only(objects, 'ServiceMonitor', 'memos-memos-milvus-etcd');
    expect(monitor.metadata.namespace).toBe('prom');
    expect(monitor.spec).toEqual({
      namespaceSelector: { matchNames: ['memos'] },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'memos-milvus-etcd', 'app.kubernetes.io/instance': 'memos', 'app.kubernetes.io/component': 'metrics' } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    });
    // The monitor's selector matches the metrics Service's labels only (not the headless one).
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(only(objects, 'Service', 'memos-milvus-etcd-headless').metadata.labels['app.kubernetes.io/component']).not.toBe('metrics');
    expect(milvus.etcd?.connections._fromNamespaces).toEqual([{ namespaceName: 'prom', ports: [{ port: 2381 }] }]);
    expect(milvus.etcd?.serviceMonitor?.name).toBe('memos-memos-milvus-etcd');
    expect(milvus.etcd?.metricsService?.name).toBe('memos-milvus-etcd-metrics');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  const topologyWith = (roles: Record<string, unknown>, queryNodes?: number) =>
    MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNodes, ...roles } as never);
  const invalid: [string, Partial<MilvusProps>, RegExp][] = [
    ['three mixCoords', { topology: topologyWith({ mixCoord: { replicas: 3 } }) }, /Milvus 'test\/Milvus': invalid topology.mixCoord.replicas 3; allowed: 1 or 2: one active mixCoord and at most one standby/],
    ['no mixCoord', { topology: topologyWith({ mixCoord: { replicas: 0 } }) }, /invalid topology.mixCoord.replicas 0; allowed: 1 or 2/],
    ['no proxy', { topology: topologyWith({ proxy: { replicas: 0 } }) }, /invalid topology.proxy.replicas 0; allowed: an integer from 1 to 100/],
    ['no query node', { topology: topologyWith({ queryNode: { replicas: 0 } }) }, /invalid topology.queryNode.replicas 0; allowed: an integer from 1 to 100/],
    ['a fraction of a data node', { topology: topologyWith({ dataNode: { replicas: 1.5 } }) }, /invalid topology.dataNode.replicas 1.5; allowed: an integer from 1 to 100/],
    ['no streaming node', { topology: topologyWith({ streamingNode: { replicas: 0 } }) }, /invalid topology.streamingNode.replicas 0; allowed: an integer from 1 to 100/],
    ['replicas and autoscaling', { topology: topologyWith({ proxy: { replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } } }) }, /invalid topology.proxy.replicas 2; allowed: either replicas \(fixed\) or autoscaling, not both/],
    ['queryNodes and queryNode.replicas', { topology: topologyWith({ queryNode: { replicas: 4 } }, 3) }, /invalid topology.queryNode.replicas 4; allowed: nothing while topology.queryNodes is set/],
    ['queryNodes and queryNode.autoscaling', { topology: topologyWith({ queryNode: { autoscaling: { minReplicas: 2, maxReplicas: 4 } } }, 3) }, /invalid topology.queryNode.autoscaling \{"minReplicas":2,"maxReplicas":4\}; allowed: nothing while topology.queryNodes is set/],
    ['an autoscaler with no minimum', { topology: topologyWith({ proxy: { autoscaling: { minReplicas: 0, maxReplicas: 4 } } }) }, /invalid topology.proxy.autoscaling.minReplicas 0; allowed: an integer from 1 to 100/],
    ['an autoscaler that cannot scale', { topology: topologyWith({ queryNode: { autoscaling: { minReplicas: 3, maxReplicas: 3 } } }) }, /invalid topology.queryNode.autoscaling.maxReplicas 3; allowed: an integer from 4 to 100, more than minReplicas/],
    ['too many autoscaled pods', { topology: topologyWith({ proxy: { autoscaling: { minReplicas: 2, maxReplicas: 101 } } }) }, /invalid topology.proxy.autoscaling.maxReplicas 101; allowed: an integer from 1 to 100/],
    ['a CPU target of 0', { topology: topologyWith({ proxy: { autoscaling: { minReplicas: 1, maxReplicas: 4, targetCpuUtilization: 0 } } }) }, /invalid topology.proxy.autoscaling.targetCpuUtilization 0; allowed: an integer from 1 to 100/],
    ['a CPU target above 100', { topology: topologyWith({ queryNode: { autoscaling: { minReplicas: 1, maxReplicas: 4, targetCpuUtilization: 150 } } }) }, /invalid topology.queryNode.autoscaling.targetCpuUtilization 150; allowed: an integer from 1 to 100/],
    ['an autoscaled data node (untyped caller)', { topology: topologyWith({ dataNode: { autoscaling: { minReplicas: 1, maxReplicas: 4 } } }) }, /invalid topology.dataNode.autoscaling \{"minReplicas":1,"maxReplicas":4\}; allowed: nothing: only proxy and queryNode autoscale/],
    ['a CPU given as a string', { topology: topologyWith({ proxy: { resources: { cpu: '2', memory: Size.gibibytes(4) } } }) }, /invalid topology.proxy.resources.cpu/],
    ['a memory given as a number', { topology: topologyWith({ streamingNode: { resources: { cpu: kplus.Cpu.units(1), memory: 4096 } } }) }, /invalid topology.streamingNode.resources.memory/],
    ['an etcd volume of a fraction of a GiB', { topology: topologyWith({ etcd: { storage: { size: Size.mebibytes(1500) } } }) }, /Milvus 'test\/Milvus': invalid topology.etcd.storage.size "1500Mi"; allowed: a whole number of GiB/],
    ['an etcd memory given as a string', { topology: topologyWith({ etcd: { resources: { cpu: kplus.Cpu.units(1), memory: '2Gi' } } }) }, /Milvus 'test\/Milvus': invalid topology.etcd.resources.memory/],
    ['an etcd serviceMonitor that is not a boolean', { topology: topologyWith({ etcd: { serviceMonitor: 'yes' } }) }, /Milvus 'test\/Milvus': invalid topology.etcd.serviceMonitor "yes"; allowed: true or false/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthMilvus(props)).toThrow(message);
  });
});

describe('Milvus in MemosChart', () => {
  test('MemOS gets nothing of Milvus (server_api 2.0.x never reads MILVUS_*: test/memos-runtime); no credentials in ConfigMaps', () => {
    const objects = synthChart({ size: MemosSize.SMALL });
    const data = only(objects, 'ConfigMap', 'memos-config').data;
    expect(Object.keys(data).filter((k) => k.startsWith('MILVUS'))).toEqual([]);
    expect(container(only(objects, 'Deployment', 'memos-api'), 'memos-api').env.map((e: { name: string }) => e.name)).not.toContain('MILVUS_PASSWORD');
    expectNoCredentialsInConfigMaps(objects);
    expect(only(objects, 'StatefulSet', 'memos-milvus-standalone').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('200Gi');
  });

  test('MilvusDeployment.none() leaves Milvus out and MemOS without MILVUS_*', () => {
    const objects = synthChart({ size: MemosSize.SMALL, milvus: MilvusDeployment.none() });
    expect(objects.filter((o) => o.metadata.name.includes('milvus'))).toEqual([]);
    expect(Object.keys(only(objects, 'ConfigMap', 'memos-config').data).filter((k) => k.startsWith('MILVUS'))).toEqual([]);
  });

  test('medium and large go distributed with the preset query nodes unless set; medium without OBS fails with the reason', () => {
    const topology = MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA });
    const medium = synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM), milvus: MilvusDeployment.inCluster({ topology }) });
    expect(only(medium, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(3);
    const large = synthChart({ size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), milvus: MilvusDeployment.inCluster({ topology }) });
    expect(only(large, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(5);
    const four = synthChart({
      size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM),
      milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.distributed({ objectStorage: OBS, kafka: KAFKA, queryNodes: 4 }) }),
    });
    expect(only(four, 'Deployment', 'memos-milvus-querynode').spec.replicas).toBe(4);
    expect(() => synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM), milvus: MilvusDeployment.inCluster() })).toThrow(/MemosChart 'test': invalid milvus\.topology/);
  });

  test('a standalone Milvus gets the preset volume size unless set', () => {
    const preset = synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM), milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.standalone() }) });
    expect(only(preset, 'StatefulSet', 'memos-milvus-standalone').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('500Gi');
    const own = synthChart({ size: MemosSize.SMALL, milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.standalone({ storage: { size: Size.gibibytes(300) } }) }) });
    expect(only(own, 'StatefulSet', 'memos-milvus-standalone').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('300Gi');
  });

  test('errors name the chart prop path', () => {
    const topology = MilvusTopology.distributed({ objectStorage: { ...OBS, bucket: 'Memos_Bucket' }, kafka: KAFKA });
    expect(() => synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM), milvus: MilvusDeployment.inCluster({ topology }) }))
      .toThrow(/MemosChart 'test': invalid milvus\.topology\.objectStorage\.bucket "Memos_Bucket"; allowed: an OBS bucket name/);
    const small = MilvusTopology.standalone({ storage: { size: Size.mebibytes(1500) } });
    expect(() => synthChart({ size: MemosSize.SMALL, milvus: MilvusDeployment.inCluster({ topology: small }) }))
      .toThrow(/MemosChart 'test': invalid milvus\.topology\.storage\.size "1500Mi"; allowed: a whole number of GiB/);
  });
});
