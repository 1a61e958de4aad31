import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MemosConfig } from './memos-config';
import { SwrImage } from '../src/cce';
import { disableServiceLinks, hardenedContainerSecurityContext, hardenedPodSecurityContext, httpProbe, tcpProbe } from '../src/kubernetes';
import {
  MEMOS_APP_MODULE,
  MEMOS_HEALTH_PATH,
  MEMOS_HTTP_PORT,
  MEMOS_POSTGRES_CA,
  MEMOS_TRUST,
  MEMOS_UID,
  MEMOS_VERSION,
  MEMOS_WRITABLE_PATHS,
  MemosEnvVar,
} from '../src/memos';

/**
 * The MemOS server process, shared by every workload that runs it: memos-api and mem-scheduler
 * (both Deployments) are the same image and command (memos-runtime.md §6), told apart only by
 * `API_SCHEDULER_ON` and their scaling.
 */

/**
 * Default MemOS image: MemOS publishes no application image, so build the recipe in
 * images/memos/Dockerfile (MemOS v2.0.31 with the gpt2 tokenizer baked in and a size-bounded log
 * file) and push it to your SWR organization (docs/operations.md, "Building the MemOS image").
 */
export const DEFAULT_MEMOS_IMAGE = SwrImage.reference({ region: 'cn-north-4', organization: 'memos', repository: 'memos', tag: MEMOS_VERSION });

/**
 * Node disk a MemOS container may use: its three 1 GiB emptyDirs (state with the log file, which
 * the image bounds at 4 x 64 MiB, /tmp, ~/.cache) and its container log. With a limit the kubelet
 * evicts only the pod that overruns, instead of the node's other pods when its disk fills.
 */
export const MEMOS_EPHEMERAL_STORAGE: kplus.EphemeralStorageResources = {
  request: Size.gibibytes(1),
  limit: Size.gibibytes(4),
};

/**
 * Workload and pod settings of a MemOS workload: its name and labels, an explicit path-independent
 * selector (set with `selectPods`; renaming a construct must not change an immutable selector),
 * UID 1000, no service-account token, a graceful stop.
 * @internal
 */
export function memosWorkloadProps(options: { name: string; labels: Record<string, string>; config: MemosConfig; terminationGracePeriod?: Duration }) {
  return {
    metadata: { name: options.name, labels: options.labels },
    select: false,
    // A settings change rolls the pods.
    podMetadata: { labels: options.labels, annotations: { 'checksum/memos-config': options.config.checksum } },
    securityContext: hardenedPodSecurityContext(MEMOS_UID),
    automountServiceAccountToken: false,
    // MemOS stops its scheduler threads in its shutdown hook; LLM calls in flight take a while.
    terminationGracePeriod: options.terminationGracePeriod ?? Duration.seconds(60),
  };
}

/**
 * What differs between MemOS containers.
 * @internal
 */
export interface MemosServerContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly config: MemosConfig;
  readonly resources: kplus.ContainerResources;
  /** `API_SCHEDULER_ON`: this process consumes the scheduler queue. */
  readonly consumesQueue: boolean;
  /** Per-workload settings that override the ConfigMap (explicit env wins over envFrom). */
  readonly env?: Partial<Record<MemosEnvVar, string>>;
}

/**
 * Adds the MemOS server container (`uvicorn memos.api.server_api:app`, one worker, port 8000)
 * to a workload: probes sized for a slow start, hardened, emptyDirs where MemOS writes, all
 * settings and credentials from the {@link MemosConfig}. Resources without ephemeral storage get
 * {@link MEMOS_EPHEMERAL_STORAGE}: every MemOS pod has a disk request and limit.
 * @internal
 */
export function addMemosServerContainer(scope: Construct, workload: kplus.Deployment, options: MemosServerContainerOptions): kplus.Container {
  const container = workload.addContainer({
    name: options.name,
    image: options.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    // One worker per pod: every uvicorn worker runs its own init_server(), scheduler threads and
    // DB clients (memos-runtime.md §3). Scale with replicas instead.
    command: ['uvicorn'],
    args: [MEMOS_APP_MODULE, '--host', '0.0.0.0', '--port', String(MEMOS_HTTP_PORT), '--workers', '1'],
    ports: [{ number: MEMOS_HTTP_PORT, name: 'http' }],
    resources: { ...options.resources, ephemeralStorage: options.resources.ephemeralStorage ?? MEMOS_EPHEMERAL_STORAGE },
    securityContext: hardenedContainerSecurityContext(MEMOS_UID),
    // init_server() connects to every backend and creates indexes before the port opens (the
    // tokenizer comes from the image): allow up to 5 minutes, then probe the static /health route.
    startup: httpProbe(MEMOS_HEALTH_PATH, MEMOS_HTTP_PORT, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 }),
    readiness: httpProbe(MEMOS_HEALTH_PATH, MEMOS_HTTP_PORT, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
    // An overloaded server leaves the Service (readiness) and is restarted only when it stops accepting connections.
    liveness: tcpProbe(MEMOS_HTTP_PORT, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 }),
    // Let endpoints and load balancers drop the pod before uvicorn stops accepting requests.
    lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '10']) },
  });
  options.config.bind(container);
  trustStoreCas(scope, workload, container, options);
  const ca = options.config.postgresCaCertificate;
  if (ca) {
    const secret = kplus.Secret.fromSecretName(scope, 'PostgresCaSecret', ca.secretName);
    const volume = kplus.Volume.fromSecret(scope, 'PostgresCa', secret, { name: 'postgres-ca', items: { [ca.key]: { path: MEMOS_POSTGRES_CA.file } } });
    container.mount(MEMOS_POSTGRES_CA.dir, volume, { readOnly: true });
  }
  disableServiceLinks(workload);
  // The in-process MemScheduler consumes the shared Redis queue unless turned off (trap 1).
  container.env.addVariable('API_SCHEDULER_ON', kplus.EnvValue.fromValue(String(options.consumesQueue)));
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value !== undefined) container.env.addVariable(name, kplus.EnvValue.fromValue(value));
  }

  // None of these mounts may cover MEMOS_HF_HOME, where the image keeps the tokenizer.
  const writable: [string, string][] = [
    ['memos-state', MEMOS_WRITABLE_PATHS.state],
    ['tmp', MEMOS_WRITABLE_PATHS.tmp],
    ['cache', MEMOS_WRITABLE_PATHS.cache],
  ];
  for (const [volumeName, path] of writable) {
    container.mount(path, kplus.Volume.fromEmptyDir(scope, `Volume-${volumeName}`, volumeName, { sizeLimit: Size.gibibytes(1) }));
  }
  return container;
}

/** The shell of the init container that builds the CA bundle: certifi's public CAs, then ours. */
export const CA_BUNDLE_SCRIPT = `set -eu
{
  cat "$(python -c 'import certifi; print(certifi.where())')"
  # A line break before each CA: a PEM without a final newline would swallow the next one.
  for ca in ${MEMOS_TRUST.cas}/*.crt; do echo; cat "$ca"; done
} > ${MEMOS_TRUST.bundle}.tmp
mv ${MEMOS_TRUST.bundle}.tmp ${MEMOS_TRUST.bundle}`;

/**
 * Makes MemOS's clients trust the CAs of in-cluster stores served over TLS: each CA mounted from
 * its Secret, a bundle of certifi's public CAs (which the LLM API still needs) and these built by
 * an init container in the MemOS image, and `SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE` pointing at it
 * (httpx 0.28 and Python's ssl read the first, requests the second).
 */
function trustStoreCas(scope: Construct, workload: kplus.Deployment, container: kplus.Container, options: MemosServerContainerOptions): void {
  const cas = options.config.trustedCertificates;
  if (cas.length === 0) return;
  const casVolumes = cas.map((ref, i) => {
    const secret = kplus.Secret.fromSecretName(scope, `TrustedCaSecret${i}`, ref.secretName);
    return { volume: kplus.Volume.fromSecret(scope, `TrustedCa${i}`, secret, { name: `trusted-ca-${i}`, items: { [ref.key]: { path: `${i}.crt` } } }), file: `${i}.crt` };
  });
  const bundle = kplus.Volume.fromEmptyDir(scope, 'TrustBundle', 'trust-bundle', { sizeLimit: Size.mebibytes(16) });
  const init = workload.addInitContainer({
    name: 'ca-bundle',
    image: options.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['sh', '-c', CA_BUNDLE_SCRIPT],
    securityContext: hardenedContainerSecurityContext(MEMOS_UID),
    resources: {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
    },
  });
  for (const { volume, file } of casVolumes) init.mount(`${MEMOS_TRUST.cas}/${file}`, volume, { readOnly: true, subPath: file });
  init.mount(MEMOS_TRUST.bundleDir, bundle);
  container.mount(MEMOS_TRUST.bundleDir, bundle, { readOnly: true });
  for (const name of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE']) container.env.addVariable(name, kplus.EnvValue.fromValue(MEMOS_TRUST.bundle));
}
