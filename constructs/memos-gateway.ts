import { createHash } from 'crypto';
import { Chart, Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ElbService, ElbServiceOptions } from './elb-service';
import { GATEWAY_HEALTH_PATH, GATEWAY_LIVE_PATH, GATEWAY_PATHS, gatewayFiles, IDENTITY_PATTERN, renderGatewayConfig, RenderedRoute } from './gateway-config';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { applyPodOverrides } from '../src/pod-overrides';
import { CCE_MONITORING_NAMESPACE, CCE_SWR_PULL_SECRET } from '../src/cce';
import {
  addDisruptionBudget, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, httpProbe, MonitoredProps,
  selectorLabels, selectPods, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, ZoneSpread,
} from '../src/kubernetes';
import { MEMOS_HEALTH_PATH } from '../src/memos';
import { requireSecretKeyName } from '../src/credentials';
import { Connections, NetworkPort, tcp } from '../src/network';
import { invalidProp, reportAs, requireDnsLabel, requireDnsSubdomain, requireEnum, requireHost, requireInteger, requireNonEmpty, requirePinnedImage } from '../src/validation';

/**
 * HAProxy, the Docker Official Image (docker-library/haproxy, `2.6/alpine/Dockerfile`): built with
 * USE_OPENSSL (jwt_verify), USE_LUA and USE_PROMEX; runs as user `haproxy` (uid/gid 99); reads
 * `/usr/local/etc/haproxy/haproxy.cfg` (`CMD`); stops gracefully on SIGUSR1 (`STOPSIGNAL`).
 * The same 2.6 branch as Debian bookworm's haproxy, which the integration test runs. 2.6 is
 * maintained until about Q2 2027: move to 2.8 LTS (until 2028) or 3.2 LTS with the next release.
 */
export const DEFAULT_GATEWAY_IMAGE = 'docker.io/library/haproxy:2.6.18-alpine';

/** Connections of the API listener per pod. */
const MAX_CONNECTIONS = 1000;
/** Seconds a stopping pod keeps serving while the ELB and the endpoints drop it. */
const PRE_STOP_SECONDS = 15;

/** uid and gid of the image's `haproxy` user. */
const HAPROXY_UID = 99;
const LISTEN_PORT = 8080;
const OPS_PORT = 8404;

/** HTTP methods of gateway routes. */
export enum HttpMethod {
  /** GET: the user is read from the query string. */
  GET = 'GET',
  /** POST: the user is read from the JSON body. */
  POST = 'POST',
}

/** Where MemOS reads the user of a route from. */
export enum UserIdLocation {
  /** `user_id` at the top level of the JSON body. */
  BODY = 'body',
  /** `?user_id=` in the query string. */
  QUERY = 'query',
}

/** A MemOS route the gateway lets through. */
export interface GatewayRoute {
  /** Method. */
  readonly method: HttpMethod;
  /** Exact path, e.g. `/product/search`: no prefix matching, no normalisation. */
  readonly path: string;
  /** Where MemOS reads the user from; the gateway binds it to the caller's identity. */
  readonly userIdIn: UserIdLocation;
}

/** Signature algorithms the gateway verifies (asymmetric only: the keys are public). */
export enum JwtAlgorithm {
  /** RSASSA-PKCS1-v1_5 with SHA-256. */
  RS256 = 'RS256',
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  RS384 = 'RS384',
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  RS512 = 'RS512',
  /** ECDSA P-256 with SHA-256. */
  ES256 = 'ES256',
  /** ECDSA P-384 with SHA-384. */
  ES384 = 'ES384',
  /** ECDSA P-521 with SHA-512. */
  ES512 = 'ES512',
  /** RSASSA-PSS with SHA-256. */
  PS256 = 'PS256',
}

/** One public key the gateway accepts JWTs from. */
export interface JwtKey {
  /** The `kid` header of the tokens signed with it. */
  readonly keyId: string;
  /** The algorithm the key signs with; a token naming another is refused. */
  readonly algorithm: JwtAlgorithm;
  /**
   * The key's entry in the ConfigMap or Secret: a PEM public key (`-----BEGIN PUBLIC KEY-----`).
   * @default '<keyId>.pem'
   */
  readonly fileName?: string;
}

/** Where the JWT public keys are: a ConfigMap or a Secret you create. */
export class JwtKeySource {
  /** A ConfigMap in the namespace (public keys are not secret). */
  public static configMap(name: string): JwtKeySource {
    return new JwtKeySource(name, false);
  }

  /** A Secret in the namespace. */
  public static secret(name: string): JwtKeySource {
    return new JwtKeySource(name, true);
  }

  private constructor(
    /** @internal */ public readonly _name: string,
    /** @internal */ public readonly _secret: boolean,
  ) {}
}

/** JWT bearer tokens: `Authorization: Bearer <token>`. */
export interface JwtAuthentication {
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (a string, or among the first four entries of a list). */
  readonly audience: string;
  /**
   * The public keys, several at once for rotation: publish the new key, issue tokens with its
   * `kid`, remove the old one when its tokens have expired.
   */
  readonly keys: JwtKey[];
  /** Where the keys are. */
  readonly keySource: JwtKeySource;
  /**
   * The claim holding the MemOS user id.
   * @default 'sub'
   */
  readonly identityClaim?: string;
  /**
   * Clock skew allowed on `exp` and `nbf`.
   * @default Duration.seconds(30)
   */
  readonly leeway?: Duration;
}

/**
 * API keys: `X-API-Key: <key>`. The Secret holds a map file with one line per key:
 * `<sha256 hex of the key> <user id>`, so the keys themselves are stored nowhere.
 */
export interface ApiKeyAuthentication {
  /** The Secret you create (never in `dist/`). */
  readonly secretName: string;
  /**
   * The map's key in the Secret.
   * @default 'api-keys.map'
   */
  readonly key?: string;
}

/** The gateway's settings that a MemOS stack passes through. */
export interface MemosGatewayOptions {
  /**
   * Accept JWTs.
   * @default - no JWTs (API keys only)
   */
  readonly jwt?: JwtAuthentication;
  /**
   * Accept API keys.
   * @default - with a MemosStack and no `jwt`: the Secret `<instance>-api-keys`; otherwise none
   */
  readonly apiKeys?: ApiKeyAuthentication;
  /**
   * Identities (JWT subjects or API-key owners) that may act for any `user_id`: your own
   * services. They still authenticate; reserve these names at your identity provider.
   * @default - none
   */
  readonly serviceIdentities?: string[];
  /**
   * The routes let through; everything else is 404 (`/download`, `/docs`, admin routes...).
   * @default MemosGateway.DEFAULT_ROUTES
   */
  readonly routes?: GatewayRoute[];
  /**
   * Body fields refused with 403 wherever they appear: fields that make MemOS read server-side
   * paths or change whose data it touches (MemOS issue #2202).
   * @default MemosGateway.DEFAULT_FORBIDDEN_FIELDS
   */
  readonly forbiddenFields?: string[];
  /**
   * Let `file_data` carry URLs, which MemOS fetches from the server (a request forgery towards
   * anything the pod can reach). Without it any `file_data` holding `://` is refused.
   * @default false
   */
  readonly allowRemoteFiles?: boolean;
  /**
   * Requests per second per identity, over all replicas (each replica enforces its share).
   * @default 1000 (seed §5.4)
   */
  readonly requestsPerSecond?: number;
  /**
   * Gateway pods. Fixed, not autoscaled: each enforces `requestsPerSecond / replicas`, which is
   * only the whole limit while the count is the one it was computed for.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Largest request body; larger is refused (413).
   * @default Size.mebibytes(1)
   */
  readonly maxBodySize?: Size;
  /**
   * The Service in front of the gateway.
   * @default - a private (`inner`) shared CCE ELB, health check on `/healthz`
   */
  readonly service?: ElbServiceOptions;
  /**
   * HAProxy image, pinned.
   * @default MemosGateway.DEFAULT_IMAGE
   */
  readonly image?: string;
}

/** Properties of {@link MemosGateway}. */
export interface MemosGatewayProps extends MemosGatewayOptions, WorkloadPlacementProps, MonitoredProps {
  /** Instance name: prefix of object names. */
  readonly instance: string;
  /**
   * DNS name of memos-api's headless Service, fully qualified (HAProxy's resolvers apply no search
   * domains): one server per pod, from its A records.
   */
  readonly upstreamHost: string;
  /** memos-api's port. */
  readonly upstreamPort: number;
  /**
   * Server slots for memos-api pods: at least the most pods it runs, surge included.
   * @default 32
   */
  readonly upstreamServers?: number;
}

/**
 * An authenticating, rate-limiting HAProxy in front of memos-api: MemOS serves `/product/*` with
 * no authentication and trusts the `user_id` in each request. The gateway authenticates callers
 * (JWTs and/or API keys), binds the caller to the `user_id` and cube ids MemOS receives (403 for
 * another user's), lets only listed routes through, refuses path-naming fields and oversized
 * bodies, limits each identity's request rate (429), passes the identity in `X-Memos-User`, and
 * exports request and latency metrics.
 */
export class MemosGateway extends Construct {
  /** The pinned HAProxy image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_GATEWAY_IMAGE;

  /** The MemOS routes a user calls for their own memories (read from MemOS 2.0.30's server_router.py). */
  public static readonly DEFAULT_ROUTES: GatewayRoute[] = [
    { method: HttpMethod.POST, path: '/product/add', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.POST, path: '/product/search', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.POST, path: '/product/chat/complete', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.POST, path: '/product/chat/stream', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.POST, path: '/product/feedback', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.POST, path: '/product/get_all', userIdIn: UserIdLocation.BODY },
    { method: HttpMethod.GET, path: '/product/scheduler/status', userIdIn: UserIdLocation.QUERY },
  ];

  /**
   * `doc_path` (a server-side document path, #2202), `is_upload_skill` (the server downloads and
   * unpacks a zip), `cube_path` and `mem_cube_name_or_path` (server-side cube paths),
   * `manager_user_id` (acts as another user).
   */
  public static readonly DEFAULT_FORBIDDEN_FIELDS: string[] = ['doc_path', 'is_upload_skill', 'cube_path', 'mem_cube_name_or_path', 'manager_user_id'];

  /** Port of the gateway's HTTP listener (the Service's target). */
  public readonly port: number = LISTEN_PORT;
  /** Whether callers may authenticate with an API key (`apiKeys`), not only with a token. */
  public readonly acceptsApiKeys: boolean;
  /** Requests per second per identity each replica allows. */
  public readonly requestsPerSecondPerReplica: number;
  /** The haproxy.cfg the pods run. */
  public readonly haproxyConfig: string;
  /** The ConfigMap with haproxy.cfg and the files it reads. */
  public readonly configMap: kplus.ConfigMap;
  /** The gateway pods. */
  public readonly deployment: kplus.Deployment;
  /** The Service in front of them (LoadBalancer behind an ELB). */
  public readonly service: kplus.Service;
  /** The ELB Service. */
  public readonly elb: ElbService;
  /**
   * The headless Service of the ops port that the ServiceMonitor selects: prometheus-operator
   * puts its name on the gateway's series as `service` (the dashboard filters on it).
   */
  public readonly metricsService: kplus.Service;
  /** Scrapes HAProxy's metrics and the latency histogram. */
  public readonly serviceMonitor: ServiceMonitor;
  /** Lets one pod go at a time. */
  public readonly disruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /**
   * The gateway pods' network connections: anyone on the listener (the ELB's traffic), Prometheus
   * on the ops port; wire memos-api with `api.connections.allowFrom(gateway.connections, api.clientPorts)`.
   */
  public readonly connections: Connections;
  /** The port a client connects to. */
  public readonly clientPorts: NetworkPort[] = tcp(LISTEN_PORT);

  constructor(scope: Construct, id: string, props: MemosGatewayProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'image', props.image ?? MemosGateway.DEFAULT_IMAGE);
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 2, 1, 100);
    const limit = requireInteger(this, 'requestsPerSecond', props.requestsPerSecond ?? 1000, 1, 1_000_000);
    this.requestsPerSecondPerReplica = Math.ceil(limit / replicas);
    const maxBody = props.maxBodySize ?? Size.mebibytes(1);
    const maxBodyBytes = maxBody instanceof Size ? maxBody.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024 : NaN;
    if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1024 && maxBodyBytes <= 64 * 2 ** 20)) {
      invalidProp(this, 'maxBodySize', maxBody, 'a Size from 1 KiB to 64 MiB, in whole KiB (Size.mebibytes(1))');
    }
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    if (props.jwt === undefined && props.apiKeys === undefined) {
      invalidProp(this, 'jwt', undefined, 'a key source: jwt ({ issuer, audience, keys, keySource }) and/or apiKeys ({ secretName })');
    }
    const jwt = props.jwt === undefined ? undefined : this.jwtSettings(props.jwt);
    this.acceptsApiKeys = props.apiKeys !== undefined;
    const apiKeys = props.apiKeys === undefined ? undefined : {
      secretName: requireDnsSubdomain(this, 'apiKeys.secretName', props.apiKeys.secretName),
      key: requireFileName(this, 'apiKeys.key', props.apiKeys.key ?? 'api-keys.map'),
    };
    const serviceIdentities = (props.serviceIdentities ?? []).map((identity, i) => requireIdentity(this, `serviceIdentities[${i}]`, identity));
    const routes = this.routes(props.routes ?? MemosGateway.DEFAULT_ROUTES);
    const forbiddenFields = (props.forbiddenFields ?? MemosGateway.DEFAULT_FORBIDDEN_FIELDS).map((field, i) => {
      if (typeof field !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(field)) invalidProp(this, `forbiddenFields[${i}]`, field, 'a JSON field name of letters, digits and underscores');
      return field;
    });
    const options = {
      listenPort: LISTEN_PORT,
      opsPort: OPS_PORT,
      upstreamHost: requireHost(this, 'upstreamHost', props.upstreamHost),
      upstreamPort: requireInteger(this, 'upstreamPort', props.upstreamPort, 1, 65535),
      upstreamHealthPath: MEMOS_HEALTH_PATH,
      upstreamServers: requireInteger(this, 'upstreamServers', props.upstreamServers ?? 32, 1, 1000),
      jwt,
      apiKeysFile: apiKeys?.key,
      serviceIdentities,
      routes,
      forbiddenFields,
      allowRemoteFiles: props.allowRemoteFiles ?? false,
      requestsPerSecondPerReplica: this.requestsPerSecondPerReplica,
      maxBodyBytes,
      // Buffers are taken only while data is in flight, and bodies are read only after
      // authentication: a thousand connections per pod, LLM calls and chat streams included.
      maxConnections: MAX_CONNECTIONS,
      threads: 2,
    };
    this.haproxyConfig = renderGatewayConfig(options);
    const files = { 'haproxy.cfg': this.haproxyConfig, ...gatewayFiles(options) };

    const name = `${instance}-gateway`;
    const selector = selectorLabels(instance, 'gateway');
    const labels = componentLabels(instance, 'gateway');
    this.connections = new Connections({ name: 'gateway', selector });
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name, labels }, data: files });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, labels },
      replicas,
      select: false,
      podMetadata: {
        labels,
        // A new configuration rolls the pods (HAProxy reads its files at start).
        annotations: { 'checksum/gateway-config': createHash('sha256').update(JSON.stringify(files)).digest('hex') },
      },
      securityContext: hardenedPodSecurityContext(HAPROXY_UID),
      automountServiceAccountToken: false,
      // After the preStop pause, HAProxy's soft stop (the image's SIGUSR1) lets requests in flight,
      // chat streams included, run to the server timeout (300 s).
      terminationGracePeriod: Duration.seconds(PRE_STOP_SECONDS + 300 + 15),
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    });
    selectPods(this.deployment, selector);
    const container = this.deployment.addContainer({
      name: 'haproxy',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The image's CMD reads /usr/local/etc/haproxy/haproxy.cfg; its entrypoint adds -W -db.
      ports: [{ number: LISTEN_PORT, name: 'http' }, { number: OPS_PORT, name: 'ops' }],
      resources: {
        cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
      },
      securityContext: hardenedContainerSecurityContext(HAPROXY_UID),
      // Ready and alive on its own health: memos-api's state shows in 503s and metrics, and must not
      // empty the ELB's backends.
      readiness: httpProbe(GATEWAY_HEALTH_PATH, LISTEN_PORT, { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }),
      liveness: httpProbe(GATEWAY_LIVE_PATH, OPS_PORT, { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
      startup: httpProbe(GATEWAY_LIVE_PATH, OPS_PORT, { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 15 }),
      // Let the ELB and the endpoints drop the pod before HAProxy closes its listener.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', String(PRE_STOP_SECONDS)]) },
    });
    container.mount(GATEWAY_PATHS.config, kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' }), { readOnly: true });
    if (props.jwt && jwt) {
      const items = Object.fromEntries(jwt.keys.map((k) => [k.file, { path: k.file }]));
      const source = props.jwt.keySource;
      const volume = source._secret
        ? kplus.Volume.fromSecret(this, 'JwtKeys', kplus.Secret.fromSecretName(this, 'JwtKeySecret', source._name), { name: 'jwt-keys', items })
        : kplus.Volume.fromConfigMap(this, 'JwtKeys', kplus.ConfigMap.fromConfigMapName(this, 'JwtKeyConfigMap', source._name), { name: 'jwt-keys', items });
      container.mount(GATEWAY_PATHS.jwtKeys, volume, { readOnly: true });
    }
    if (apiKeys) {
      const secret = kplus.Secret.fromSecretName(this, 'ApiKeySecret', apiKeys.secretName);
      container.mount(GATEWAY_PATHS.apiKeys, kplus.Volume.fromSecret(this, 'ApiKeys', secret, { name: 'api-keys', items: { [apiKeys.key]: { path: apiKeys.key } } }), { readOnly: true });
    }
    setImagePullSecrets(this, this.deployment, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    spreadAcrossZones(this.deployment, selector, zoneSpread);
    if (replicas >= 2) this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector });

    this.elb = reportAs(this, { '': 'service' }, () => new ElbService(this, 'Elb', {
      ...props.service,
      healthPath: GATEWAY_HEALTH_PATH,
      name,
      labels,
      selector,
      targetPort: LISTEN_PORT,
    }));
    this.service = this.elb.service;
    // The ELB's traffic: NetworkPolicy cannot name the load balancer's addresses on CCE tunnel networks.
    this.connections.allowFromAnywhere(this.clientPorts);

    const namespace = Chart.of(this).namespace ?? 'default';
    const monitoringNamespace = requireDnsLabel(this, 'monitoringNamespace', props.monitoringNamespace ?? CCE_MONITORING_NAMESPACE);
    const metrics = this.metricsService = new kplus.Service(this, 'Metrics', {
      metadata: { name: `${name}-metrics`, labels: { ...labels, 'app.kubernetes.io/component': 'gateway-metrics' } },
      clusterIP: 'None',
      ports: [{ name: 'ops', port: OPS_PORT, targetPort: OPS_PORT }],
    });
    selectPods(metrics, selector);
    this.connections.allowFromNamespace(monitoringNamespace, tcp(OPS_PORT));
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: `${namespace}-${name}`, namespace: monitoringNamespace, labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'gateway-metrics' } },
        endpoints: ['/metrics', '/metrics/latency'].map((path) => ({ port: 'ops', path, interval: '30s', scrapeTimeout: '10s' })),
      },
    });
    applyPodOverrides(this, 'pod', this.deployment, props.pod);
  }

  private jwtSettings(jwt: JwtAuthentication): NonNullable<Parameters<typeof renderGatewayConfig>[0]['jwt']> {
    if (!(jwt.keySource instanceof JwtKeySource)) invalidProp(this, 'jwt.keySource', jwt.keySource, "JwtKeySource.configMap('<name>') or JwtKeySource.secret('<name>')");
    requireDnsSubdomain(this, 'jwt.keySource', jwt.keySource._name);
    const claim = jwt.identityClaim ?? 'sub';
    if (typeof claim !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(claim)) {
      invalidProp(this, 'jwt.identityClaim', claim, "a top-level claim name of letters, digits and underscores, such as 'sub'");
    }
    const leeway = jwt.leeway ?? Duration.seconds(30);
    if (!(leeway instanceof Duration)) invalidProp(this, 'jwt.leeway', leeway, 'a Duration (Duration.seconds(30))');
    if (!Array.isArray(jwt.keys) || jwt.keys.length === 0) invalidProp(this, 'jwt.keys', jwt.keys, 'one or more { keyId, algorithm } naming PEM public keys in the keySource');
    const seen = new Set<string>();
    const keys = jwt.keys.map((key, i) => {
      const keyId = requireToken(this, `jwt.keys[${i}].keyId`, key?.keyId);
      if (seen.has(keyId)) invalidProp(this, `jwt.keys[${i}].keyId`, keyId, 'a key id no other key has');
      seen.add(keyId);
      const algorithm = requireEnum(this, `jwt.keys[${i}].algorithm`, key.algorithm, JwtAlgorithm);
      return { keyId, algorithm, file: requireFileName(this, `jwt.keys[${i}].fileName`, key.fileName ?? `${keyId}.pem`) };
    });
    return {
      issuer: requireConfigString(this, 'jwt.issuer', jwt.issuer),
      audience: requireConfigString(this, 'jwt.audience', jwt.audience),
      claim,
      leewaySeconds: requireInteger(this, 'jwt.leeway', leeway.toSeconds(), 0, 300),
      keys,
    };
  }

  private routes(routes: GatewayRoute[]): RenderedRoute[] {
    if (!Array.isArray(routes) || routes.length === 0) invalidProp(this, 'routes', routes, 'one or more { method, path, userIdIn }');
    const seen = new Set<string>();
    return routes.map((route, i) => {
      const method = requireEnum(this, `routes[${i}].method`, route?.method, HttpMethod);
      const path = requireNonEmpty(this, `routes[${i}].path`, route.path);
      if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
        invalidProp(this, `routes[${i}].path`, path, 'an exact absolute path such as /product/search: segments of letters, digits and ._~-, no trailing slash');
      }
      const userIdIn = requireEnum(this, `routes[${i}].userIdIn`, route.userIdIn, UserIdLocation);
      if ((method === HttpMethod.GET) !== (userIdIn === UserIdLocation.QUERY)) {
        invalidProp(this, `routes[${i}].userIdIn`, userIdIn, `UserIdLocation.${method === HttpMethod.GET ? 'QUERY for a GET route' : 'BODY for a POST route'}`);
      }
      if (seen.has(method + path)) invalidProp(this, `routes[${i}]`, `${method} ${path}`, 'a route listed once');
      seen.add(method + path);
      return { method, path, userIdIn };
    });
  }
}

/** PEM and key material look like this: never in props, which end up in `dist/`. */
const KEY_MATERIAL = /-----BEGIN|PRIVATE KEY|[A-Za-z0-9+/=]{80,}/;

function requireConfigString(scope: Construct, property: string, value: unknown): string {
  const text = requireNonEmpty(scope, property, value);
  if (KEY_MATERIAL.test(text)) invalidProp(scope, property, '<redacted>', 'no key material in props: keys live in the keySource ConfigMap or Secret');
  if (!/^[\x21-\x7e]+$/.test(text) || /["'\\]/.test(text)) invalidProp(scope, property, text, 'printable ASCII without spaces, quotes or backslashes');
  return text;
}

function requireToken(scope: Construct, property: string, value: unknown): string {
  const text = requireNonEmpty(scope, property, value);
  if (KEY_MATERIAL.test(text)) invalidProp(scope, property, '<redacted>', 'no key material in props: keys live in the keySource ConfigMap or Secret; give their key ids here');
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(text)) invalidProp(scope, property, text, 'letters, digits and ._- (at most 128)');
  return text;
}

function requireFileName(scope: Construct, property: string, value: unknown): string {
  if (typeof value === 'string' && KEY_MATERIAL.test(value)) invalidProp(scope, property, '<redacted>', 'no key material in props: name the key in the ConfigMap or Secret instead');
  return requireSecretKeyName(scope, property, value);
}

function requireIdentity(scope: Construct, property: string, value: unknown): string {
  const text = requireNonEmpty(scope, property, value);
  if (!new RegExp(IDENTITY_PATTERN).test(text)) invalidProp(scope, property, text, 'an identity of letters, digits and ._@:- (at most 128)');
  return text;
}
