import { Construct } from 'constructs';
import { invalidProp } from '../src/validation';
import { Neo4jPorts } from './neo4j-options';

/**
 * The DNS domain of a Kubernetes cluster unless its kubelets say otherwise (CCE uses it).
 * @internal
 */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * What the `neo4j.conf` settings of a server depend on.
 * @internal
 */
export interface Neo4jSettingsOptions {
  /** Instance name (the Kubernetes discovery label selector). */
  readonly instance: string;
  /** Number of servers; 3 or more is a cluster. */
  readonly servers: number;
  /** Enterprise Edition (metrics, backup listener). */
  readonly enterprise: boolean;
  /** Heap (initial = max), MiB. */
  readonly heapMiB: number;
  /** Page cache, MiB. */
  readonly pageCacheMiB: number;
  /** The chart's namespace; without it the advertised addresses use the pod's own (`$(POD_NAMESPACE)`). */
  readonly namespace?: string;
  /** The cluster's DNS domain, validated ({@link requireClusterDomain}). */
  readonly clusterDomain: string;
  /** Bolt over TLS, and for a cluster the traffic between servers ({@link neo4jCertificateFiles} must be mounted). */
  readonly tls?: boolean;
}

/**
 * The SSL policy scopes this construct enables with `tls`: `bolt` (client connections) and, in a
 * cluster, `cluster` (discovery 5000, transactions and catch-up 6000, Raft 7000 and server-side
 * routing 7688: neo4j.com/docs/operations-manual/5/security/ssl-framework/, scope list at the top).
 * @internal
 */
export type Neo4jSslScope = 'bolt' | 'cluster';

/**
 * Where the certificate Secret is mounted for one SSL policy scope, and the files in it: the
 * layout and file names Neo4j and its Helm chart use (`dbms.ssl.policy.<scope>.base_directory`
 * default `certificates/<scope>` under NEO4J_HOME=/var/lib/neo4j, `private.key`, `public.crt`,
 * `trusted/`; neo4j/helm-charts@53f85e6 neo4j/templates/_ssl.tpl mounts the Secrets at
 * `/var/lib/neo4j/certificates/<scope>`). Never `/ssl`: the image's entrypoint replaces
 * `$NEO4J_HOME/certificates` by a symlink to `/ssl` when that directory exists (neo4j/docker-neo4j@8a5082e
 * docker-image-src/5/coredb/docker-entrypoint.sh, "CHECK FILE PERMISSIONS ON MOUNTED FOLDERS"),
 * which fails on the read-only root filesystem.
 * @internal
 */
export function neo4jCertificateFiles(scope: Neo4jSslScope) {
  return {
    /** The mount path, `base_directory`. */
    directory: `/var/lib/neo4j/certificates/${scope}`,
    /** File names relative to `directory`. */
    privateKey: 'private.key',
    publicCertificate: 'public.crt',
    /** The CA certificate goes in as `trusted/ca.crt`. */
    trustedDir: 'trusted',
  };
}

/**
 * The SSL policy of one scope in the image's environment form. Paths are absolute (relative ones
 * resolve against base_directory; absolute ones leave no doubt). revoked_dir keeps its default
 * (`<base>/revoked`), which does not exist: Neo4j 5 then loads no CRLs (neo4j/neo4j@17a3d99
 * community/ssl/src/main/java/org/neo4j/ssl/config/SslPolicyLoader.java, getCRLs returns an empty
 * list for a missing directory).
 */
function sslPolicy(scope: Neo4jSslScope, clientAuth: 'NONE' | 'REQUIRE'): Record<string, string> {
  const files = neo4jCertificateFiles(scope);
  const prefix = `dbms_ssl_policy_${scope}`;
  return {
    [`${prefix}_enabled`]: 'true',
    [`${prefix}_base__directory`]: files.directory,
    [`${prefix}_private__key`]: `${files.directory}/${files.privateKey}`,
    [`${prefix}_public__certificate`]: `${files.directory}/${files.publicCertificate}`,
    [`${prefix}_trusted__dir`]: `${files.directory}/${files.trustedDir}`,
    [`${prefix}_client__auth`]: clientAuth,
  };
}

/**
 * The `neo4j.conf` settings of a server in the image's environment form (`.` as `_`, `_` as `__`),
 * without the `NEO4J_` prefix, in the order they are set: listen address, memory, Bolt keep-alive;
 * metrics and the loopback backup listener (Enterprise); Kubernetes discovery and the advertised
 * addresses (clusters); the SSL policies (`tls`).
 * @internal
 */
export function neo4jSettings(options: Neo4jSettingsOptions): Record<string, string> {
  const { instance, servers, enterprise, heapMiB, pageCacheMiB, namespace: chartNamespace, clusterDomain, tls } = options;
  const clustered = servers >= 3;
  const settings: Record<string, string> = {
    server_default__listen__address: '0.0.0.0',
    server_memory_heap_initial__size: `${heapMiB}m`,
    server_memory_heap_max__size: `${heapMiB}m`,
    server_memory_pagecache_size: `${pageCacheMiB}m`,
    // Drivers behind Services and ELBs: detect dead connections before the 5-minute default.
    server_bolt_connection__keep__alive: '30s',
  };
  if (enterprise) {
    // Prometheus instead of the default CSV files (which would need a writable metrics dir).
    settings.server_metrics_csv_enabled = 'false';
    settings.server_metrics_prometheus_enabled = 'true';
    settings.server_metrics_prometheus_endpoint = `0.0.0.0:${Neo4jPorts.METRICS}`;
    // Online backup (Neo4jBackup runs `neo4j-admin database backup --from=<pod>:6362` in its own
    // pod): listen on every interface, not on Neo4j's default 127.0.0.1:6362 ("by default, the
    // backup service is enabled but only listens on localhost"; neo4j/docs-operations@00a5508
    // modules/ROOT/pages/backup-restore/online-backup.adoc, [[backup-server-configuration]]), which
    // only a `kubectl exec` into the server reaches. The backup protocol authenticates nobody
    // ("Failing to protect this port may leave a security hole open by which an unauthorized user
    // can make a copy of the database", same file, [[online-backup-ssl]] NOTE), so the
    // NetworkPolicies are the lock: they admit 6362 only from the pods wired with
    // `neo4j.connections.allowFrom(backup.connections, tcp(Neo4jPorts.BACKUP))`, the backup pods.
    // Port 6362 rather than the cluster port 6000, which "functionally ... [is] equivalent for
    // backups" (same file, [[online-backup-cluster]]): 6000 also carries the servers' transaction
    // and catch-up traffic, requires the `cluster` SSL policy's client certificate with `tls`
    // (client_auth=REQUIRE below), and does not exist on one Enterprise server; Neo4j's own backup
    // chart also targets 6362 (neo4j/helm-charts neo4j-admin/values.yaml, databaseBackupPort).
    // NetworkPolicies admit 6000 from Neo4j peers only. Not encrypted: no `backup` SSL policy.
    settings.server_backup_listen__address = `0.0.0.0:${Neo4jPorts.BACKUP}`;
    // Restores seed a database from an https URL (a presigned OBS URL of the backup artifact:
    // `CREATE DATABASE ... OPTIONS {existingData: 'use', seedURI: 'https://...'}`), which needs
    // URLConnectionSeedProvider on every server: Neo4j 5.26 enables only S3SeedProvider and
    // CloudSeedProvider ("Amazon S3, Google Cloud Storage, and Azure Cloud Storage are supported by
    // default, but the other providers require configuration of
    // dbms.databases.seed_from_uri_providers": neo4j/docs-operations
    // modules/ROOT/pages/clustering/databases.adoc, "Seed from URI"; the default changed to
    // CloudSeedProvider alone in 2025.01). The list keeps 5.26's defaults first. Not dynamic: a
    // change needs a restart.
    settings.dbms_databases_seed__from__uri__providers = 'S3SeedProvider,CloudSeedProvider,URLConnectionSeedProvider';
  }
  if (clustered) {
    // With resolver_type=K8S each member lists the Services matching the label selector and
    // contacts `<service>.<namespace>.svc.<cluster domain>:<named port>`; its own advertised
    // addresses must be exactly those names ("The configured server.discovery.advertised_address
    // must exactly match the Kubernetes-internal DNS name, which is of the form
    // <service-name>.<namespace>.svc.cluster.local": neo4j/docs-operations@01eda91
    // modules/ROOT/pages/clustering/setup/discovery.adoc, [[clustering-discovery-k8s]] NOTE; on
    // branch 5.x, L203, the same sentence names server.cluster.advertised_address, which discovery
    // v2 uses: both are set below).
    // The resolver builds them as "%s.%s.svc.<domain>" (neo4j/neo4j@771060d (3.5)
    // enterprise/causal-clustering/.../discovery/KubernetesResolver.java, Parser.visit, then
    // hard-coded cluster.local; since made dbms.kubernetes.cluster_domain, default cluster.local).
    // The official chart advertises the same FQDN for discovery, cluster, raft and routing
    // (neo4j/helm-charts@401875e neo4j/templates/neo4j-statefulset.yaml: SERVICE_NEO4J_INTERNALS =
    // "<fullname>-internals.<namespace>.svc.<clusterDomain>"; neo4j-config.yaml, "# Clustering":
    // server.{discovery,cluster,cluster.raft,routing}.advertised_address from it, Bolt from the
    // member's own Service FQDN, here the member's internals Service, which carries tcp-bolt).
    // Without a chart namespace the pod's own namespace is used (downward API), never a guess.
    const host = `$(POD_NAME)-internals.${chartNamespace ?? '$(POD_NAMESPACE)'}.svc.${clusterDomain}`;
    const advertised = (port: number) => `${host}:${port}`;
    Object.assign(settings, {
      dbms_cluster_discovery_resolver__type: 'K8S',
      dbms_kubernetes_label__selector: `app.kubernetes.io/instance=${instance},app.kubernetes.io/component=neo4j-internals`,
      dbms_kubernetes_service__port__name: 'tcp-discovery',
      dbms_kubernetes_discovery_v2_service__port__name: 'tcp-tx',
      dbms_cluster_minimum__initial__system__primaries__count: String(servers),
      initial_dbms_default__primaries__count: String(Math.min(servers, 5)),
      dbms_routing_enabled: 'true',
      dbms_routing_default__router: 'SERVER',
      server_discovery_advertised__address: advertised(Neo4jPorts.DISCOVERY),
      server_cluster_advertised__address: advertised(Neo4jPorts.CLUSTER),
      server_cluster_raft_advertised__address: advertised(Neo4jPorts.RAFT),
      server_routing_advertised__address: advertised(Neo4jPorts.ROUTING),
      server_bolt_advertised__address: advertised(Neo4jPorts.BOLT),
    });
    // dbms.kubernetes.cluster_domain (default cluster.local: neo4j/docs-operations configuration
    // settings, "Kubernetes settings") is what the resolver appends; only written when it differs,
    // so the default configuration carries no setting this construct has not seen in 5.26.
    if (clusterDomain !== DEFAULT_CLUSTER_DOMAIN) settings.dbms_kubernetes_cluster__domain = clusterDomain;
  }
  if (tls) {
    // Neo4j 5 operations manual, "SSL framework" (neo4j/docs-operations@02ae29a
    // modules/ROOT/pages/security/ssl-framework.adoc): [[ssl-connectors]] "Set server.bolt.tls_level
    // to REQUIRED or OPTIONAL when using Bolt" (REQUIRED: plaintext Bolt is refused; default
    // DISABLED); [[ssl-bolt-config]] client_auth=NONE, drivers present no certificate (the
    // default for bolt is OPTIONAL). HTTPS stays off: HTTP 7474 serves the readiness probe
    // (GET /, the unauthenticated discovery document) and is not among the client ports.
    Object.assign(settings, sslPolicy('bolt', 'NONE'), { server_bolt_tls__level: 'REQUIRED' });
    // [[ssl-cluster-config]]: "Set the cluster client authentication to REQUIRE to enable the
    // mutual authentication" (also its default); each server presents the certificate to its
    // peers and trusts the CA in trusted/ ("Client auth is required but no trust anchors found"
    // otherwise: SslPolicyLoader.createTrustStoreFromPem). Same settings on every server.
    if (clustered) Object.assign(settings, sslPolicy('cluster', 'REQUIRE'));
  }
  return settings;
}

const DNS_DOMAIN_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `clusterDomain` as a DNS domain (lowercase labels of letters, digits and '-', at most 63
 * characters each, no leading or trailing dot), short enough that the longest internals Service
 * FQDN stays within 253 characters.
 * @internal
 */
export function requireClusterDomain(scope: Construct, domain: unknown, longestService: string, namespace: string | undefined): string {
  const allowed = "a DNS domain such as 'cluster.local': lowercase labels of letters, digits and '-' separated by '.', each at most 63 characters, no scheme, port or trailing dot";
  if (typeof domain !== 'string' || !domain.split('.').every((label) => DNS_DOMAIN_LABEL.test(label))) return invalidProp(scope, 'clusterDomain', domain, allowed);
  const fqdn = `${longestService}.${namespace ?? 'x'.repeat(63)}.svc.${domain}`;
  if (fqdn.length > 253) return invalidProp(scope, 'clusterDomain', domain, `${allowed}; at most ${253 - fqdn.length + domain.length} characters here, so that ${longestService}.<namespace>.svc.<clusterDomain> stays within 253`);
  return domain;
}
