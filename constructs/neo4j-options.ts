// Type-only: resolves the {@link Neo4j} references below for the docs; nothing is imported at run time.
import type { Neo4j } from './neo4j';
import { PodSize } from '../src/kubernetes';
import { EvsVolumeOptions } from '../src/storage';

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
  /** Online backup (Enterprise): bound to 127.0.0.1 in the pod, never exposed. */
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
}

/** JVM heap and page cache of a Neo4j server. */
export interface Neo4jMemorySettings {
  /** Heap (initial = max), MiB. */
  readonly heapMiB: number;
  /** Page cache, MiB. */
  readonly pageCacheMiB: number;
}
