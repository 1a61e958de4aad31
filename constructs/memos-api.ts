import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MemosConfig } from './memos-config';
import { CCE_SWR_PULL_SECRET, swrImage } from '../src/cce';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels } from '../src/kubernetes';
import {
  MEMOS_APP_MODULE,
  MEMOS_HEALTH_PATH,
  MEMOS_HTTP_PORT,
  MEMOS_UID,
  MEMOS_VERSION,
  MEMOS_WRITABLE_PATHS,
} from '../src/memos';
import { requireDnsLabel, requireInteger, requirePinnedImage } from '../src/validation';

/**
 * Default MemOS image: MemOS publishes no application image, so build the root Dockerfile of
 * MemOS v2.0.31 and push it to your SWR organization (README, "Building the MemOS image").
 */
export const DEFAULT_MEMOS_IMAGE = swrImage({ region: 'cn-north-4', organization: 'memos', repository: 'memos', tag: MEMOS_VERSION });

/** Seed §2.5: each API pod requests 2 CPU / 4Gi and may burst to 4 CPU / 8Gi. */
export const MEMOS_API_DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(4) },
  memory: { request: Size.gibibytes(4), limit: Size.gibibytes(8) },
  // Bounds the node disk the emptyDirs (logs, SQLite, tokenizer cache) may use.
  ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(4) },
};

/** Properties of {@link MemosApi}. */
export interface MemosApiProps {
  /** Instance name: prefix of object names and value of `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Settings and credentials every MemOS pod gets. */
  readonly config: MemosConfig;
  /**
   * MemOS image, pinned by tag or digest (`latest` is rejected).
   * @default DEFAULT_MEMOS_IMAGE (`swr.cn-north-4.myhuaweicloud.com/memos/memos:2.0.31`)
   */
  readonly image?: string;
  /**
   * Number of API pods.
   * @default 3 (seed: small)
   */
  readonly replicas?: number;
  /**
   * CPU, memory and ephemeral storage of the MemOS container.
   * @default - seed §2.5: requests 2 CPU / 4Gi, limits 4 CPU / 8Gi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Image pull secrets (existing Secrets in the namespace).
   * @default ['default-secret'] (created by CCE for SWR)
   */
  readonly imagePullSecrets?: string[];
  /**
   * Time between SIGTERM and SIGKILL. MemOS stops its scheduler threads in its shutdown hook, and
   * requests in flight (LLM calls) can take tens of seconds.
   * @default Duration.seconds(60)
   */
  readonly terminationGracePeriod?: Duration;
}

/**
 * The MemOS REST server (`uvicorn memos.api.server_api:app`, one worker, port 8000) as a
 * Deployment and a ClusterIP Service.
 *
 * ```ts
 * new MemosApi(chart, 'Api', { instance: 'memos', config });
 * ```
 */
export class MemosApi extends Construct {
  /** The Deployment running the API pods. */
  public readonly deployment: kplus.Deployment;
  /** The Service in front of the API pods (port 8000, `http`). */
  public readonly service: kplus.Service;
  /** Labels selecting the API pods. */
  public readonly selectorLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: MemosApiProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_MEMOS_IMAGE);
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 3, 1, 1000);
    const pullSecrets = (props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET])
      .map((name, i) => requireDnsLabel(this, `imagePullSecrets[${i}]`, name, 253));
    const name = `${instance}-api`;
    this.selectorLabels = selectorLabels(instance, 'memos-api');
    const labels = componentLabels(instance, 'memos-api');

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, labels },
      replicas,
      // Explicit, path-independent selector: renaming a construct must not change it (immutable).
      select: false,
      podMetadata: { labels, annotations: { 'checksum/memos-config': props.config.checksum } },
      // Never drop below the desired count during a rollout; surge one quarter.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      securityContext: hardenedPodSecurityContext(MEMOS_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: props.terminationGracePeriod ?? Duration.seconds(60),
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));

    const container = this.deployment.addContainer({
      name: 'memos-api',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // One worker per pod: every uvicorn worker runs its own init_server(), scheduler threads and
      // DB clients (memos-runtime.md §3). Scale with replicas instead.
      command: ['uvicorn'],
      args: [MEMOS_APP_MODULE, '--host', '0.0.0.0', '--port', String(MEMOS_HTTP_PORT), '--workers', '1'],
      ports: [{ number: MEMOS_HTTP_PORT, name: 'http' }],
      resources: props.resources ?? MEMOS_API_DEFAULT_RESOURCES,
      securityContext: hardenedContainerSecurityContext(MEMOS_UID),
      // init_server() connects to every backend, creates indexes and may download a tokenizer
      // before the port opens: allow up to 5 minutes, then probe the static /health route.
      startup: kplus.Probe.fromHttpGet(MEMOS_HEALTH_PATH, {
        port: MEMOS_HTTP_PORT,
        periodSeconds: Duration.seconds(5),
        timeoutSeconds: Duration.seconds(3),
        failureThreshold: 60,
      }),
      readiness: kplus.Probe.fromHttpGet(MEMOS_HEALTH_PATH, {
        port: MEMOS_HTTP_PORT,
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(3),
        failureThreshold: 3,
      }),
      liveness: kplus.Probe.fromHttpGet(MEMOS_HEALTH_PATH, {
        port: MEMOS_HTTP_PORT,
        periodSeconds: Duration.seconds(20),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: 3,
      }),
      // Let endpoints and load balancers drop the pod before uvicorn stops accepting requests.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '10']) },
    });
    props.config.bind(container);

    const writable: [string, string, Size][] = [
      ['memos-state', MEMOS_WRITABLE_PATHS.state, Size.gibibytes(1)],
      ['tmp', MEMOS_WRITABLE_PATHS.tmp, Size.gibibytes(1)],
      ['cache', MEMOS_WRITABLE_PATHS.cache, Size.gibibytes(1)],
    ];
    for (const [volumeName, path, sizeLimit] of writable) {
      container.mount(path, kplus.Volume.fromEmptyDir(this, `Volume-${volumeName}`, volumeName, { sizeLimit }));
    }

    // kplus models a single registry secret; the pod spec takes a list.
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/imagePullSecrets', pullSecrets.map((secretName) => ({ name: secretName }))),
    );

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: MEMOS_HTTP_PORT, targetPort: MEMOS_HTTP_PORT }],
    });
    this.service.selectLabel('app.kubernetes.io/name', this.selectorLabels['app.kubernetes.io/name']);
    this.service.selectLabel('app.kubernetes.io/instance', this.selectorLabels['app.kubernetes.io/instance']);
  }
}
