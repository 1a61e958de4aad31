import { IConstruct } from 'constructs';
import { MilvusLogFormat, MilvusLogLevel } from './milvus-topology';
import { invalidProp, requireEnum } from '../src/validation';

/*
 * Overrides of milvus.yaml as `/milvus/configs/user.yaml`.
 *
 * Milvus reads, from its config directory (`$MILVUSCONF`, else `<cwd>/configs`: the image's
 * WORKDIR is /milvus), "milvus.yaml", "_test.yaml", "default.yaml", "user.yaml" in that order,
 * later files overriding earlier ones ("order: milvus.yaml < _test.yaml < default.yaml <
 * user.yaml": milvus-io/milvus pkg/util/paramtable/base_table.go, `defaultYaml`, `initConfPath`,
 * `initConfigsFromLocal`). milvus-helm mounts its `extraConfigFiles.user.yaml` there the same
 * way, as a subPath file of the chart's ConfigMap (zilliztech/milvus-helm charts/milvus/values.yaml
 * `extraConfigFiles`, "the top priority"; templates/proxy-deployment.yaml, volumeMounts
 * `mountPath: /milvus/configs/user.yaml`, `subPath: user.yaml`).
 *
 * Environment variables outrank every file: the env source has NormalPriority (11), the file
 * source LowPriority (21), and a lower number wins (milvus-io/milvus pkg/config/source.go
 * `HighPriority = 1; NormalPriority = HighPriority + 10; LowPriority = NormalPriority + 10`,
 * env_source.go and file_source.go `GetPriority`). What this construct sets as env (etcd,
 * object storage, the queue, authentication, active-standby) would silently win over user.yaml:
 * those keys are refused below, naming the prop that sets them.
 */

/**
 * Key of user.yaml in its ConfigMap and its file name in the config directory.
 * @internal
 */
export const USER_CONFIG_FILE = 'user.yaml';
/**
 * Where Milvus reads user.yaml (a subPath file mount; the directory keeps the image's milvus.yaml).
 * @internal
 */
export const USER_CONFIG_PATH = `/milvus/configs/${USER_CONFIG_FILE}`;

/**
 * Keys (dotted, compared case-insensitively without `_` and `-`) the construct sets, with the prop
 * that sets them instead. A key matches itself and everything below it.
 */
const MANAGED_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['etcd.endpoints', 'topology (the construct runs etcd: embedded when standalone, its own cluster when distributed)'],
  ['etcd.use.embed', 'topology (embedded etcd when standalone)'],
  ['etcd.data.dir', 'topology (embedded etcd keeps its data on the standalone volume)'],
  ['etcd.config.path', 'topology (the construct mounts embedEtcd.yaml)'],
  ['metastore.type', 'topology (the metadata is in etcd)'],
  ['common.storageType', 'topology.objectStorage'],
  ['localStorage.path', 'topology (the writable volume at /var/lib/milvus)'],
  ['minio.address', 'topology.objectStorage.endpoint'],
  ['minio.port', 'topology.objectStorage (OBS over HTTPS on 443)'],
  ['minio.useSSL', 'topology.objectStorage (OBS over HTTPS on 443)'],
  ['minio.bucketName', 'topology.objectStorage.bucket'],
  ['minio.rootPath', 'topology.objectStorage.rootPath'],
  ['minio.region', 'topology.objectStorage.region'],
  ['minio.cloudProvider', 'topology.objectStorage (OBS through the S3 API)'],
  ['minio.useVirtualHost', 'topology.objectStorage (OBS through the S3 API)'],
  ['minio.useIAM', 'topology.objectStorage (keys from the credentials Secret)'],
  ['mq.type', 'topology (Woodpecker on the local volume when standalone, Kafka when distributed)'],
  ['woodpecker.storage.type', 'topology (Woodpecker on the local volume when standalone)'],
  ['kafka.brokerList', 'topology.kafka.brokers'],
  ['kafka.saslUsername', 'topology.kafka.saslUser'],
  ['kafka.saslMechanisms', 'topology.kafka.saslUser'],
  ['kafka.securityProtocol', 'topology.kafka.saslUser'],
  ['common.security.authorizationEnabled', 'nothing: authentication is always on (root password from credentials)'],
  ['mixCoord.enableActiveStandby', 'topology.mixCoord (always active-standby)'],
  ['rootCoord.enableActiveStandby', 'topology.mixCoord (always active-standby)'],
  ['dataCoord.enableActiveStandby', 'topology.mixCoord (always active-standby)'],
  ['queryCoord.enableActiveStandby', 'topology.mixCoord (always active-standby)'],
  // The Services, probes and NetworkPolicies use these ports (milvus-ports.ts, milvus-roles.ts);
  // `common.MetricsPort` defaults to 9091 (pkg/util/paramtable/component_param.go).
  ['common.metricsPort', 'nothing: the construct serves metrics and health on 9091 (ports)'],
  ['proxy.port', 'nothing: the construct serves clients on 19530 (ports)'],
  ['proxy.http.port', 'nothing: the construct serves REST with gRPC on 19530 (ports)'],
  ['queryNode.port', 'nothing: the construct declares 21123 (ports)'],
  ['dataNode.port', 'nothing: the construct declares 21124 (ports)'],
  ['streamingNode.port', 'nothing: the construct declares 22222 (ports)'],
  ['log.level', 'logLevel'],
  ['log.format', 'logFormat'],
];

/** Path segments that name a credential: credentials come only from Secrets. */
const CREDENTIAL_SEGMENT = /password|secret|accesskey|sasl|credential|token/;

const normalize = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

/** `config` flattened to dotted paths (keys holding dots split as Milvus's loader does). */
function leaves(value: unknown, path: string[], out: [string[], unknown][]): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leaves(child, [...path, ...key.split('.')], out);
  } else {
    out.push([path, value]);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function isYamlValue(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isYamlValue);
  if (isPlainObject(value)) return Object.values(value).every(isYamlValue);
  return false;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Block-style YAML: maps nested by indentation, scalars and lists as JSON (valid YAML flow). */
function toYaml(map: Record<string, unknown>, indent: string): string {
  return Object.keys(map).sort().map((key) => {
    const value = map[key];
    const name = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
    if (isPlainObject(value) && Object.keys(value).length > 0) return `${indent}${name}:\n${toYaml(value, `${indent}  `)}`;
    return `${indent}${name}: ${JSON.stringify(value)}\n`;
  }).join('');
}

/** Sets `value` at `path` in `target`, creating the maps on the way. */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    if (!isPlainObject(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/**
 * The user.yaml for `config`, `logLevel` and `logFormat`, validated against `scope`; undefined
 * when none is set (no ConfigMap, no mount: the pods stay as they were).
 * @internal
 */
export function renderUserConfig(scope: IConstruct, config: unknown, logLevel: unknown, logFormat: unknown): string | undefined {
  if (config === undefined && logLevel === undefined && logFormat === undefined) return undefined;
  const merged: Record<string, unknown> = {};
  if (config !== undefined) {
    if (!isPlainObject(config)) invalidProp(scope, 'config', config, 'a map of milvus.yaml sections, e.g. { queryNode: { segcore: { chunkRows: 256 } } }');
    const flat: [string[], unknown][] = [];
    if (Object.keys(config).length > 0) leaves(config, [], flat);
    for (const [path, value] of flat) {
      const key = path.join('.');
      if (path.length === 0 || path.some((segment) => segment === '')) {
        invalidProp(scope, `config.${key}`, value, 'non-empty key segments');
      }
      const credential = path.find((segment) => CREDENTIAL_SEGMENT.test(normalize(segment)));
      if (credential !== undefined) {
        invalidProp(scope, `config.${key}`, '(hidden)',
          `no credential in config (key segment "${credential}"): credentials come only from Secrets, through the credentials prop`);
      }
      const normalized = path.map(normalize).join('.');
      const managed = MANAGED_KEYS.find(([managedKey]) => {
        const m = managedKey.split('.').map(normalize).join('.');
        return normalized === m || normalized.startsWith(`${m}.`) || m.startsWith(`${normalized}.`);
      });
      if (managed) invalidProp(scope, `config.${key}`, value, `nothing here: managed by the construct; use ${managed[1]}`);
      if (!isYamlValue(value)) invalidProp(scope, `config.${key}`, value, 'a string, finite number, boolean, null, list of those or nested map');
      setPath(merged, path, value);
    }
  }
  const log: Record<string, unknown> = {};
  if (logLevel !== undefined) log.level = requireEnum(scope, 'logLevel', logLevel, MilvusLogLevel);
  if (logFormat !== undefined) log.format = requireEnum(scope, 'logFormat', logFormat, MilvusLogFormat);
  if (Object.keys(log).length > 0) merged.log = { ...(merged.log as Record<string, unknown> ?? {}), ...log };
  return Object.keys(merged).length > 0 ? toYaml(merged, '') : undefined;
}
