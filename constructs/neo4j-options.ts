// Type-only: resolves the {@link Neo4j} references below for the docs; nothing is imported at run time.
import { Duration } from 'cdk8s';
import type { Neo4j } from './neo4j';
import { PodSize } from '../src/kubernetes';
import { EvsVolumeOptions } from '../src/storage';
import { TlsCertificate } from '../src/tls';

/** Neo4j 5.26, the LTS line MemOS's own manifests use (compose 5.26.6). */
export const NEO4J_VERSION = '5.26.6';
/** The Community Edition image {@link Neo4j} runs by default. */
export const DEFAULT_NEO4J_IMAGE = `docker.io/library/neo4j:${NEO4J_VERSION}`;
/** The Enterprise Edition image {@link Neo4j} runs by default. */
export const DEFAULT_NEO4J_ENTERPRISE_IMAGE = `docker.io/library/neo4j:${NEO4J_VERSION}-enterprise`;

/** The ports Neo4j listens on. */
export class Neo4jPorts {
  /** HTTP (browser and HTTP API). */
  public static readonly HTTP: number = 7474;
  /** Bolt, the driver protocol clients use. */
  public static readonly BOLT: number = 7687;
  /** Cluster discovery v1 (Enterprise cluster). */
  public static readonly DISCOVERY: number = 5000;
  /** Cluster transactions and discovery v2 (Enterprise cluster). */
  public static readonly CLUSTER: number = 6000;
  /** Raft (Enterprise cluster). */
  public static readonly RAFT: number = 7000;
  /** Server-side routing (Enterprise cluster). */
  public static readonly ROUTING: number = 7688;
  /** Online backup (Enterprise): on every interface, admitted by NetworkPolicies from backup pods only (Neo4jBackup). */
  public static readonly BACKUP: number = 6362;
  /** Prometheus metrics (Enterprise). */
  public static readonly METRICS: number = 2004;

  private constructor() {}
}

/** Neo4j edition. */
export enum Neo4jEdition {
  /** Community Edition: one server, no clustering, no metrics endpoint. */
  COMMUNITY = 'community',
  /** Enterprise Edition: clusters, Prometheus metrics, online backup; needs its licence accepted. */
  ENTERPRISE = 'enterprise',
}

/** How the Enterprise licence is accepted (`NEO4J_ACCEPT_LICENSE_AGREEMENT`). */
export enum Neo4jLicenseAgreement {
  /** You hold a commercial licence (`yes`). */
  COMMERCIAL = 'commercial',
  /** Neo4j's evaluation terms (`eval`). */
  EVALUATION = 'evaluation',
}

/** The user-tunable options of {@link Neo4j} (what a chart passes through). */
export interface Neo4jOptions {
  /**
   * Servers. 1 = standalone; 3 or more = a cluster of primaries (Enterprise). 2 is rejected.
   * @default 1
   */
  readonly servers?: number;
  /**
   * Edition. Clusters need Enterprise.
   * @default - `Neo4jEdition.COMMUNITY` for one server, `Neo4jEdition.ENTERPRISE` for a cluster
   */
  readonly edition?: Neo4jEdition;
  /**
   * Acceptance of the Neo4j Enterprise licence: `COMMERCIAL` (you hold a licence) or `EVALUATION`.
   * Required with Enterprise; synth fails without it. Community Edition ignores it.
   * @default - none
   */
  readonly licenseAgreement?: Neo4jLicenseAgreement;
  /**
   * Image, pinned.
   * @default - `Neo4j.DEFAULT_IMAGE` (Community) or `Neo4j.DEFAULT_ENTERPRISE_IMAGE` (Enterprise)
   */
  readonly image?: string;
  /**
   * CPU and memory per server (requests = limits). Heap and page cache are derived from memory
   * ({@link Neo4j.memorySettings}); at least 2Gi.
   * @default - 4 CPU / 16Gi (seed: s7.xlarge.4)
   */
  readonly resources?: PodSize;
  /**
   * Data volume per server (`/data`).
   * @default - 100Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * Only schedule on this CCE node pool.
   * @default - any node
   */
  readonly nodePool?: string;
  /**
   * The cluster's DNS domain (the kubelets' `--cluster-domain`; CCE clusters use `cluster.local`).
   * Each server of a cluster advertises `<host>-<i>-internals.<namespace>.svc.<clusterDomain>`,
   * which Kubernetes discovery requires to match exactly the name it builds for that Service. Only
   * used by a cluster; validated for any number of servers.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Encrypt Bolt with this certificate: the `bolt` SSL policy with `server.bolt.tls_level=REQUIRED`,
   * so plaintext Bolt is refused and {@link Neo4j.uri} becomes `bolt+s://` (one server) or
   * `neo4j+s://` (a cluster). A cluster also encrypts the traffic between its servers (the
   * `cluster` policy: discovery, transactions and catch-up, Raft, server-side routing), where the
   * servers authenticate each other with this certificate against `ca.crt` (`client_auth=REQUIRE`).
   * HTTP (7474) stays plaintext and serves only the readiness probe; HTTPS is not enabled.
   *
   * The Secret (`tls.crt`, `tls.key`, `ca.crt`: what cert-manager writes) is mounted read-only
   * under `/var/lib/neo4j/certificates/<scope>/` (`private.key`, `public.crt`, `trusted/ca.crt`).
   * The certificate must name `<instance>-neo4j` (the host of {@link Neo4j.uri}); for a cluster also
   * every server's advertised Bolt address `<instance>-neo4j-<i>-internals.<namespace>.svc.<clusterDomain>`
   * (routing tables list the servers by these addresses, and `+s` drivers verify them), its short form
   * `<instance>-neo4j-<i>-internals`, and the headless names `*.<instance>-neo4j-headless`
   * (a wildcard `*.<namespace>.svc.<clusterDomain>` covers the FQDNs). In a cluster the
   * servers present it as clients too, so its extended key usages must allow `client auth` as
   * well as `server auth` (cert-manager: list both in `usages`, or none). Neo4j 5 wants a PKCS #8
   * key (PKCS #1, cert-manager's default encoding, still loads but is deprecated: set
   * `privateKey.encoding: PKCS8`). Neo4j reads the files at start-up: a renewed certificate
   * takes effect when the pods restart, and an expired one stops a server from starting.
   * @default - plain Bolt (`bolt://`, `neo4j://`) and plaintext cluster traffic
   */
  readonly tls?: TlsCertificate;
  /**
   * Further `neo4j.conf` settings, by their dotted names (the chart's `config`), e.g.
   * `{ 'db.transaction.timeout': '60s', 'db.logs.query.enabled': 'INFO' }`. Passed in the image's
   * environment form (`NEO4J_` + `.` as `_`, `_` as `__`), which the entrypoint writes into
   * neo4j.conf. Settings the construct manages (memory, listen and advertised addresses,
   * discovery, SSL policies, metrics, backup, JVM arguments) are refused with the prop to use, and
   * so is any credential.
   * @default - none
   */
  readonly settings?: { [key: string]: string };
  /**
   * Extra JVM arguments (`server.jvm.additional`, the chart's `jvm.additionalJvmArguments`), e.g.
   * `['-XX:+ExitOnOutOfMemoryError']`. The image takes them space-separated in one variable
   * (Neo4j operations manual, docker/configuration: "Variables that can take multiple options,
   * such as NEO4J_server_jvm_additional, must be defined just once"), so an argument may not
   * contain whitespace. Heap sizes come from `resources`.
   * @default - none
   */
  readonly jvmAdditional?: string[];
  /**
   * How long a server may take to start (recover, form the cluster) before the kubelet restarts
   * it: the startup probe's budget, in periods of 5 s.
   * @default Duration.minutes(30)
   */
  readonly startupBudget?: Duration;
  /**
   * Time a server has to shut down cleanly (checkpoint the store) after SIGTERM; the chart allows
   * up to an hour for large stores. Cutting it short means a long recovery at the next start.
   * @default Duration.minutes(10)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Offline maintenance (the chart's `offlineMaintenanceModeEnabled`): each pod runs a sleep loop
   * instead of Neo4j, with its data volume mounted, so that `kubectl exec` can run `neo4j-admin`
   * on a stopped database (`database dump`/`load`, `check`, `import`). The startup and liveness
   * probes are dropped so the kubelet keeps the pod; readiness stays, so the pod is not ready and
   * no Service sends it traffic (MemOS fails until maintenance ends). Set it back to false to
   * restart Neo4j.
   * @default false
   */
  readonly offlineMaintenance?: boolean;
}

/** JVM heap and page cache of a Neo4j server. */
export interface Neo4jMemorySettings {
  /** Heap (initial = max), MiB. */
  readonly heapMiB: number;
  /** Page cache, MiB. */
  readonly pageCacheMiB: number;
}
