import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MemoryStorage, MemosSize, QdrantBackend } from '../index';
import { Qdrant, QdrantPorts, QdrantProps } from '../constructs/qdrant';
import { EvsDiskType } from '../src/cce';
import { Credentials, SecretKeyRef } from '../src/credentials';
import { ZoneSpread } from '../src/kubernetes';
import { TlsCertificate } from '../src/tls';
import { policyViolations } from './support/policy';
import { validateManifests } from './support/schema';
import { only, servicesFor, synthChart } from './support/synth';
import { temporaryFolders } from './support/tmp';

const temporaryFolder = temporaryFolders();

const credentials = Credentials.fromSecret('memos-secrets');

function buildQdrant(props: Partial<QdrantProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
  const qdrant = new Qdrant(chart, 'Qdrant', { instance: 'memos', credentials, ...props });
  return { chart, qdrant };
}

function synthQdrant(props: Partial<QdrantProps> = {}) {
  const { chart, qdrant } = buildQdrant(props);
  const objects = Testing.synth(chart);
  const sts = only(objects, 'StatefulSet');
  return { qdrant, objects, sts, pod: sts.spec.template.spec, main: sts.spec.template.spec.containers[0] };
}

const selector = { 'app.kubernetes.io/name': 'qdrant', 'app.kubernetes.io/instance': 'memos' };

/** Runs the synthesized start script as pod `hostname` with a stub entrypoint; returns its arguments. */
function bootstrapArgs(script: string, hostname: string): string {
  const dir = temporaryFolder('qdrant-');
  fs.writeFileSync(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
  return execFileSync('/bin/bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH, HOSTNAME: hostname }, encoding: 'utf8' }).trim();
}

describe('Qdrant', () => {
  test('synthesizes alone in a plain Chart from credentials and placement only', () => {
    const { objects, pod } = synthQdrant({ zoneSpread: ZoneSpread.PREFERRED, imagePullSecrets: ['my-registry'], monitoringNamespace: 'observability' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/memos-qdrant', 'Service/memos-qdrant-headless', 'StatefulSet/memos-qdrant', 'PodDisruptionBudget/memos-qdrant', 'ServiceMonitor/memos-memos-qdrant',
    ]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'my-registry' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(only(objects, 'ServiceMonitor').metadata.namespace).toBe('observability');
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('a StatefulSet with a client Service and a headless Service publishing not-ready peers; all valid', () => {
    const { objects, sts } = synthQdrant({ replicas: 3 });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/memos-qdrant', 'Service/memos-qdrant-headless', 'StatefulSet/memos-qdrant', 'PodDisruptionBudget/memos-qdrant', 'ServiceMonitor/memos-memos-qdrant',
    ]);
    const client = only(objects, 'Service', 'memos-qdrant');
    expect(client.spec.ports).toEqual([{ name: 'http', port: 6333, targetPort: 6333 }, { name: 'grpc', port: 6334, targetPort: 6334 }]);
    const headless = only(objects, 'Service', 'memos-qdrant-headless');
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(headless.spec.ports.map((p: any) => p.port)).toEqual([6333, 6334, 6335]);
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'memos-qdrant-headless', podManagementPolicy: 'Parallel', selector: { matchLabels: selector } });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('exposes what a client needs: host, port, URL and the API key reference', () => {
    const { qdrant } = buildQdrant();
    expect(qdrant.host).toBe('memos-qdrant');
    expect(qdrant.port).toBe(6333);
    expect(qdrant.url).toBe('http://memos-qdrant:6333');
    expect(qdrant.apiKey).toBeInstanceOf(SecretKeyRef);
    expect([qdrant.apiKey?.secretName, qdrant.apiKey?.key]).toEqual(['memos-secrets', 'QDRANT_API_KEY']);
    expect(qdrant.replicas).toBe(1);
    expect(buildQdrant({ apiKey: false }).qdrant.apiKey).toBeUndefined();
    expect(Qdrant.DEFAULT_IMAGE).toBe('docker.io/qdrant/qdrant:v1.19.0-unprivileged');
    expect([QdrantPorts.HTTP, QdrantPorts.GRPC, QdrantPorts.P2P]).toEqual([6333, 6334, 6335]);
  });

  test('exposes its children for patching', () => {
    const { qdrant } = buildQdrant({ replicas: 3 });
    expect(qdrant.replicas).toBe(3);
    expect(qdrant.statefulSet.name).toBe('memos-qdrant');
    expect(qdrant.statefulSet.replicas).toBe(3);
    expect(qdrant.service.name).toBe('memos-qdrant');
    expect(qdrant.headlessService.name).toBe('memos-qdrant-headless');
    expect(qdrant.disruptionBudget.name).toBe('memos-qdrant');
    expect(qdrant.serviceMonitor.name).toBe('memos-memos-qdrant');
    expect(qdrant.serviceMonitor.metadata.namespace).toBe('monitoring');
  });

  test('a credential key override reaches both the env and the exposed key reference', () => {
    const custom = Credentials.fromSecret('qdrant-secrets', { keys: { QDRANT_API_KEY: 'api-key', QDRANT_READ_ONLY_API_KEY: 'ro-key' } });
    const { qdrant, main } = synthQdrant({ credentials: custom });
    expect([qdrant.apiKey?.secretName, qdrant.apiKey?.key]).toEqual(['qdrant-secrets', 'api-key']);
    const env = Object.fromEntries(main.env.filter((e: any) => e.valueFrom).map((e: any) => [e.name, e.valueFrom.secretKeyRef]));
    expect(env).toEqual({
      QDRANT__SERVICE__API_KEY: { name: 'qdrant-secrets', key: 'api-key', optional: false },
      QDRANT__SERVICE__READ_ONLY_API_KEY: { name: 'qdrant-secrets', key: 'ro-key', optional: false },
    });
  });

  test('peers bootstrap by DNS name: pod 0 announces itself, the others join pod 0', () => {
    const script = synthQdrant({ replicas: 3 }).main.command[2];
    expect(bootstrapArgs(script, 'memos-qdrant-0')).toBe('--uri http://memos-qdrant-0.memos-qdrant-headless:6335');
    expect(bootstrapArgs(script, 'memos-qdrant-2')).toBe('--bootstrap http://memos-qdrant-0.memos-qdrant-headless:6335 --uri http://memos-qdrant-2.memos-qdrant-headless:6335');
  });

  test('unprivileged pinned image, cluster mode, telemetry off, API keys from the Secret', () => {
    const { main } = synthQdrant();
    expect(main.image).toBe('docker.io/qdrant/qdrant:v1.19.0-unprivileged');
    const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
    expect(env).toEqual({
      QDRANT__CLUSTER__ENABLED: 'true',
      QDRANT__CLUSTER__P2P__PORT: '6335',
      QDRANT__TELEMETRY_DISABLED: 'true',
      QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR: '1',
      QDRANT__STORAGE__COLLECTION__WRITE_CONSISTENCY_FACTOR: '1',
      QDRANT_INIT_FILE_PATH: '/qdrant/init/.qdrant-initialized',
      QDRANT_ALLOW_RECOVERY_MODE: 'true',
      QDRANT__SERVICE__API_KEY: { name: 'memos-secrets', key: 'QDRANT_API_KEY', optional: false },
      QDRANT__SERVICE__READ_ONLY_API_KEY: { name: 'memos-secrets', key: 'QDRANT_READ_ONLY_API_KEY', optional: false },
    });
    expect(main.ports.map((p: any) => [p.name, p.containerPort])).toEqual([['http', 6333], ['grpc', 6334], ['p2p', 6335]]);
  });

  test('collections replicate twice from 3 nodes up', () => {
    const env = (replicas: number) => synthQdrant({ replicas }).main.env.find((e: any) => e.name === 'QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR').value;
    expect([env(1), env(3), env(5)]).toEqual(['1', '2', '2']);
    expect(synthQdrant({ replicas: 5, replicationFactor: 3 }).main.env.find((e: any) => e.name === 'QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR').value).toBe('3');
  });

  test('probes: readiness /readyz, liveness /livez, a 20-minute startup budget', () => {
    const { main } = synthQdrant();
    expect(main.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 6333, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 6 });
    expect(main.livenessProbe.httpGet.path).toBe('/livez');
    expect(main.startupProbe.periodSeconds * main.startupProbe.failureThreshold).toBe(1200);
    expect(main.lifecycle.preStop.exec.command).toEqual(['sleep', '3']);
  });

  test('EVS volumes for data and snapshots on csi-disk-topology SSD', () => {
    const { sts, main } = synthQdrant();
    expect(sts.spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.storageClassName, t.metadata.annotations['everest.io/disk-volume-type'], t.spec.resources.requests.storage]))
      .toEqual([['qdrant-storage', 'csi-disk-topology', 'SSD', '100Gi'], ['qdrant-snapshots', 'csi-disk-topology', 'SSD', '50Gi']]);
    expect(main.volumeMounts).toEqual([
      { mountPath: '/qdrant/init', name: 'qdrant-init' },
      { mountPath: '/tmp', name: 'tmp' },
      { name: 'qdrant-storage', mountPath: '/qdrant/storage' },
      { name: 'qdrant-snapshots', mountPath: '/qdrant/snapshots' },
    ]);
  });

  test('storage class, disk type, sizes are props; snapshots default to half the data, at least 10Gi', () => {
    const { sts } = synthQdrant({ storage: { size: Size.gibibytes(300), diskType: EvsDiskType.ESSD }, snapshotStorage: Size.gibibytes(300) });
    expect(sts.spec.volumeClaimTemplates.map((t: any) => [t.metadata.annotations['everest.io/disk-volume-type'], t.spec.resources.requests.storage])).toEqual([['ESSD', '300Gi'], ['ESSD', '300Gi']]);
    const sizes = (storage: QdrantProps['storage']) => synthQdrant({ storage }).sts.spec.volumeClaimTemplates.map((t: any) => t.spec.resources.requests.storage);
    expect(sizes({ diskType: EvsDiskType.ESSD })).toEqual(['100Gi', '50Gi']);
    expect(sizes({ size: Size.gibibytes(15) })).toEqual(['15Gi', '10Gi']);
  });

  test('hard anti-affinity across nodes, zone spread, PDB maxUnavailable 1, hardened, Guaranteed resources', () => {
    const { objects, pod, main } = synthQdrant({ replicas: 3, resources: { cpu: kplus.Cpu.units(4), memory: Size.gibibytes(16) } });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
    expect(only(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(main.resources).toEqual({ requests: { cpu: '4', memory: '16384Mi' }, limits: { cpu: '4', memory: '16384Mi' } });
    expect(pod.terminationGracePeriodSeconds).toBe(60);
  });

  test('defaults: 2 CPU / 8Gi per node, default pull secret', () => {
    const { main, pod } = synthQdrant();
    expect(main.resources).toEqual({ requests: { cpu: '2', memory: '8192Mi' }, limits: { cpu: '2', memory: '8192Mi' } });
    expect(pod.imagePullSecrets).toEqual([{ name: 'default-secret' }]);
  });

  test('a node pool pins the pods', () => {
    expect(synthQdrant({ nodePool: 'memos-db' }).pod.nodeSelector).toEqual({ 'cce.cloud.com/cce-nodepool': 'memos-db' });
  });

  test('the ServiceMonitor scrapes every node with the read-only key; without keys, no authorization', () => {
    const monitor = only(synthQdrant().objects, 'ServiceMonitor');
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.spec.selector.matchLabels).toEqual({ ...selector, 'app.kubernetes.io/component': 'cluster-discovery' });
    expect(monitor.spec.endpoints[0]).toEqual({
      port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s', honorLabels: true,
      authorization: { type: 'Bearer', credentials: { name: 'memos-memos-qdrant-metrics', key: 'QDRANT_READ_ONLY_API_KEY' } },
    });
    const open = synthQdrant({ apiKey: false });
    expect(only(open.objects, 'ServiceMonitor').spec.endpoints[0].authorization).toBeUndefined();
    expect(open.main.env.map((e: any) => e.name)).not.toContain('QDRANT__SERVICE__API_KEY');
    expect(open.main.env.map((e: any) => e.name)).not.toContain('QDRANT__SERVICE__READ_ONLY_API_KEY');
  });

  test('metricsCredentials names the Secret key the ServiceMonitor reads', () => {
    const monitor = only(synthQdrant({ metricsCredentials: SecretKeyRef.of('qdrant-metrics', 'token') }).objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints[0].authorization).toEqual({ type: 'Bearer', credentials: { name: 'qdrant-metrics', key: 'token' } });
  });

  const invalid: [string, Partial<QdrantProps>, RegExp][] = [
    ['0 nodes', { replicas: 0 }, /Qdrant 'test\/Qdrant': invalid replicas 0; allowed: an integer from 1 to 100/],
    ['2 nodes', { replicas: 2 }, /invalid replicas 2; allowed: 1, or 3 and more: a 2-node Raft cluster stops when either node fails/],
    ['storage below 1Gi', { storage: { size: Size.mebibytes(512) } }, /invalid storage.size "512Mi"; allowed: a whole number of GiB from 1Gi to 32768Gi/],
    ['snapshots below 1Gi', { snapshotStorage: Size.mebibytes(512) }, /invalid snapshotStorage.size "512Mi"; allowed: a whole number of GiB/],
    ['an unknown storage class', { storage: { storageClass: 'csi-nas' as never } }, /invalid storage.storageClass "csi-nas"; allowed: csi-disk-topology, csi-disk/],
    ['an unknown disk type', { storage: { diskType: 'ssd' as never } }, /invalid storage.diskType "ssd"; allowed: SSD, GPSSD, ESSD, GPSSD2, SAS, SATA/],
    ['a replication factor above the node count', { replicas: 3, replicationFactor: 4 }, /invalid replicationFactor 4; allowed: an integer from 1 to 3/],
    ['a bad node pool', { nodePool: 'DB Pool' }, /invalid nodePool "DB Pool"; allowed: a DNS label/],
    ['an unpinned image', { image: 'qdrant/qdrant:latest' }, /invalid image "qdrant\/qdrant:latest"; allowed: an image pinned/],
    ['a bad instance', { instance: 'Memos' }, /invalid instance "Memos"; allowed: a DNS label/],
    ['missing credentials', { credentials: undefined }, /invalid credentials \(missing\); allowed: Credentials.fromSecret/],
    ['an unknown zone spread', { zoneSpread: 'sometimes' as never }, /invalid zoneSpread "sometimes"; allowed: required, preferred/],
    ['a bad pull secret', { imagePullSecrets: ['Bad Secret'] }, /invalid imagePullSecrets\[0\] "Bad Secret"; allowed: a DNS subdomain/],
    ['a bad monitoring namespace', { monitoringNamespace: 'Monitoring' }, /invalid monitoringNamespace "Monitoring"; allowed: a DNS label/],
    ['a bad metrics Secret', { metricsCredentials: SecretKeyRef.of('Qdrant Metrics', 'token') }, /invalid metricsCredentials.secretName "Qdrant Metrics"; allowed: a DNS subdomain/],
    ['metrics credentials that are not a SecretKeyRef', { metricsCredentials: { name: 'x', key: 'y' } as never }, /invalid metricsCredentials \{"name":"x","key":"y"\}; allowed: SecretKeyRef.of/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthQdrant(props)).toThrow(message);
  });
});

describe('Qdrant with TLS', () => {
  const tls = TlsCertificate.fromSecret('memos-qdrant-tls');

  test('REST, gRPC and p2p serve the Secret\'s certificate; every object passes the schemas and the pod policy', () => {
    const { objects, pod, main } = synthQdrant({ tls, replicas: 3 });
    const env = Object.fromEntries(main.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      QDRANT__SERVICE__ENABLE_TLS: 'true',
      QDRANT__CLUSTER__P2P__ENABLE_TLS: 'true',
      QDRANT__TLS__CERT: '/qdrant/tls/tls.crt',
      QDRANT__TLS__KEY: '/qdrant/tls/tls.key',
      QDRANT__TLS__CA_CERT: '/qdrant/tls/ca.crt',
      QDRANT__TLS__CERT_TTL: '3600',
    });
    expect(main.volumeMounts).toContainEqual({ name: 'qdrant-tls', mountPath: '/qdrant/tls', readOnly: true });
    expect(main.volumeMounts.find((m: any) => m.name === 'qdrant-tls').subPath).toBeUndefined();
    expect(pod.volumes).toContainEqual({
      name: 'qdrant-tls',
      secret: {
        secretName: 'memos-qdrant-tls', defaultMode: 0o440,
        items: [{ key: 'ca.crt', path: 'ca.crt' }, { key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
      },
    });
    // 0440 files belong to the fsGroup, which is Qdrant's group.
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    expect(validateManifests(objects)).toEqual([]);
    expect(policyViolations(objects)).toEqual([]);
  });

  test('probes use HTTPS with the same paths and timing', () => {
    const plain = synthQdrant().main;
    const { main } = synthQdrant({ tls });
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(main[probe]).toEqual({ ...plain[probe], httpGet: { ...plain[probe].httpGet, scheme: 'HTTPS' } });
    }
  });

  test('peers bootstrap over https://', () => {
    const script = synthQdrant({ tls, replicas: 3 }).main.command[2];
    expect(bootstrapArgs(script, 'memos-qdrant-0')).toBe('--uri https://memos-qdrant-0.memos-qdrant-headless:6335');
    expect(bootstrapArgs(script, 'memos-qdrant-2')).toBe('--bootstrap https://memos-qdrant-0.memos-qdrant-headless:6335 --uri https://memos-qdrant-2.memos-qdrant-headless:6335');
  });

  test('the ServiceMonitor scrapes over https, verifying against a CA copy in the monitoring namespace', () => {
    const endpoint = only(synthQdrant({ tls }).objects, 'ServiceMonitor').spec.endpoints[0];
    expect(endpoint).toMatchObject({
      port: 'http', path: '/metrics', scheme: 'https',
      tlsConfig: { ca: { secret: { name: 'memos-memos-qdrant-metrics', key: 'ca.crt' } }, serverName: 'memos-qdrant' },
      authorization: { type: 'Bearer', credentials: { name: 'memos-memos-qdrant-metrics', key: 'QDRANT_READ_ONLY_API_KEY' } },
    });
    const custom = only(synthQdrant({ tls, metricsCredentials: SecretKeyRef.of('qdrant-metrics', 'token') }).objects, 'ServiceMonitor').spec.endpoints[0];
    expect(custom.tlsConfig.ca.secret).toEqual({ name: 'qdrant-metrics', key: 'ca.crt' });
    const ca = only(synthQdrant({ tls, apiKey: false, metricsCa: SecretKeyRef.of('monitoring-ca', 'root.pem') }).objects, 'ServiceMonitor').spec.endpoints[0];
    expect(ca.tlsConfig).toEqual({ ca: { secret: { name: 'monitoring-ca', key: 'root.pem' } }, serverName: 'memos-qdrant' });
    expect(ca.authorization).toBeUndefined();
  });

  test('exposes the https URL, the scheme and the certificate', () => {
    const { qdrant } = buildQdrant({ tls });
    expect([qdrant.url, qdrant.scheme, qdrant.tls]).toEqual(['https://memos-qdrant:6333', 'https', tls]);
    const plain = buildQdrant().qdrant;
    expect([plain.url, plain.scheme, plain.tls]).toEqual(['http://memos-qdrant:6333', 'http', undefined]);
  });

  test('without tls: no TLS variable, volume, scheme or tlsConfig', () => {
    const { objects, pod, main } = synthQdrant();
    expect(main.env.map((e: any) => e.name).filter((n: string) => n.includes('TLS'))).toEqual([]);
    expect((pod.volumes ?? []).map((v: any) => v.name)).not.toContain('qdrant-tls');
    const endpoint = only(objects, 'ServiceMonitor').spec.endpoints[0];
    expect([endpoint.scheme, endpoint.tlsConfig]).toEqual([undefined, undefined]);
    // metricsCa only matters with tls.
    expect(only(synthQdrant({ metricsCa: SecretKeyRef.of('monitoring-ca', 'ca.crt') }).objects, 'ServiceMonitor').spec.endpoints[0].tlsConfig).toBeUndefined();
  });

  const invalid: [string, Partial<QdrantProps>, RegExp][] = [
    ['a Secret name instead of a TlsCertificate', { tls: 'memos-qdrant-tls' as never }, /Qdrant 'test\/Qdrant': invalid tls "memos-qdrant-tls"; allowed: TlsCertificate.fromSecret/],
    ['a bad Secret name', { tls: TlsCertificate.fromSecret('Qdrant TLS') }, /invalid tls.secretName "Qdrant TLS"; allowed: a DNS subdomain/],
    ['a metrics CA that is not a SecretKeyRef', { tls, metricsCa: { name: 'x', key: 'ca.crt' } as never }, /invalid metricsCa \{"name":"x","key":"ca.crt"\}; allowed: SecretKeyRef.of/],
    ['a bad metrics CA Secret', { tls, metricsCa: SecretKeyRef.of('Monitoring CA', 'ca.crt') }, /invalid metricsCa.secretName "Monitoring CA"; allowed: a DNS subdomain/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthQdrant(props)).toThrow(message);
  });
});

describe('Qdrant in MemosChart', () => {
  test('MemOS gets QDRANT_URL and the key when Qdrant requires one, host and port otherwise', () => {
    const withKey = only(synthChart({ size: MemosSize.SMALL }), 'ConfigMap', 'memos-config').data;
    expect(withKey.QDRANT_URL).toBe('http://memos-qdrant:6333');
    expect(withKey.QDRANT_HOST).toBeUndefined();
    const api = only(synthChart({ size: MemosSize.SMALL }), 'Deployment', 'memos-api').spec.template.spec.containers[0];
    expect(api.env).toContainEqual({ name: 'QDRANT_API_KEY', valueFrom: { secretKeyRef: { name: 'memos-secrets', key: 'QDRANT_API_KEY', optional: false } } });
    const without = only(synthChart({
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster({ apiKey: false }) }),
    }), 'ConfigMap', 'memos-config').data;
    expect([without.QDRANT_HOST, without.QDRANT_PORT, without.QDRANT_URL]).toEqual(['memos-qdrant', '6333', undefined]);
  });

  test('the size preset sizes Qdrant; the user options override it', () => {
    const medium = only(synthChart({ size: MemosSize.MEDIUM, ...servicesFor(MemosSize.MEDIUM) }), 'StatefulSet', 'memos-qdrant');
    expect(medium.spec.replicas).toBe(3);
    // Medium: a s7.xlarge.4 node to itself (seed §4.2), less CCE's reservation: 3.5 CPU, 12.5 GiB.
    expect(medium.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '3.5', 'ephemeral-storage': '2049Mi', memory: '12800Mi' });
    expect(medium.spec.volumeClaimTemplates.map((t: any) => t.spec.resources.requests.storage)).toEqual(['300Gi', '150Gi']);
    const small = only(synthChart({
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster({ replicas: 3 }) }),
    }), 'StatefulSet', 'memos-qdrant');
    expect(small.spec.replicas).toBe(3);
    expect(small.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '1.5', 'ephemeral-storage': '2049Mi', memory: '5632Mi' });
  });

  test('an external Qdrant emits no Qdrant objects', () => {
    const objects = synthChart({
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.external({ host: 'qdrant.example.com', port: 6333 }) }),
    });
    expect(objects.filter((o) => o.metadata.name.includes('qdrant'))).toEqual([]);
    expect(only(objects, 'ConfigMap', 'memos-config').data.QDRANT_HOST).toBe('qdrant.example.com');
  });

  test('reports invalid Qdrant options under the user\'s path', () => {
    expect(() => synthChart({
      size: MemosSize.SMALL,
      storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster({ replicas: 2 }) }),
    })).toThrow(/MemosChart 'test': invalid storage.qdrant.replicas 2; allowed: 1, or 3 and more/);
  });
});
