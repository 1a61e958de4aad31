import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Neo4j } from './neo4j';
import {
  ARGO_CD_POST_SYNC_HOOK, componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, nameJobByTemplate, requireNamesFit, selectorLabels,
  setPodSeccompRuntimeDefault,
} from '../src/kubernetes';
import { Connections } from '../src/network';
import { TlsCertificate } from '../src/tls';
import { invalidProp, requirePinnedImage } from '../src/validation';

/**
 * Why this exists. A Neo4j 5 server that joins a running cluster (a server whose data volume was
 * replaced and that comes back with a new server ID, or one added by raising `servers`) is
 * discovered in state `Free`: "These free servers are not yet part of the cluster and cannot be
 * allocated to host any databases", and "A server in the free state needs to be explicitly enabled
 * in order to be considered an active member of the cluster. The command `ENABLE SERVER server
 * name` is used to transition a server into this _Enabled_ state. [...] If the server is already
 * enabled and the command is executed with the same options, nothing is changed."
 * (neo4j/docs-operations `modules/ROOT/pages/clustering/servers.adoc`, "Free state", "Enabled
 * state", "Add a server to the cluster"). The servers that form the cluster at its first start
 * (`dbms.cluster.minimum_initial_system_primaries_count` = `servers`, neo4j-settings.ts) are
 * enabled by the bootstrap; only later joiners stay Free.
 *
 * The Neo4j Helm chart does the same with `neo4j.operations.enableServer`
 * (neo4j/helm-charts `neo4j/templates/neo4j-operations.yaml`: a Pod `<release>-operations`,
 * `restartPolicy: Never`, running the chart's own Go image `neo4j/neo4j-operations/neo4j.go`,
 * which reads the password from the Secret through the Kubernetes API, connects with the Go
 * driver to `$PROTOCOL://<release>.<namespace>.svc.cluster.local:7687`, runs
 * `SHOW SERVERS WHERE address='<that address>'` and, unless the state is `enabled`,
 * `ENABLE SERVER "<name>"` on the `system` database, then checks the state again). This construct
 * runs the same statements with the servers' own `cypher-shell`, for every server at once, with
 * the password from `secretKeyRef` (no Kubernetes API token, no extra image).
 *
 * Syntax (neo4j/docs-operations `modules/ROOT/pages/clustering/server-syntax.adoc`):
 * `ENABLE SERVER 'serverId'`; `SHOW SERVER[S] [YIELD field[, ...]] [WHERE ...] [RETURN ...]`,
 * both on the `system` database; columns `serverId`, `name`, `address`, `state` (`Free`,
 * `Enabled`, `Deallocating`, `Deallocated`, `Cordoned`, `Dropped`) and `health` (`Available`,
 * `Unavailable`) per servers.adoc "Listing servers". cypher-shell takes the password from
 * `NEO4J_PASSWORD` and the user from `NEO4J_USERNAME`, statements from `-f FILE`
 * (neo4j/docs-operations `modules/ROOT/pages/cypher-shell.adoc`, "Connection arguments").
 * The alternative, `initial.dbms.automatically_enable_free_servers=true` (servers.adoc), is an
 * `initial.*` setting, applied when the DBMS is first created (afterwards only the procedure
 * `dbms.cluster.setAutomaticallyEnableFreeServers` changes it, same page), and it enables any
 * server that discovers the cluster, unattended.
 */

/** The image's NEO4J_HOME: `bin/cypher-shell` (neo4j/docker-neo4j Dockerfile). */
const NEO4J_HOME = '/var/lib/neo4j';
/** Where the CA of a TLS Neo4j is mounted (only its `ca.crt`). */
const CA_DIR = '/etc/neo4j-ca';
/** The Job's container. */
const CONTAINER = 'enable-servers';
/** Seconds between two `SHOW SERVERS` while waiting. */
const POLL_SECONDS = 10;
/** The Job's deadline beyond the wait: the JVM starts, the statements, a retry's start. */
const DEADLINE_MARGIN = Duration.minutes(5);

/** Properties of {@link Neo4jEnableServers}. */
export interface Neo4jEnableServersProps {
  /**
   * The in-cluster Neo4j, a cluster (`servers` 3 or more, Enterprise): its {@link Neo4j.uri}
   * (routing), {@link Neo4j.user} and {@link Neo4j.password} are what the Job logs in with.
   */
  readonly neo4j: Neo4j;
  /**
   * How long the Job waits until `SHOW SERVERS` lists every server of the StatefulSet (pods
   * still starting, a replaced volume being provisioned) before it fails. The Job's
   * `activeDeadlineSeconds` is this plus 5 minutes. From 1 minute to 24 hours, whole seconds.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
  /**
   * The image `cypher-shell` runs from, pinned; it must hold `/var/lib/neo4j/bin/cypher-shell`
   * (and `keytool`, with TLS) and run as UID 7474.
   * @default - the servers' image ({@link Neo4j.image})
   */
  readonly image?: string;
}

/**
 * Enables the servers of a Neo4j cluster that joined it in state `Free` (see above): a Job,
 * `<instance>-neo4j-enable-<hash of its pod template>` (a changed Job gets a new name instead of
 * an immutable-field error on apply), an Argo CD PostSync hook re-created on each sync
 * (`argocd.argoproj.io/hook: PostSync`, `hook-delete-policy: BeforeHookCreation`), that
 *
 * 1. polls `SHOW SERVERS YIELD serverId, name, address, state, health` on the `system` database
 *    through the routing URI every 10 seconds until at least as many servers as the StatefulSet
 *    has are `Available` and not `Dropped` (a server whose volume was replaced leaves its old,
 *    unavailable entry behind: it does not count), and fails after `timeout`;
 * 2. runs `ENABLE SERVER '<serverId>'` for each server in state `Free`, printing
 *    `enabled <name> (<serverId>)`; an ID that is not a UUID (`[0-9a-f-]`) fails the run before
 *    anything is enabled (it would be quoted into the statement);
 * 3. reads `SHOW SERVERS` again, fails if an available server is still `Free`, and prints
 *    `all <n> servers enabled`.
 *
 * Idempotent: with no server `Free` it enables nothing and exits 0. The statements go to
 * `cypher-shell -f` from a file in `/tmp` (mode 0600); the password only through
 * `NEO4J_PASSWORD` (`secretKeyRef`), never on a command line or in the YAML. With
 * {@link Neo4j.tls}, the CA (`ca.crt` only) is mounted and trusted as the restore of
 * `Neo4jBackup` does (a PKCS12 trust store made with `keytool` in `/tmp`).
 *
 * The pod is hardened like the backup Jobs: the servers' image and UID 7474, non-root, read-only
 * root with `/tmp` and `/logs` emptyDirs, capabilities dropped, seccomp RuntimeDefault (pod and
 * container), no service account token, requests and limits; the servers' image pull secrets.
 * `backoffLimit: 2`, deleted a day after it finished.
 *
 * Wire its NetworkPolicy by adding {@link connections} to the stack's `NetworkPolicies`; the
 * construct already lets it reach the servers' Bolt port (`neo4j.clientPorts`).
 */
export class Neo4jEnableServers extends Construct {
  /** The default of `timeout`: 30 minutes. */
  public static readonly DEFAULT_TIMEOUT: Duration = Duration.minutes(30);

  /** The Job (its name carries a hash of its pod template). */
  public readonly job: kplus.Job;
  /** The Job's name: `<instance>-neo4j-enable-<6 hex digits>`. */
  public readonly jobName: string;
  /** How long the Job waits for every server to join. */
  public readonly timeout: Duration;
  /**
   * The Job pod's connections: Bolt to the servers (already wired). Add it to the stack's
   * `NetworkPolicies` so the pod gets its policy (component `neo4j-enable-servers`).
   */
  public readonly connections: Connections;

  constructor(scope: Construct, id: string, props: Neo4jEnableServersProps) {
    super(scope, id);
    if (!(props?.neo4j instanceof Neo4j)) invalidProp(this, 'neo4j', props?.neo4j === undefined ? undefined : '(not a Neo4j)', 'the in-cluster Neo4j construct, a cluster (servers: 3 or more)');
    const neo4j = props.neo4j;
    if (neo4j.servers < 3) {
      invalidProp(this, 'neo4j', `a Neo4j of ${neo4j.servers} server`, "a Neo4j cluster (servers: 3 or more): a standalone server has no servers to enable");
    }
    const timeout = props.timeout ?? Neo4jEnableServers.DEFAULT_TIMEOUT;
    const seconds = timeout instanceof Duration ? timeout.toSeconds({ integral: false }) : NaN;
    if (!(Number.isInteger(seconds) && seconds >= 60 && seconds <= 24 * 3600)) {
      invalidProp(this, 'timeout', timeout instanceof Duration ? timeout.toHumanString() : timeout, 'a Duration from 1 minute to 24 hours in whole seconds, e.g. Duration.minutes(30)');
    }
    this.timeout = timeout;
    const image = requirePinnedImage(this, 'image', props.image ?? neo4j.image);

    const instance = neo4j.instance;
    const labels = componentLabels(instance, 'neo4j-enable-servers');
    this.connections = new Connections({ name: 'neo4j-enable-servers', selector: selectorLabels(instance, 'neo4j-enable-servers') });
    // Bolt: the routing table and the statements (neo4j.clientPorts, "the port a client connects to").
    neo4j.connections.allowFrom(this.connections, neo4j.clientPorts);

    this.job = new kplus.Job(this, 'Job', {
      metadata: {
        name: `${instance}-neo4j-enable`,
        labels,
        annotations: { ...ARGO_CD_POST_SYNC_HOOK },
      },
      podMetadata: { labels },
      backoffLimit: 2,
      activeDeadline: Duration.seconds(seconds + DEADLINE_MARGIN.toSeconds()),
      ttlAfterFinished: Duration.days(1),
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: hardenedPodSecurityContext(Neo4j.UID),
      automountServiceAccountToken: false,
    });
    setPodSeccompRuntimeDefault(this.job);
    const api = ApiObject.of(this.job);
    // The servers' pull secrets: the same image, from the same registry.
    const pullSecrets = ApiObject.of(neo4j.statefulSet).toJson().spec?.template?.spec?.imagePullSecrets;
    if (Array.isArray(pullSecrets) && pullSecrets.length > 0) {
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/imagePullSecrets', pullSecrets.map((s: { name: string }) => ({ name: s.name }))));
    }

    const container = this.job.addContainer({
      name: CONTAINER,
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', ENABLE_SERVERS_SCRIPT],
      envVariables: {
        NEO4J_HOME: kplus.EnvValue.fromValue(NEO4J_HOME),
        NEO4J_ADDRESS: kplus.EnvValue.fromValue(neo4j.uri),
        // cypher-shell reads its credentials from NEO4J_USERNAME and NEO4J_PASSWORD.
        NEO4J_USERNAME: kplus.EnvValue.fromValue(neo4j.user),
        NEO4J_PASSWORD: neo4j.password.envValue(this),
        SERVERS: kplus.EnvValue.fromValue(String(neo4j.servers)),
        WAIT_SECONDS: kplus.EnvValue.fromValue(String(seconds)),
        POLL_SECONDS: kplus.EnvValue.fromValue(String(POLL_SECONDS)),
        ...(neo4j.tls ? { NEO4J_CA_CERT: kplus.EnvValue.fromValue(`${CA_DIR}/${TlsCertificate.CA_KEY}`) } : {}),
      },
      // cypher-shell is a JVM: its default heap (a quarter of the limit) is plenty.
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
      },
      securityContext: hardenedContainerSecurityContext(Neo4j.UID),
    });
    // The statements file, the JVM's hsperfdata and the trust store; the image's logs folder links to /logs.
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    container.mount('/logs', kplus.Volume.fromEmptyDir(this, 'Logs', 'logs', { sizeLimit: Size.mebibytes(64) }));
    if (neo4j.tls) {
      // The CA is no secret: world-readable, and only ca.crt of the Secret.
      const secret = kplus.Secret.fromSecretName(this, 'CaSecret', neo4j.tls.secretName);
      container.mount(CA_DIR, kplus.Volume.fromSecret(this, 'Ca', secret, {
        name: 'neo4j-ca', items: { [TlsCertificate.CA_KEY]: { path: TlsCertificate.CA_KEY } }, defaultMode: 0o444,
      }), { readOnly: true });
    }
    requireNamesFit(this, 'neo4j', instance);
    // Last: the template is final.
    this.jobName = nameJobByTemplate(this.job);
  }
}

/**
 * Waits until every server has joined, enables those in state Free, checks. POSIX sh (dash in the
 * Debian-based Neo4j image; tested under busybox sh too).
 * Environment: NEO4J_HOME, NEO4J_ADDRESS, NEO4J_USERNAME, NEO4J_PASSWORD (read by cypher-shell),
 * SERVERS, WAIT_SECONDS, POLL_SECONDS, optional NEO4J_CA_CERT, TMPDIR (default /tmp).
 *
 * `cypher-shell --format plain` prints a header line (the column names, ", "-separated), then one
 * line per row, strings in double quotes, NULL bare, nothing at all without rows (cypher-shell
 * `SimpleOutputFormatter`). `name` comes last, so whatever it holds cannot shift the other columns.
 */
const ENABLE_SERVERS_SCRIPT = `set -eu
say() { printf '%s\\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
export PATH="$NEO4J_HOME/bin:$PATH"
# Scratch files: the pod's /tmp emptyDir.
tmp=\${TMPDIR:-/tmp}
for v in SERVERS WAIT_SECONDS POLL_SECONDS; do
  eval "n=\\$$v"
  case "$n" in ''|*[!0-9]*) fail "$v is '$n', not a whole number" ;; esac
done
if [ -n "\${NEO4J_CA_CERT:-}" ]; then
  # Bolt over TLS: the driver trusts the JVM's trust store; one holding the servers' CA.
  rm -f "$tmp/neo4j-trust.p12"
  keytool -importcert -noprompt -alias neo4j-ca -file "$NEO4J_CA_CERT" -keystore "$tmp/neo4j-trust.p12" -storetype PKCS12 -storepass neo4j-ca >/dev/null \\
    || fail "could not import $NEO4J_CA_CERT into a trust store"
  export JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=$tmp/neo4j-trust.p12 -Djavax.net.ssl.trustStorePassword=neo4j-ca -Djavax.net.ssl.trustStoreType=PKCS12"
fi
# Statements from a file (mode 0600); credentials from NEO4J_USERNAME/NEO4J_PASSWORD, never arguments.
statement() {
  umask 077
  printf '%s\\n' "$1" > "$tmp/enable-servers.cypher"
  cypher-shell -a "$NEO4J_ADDRESS" -d system --format plain --non-interactive -f "$tmp/enable-servers.cypher"
}
# SHOW SERVERS as "serverId|state|health|name" lines in $tmp/servers; a row in another shape as "?|<row>".
servers() {
  out=$(statement 'SHOW SERVERS YIELD serverId, name, address, state, health RETURN serverId, state, health, name;') || return 1
  printf '%s\\n' "$out" | sed -n -e '1d' -e '/^$/d' \\
    -e 's/^"\\([^"|]*\\)", "\\([A-Za-z]*\\)", "\\([A-Za-z]*\\)", "\\(.*\\)"$/\\1|\\2|\\3|\\4/p' -e 't' -e 's/^/?|/p' > "$tmp/servers"
  if grep -q '^?|' "$tmp/servers"; then
    fail "SHOW SERVERS printed rows this script cannot read: $(grep '^?|' "$tmp/servers" | cut -c3- | tr '\\n' ' ')"
  fi
}
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
# Servers that are up and members: Available and not Dropped (a replaced server's old entry is Unavailable).
joined() {
  n=0
  while IFS='|' read -r id state health name; do
    if [ "$(lower "$health")" = available ] && [ "$(lower "$state")" != dropped ]; then n=$((n + 1)); fi
  done < "$tmp/servers"
  printf '%s' "$n"
}

start=$(date +%s)
while :; do
  if servers; then
    have=$(joined)
    if [ "$have" -ge "$SERVERS" ]; then break; fi
    status="$have of $SERVERS servers have joined (available, not dropped)"
  else
    status="SHOW SERVERS at $NEO4J_ADDRESS failed (see above)"
  fi
  if [ $(( $(date +%s) - start )) -ge "$WAIT_SECONDS" ]; then
    fail "timed out after $WAIT_SECONDS s waiting for all $SERVERS servers to join the cluster: $status. Nothing enabled."
  fi
  say "waiting: $status"
  sleep "$POLL_SECONDS"
done
say "all $SERVERS servers have joined"

# Every Free server's ID must be a UUID before anything is enabled: it is quoted into the statement.
: > "$tmp/free"
while IFS='|' read -r id state health name; do
  if [ "$(lower "$state")" != free ]; then continue; fi
  case "$id" in
    ''|*[!0-9a-f-]*) fail "server $name has the ID '$id', not a UUID of [0-9a-f-]: refusing to quote it into ENABLE SERVER. Nothing enabled." ;;
  esac
  printf '%s|%s\\n' "$id" "$name" >> "$tmp/free"
done < "$tmp/servers"

if [ ! -s "$tmp/free" ]; then say "no server in state Free"; fi
while IFS='|' read -r id name; do
  statement "ENABLE SERVER '$id';" >/dev/null || fail "ENABLE SERVER '$id' ($name) failed (see above)"
  say "enabled $name ($id)"
done < "$tmp/free"

servers || fail "SHOW SERVERS at $NEO4J_ADDRESS failed after enabling (see above)"
while IFS='|' read -r id state health name; do
  if [ "$(lower "$state")" = free ] && [ "$(lower "$health")" = available ]; then
    fail "server $name ($id) is still Free after ENABLE SERVER"
  fi
done < "$tmp/servers"
rm -f "$tmp/enable-servers.cypher"
say "all $SERVERS servers enabled"
`;
