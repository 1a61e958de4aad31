import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IDENTITY_PATTERN } from './gateway-config';
import { SMOKE_TEST_SCRIPT } from './smoke-test-script';
import { CURL_IMAGE, CURL_USER } from '../src/images';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { requireSecretKeyName, SecretKeyRef } from '../src/credentials';
import {
  ARGO_CD_POST_SYNC_HOOK, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setPodSeccompRuntimeDefault,
} from '../src/kubernetes';
import { Connections } from '../src/network';
import { invalidProp, requireDnsLabel, requireDnsSubdomain, requireHost, requireInteger, requireNonEmpty, requirePinnedImage } from '../src/validation';

/**
 * curl's official image, the one {@link QdrantCollection} runs (curl/curl-container
 * `create_base_image.sh`: Alpine with busybox `sh`, `sed`, `tr`, `cut`, `nc`, `timeout`, curl
 * copied to `/usr/bin/curl`, `addgroup -S curl_group` / `adduser -S curl_user`;
 * `create_appliance_image.sh`: `USER curl_user`). No jq: the script matches JSON with sed/grep.
 */
const DEFAULT_SMOKE_TEST_IMAGE = CURL_IMAGE;
const CURL_UID = CURL_USER.uid;
const CURL_GID = CURL_USER.gid;
const CONTAINER = 'smoke-test';
const SCRIPT_DIR = '/smoke-test';
const SCRIPT_FILE = 'smoke-test.sh';
/** Seconds a connection may take, and a whole request. */
const CONNECT_TIMEOUT_SECONDS = 5;
const REQUEST_TIMEOUT_SECONDS = 30;

/** Qdrant, checked with `GET /readyz` and `GET /collections`. */
export interface SmokeTestQdrantCheck {
  /** Base URL of Qdrant's REST API, e.g. `http://memos-qdrant:6333` (`Qdrant.url`). */
  readonly url: string;
  /**
   * The API key, sent as the `api-key` header.
   * @default - no key
   */
  readonly apiKeySecret?: SecretKeyRef;
}

/** Neo4j, checked with `RETURN 1` over its HTTP API. */
export interface SmokeTestNeo4jCheck {
  /** Base URL of Neo4j's HTTP API (port 7474, or 7473 for HTTPS), e.g. `http://memos-neo4j:7474`. */
  readonly url: string;
  /**
   * The user.
   * @default 'neo4j'
   */
  readonly user?: string;
  /** The user's password. */
  readonly passwordSecret: SecretKeyRef;
  /**
   * The database the statement runs in.
   * @default 'neo4j'
   */
  readonly database?: string;
}

/** Milvus, checked with RESTful v2 `collections/list`. */
export interface SmokeTestMilvusCheck {
  /** Base URL of Milvus's REST API (the client port), e.g. `http://memos-milvus:19530`. */
  readonly url: string;
  /**
   * The user.
   * @default 'root'
   */
  readonly user?: string;
  /** The user's password. */
  readonly passwordSecret: SecretKeyRef;
}

/** Redis, checked with `AUTH` and `PING` (plain TCP: not for Redis with TLS). */
export interface SmokeTestRedisCheck {
  /** Host name or IPv4 address. */
  readonly host: string;
  /**
   * Port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * The password of the default user.
   * @default - no AUTH
   */
  readonly passwordSecret?: SecretKeyRef;
}

/** Properties of {@link MemosSmokeTest}. */
export interface MemosSmokeTestProps {
  /** Instance name (a DNS label, at most 40 characters): the Job and its ConfigMap are `<instance>-smoke-test`. */
  readonly instance: string;
  /**
   * memos-api's base URL in the cluster, e.g. `http://memos-api:8000`: `GET /health` must answer
   * 200 with `"status":"healthy"`.
   * @default - not checked
   */
  readonly memosUrl?: string;
  /**
   * The gateway's base URL, e.g. `http://memos-gateway:8080`: an add and search round trip as
   * `testUser` with the API key in `apiKeySecret`. Give all three or none.
   * @default - not checked
   */
  readonly gatewayUrl?: string;
  /**
   * The identity the API key maps to, sent as `user_id` (the gateway refuses another). Each run
   * adds one memory to this user's cube: use a user kept for the test.
   * @default - none (required with `gatewayUrl`)
   */
  readonly testUser?: string;
  /**
   * The test user's API key (header `x-api-key`).
   * @default - none (required with `gatewayUrl`)
   */
  readonly apiKeySecret?: SecretKeyRef;
  /**
   * How long the search may take to find the added memory: an add is asynchronous (the
   * scheduler processes it from the queue).
   * @default Duration.minutes(3)
   */
  readonly searchTimeout?: Duration;
  /**
   * Qdrant.
   * @default - not checked
   */
  readonly qdrant?: SmokeTestQdrantCheck;
  /**
   * Neo4j.
   * @default - not checked
   */
  readonly neo4j?: SmokeTestNeo4jCheck;
  /**
   * Milvus.
   * @default - not checked
   */
  readonly milvus?: SmokeTestMilvusCheck;
  /**
   * Redis.
   * @default - not checked
   */
  readonly redis?: SmokeTestRedisCheck;
  /**
   * Deadline of the Job (`activeDeadlineSeconds`), longer than `searchTimeout`.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the finished Job is kept (`ttlSecondsAfterFinished`).
   * @default Duration.days(1)
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * Image with curl, busybox `sh`, `nc` and `timeout`, pinned.
   * @default MemosSmokeTest.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * Image pull secrets of the Job's pod.
   * @default ['default-secret'] (CCE's SWR secret)
   */
  readonly imagePullSecrets?: string[];
}

/**
 * The stack's `helm test`: a Job (`<instance>-smoke-test`) an operator, or Argo CD, runs after a
 * deploy. Its script (ConfigMap `<instance>-smoke-test`) checks what is configured, prints one
 * line per check (`ok <check>` or `FAIL <check>: <reason>`) and fails the Job when any failed:
 *
 * - `memos-health`: memos-api's `GET /health`;
 * - `gateway-add`, `gateway-search`: through the gateway with the test user's API key, a memory
 *   holding a marker unique to the run is added, then searched for until found;
 * - `qdrant-ready`, `qdrant-collections`; `neo4j`; `milvus`; `redis`.
 *
 * An Argo CD PostSync hook (`argocd.argoproj.io/hook: PostSync`, re-created on each sync:
 * `hook-delete-policy: BeforeHookCreation`); without Argo CD, delete the finished Job and apply
 * again to re-run it. No retry (`backoffLimit: 0`), a deadline, and the hardened pod of every
 * Job here: non-root, read-only root (curl's messages go to an emptyDir `/tmp`), capabilities
 * dropped, seccomp RuntimeDefault, no service account token. Credentials only through
 * `secretKeyRef`; the script never prints them.
 */
export class MemosSmokeTest extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_SMOKE_TEST_IMAGE;

  /** The Job. */
  public readonly job: kplus.Job;
  /** The ConfigMap holding the script. */
  public readonly configMap: kplus.ConfigMap;
  /** The checks the script runs, in order (`memos-health`, `gateway-add`, ...). */
  public readonly checks: string[];
  /**
   * The Job pod's network connections: wire each checked server with
   * `<server>.connections.allowFrom(smokeTest.connections, <ports>)`.
   */
  public readonly connections: Connections;

  constructor(scope: Construct, id: string, props: MemosSmokeTestProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const env: Record<string, kplus.EnvValue> = {};
    const value = (v: string) => kplus.EnvValue.fromValue(v);
    const checks: string[] = [];

    const timeout = this.duration('timeout', props.timeout ?? Duration.minutes(10), 60, 6 * 3600);
    let searchSeconds = 0;
    const ttl = this.duration('ttlAfterFinished', props.ttlAfterFinished ?? Duration.days(1), 0, 30 * 86400);

    if (props.memosUrl !== undefined) {
      env.MEMOS_URL = value(this.baseUrl('memosUrl', props.memosUrl));
      checks.push('memos-health');
    }
    const gatewayProps = [props.gatewayUrl, props.testUser, props.apiKeySecret];
    if (gatewayProps.some((p) => p !== undefined)) {
      if (props.gatewayUrl === undefined) invalidProp(this, 'gatewayUrl', undefined, 'the gateway base URL, with testUser and apiKeySecret');
      env.GATEWAY_URL = value(this.baseUrl('gatewayUrl', props.gatewayUrl));
      const user = requireNonEmpty(this, 'testUser', props.testUser);
      if (!new RegExp(IDENTITY_PATTERN).test(user)) invalidProp(this, 'testUser', user, 'an identity of letters, digits and ._@:- (at most 128), as the gateway maps API keys to');
      env.TEST_USER = value(user);
      env.GATEWAY_API_KEY = this.secret('apiKeySecret', props.apiKeySecret);
      const search = this.duration('searchTimeout', props.searchTimeout ?? Duration.minutes(3), 10, 3600);
      if (search + 60 > timeout) {
        invalidProp(this, 'searchTimeout', props.searchTimeout ?? Duration.minutes(3), `a Duration at least a minute shorter than timeout (${timeout} s)`);
      }
      env.SEARCH_TIMEOUT = value(String(search));
      searchSeconds = search;
      env.POLL_SECONDS = value('5');
      checks.push('gateway-add', 'gateway-search');
    } else if (props.searchTimeout !== undefined) {
      invalidProp(this, 'searchTimeout', props.searchTimeout, 'nothing without gatewayUrl: only the gateway round trip searches');
    }
    // The rest of the deadline, less the search and two minutes for the checks, waits for memos-api.
    if (env.MEMOS_URL !== undefined) env.READY_TIMEOUT = value(String(Math.max(0, timeout - searchSeconds - 120)));
    if (props.qdrant !== undefined) {
      env.QDRANT_URL = value(this.baseUrl('qdrant.url', props.qdrant.url));
      if (props.qdrant.apiKeySecret !== undefined) env.QDRANT_API_KEY = this.secret('qdrant.apiKeySecret', props.qdrant.apiKeySecret);
      checks.push('qdrant-ready', 'qdrant-collections');
    }
    if (props.neo4j !== undefined) {
      env.NEO4J_URL = value(this.baseUrl('neo4j.url', props.neo4j.url));
      env.NEO4J_USER = value(this.userName('neo4j.user', props.neo4j.user ?? 'neo4j'));
      env.NEO4J_PASSWORD = this.secret('neo4j.passwordSecret', props.neo4j.passwordSecret);
      const database = props.neo4j.database ?? 'neo4j';
      // Neo4j database names: letters, digits, '.', '-' (and '_' in Community), 3 to 63 characters.
      if (typeof database !== 'string' || !/^[A-Za-z][A-Za-z0-9._-]{2,62}$/.test(database)) {
        invalidProp(this, 'neo4j.database', database, "a database name: a letter, then 2 to 62 letters, digits, '.', '_' or '-'");
      }
      env.NEO4J_DATABASE = value(database);
      checks.push('neo4j');
    }
    if (props.milvus !== undefined) {
      env.MILVUS_URL = value(this.baseUrl('milvus.url', props.milvus.url));
      env.MILVUS_USER = value(this.userName('milvus.user', props.milvus.user ?? 'root'));
      env.MILVUS_PASSWORD = this.secret('milvus.passwordSecret', props.milvus.passwordSecret);
      checks.push('milvus');
    }
    if (props.redis !== undefined) {
      env.REDIS_HOST = value(requireHost(this, 'redis.host', props.redis.host));
      env.REDIS_PORT = value(String(requireInteger(this, 'redis.port', props.redis.port ?? 6379, 1, 65535)));
      // Optional like MemOS's own reference: a password-free DCS has no such key.
      if (props.redis.passwordSecret !== undefined) env.REDIS_PASSWORD = this.secret('redis.passwordSecret', props.redis.passwordSecret, true);
      checks.push('redis');
    }
    if (checks.length === 0) {
      invalidProp(this, 'memosUrl', undefined, 'at least one check: memosUrl, gatewayUrl (with testUser and apiKeySecret), qdrant, neo4j, milvus or redis');
    }
    this.checks = checks;
    const image = requirePinnedImage(this, 'image', props.image ?? MemosSmokeTest.DEFAULT_IMAGE);
    const pullSecrets = (props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]).map((name, i) => requireDnsSubdomain(this, `imagePullSecrets[${i}]`, name));

    const name = `${instance}-smoke-test`;
    const labels = componentLabels(instance, 'smoke-test');
    this.connections = new Connections({ name: 'smoke-test', selector: selectorLabels(instance, 'smoke-test') });
    this.configMap = new kplus.ConfigMap(this, 'Script', { metadata: { name, labels }, data: { [SCRIPT_FILE]: SMOKE_TEST_SCRIPT } });
    this.job = new kplus.Job(this, 'Job', {
      metadata: {
        name,
        labels,
        annotations: { ...ARGO_CD_POST_SYNC_HOOK },
      },
      podMetadata: { labels },
      backoffLimit: 0,
      activeDeadline: Duration.seconds(timeout),
      ttlAfterFinished: Duration.seconds(ttl),
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: hardenedPodSecurityContext(CURL_UID, CURL_GID),
      automountServiceAccountToken: false,
    });
    setPodSeccompRuntimeDefault(this.job);
    ApiObject.of(this.job).addJsonPatch(JsonPatch.add('/spec/template/spec/imagePullSecrets', pullSecrets.map((secret) => ({ name: secret }))));
    const container = this.job.addContainer({
      name: CONTAINER,
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', `${SCRIPT_DIR}/${SCRIPT_FILE}`],
      envVariables: {
        ...env,
        CONNECT_TIMEOUT: value(String(CONNECT_TIMEOUT_SECONDS)),
        REQUEST_TIMEOUT: value(String(REQUEST_TIMEOUT_SECONDS)),
        TMPDIR: value('/tmp'),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
        ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
      },
      securityContext: hardenedContainerSecurityContext(CURL_UID, CURL_GID),
    });
    container.mount(SCRIPT_DIR, kplus.Volume.fromConfigMap(this, 'ScriptVolume', this.configMap, { name: 'script', defaultMode: 0o444 }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(16) }));
  }

  /** `http(s)://host[:port]`, no path: the requests append theirs. */
  private baseUrl(property: string, url: unknown): string {
    const match = typeof url === 'string' ? /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?$/.exec(url) : null;
    const allowed = 'a base URL http(s)://<host>[:<port>], no path, query or trailing slash, e.g. http://memos-api:8000';
    if (!match) return invalidProp(this, property, url, allowed);
    requireHost(this, `${property} host`, match[2]);
    if (match[3] !== undefined) requireInteger(this, `${property} port`, Number(match[3]), 1, 65535);
    return url as string;
  }

  private secret(property: string, ref: unknown, optional = false): kplus.EnvValue {
    if (!(ref instanceof SecretKeyRef)) return invalidProp(this, property, ref === undefined ? undefined : '(not shown)', "SecretKeyRef.of('<existing Secret>', '<key>')");
    requireDnsSubdomain(this, `${property}.secretName`, ref.secretName);
    requireSecretKeyName(this, `${property}.key`, ref.key);
    return ref.envValue(this, { optional });
  }

  private userName(property: string, user: unknown): string {
    if (typeof user === 'string' && /^[A-Za-z0-9._@-]{1,64}$/.test(user)) return user;
    return invalidProp(this, property, user, "a user name of 1 to 64 letters, digits, '.', '_', '@' or '-'");
  }

  /** Whole seconds of a Duration within [min, max]. */
  private duration(property: string, duration: unknown, min: number, max: number): number {
    let seconds = NaN;
    try {
      if (duration instanceof Duration) seconds = duration.toSeconds();
    } catch {
      // Not a whole number of seconds: rejected below.
    }
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      return invalidProp(this, property, duration instanceof Duration ? duration.toHumanString() : duration, `a Duration of whole seconds from ${min} s to ${max} s (Duration.minutes(n))`);
    }
    return seconds;
  }
}
