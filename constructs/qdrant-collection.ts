import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CURL_IMAGE, CURL_USER } from '../src/images';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { SecretKeyRef } from '../src/credentials';
import {
  componentLabels, selectorLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, PodSize,
} from '../src/kubernetes';
import { requirePodSize } from '../src/resources';
import { QdrantConnection } from '../src/memos-settings';
import { DefaultPorts } from '../src/ports';
import { Connections } from '../src/network';
import { requireTlsCertificate, TlsCertificate } from '../src/tls';
import {
  invalidProp, requireDnsLabel, requireDnsSubdomain, requireEnum, requireHost, requireInteger, requirePinnedImage,
} from '../src/validation';

/**
 * Why this exists. A client that creates its collection without `shard_number` and
 * `replication_factor` (MemOS 2.0.30/2.0.32 `memos/vec_dbs/qdrant.py` `create_collection`, L85-92:
 * only `vectors_config=VectorParams(size, distance)`; MemOS 2.0.31 is not on PyPI, both neighbours
 * carry the same file) gets what Qdrant derives from the peers it knows at that instant:
 * `shard_number` = the consensus peer count (qdrant/qdrant `lib/storage/src/dispatcher.rs`
 * `submit_collection_meta_op`: `number_of_peers = state.0.peer_count()`; `CollectionConfigDefaults::
 * get_shard_number` returns `number_of_peers` when no default is configured), and each shard on
 * `min(replication_factor, known peers)` peers (`lib/storage/src/content_manager/toc/mod.rs`
 * `suggest_shard_distribution`, `lib/storage/src/content_manager/shard_distribution.rs`
 * `ShardDistributionProposal::new`: "There should not be more than 1 replica per peer"). A
 * client that starts while one node of three has joined gets one shard without a replica, for
 * good. This Job creates the collection with explicit numbers once every node has joined.
 */

/**
 * curl's official image (curl/curl-container, `create_base_image.sh`: Alpine with busybox `sh`,
 * curl copied to `/usr/bin/curl`; `create_appliance_image.sh`: `USER curl_user`, a symbolic user
 * the kubelet cannot check against `runAsNonRoot`, so the pod sets a numeric UID). The command is
 * overridden, so the image's `/entrypoint.sh` never runs and any non-root UID works; the scripts
 * write no file (responses are read from curl's stdout), so the read-only root needs no volume.
 * Multi-arch index digest, as pinned by several public manifests:
 * `sha256:463eaf6072688fe96ac64fa623fe73e1dbe25d8ad6c34404a669ad3ce1f104b6` (not pinned here:
 * a mirror re-pushed to SWR need not keep it).
 */
export const DEFAULT_QDRANT_COLLECTION_IMAGE = CURL_IMAGE;
const CURL_UID = CURL_USER.uid;
const CURL_GID = CURL_USER.gid;

/** Exit code of the Job's script when the collection exists with other vectors: the Job fails at once. */
const MISMATCH_EXIT_CODE = 2;
const JOB_CONTAINER = 'create-collection';
const WAIT_CONTAINER = 'wait-qdrant-collection';
/** With `tls`: where the CA certificate is mounted (only `ca.crt` of the Secret; curl `--cacert`). */
const CA_DIR = '/etc/qdrant-ca';
const CA_VOLUME = 'qdrant-collection-ca';

/**
 * How vectors are compared (Qdrant's `Distance`, spelled as its REST API spells it:
 * qdrant-client 1.14.3 `http/models/models.py` `class Distance`).
 */
export enum QdrantDistance {
  /** Cosine similarity: what MemOS uses (`memos/api/config.py` `get_neo4j_community_config`: `"distance_metric": "cosine"`). */
  COSINE = 'Cosine',
  /** Euclidean distance. */
  EUCLID = 'Euclid',
  /** Dot product. */
  DOT = 'Dot',
  /** Manhattan distance. */
  MANHATTAN = 'Manhattan',
}

/** Properties of {@link QdrantCollection}. */
export interface QdrantCollectionProps {
  /** Instance name (a DNS label, at most 40 characters): the Job is `<instance>-qdrant-collection`. */
  readonly instance: string;
  /**
   * The Qdrant REST endpoint: `{ host: qdrant.host, port: qdrant.port, apiKey: qdrant.apiKey }`
   * for the in-cluster {@link Qdrant} (and `tls: qdrant.tls`). The key is read from the Secret
   * (`secretKeyRef`) and sent as the `api-key` header, as qdrant-client does.
   */
  readonly qdrant: QdrantConnection;
  /**
   * Qdrant serves TLS: connect over `https://` and verify the server with the CA in this
   * Secret's `ca.crt` ({@link Qdrant.tls} of the in-cluster {@link Qdrant}). Only `ca.crt` is
   * mounted (read-only, into the Job and {@link QdrantCollection.addWaitInitContainer}'s
   * container) and passed to curl as `--cacert`; `qdrant.host` must be a name the certificate
   * carries (`<instance>-qdrant`).
   * @default - plain HTTP
   */
  readonly tls?: TlsCertificate;
  /**
   * Nodes of the Qdrant cluster (`Qdrant.replicas`): the Job waits until `GET /cluster` lists
   * this many peers and a Raft leader before it creates the collection.
   */
  readonly nodes: number;
  /**
   * Name of the collection (MemOS: `neo4j_vec_db`, hard-coded in `memos/api/config.py`). Letters,
   * digits, `_` and `-`: a conservative subset of what Qdrant accepts, safe in a URL path.
   */
  readonly collectionName: string;
  /**
   * Vector size (MemOS: `EMBEDDING_DIMENSION`). 1 to 65536 (qdrant/qdrant
   * `tests/openapi/test_limits.py` `test_vector_dimension_limit`).
   */
  readonly vectorSize: number;
  /**
   * Distance function.
   * @default QdrantDistance.COSINE (what MemOS uses)
   */
  readonly distance?: QdrantDistance;
  /**
   * Shards of the collection, fixed at creation.
   * @default - `nodes` (Qdrant's own default once every node has joined)
   */
  readonly shardNumber?: number;
  /**
   * Copies of each shard, at most `nodes`.
   * @default - 2 from 3 nodes up (one node may fail), else 1: the default of {@link Qdrant}'s `replicationFactor`
   */
  readonly replicationFactor?: number;
  /**
   * Copies that must acknowledge a write, at most `replicationFactor`.
   * @default 1 (Qdrant's default)
   */
  readonly writeConsistencyFactor?: number;
  /**
   * Image with curl and a POSIX shell, pinned to a tag or digest.
   * @default QdrantCollection.DEFAULT_IMAGE (`docker.io/curlimages/curl:8.16.0`)
   */
  readonly image?: string;
  /**
   * Image pull secrets of the Job's pod.
   * @default ['default-secret'] (CCE's SWR secret)
   */
  readonly imagePullSecrets?: string[];
  /**
   * CPU and memory of the Job's container (requests = limits).
   * @default - 100m CPU / 64Mi
   */
  readonly resources?: PodSize;
  /**
   * How long the Job may wait for the cluster to form and create the collection
   * (`activeDeadlineSeconds`); Qdrant's own start-up budget is 20 minutes.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
}

/**
 * Creates one Qdrant collection, idempotently, once every node of the cluster has joined: a Job
 * (`<instance>-qdrant-collection`) that
 *
 * 1. polls `GET /cluster` until it lists `nodes` peers and a Raft leader (a standalone Qdrant,
 *    `"status":"disabled"`, counts as one peer);
 * 2. asks `GET /collections/<name>/exists`; when absent, `PUT /collections/<name>` with the body
 *    the client would send (`{"vectors":{"size","distance"}}`, as qdrant-client does for MemOS)
 *    plus `shard_number`, `replication_factor` and `write_consistency_factor`;
 * 3. reads the collection back (`GET /collections/<name>`): a different vector size or distance
 *    fails the Job at once (exit 2, `podFailurePolicy` FailJob) — the client's writes would fail;
 *    other shard or replication numbers are reported but accepted (they change legitimately when
 *    the cluster grows, and cannot be changed by re-creating a collection that holds data).
 *
 * The pod is hardened (non-root, read-only root, no service account token, capabilities
 * dropped), and the finished Job is deleted after a day (`ttlSecondsAfterFinished`), so applying
 * the same manifests again later re-runs the (idempotent) check.
 *
 * Clients that would otherwise create the collection themselves should wait for it:
 * {@link QdrantCollection.addWaitInitContainer} adds an init container that blocks until the
 * collection exists.
 */
export class QdrantCollection extends Construct {
  /** The image used when `image` is not set. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_QDRANT_COLLECTION_IMAGE;

  /** The Job. */
  public readonly job: kplus.Job;
  /** The Job pod's network connections: wire its Qdrant with `qdrant.connections.allowFrom(collection.connections, qdrant.clientPorts)`. */
  public readonly connections: Connections;
  /** Name of the collection. */
  public readonly collectionName: string;
  /** Shards the collection is created with. */
  public readonly shardNumber: number;
  /** Replication factor the collection is created with. */
  public readonly replicationFactor: number;
  /** Write consistency factor the collection is created with. */
  public readonly writeConsistencyFactor: number;

  private readonly image: string;
  private readonly url: string;
  private readonly apiKey?: SecretKeyRef;
  private readonly pullSecrets: string[];
  private readonly caVolume?: kplus.Volume;

  constructor(scope: Construct, id: string, props: QdrantCollectionProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const host = requireHost(this, 'qdrant.host', props.qdrant?.host);
    const port = requireInteger(this, 'qdrant.port', props.qdrant.port ?? DefaultPorts.QDRANT_HTTP, 1, 65535);
    if (props.qdrant.apiKey !== undefined && !(props.qdrant.apiKey instanceof SecretKeyRef)) {
      invalidProp(this, 'qdrant.apiKey', '(not shown)', "SecretKeyRef.of('<Secret>', '<key>') or qdrant.apiKey of a Qdrant");
    }
    const nodes = requireInteger(this, 'nodes', props.nodes, 1, 100);
    if (typeof props.collectionName !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(props.collectionName)) {
      invalidProp(this, 'collectionName', props.collectionName, "1 to 255 letters, digits, '_' or '-'");
    }
    this.collectionName = props.collectionName;
    const vectorSize = requireInteger(this, 'vectorSize', props.vectorSize, 1, 65536);
    const distance = requireEnum(this, 'distance', props.distance ?? QdrantDistance.COSINE, QdrantDistance);
    this.shardNumber = requireInteger(this, 'shardNumber', props.shardNumber ?? nodes, 1, 1000);
    this.replicationFactor = requireInteger(this, 'replicationFactor', props.replicationFactor ?? (nodes >= 3 ? 2 : 1), 1, nodes);
    this.writeConsistencyFactor = requireInteger(this, 'writeConsistencyFactor', props.writeConsistencyFactor ?? 1, 1, this.replicationFactor);
    this.image = requirePinnedImage(this, 'image', props.image ?? QdrantCollection.DEFAULT_IMAGE);
    this.pullSecrets = (props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]).map((name, i) => requireDnsSubdomain(this, `imagePullSecrets[${i}]`, name));
    requirePodSize(this, 'resources', props.resources);
    const cpu = props.resources?.cpu ?? kplus.Cpu.millis(100);
    const memory = props.resources?.memory ?? Size.mebibytes(64);
    const timeout = props.timeout ?? Duration.hours(6);
    if (!(timeout instanceof Duration) || timeout.toSeconds() < 60) invalidProp(this, 'timeout', timeout, 'a Duration of at least a minute (Duration.minutes(n))');
    const tls = props.tls === undefined ? undefined : requireTlsCertificate(this, 'tls', props.tls);
    this.url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    this.apiKey = props.qdrant.apiKey;
    if (tls) {
      // The CA is no secret: world-readable, so any UID reads it whatever the pod's fsGroup
      // (addWaitInitContainer mounts it into a client's pod too).
      const secret = kplus.Secret.fromSecretName(this, 'CaSecret', tls.secretName);
      this.caVolume = kplus.Volume.fromSecret(this, 'Ca', secret, {
        name: CA_VOLUME, items: { [TlsCertificate.CA_KEY]: { path: TlsCertificate.CA_KEY } }, defaultMode: 0o444,
      });
    }

    const name = `${instance}-qdrant-collection`;
    const labels = componentLabels(instance, 'qdrant-collection');
    this.connections = new Connections({ name: 'qdrant-collection', selector: selectorLabels(instance, 'qdrant-collection') });
    this.job = new kplus.Job(this, 'Job', {
      metadata: { name, labels },
      podMetadata: { labels },
      // Slow image pulls and volume provisioning can hold the cluster back: retry well past them.
      backoffLimit: 10,
      activeDeadline: timeout,
      ttlAfterFinished: Duration.days(1),
      securityContext: hardenedPodSecurityContext(CURL_UID, CURL_GID),
      automountServiceAccountToken: false,
    });
    const main = this.job.addContainer({
      name: JOB_CONTAINER,
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', createCollectionScript(this.caVolume !== undefined)],
      envVariables: {
        ...this.connectionEnv(),
        NODES: kplus.EnvValue.fromValue(String(nodes)),
        VECTOR_SIZE: kplus.EnvValue.fromValue(String(vectorSize)),
        DISTANCE: kplus.EnvValue.fromValue(distance),
        SHARD_NUMBER: kplus.EnvValue.fromValue(String(this.shardNumber)),
        REPLICATION_FACTOR: kplus.EnvValue.fromValue(String(this.replicationFactor)),
        WRITE_CONSISTENCY_FACTOR: kplus.EnvValue.fromValue(String(this.writeConsistencyFactor)),
      },
      resources: this.resources(cpu, memory),
      securityContext: hardenedContainerSecurityContext(CURL_UID, CURL_GID),
    });
    this.mountCa(main);
    const job = ApiObject.of(this.job);
    job.addJsonPatch(JsonPatch.add('/spec/template/spec/imagePullSecrets', this.pullSecrets.map((secret) => ({ name: secret }))));
    // A collection with other vectors will not change on a retry: fail the Job at once
    // (podFailurePolicy: beta and on by default from Kubernetes 1.26, GA in 1.31). The 1.28 schema
    // lists `onPodConditions` as required; empty, it means "match on exit codes only".
    job.addJsonPatch(JsonPatch.add('/spec/podFailurePolicy', {
      rules: [{ action: 'FailJob', onExitCodes: { containerName: JOB_CONTAINER, operator: 'In', values: [MISMATCH_EXIT_CODE] }, onPodConditions: [] }],
    }));
  }

  /**
   * Adds an init container to `pod` (a Deployment's or StatefulSet's pod template) that waits
   * until the collection exists, so a client that creates the collection itself when it is
   * missing (MemOS does) finds it created by this Job instead. It polls
   * `GET /collections/<name>/exists` every 5 seconds, without a deadline; the pod stays in
   * `Init` (visible in `kubectl get pods`) while the Job has not created the collection.
   */
  public addWaitInitContainer(pod: kplus.AbstractPod): kplus.Container {
    const container = pod.addInitContainer({
      name: WAIT_CONTAINER,
      image: this.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', waitForCollectionScript(this.caVolume !== undefined)],
      envVariables: this.connectionEnv(),
      resources: this.resources(kplus.Cpu.millis(100), Size.mebibytes(64)),
      securityContext: hardenedContainerSecurityContext(CURL_UID, CURL_GID),
    });
    this.mountCa(container);
    return container;
  }

  private mountCa(container: kplus.Container): void {
    if (this.caVolume) container.mount(CA_DIR, this.caVolume, { readOnly: true });
  }

  private connectionEnv(): Record<string, kplus.EnvValue> {
    return {
      QDRANT_URL: kplus.EnvValue.fromValue(this.url),
      ...(this.caVolume ? { QDRANT_CA_CERT: kplus.EnvValue.fromValue(`${CA_DIR}/${TlsCertificate.CA_KEY}`) } : {}),
      ...(this.apiKey ? { QDRANT_API_KEY: this.apiKey.envValue(this) } : {}),
      COLLECTION: kplus.EnvValue.fromValue(this.collectionName),
      POLL_SECONDS: kplus.EnvValue.fromValue('5'),
    };
  }

  private resources(cpu: kplus.Cpu, memory: Size): kplus.ContainerResources {
    return {
      cpu: { request: cpu, limit: cpu },
      memory: { request: memory, limit: memory },
      // Logs only: nothing is written inside the container (kplus renders whole GiB only).
      ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    };
  }
}

/**
 * Shared by both scripts: `request METHOD PATH [curl args]` sets `$status` (HTTP status, `000`
 * when Qdrant is unreachable) and `$body`; `compact` strips JSON whitespace. POSIX sh and
 * busybox tools only (the image is Alpine); the API key goes in the `api-key` header
 * (qdrant-client 1.14.3 `qdrant_remote.py` L143) and is never printed. With `tls`, every curl
 * call verifies the server against the mounted CA (`--cacert "$QDRANT_CA_CERT"`); without, the
 * script is unchanged.
 */
const commonScript = (tls: boolean) => `set -eu
say() { printf '%s\\n' "$*"; }
request() {
  method=$1; path=$2; shift 2
${tls ? '  set -- --cacert "$QDRANT_CA_CERT" "$@"\n' : ''}  if [ -n "\${QDRANT_API_KEY:-}" ]; then
    response=$(curl -sS --connect-timeout 5 --max-time 90 -X "$method" -H "api-key: $QDRANT_API_KEY" -w '\\n%{http_code}' "$@" "$QDRANT_URL$path" || true)
  else
    response=$(curl -sS --connect-timeout 5 --max-time 90 -X "$method" -w '\\n%{http_code}' "$@" "$QDRANT_URL$path" || true)
  fi
  status=$(printf '%s\\n' "$response" | tail -n 1)
  body=$(printf '%s\\n' "$response" | sed '$d')
}
compact() { printf '%s' "$1" | tr -d ' \\t\\r\\n'; }
exists() {
  request GET "/collections/$COLLECTION/exists"
  case "$status" in
    200) case "$(compact "$body")" in *'"exists":true'*) return 0 ;; *) return 1 ;; esac ;;
    401|403) say "Qdrant rejected the API key (HTTP $status)"; return 2 ;;
    *) say "Qdrant at $QDRANT_URL not answering (HTTP $status)"; return 3 ;;
  esac
}
`;

/**
 * The Job: wait for every peer (`GET /cluster`, ClusterStatus of qdrant-client's
 * `models.py`: `{"result":{"status":"enabled","peers":{"<id>":{"uri":...}},"raft_info":{"leader":<id>|null,...}}}`,
 * or `{"result":{"status":"disabled"}}`; the peers map comes from the consensus state and
 * includes the answering peer, qdrant `consensus_manager.rs` `cluster_status`), then create the
 * collection if `GET /collections/<name>/exists` (CollectionExistence) says it is absent, then
 * compare `GET /collections/<name>` (`result.config.params`: `vectors` first, then
 * `shard_number`, `replication_factor`, `write_consistency_factor`; qdrant
 * `lib/collection/src/config.rs` `CollectionParams`) with what was asked.
 */
const createCollectionScript = (tls: boolean) => `${commonScript(tls)}
number() { printf '%s' "$2" | sed -n "s/.*\\"$1\\":\\([0-9][0-9]*\\).*/\\1/p"; }

while :; do
  request GET /cluster
  if [ "$status" = 200 ]; then
    json=$(compact "$body")
    case "$json" in
      *'"status":"disabled"'*) peers=1; leader=yes ;;
      *) peers=$(printf '%s' "$json" | grep -o '"uri":' | grep -c . || true)
         case "$json" in *'"leader":'[0-9]*) leader=yes ;; *) leader=no ;; esac ;;
    esac
    if [ "$peers" -ge "$NODES" ] && [ "$leader" = yes ]; then
      say "$peers of $NODES Qdrant peers have joined"
      break
    fi
    say "waiting for Qdrant peers: $peers of $NODES joined, leader elected: $leader"
  elif [ "$status" = 401 ] || [ "$status" = 403 ]; then
    say "Qdrant rejected the API key (HTTP $status)"; exit 1
  else
    say "waiting for Qdrant at $QDRANT_URL (HTTP $status)"
  fi
  sleep "$POLL_SECONDS"
done

want="{\\"vectors\\":{\\"size\\":$VECTOR_SIZE,\\"distance\\":\\"$DISTANCE\\"},\\"shard_number\\":$SHARD_NUMBER,\\"replication_factor\\":$REPLICATION_FACTOR,\\"write_consistency_factor\\":$WRITE_CONSISTENCY_FACTOR}"
while :; do
  rc=0; exists || rc=$?
  if [ "$rc" = 0 ]; then break; fi
  if [ "$rc" = 2 ]; then exit 1; fi
  if [ "$rc" = 1 ]; then
    say "creating collection $COLLECTION: $want"
    request PUT "/collections/$COLLECTION?timeout=60" -H 'Content-Type: application/json' --data-binary "$want"
    case "$status" in
      200) say "created collection $COLLECTION"; continue ;;
      409) say "collection $COLLECTION was created meanwhile"; continue ;;
      4*) case "$body" in *'already exists'*) say "collection $COLLECTION was created meanwhile"; continue ;; esac
          say "Qdrant refused to create collection $COLLECTION (HTTP $status): $body"; exit 1 ;;
      *) say "creating collection $COLLECTION failed (HTTP $status): $body" ;;
    esac
  fi
  sleep "$POLL_SECONDS"
done

while :; do
  request GET "/collections/$COLLECTION"
  if [ "$status" = 200 ]; then break; fi
  say "reading collection $COLLECTION (HTTP $status)"
  sleep "$POLL_SECONDS"
done
json=$(compact "$body")
vectors=$(printf '%s' "$json" | sed -n 's/.*"params":{"vectors":{\\([^{}]*\\).*/\\1/p')
size=$(number size "$vectors")
distance=$(printf '%s' "$vectors" | sed -n 's/.*"distance":"\\([A-Za-z]*\\)".*/\\1/p')
if [ "$size" != "$VECTOR_SIZE" ] || [ "$distance" != "$DISTANCE" ]; then
  say "ERROR: collection $COLLECTION exists with vectors {size: \${size:-?}, distance: \${distance:-?}}, not {size: $VECTOR_SIZE, distance: $DISTANCE}."
  say "Its clients' writes will fail. Drop it (DELETE /collections/$COLLECTION, losing its points) or configure the clients for its size."
  exit ${MISMATCH_EXIT_CODE}
fi
shards=$(number shard_number "$json"); replicas=$(number replication_factor "$json"); consistency=$(number write_consistency_factor "$json")
if [ "$shards" != "$SHARD_NUMBER" ] || [ "$replicas" != "$REPLICATION_FACTOR" ] || [ "$consistency" != "$WRITE_CONSISTENCY_FACTOR" ]; then
  say "WARNING: collection $COLLECTION has shard_number \${shards:-?}, replication_factor \${replicas:-?}, write_consistency_factor \${consistency:-?}; asked for $SHARD_NUMBER, $REPLICATION_FACTOR, $WRITE_CONSISTENCY_FACTOR."
  say "It was created earlier (by a client before every peer had joined, or before the cluster grew). Fix with PATCH /collections/$COLLECTION and POST /collections/$COLLECTION/cluster (replicate_shard)."
fi
say "collection $COLLECTION is ready: vectors {size: $size, distance: $distance}"
`;

/** The init container: block until the collection exists. */
const waitForCollectionScript = (tls: boolean) => `${commonScript(tls)}
until exists; do
  say "waiting for Qdrant collection $COLLECTION (created by the Job *-qdrant-collection)"
  sleep "$POLL_SECONDS"
done
say "Qdrant collection $COLLECTION exists"
`;
