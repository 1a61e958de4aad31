/**
 * Engine configuration pass-through and probe/termination tuning (issue 18, items 1 and 3):
 * Qdrant's `config` (local.yaml) and `logLevel`, Neo4j's `settings` and `jvmAdditional`, and
 * `startupBudget`/`terminationGracePeriod` of Qdrant, Neo4j and Redis, through the stack's backends.
 */
import { Duration, Size } from 'cdk8s';
import { ENVIRONMENTS } from '../app/environments';
import { renderEnvironments } from '../app/synth';
import { parse } from 'yaml';
import { MemoryStorage, MilvusDeployment, Neo4jBackend, QdrantBackend, RedisQueue } from '../charts/backends';
import { MilvusOptions } from '../constructs/milvus';
import { MemosSize } from '../charts/presets';
import { QdrantLogLevel, QdrantOptions } from '../constructs/qdrant';
import { Neo4jOptions } from '../constructs/neo4j-options';
import { RedisServerOptions } from '../constructs/redis-server';
import { parseManifests, validateManifests } from './support/schema';
import { container, only, synthChart } from './support/synth';

const withQdrant = (qdrant: QdrantOptions) => synthChart({ size: MemosSize.SMALL, storage: MemoryStorage.neo4jAndQdrant({ qdrant: QdrantBackend.inCluster(qdrant) }) });
const withNeo4j = (neo4j: Neo4jOptions) => synthChart({ size: MemosSize.SMALL, storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster(neo4j) }) });
const withRedis = (redis: RedisServerOptions) => synthChart({ size: MemosSize.SMALL, queue: RedisQueue.inCluster(redis) });
const podSpec = (o: any) => o.spec.template.spec;
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));

describe('Qdrant configuration', () => {
  const config = { storage: { optimizers: { default_segment_number: 4 }, performance: { max_search_threads: 4 } }, service: { max_request_size_mb: 64 } };

  test('config is a local.yaml in a ConfigMap, mounted where Qdrant merges it last, and rolls the pods', () => {
    const objects = withQdrant({ config });
    const cm = only(objects, 'ConfigMap', 'memos-qdrant-config');
    expect(parse(cm.data['local.yaml'])).toEqual(config);
    const sts = only(objects, 'StatefulSet', 'memos-qdrant');
    expect(container(sts, 'qdrant').volumeMounts).toContainEqual({ name: 'qdrant-config', mountPath: '/qdrant/config/local.yaml', subPath: 'local.yaml', readOnly: true });
    expect(podSpec(sts).volumes).toContainEqual({ name: 'qdrant-config', configMap: { name: 'memos-qdrant-config' } });
    const checksum = sts.spec.template.metadata.annotations['checksum/config'];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const changed = only(withQdrant({ config: { storage: { performance: { max_search_threads: 8 } } } }), 'StatefulSet', 'memos-qdrant');
    expect(changed.spec.template.metadata.annotations['checksum/config']).not.toBe(checksum);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('without config, no ConfigMap and no checksum (the presets are unchanged)', () => {
    const objects = withQdrant({});
    expect(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'memos-qdrant-config')).toBe(false);
    expect(only(objects, 'StatefulSet', 'memos-qdrant').spec.template.metadata.annotations?.['checksum/config']).toBeUndefined();
  });

  test('logLevel sets QDRANT__LOG_LEVEL; startupBudget and terminationGracePeriod tune the pod', () => {
    const sts = only(withQdrant({ logLevel: QdrantLogLevel.DEBUG, startupBudget: Duration.hours(1), terminationGracePeriod: Duration.minutes(5) }), 'StatefulSet', 'memos-qdrant');
    const c = container(sts, 'qdrant');
    expect(envOf(c).QDRANT__LOG_LEVEL).toBe('DEBUG');
    expect(c.startupProbe).toMatchObject({ periodSeconds: 10, failureThreshold: 360 });
    expect(podSpec(sts).terminationGracePeriodSeconds).toBe(300);
    const defaults = only(withQdrant({}), 'StatefulSet', 'memos-qdrant');
    expect(container(defaults, 'qdrant').startupProbe.failureThreshold).toBe(120);
    expect(podSpec(defaults).terminationGracePeriodSeconds).toBe(60);
    expect(envOf(container(defaults, 'qdrant')).QDRANT__LOG_LEVEL).toBeUndefined();
  });

  test.each<[string, QdrantOptions, RegExp]>([
    ['a cluster setting', { config: { cluster: { p2p: { port: 7000 } } } }, /invalid storage\.qdrant\.config\.cluster\.p2p\.port "cluster\.p2p\.port"; allowed: a setting the construct does not manage: cluster is set by the construct \(replicas/],
    ['the replication factor', { config: { storage: { collection: { replication_factor: 3 } } } }, /config\.storage\.collection\.replication_factor .*\(replicationFactor\)/],
    ['the log level in config', { config: { log_level: 'DEBUG' } }, /config\.log_level .*\(logLevel\)/],
    ['an API key', { config: { service: { api_key: 'x' } } }, /config\.service\.api_key /],
    ['a credential under another name', { config: { storage: { s3: { secret_key: 'x' } } } }, /config\.storage\.s3\.secret_key "storage\.s3\.secret_key"; allowed: no credentials in configuration/],
    ['a value that is not plain', { config: { storage: { performance: { max_search_threads: Number.NaN } } } }, /config\.storage\.performance\.max_search_threads NaN|config\.storage\.performance\.max_search_threads null/],
    ['a config that is not a map', { config: ['a'] as any }, /invalid storage\.qdrant\.config \["a"\]/],
    ['a log level', { logLevel: 'LOUD' as any }, /invalid storage\.qdrant\.logLevel "LOUD"; allowed: TRACE, DEBUG, INFO, WARN, ERROR/],
    ['a startup budget below one period', { startupBudget: Duration.seconds(5) }, /invalid storage\.qdrant\.startupBudget "5s"; allowed: a duration from 10 seconds to 24 hours/],
    ['a grace period above an hour', { terminationGracePeriod: Duration.hours(2) }, /invalid storage\.qdrant\.terminationGracePeriod "7200s"; allowed: a whole number of seconds from 10 to 3600/],
  ])('rejects %s, naming the prop', (_what, options, message) => {
    expect(() => withQdrant(options)).toThrow(message);
  });
});

describe('Neo4j settings and JVM arguments', () => {
  test('settings and jvmAdditional reach the image\'s environment form; tuning reaches the pod', () => {
    const objects = withNeo4j({
      settings: { 'db.transaction.timeout': '60s', 'db.logs.query.enabled': 'INFO' },
      jvmAdditional: ['-XX:+ExitOnOutOfMemoryError', '-XX:+UseG1GC'],
      startupBudget: Duration.hours(2),
      terminationGracePeriod: Duration.hours(1),
    });
    const sts = only(objects, 'StatefulSet', 'memos-neo4j');
    const env = envOf(container(sts, 'neo4j'));
    expect(env.NEO4J_db_transaction_timeout).toBe('60s');
    expect(env.NEO4J_db_logs_query_enabled).toBe('INFO');
    expect(env.NEO4J_server_jvm_additional).toBe('-XX:+ExitOnOutOfMemoryError -XX:+UseG1GC');
    expect(container(sts, 'neo4j').startupProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 1440 });
    expect(podSpec(sts).terminationGracePeriodSeconds).toBe(3600);
    expect(validateManifests(objects)).toEqual([]);
    const defaults = only(withNeo4j({}), 'StatefulSet', 'memos-neo4j');
    expect(container(defaults, 'neo4j').startupProbe.failureThreshold).toBe(360);
    expect(podSpec(defaults).terminationGracePeriodSeconds).toBe(600);
  });

  test('an underscore in a setting name is doubled, as the image\'s entrypoint expects', () => {
    const env = envOf(container(only(withNeo4j({ settings: { 'db.tx_log.rotation.size': '256M' } }), 'StatefulSet', 'memos-neo4j'), 'neo4j'));
    expect(env.NEO4J_db_tx__log_rotation_size).toBe('256M');
  });

  test.each<[string, Neo4jOptions, RegExp]>([
    ['a managed memory setting', { settings: { 'server.memory.heap.max_size': '4g' } }, /invalid storage\.neo4j\.settings\.server\.memory\.heap\.max_size .*resources/],
    ['the listen address', { settings: { 'server.default_listen_address': '127.0.0.1' } }, /invalid storage\.neo4j\.settings\.server\.default_listen_address .*construct does not manage/],
    ['JVM arguments as a setting', { settings: { 'server.jvm.additional': '-Xss1m' } }, /settings\.server\.jvm\.additional .*\(jvmAdditional\)/],
    ['a password setting', { settings: { 'dbms.security.ldap.authentication.password': 'x' } }, /no credentials in configuration/],
    ['a setting name', { settings: { 'DB.Timeout': '1s' } }, /invalid storage\.neo4j\.settings "DB\.Timeout"/],
    ['a multi-line value', { settings: { 'db.transaction.timeout': '1s\nserver.x=y' } }, /invalid storage\.neo4j\.settings\.db\.transaction\.timeout .*one line/],
    ['a JVM argument with a space', { jvmAdditional: ['-Dfoo=a b'] }, /invalid storage\.neo4j\.jvmAdditional\[0\] "-Dfoo=a b"/],
    ['a heap size', { jvmAdditional: ['-Xmx8g'] }, /invalid storage\.neo4j\.jvmAdditional\[0\] "-Xmx8g"; allowed: no heap size/],
    ['a grace period above an hour', { terminationGracePeriod: Duration.seconds(3601) }, /invalid storage\.neo4j\.terminationGracePeriod "3601s"; allowed: a whole number of seconds from 30 to 3600/],
    ['a startup budget of more than a day', { startupBudget: Duration.days(2) }, /invalid storage\.neo4j\.startupBudget "172800s"/],
  ])('rejects %s, naming the prop', (_what, options, message) => {
    expect(() => withNeo4j(options)).toThrow(message);
  });
});

describe('Redis tuning', () => {
  test('startupBudget and terminationGracePeriod', () => {
    const sts = only(withRedis({ startupBudget: Duration.minutes(20), terminationGracePeriod: Duration.minutes(2) }), 'StatefulSet', 'memos-redis');
    expect(container(sts, 'redis').startupProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 240 });
    expect(podSpec(sts).terminationGracePeriodSeconds).toBe(120);
    expect(() => withRedis({ terminationGracePeriod: Duration.seconds(5) })).toThrow(/invalid queue\.terminationGracePeriod "5s"/);
  });
});

describe('Qdrant snapshot restoration at start-up', () => {
  const restoration = { claimName: 'qdrant-restore', snapshots: [{ path: 'neo4j_vec_db/neo4j_vec_db-2026-11-27.snapshot', collection: 'neo4j_vec_db' }] };

  test('the volume is mounted read-only and node 0 starts with --snapshot <file>:<collection>', () => {
    const objects = withQdrant({ snapshotRestoration: restoration });
    const sts = only(objects, 'StatefulSet', 'memos-qdrant');
    const c = container(sts, 'qdrant');
    expect(c.command[2]).toContain(`exec ./entrypoint.sh --uri "$self" --snapshot '/qdrant/snapshot-restoration/neo4j_vec_db/neo4j_vec_db-2026-11-27.snapshot:neo4j_vec_db'\n`);
    expect(c.command[2]).not.toContain('--force-snapshot');
    expect(c.volumeMounts).toContainEqual({ name: 'qdrant-snapshot-restoration', mountPath: '/qdrant/snapshot-restoration', readOnly: true });
    expect(podSpec(sts).volumes).toContainEqual({ name: 'qdrant-snapshot-restoration', persistentVolumeClaim: { claimName: 'qdrant-restore', readOnly: true } });
    expect(validateManifests(objects)).toEqual([]);
    const forced = container(only(withQdrant({ snapshotRestoration: { ...restoration, force: true } }), 'StatefulSet', 'memos-qdrant'), 'qdrant');
    expect(forced.command[2]).toContain(":neo4j_vec_db' --force-snapshot\n");
  });

  test.each<[string, QdrantOptions, RegExp]>([
    ['a cluster', { replicas: 3, snapshotRestoration: restoration }, /invalid storage\.qdrant\.snapshotRestoration "qdrant-restore"; allowed: a single node \(replicas 1\)/],
    ['no snapshots', { snapshotRestoration: { claimName: 'x', snapshots: [] } }, /invalid storage\.qdrant\.snapshotRestoration\.snapshots \[\]/],
    ['a path out of the volume', { snapshotRestoration: { claimName: 'x', snapshots: [{ path: '../etc/passwd', collection: 'c' }] } }, /invalid storage\.qdrant\.snapshotRestoration\.snapshots\[0\]\.path "\.\.\/etc\/passwd"/],
    ['a path with a quote', { snapshotRestoration: { claimName: 'x', snapshots: [{ path: "a'b.snapshot", collection: 'c' }] } }, /snapshots\[0\]\.path /],
    ['a collection name', { snapshotRestoration: { claimName: 'x', snapshots: [{ path: 'a.snapshot', collection: 'a b' }] } }, /snapshots\[0\]\.collection "a b"/],
    ['a collection twice', { snapshotRestoration: { claimName: 'x', snapshots: [{ path: 'a.snapshot', collection: 'c' }, { path: 'b.snapshot', collection: 'c' }] } }, /snapshots\[1\]\.collection "c"; allowed: each collection once/],
    ['a claim name', { snapshotRestoration: { claimName: 'Bad_Claim', snapshots: [{ path: 'a.snapshot', collection: 'c' }] } }, /invalid storage\.qdrant\.snapshotRestoration\.claimName "Bad_Claim"/],
  ])('rejects %s, naming the prop', (_what, options, message) => {
    expect(() => withQdrant(options)).toThrow(message);
  });
});

describe('Neo4j offline maintenance', () => {
  test('a sleep loop instead of Neo4j, without startup and liveness probes; readiness stays', () => {
    const objects = withNeo4j({ offlineMaintenance: true });
    const c = container(only(objects, 'StatefulSet', 'memos-neo4j'), 'neo4j');
    expect(c.command).toEqual(['bash', '-c', expect.stringMatching(/^while true; do echo 'Neo4j is not running: offline maintenance.*sleep 60; done$/)]);
    expect(c.startupProbe).toBeUndefined();
    expect(c.livenessProbe).toBeUndefined();
    expect(c.readinessProbe).toBeDefined();
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toContain('/data');
    expect(validateManifests(objects)).toEqual([]);
    const normal = container(only(withNeo4j({ offlineMaintenance: false }), 'StatefulSet', 'memos-neo4j'), 'neo4j');
    expect(normal.command).toBeUndefined();
    expect(normal.startupProbe).toBeDefined();
    expect(normal.livenessProbe).toBeDefined();
  });

  test('rejects a value that is not a boolean', () => {
    expect(() => withNeo4j({ offlineMaintenance: 'yes' as any })).toThrow(/invalid storage\.neo4j\.offlineMaintenance "yes"; allowed: true or false/);
  });
});

describe('Milvus tuning', () => {
  const withMilvus = (options: MilvusOptions) => synthChart({ size: MemosSize.SMALL, milvus: MilvusDeployment.inCluster(options) });

  test('startupBudget and terminationGracePeriod reach every Milvus pod; defaults are 10 min and 2 min', () => {
    const sts = only(withMilvus({ startupBudget: Duration.minutes(30), terminationGracePeriod: Duration.minutes(5) }), 'StatefulSet', 'memos-milvus-standalone');
    expect(container(sts, 'standalone').startupProbe).toMatchObject({ periodSeconds: 10, failureThreshold: 180 });
    expect(podSpec(sts).terminationGracePeriodSeconds).toBe(300);
    const defaults = only(withMilvus({}), 'StatefulSet', 'memos-milvus-standalone');
    expect(container(defaults, 'standalone').startupProbe.failureThreshold).toBe(60);
    expect(podSpec(defaults).terminationGracePeriodSeconds).toBe(120);
  });

  test.each<[string, MilvusOptions, RegExp]>([
    ['a startup budget of a second', { startupBudget: Duration.seconds(1) }, /invalid milvus\.startupBudget "1s"; allowed: a duration from 10 seconds to 24 hours/],
    ['a grace period of 5 s', { terminationGracePeriod: Duration.seconds(5) }, /invalid milvus\.terminationGracePeriod "5s"; allowed: a whole number of seconds from 10 to 3600/],
    ['a grace period that is not a Duration', { terminationGracePeriod: 120 as any }, /invalid milvus\.terminationGracePeriod 120; allowed: a Duration/],
  ])('rejects %s, naming the prop', (_what, options, message) => {
    expect(() => withMilvus(options)).toThrow(message);
  });
});

describe('startup budgets that fit the data', () => {
  test('a store\'s default budget covers reading its whole volume once at EVS SSD throughput (350 MB/s), rounded up to 10 minutes', () => {
    // 2 TiB / 350 MB/s = 6283 s: 110 minutes, in 10 s periods.
    const qdrant = container(only(withQdrant({ storage: { size: Size.tebibytes(2) } }), 'StatefulSet', 'memos-qdrant'), 'qdrant');
    expect(qdrant.startupProbe.failureThreshold).toBe(660);
    // 100 GiB reads in 5 minutes: Qdrant's 20-minute floor stays.
    expect(container(only(withQdrant({}), 'StatefulSet', 'memos-qdrant'), 'qdrant').startupProbe.failureThreshold).toBe(120);
    // A budget given wins.
    expect(container(only(withQdrant({ storage: { size: Size.tebibytes(2) }, startupBudget: Duration.minutes(15) }), 'StatefulSet', 'memos-qdrant'), 'qdrant').startupProbe.failureThreshold).toBe(90);
    // Neo4j: 1 TiB reads in 53 minutes: 60, in 5 s periods.
    expect(container(only(withNeo4j({ storage: { size: Size.tebibytes(1) } }), 'StatefulSet', 'memos-neo4j'), 'neo4j').startupProbe.failureThreshold).toBe(720);
  });

  test('the shipped presets: only large\'s 1 TiB Qdrant nodes need more than the floor', () => {
    const rendered = renderEnvironments(ENVIRONMENTS);
    const threshold = (env: string, sts: string, c: string) => container(only(parseManifests(rendered.get(env)!.yaml), 'StatefulSet', sts), c).startupProbe.failureThreshold;
    expect(['small', 'medium', 'large'].map((e) => threshold(e, 'memos-qdrant', 'qdrant'))).toEqual([120, 120, 360]);
    expect(['small', 'medium', 'large'].map((e) => threshold(e, 'memos-neo4j', 'neo4j'))).toEqual([360, 360, 360]);
  });
});
