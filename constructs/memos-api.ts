import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ElbService, ElbServiceOptions } from './elb-service';
import { MemosConfig } from './memos-config';
import { addMemosServerContainer, DEFAULT_MEMOS_IMAGE, MEMOS_EPHEMERAL_STORAGE, memosWorkloadProps } from './memos-server';
import { QueueDepthMetric } from './queue-depth-metric';
import { applyPodOverrides, PodOverrides } from '../src/pod-overrides';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { addDisruptionBudget, componentLabels, selectorLabels, setImagePullSecrets, spreadAcrossZones, ZoneSpread, selectPods } from '../src/kubernetes';
import { MEMOS_HEALTH_PATH, MEMOS_HTTP_PORT } from '../src/memos';
import { Connections, NetworkPort, tcp } from '../src/network';
import { invalidProp, reportAs, requireDnsLabel, requireEnum, requireInstance, requireInteger, requirePinnedImage } from '../src/validation';

/** This construct's default resources: requests 2 CPU / 4Gi, limits 4 CPU / 8Gi (seed §2.5). */
export const MEMOS_API_DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(4) },
  memory: { request: Size.gibibytes(4), limit: Size.gibibytes(8) },
  // Bounds the node disk the emptyDirs (log file, SQLite, scratch) may use.
  ephemeralStorage: MEMOS_EPHEMERAL_STORAGE,
};

/** Autoscaling of the memos-api Deployment. */
export interface MemosApiAutoscaling {
  /** Fewest pods; the PodDisruptionBudget keeps all but one of them through voluntary disruptions. */
  readonly minReplicas: number;
  /** Most pods. */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, percent of the request.
   * @default 70 (seed §2.5)
   */
  readonly targetCpuUtilization?: number;
  /**
   * Scale on `redis_queue_depth` from this pipeline as well.
   * @default - CPU only
   */
  readonly queueDepth?: QueueDepthMetric;
  /**
   * Target queue entries per pod (External metric, AverageValue).
   * @default 100 (seed §2.5)
   */
  readonly targetQueueDepthPerReplica?: number;
  /**
   * How long the HPA waits, taking the highest recommendation seen, before it removes pods.
   * A queue drains in bursts: a long window keeps the consumers until the backlog is gone.
   * @default Duration.minutes(10)
   */
  readonly scaleDownStabilization?: Duration;
}

/** How the API is reached inside and outside the cluster. */
export class ApiService {
  /** A LoadBalancer Service behind a CCE ELB (a private, shared ELB unless `options` say otherwise). */
  public static elb(options: ElbServiceOptions = {}): ApiService {
    return new ApiService(options);
  }

  /** A ClusterIP Service only: reach the API from inside the cluster (or through your own ingress). */
  public static clusterIp(): ApiService {
    return new ApiService(undefined);
  }

  private constructor(
    /** @internal */
    public readonly _elb: ElbServiceOptions | undefined,
  ) {}
}

/** Properties of {@link MemosApi}. */
export interface MemosApiProps {
  /** Instance name: prefix of object names and value of `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Settings and credentials every MemOS pod gets. */
  readonly config: MemosConfig;
  /**
   * MemOS image, pinned by tag or digest (`latest` is rejected).
   * @default MemosApi.DEFAULT_IMAGE (`swr.cn-north-4.myhuaweicloud.com/memos/memos:2.0.31`)
   */
  readonly image?: string;
  /**
   * A fixed number of API pods, without autoscaling. Not together with `autoscaling`.
   * @default - autoscaled (see `autoscaling`)
   */
  readonly replicas?: number;
  /**
   * Horizontal Pod Autoscaler on CPU and, given a `queueDepth` metric, on the scheduler queue.
   * @default - 3 to 10 pods on CPU 70% (seed §2.5), when `replicas` is not set
   */
  readonly autoscaling?: MemosApiAutoscaling;
  /**
   * API pods also consume the scheduler queue (`API_SCHEDULER_ON`). Scaling on queue depth adds
   * consumers only when they do.
   * @default true
   */
  readonly consumesQueue?: boolean;
  /**
   * The Service in front of the API.
   * @default - ApiService.elb(): a private (`inner`) shared ELB, TCP listener on 80, HTTP health check on /health
   */
  readonly service?: ApiService;
  /**
   * Spreading across availability zones: `required` never puts two more pods in one zone than
   * in another (pods stay Pending instead); `preferred` only tries.
   * @default 'required'
   */
  readonly zoneSpread?: ZoneSpread;
  /**
   * CPU, memory and ephemeral storage of the MemOS container. Without `ephemeralStorage`, the
   * default's (request 1Gi, limit 4Gi) is kept: every MemOS pod bounds its node disk.
   * @default - seed §2.5: requests 2 CPU / 4Gi, limits 4 CPU / 8Gi; ephemeral storage 1Gi / 4Gi
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
  /**
   * Additions to the pods (tolerations, node affinity, priority class, env, volumes, sidecars,
   * labels, annotations), merged with what the construct sets.
   * @default - none
   */
  readonly pod?: PodOverrides;
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
  /** The MemOS image built from MemOS v2.0.31 (docs/operations.md, "Building the MemOS image"). */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_MEMOS_IMAGE;
  /** Scheduler-queue entries per API pod the autoscaler aims at (seed §2.5). */
  public static readonly DEFAULT_TARGET_QUEUE_DEPTH_PER_REPLICA: number = 100;

  /** The Deployment running the API pods. */
  public readonly deployment: kplus.Deployment;
  /**
   * The API pods' network connections: from anywhere on 8000 behind an ELB, from nobody with
   * `ApiService.clusterIp()` until a client (the gateway) is wired with
   * `api.connections.allowFrom(client.connections, api.clientPorts)`. Wire the stores it uses with
   * `store.connections.allowFrom(api.connections, store.clientPorts)`.
   */
  public readonly connections: Connections;
  /** The port a client connects to (MemOS's HTTP port). */
  public readonly clientPorts: NetworkPort[] = tcp(MEMOS_HTTP_PORT);
  /**
   * A headless Service of the API pods (`<instance>-api-headless`): its DNS records list every
   * ready pod, so a proxy in front (the gateway) balances over pods, not over connections to the
   * ClusterIP.
   */
  public readonly headlessService: kplus.Service;
  /** The Service in front of the API pods: LoadBalancer behind an ELB, or ClusterIP. */
  public readonly service: kplus.Service;
  /** The ELB Service, unless `ApiService.clusterIp()`. */
  public readonly elb?: ElbService;
  /** The autoscaler, unless `replicas` is fixed. */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** Labels selecting the API pods. */
  public readonly selectorLabels: { [key: string]: string };
  /** The PodDisruptionBudget, from two pods up. */
  public readonly disruptionBudget?: kplus.k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: MemosApiProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_MEMOS_IMAGE);
    if (props.replicas !== undefined && props.autoscaling !== undefined) {
      invalidProp(this, 'replicas', props.replicas, 'either replicas (fixed) or autoscaling, not both: the HPA owns the replica count');
    }
    const replicas = props.replicas === undefined ? undefined : requireInteger(this, 'replicas', props.replicas, 1, 1000);
    const autoscaling = replicas === undefined ? (props.autoscaling ?? { minReplicas: 3, maxReplicas: 10 }) : undefined;
    const consumesQueue = props.consumesQueue ?? true;
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    const name = `${instance}-api`;
    this.selectorLabels = selectorLabels(instance, 'memos-api');
    const labels = componentLabels(instance, 'memos-api');
    this.connections = new Connections({ name: 'api', selector: this.selectorLabels });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      ...memosWorkloadProps({ name, labels, config: props.config, terminationGracePeriod: props.terminationGracePeriod }),
      // Unset under an HPA: the HPA owns the count and kplus leaves the field out.
      replicas,
      // Never drop below the desired count during a rollout; surge one quarter.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
    });
    selectPods(this.deployment, this.selectorLabels);

    addMemosServerContainer(this, this.deployment, {
      name: 'memos-api',
      image,
      config: props.config,
      resources: props.resources ?? MEMOS_API_DEFAULT_RESOURCES,
      consumesQueue,
    });

    setImagePullSecrets(this, this.deployment, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);

    spreadAcrossZones(this.deployment, this.selectorLabels, zoneSpread);

    const exposure = requireInstance(this, 'service', props.service ?? ApiService.elb(), ApiService, 'ApiService.elb({...}) or ApiService.clusterIp()');
    if (exposure._elb === undefined) {
      this.service = new kplus.Service(this, 'Service', {
        metadata: { name, labels },
        type: kplus.ServiceType.CLUSTER_IP,
        ports: [{ name: 'http', port: MEMOS_HTTP_PORT, targetPort: MEMOS_HTTP_PORT }],
      });
      selectPods(this.service, this.selectorLabels);
    } else {
      // Its errors name the prop the user set: this construct's `service`.
      const elb = exposure._elb;
      this.elb = reportAs(this, { '': 'service' }, () => new ElbService(this, 'Elb', {
        ...elb,
        // The ELB probes MemOS's /health unless the user turns the check off or makes it TCP.
        healthPath: MEMOS_HEALTH_PATH,
        name,
        labels,
        selector: this.selectorLabels,
        targetPort: MEMOS_HTTP_PORT,
      }));
      this.service = this.elb.service;
      // The ELB's traffic: NetworkPolicy cannot name the load balancer's addresses on CCE tunnel networks.
      this.connections.allowFromAnywhere(this.clientPorts);
    }

    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: `${name}-headless`, labels },
      clusterIP: 'None',
      ports: [{ name: 'http', port: MEMOS_HTTP_PORT, targetPort: MEMOS_HTTP_PORT }],
    });
    selectPods(this.headlessService, this.selectorLabels);

    const minReplicas = replicas ?? autoscaling!.minReplicas;
    if (autoscaling) this.autoscaler = this.addAutoscaler(autoscaling, consumesQueue, labels);

    // One pod at a time through drains and upgrades. With a single pod a budget would either
    // block node drains forever or protect nothing, so none is created.
    if (minReplicas >= 2) this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector: this.selectorLabels });
    applyPodOverrides(this, 'pod', this.deployment, props.pod);
  }

  private addAutoscaler(autoscaling: MemosApiAutoscaling, consumesQueue: boolean, labels: { [key: string]: string }): kplus.HorizontalPodAutoscaler {
    const minReplicas = requireInteger(this, 'autoscaling.minReplicas', autoscaling.minReplicas, 1, 1000);
    const maxReplicas = requireInteger(this, 'autoscaling.maxReplicas', autoscaling.maxReplicas, minReplicas, 1000);
    const cpu = requireInteger(this, 'autoscaling.targetCpuUtilization', autoscaling.targetCpuUtilization ?? 70, 1, 1000);
    const metrics = [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(cpu))];
    if (autoscaling.queueDepth) {
      if (!consumesQueue) {
        invalidProp(this, 'autoscaling.queueDepth', autoscaling.queueDepth.metricName,
          'no queue-depth scaling while consumesQueue is false: more API pods would add no consumers');
      }
      const perReplica = requireInteger(this, 'autoscaling.targetQueueDepthPerReplica', autoscaling.targetQueueDepthPerReplica ?? MemosApi.DEFAULT_TARGET_QUEUE_DEPTH_PER_REPLICA, 1, 100000);
      metrics.push(kplus.Metric.external({
        name: autoscaling.queueDepth.metricName,
        target: kplus.MetricTarget.averageValue(perReplica),
        labelSelector: kplus.LabelSelector.of({ labels: autoscaling.queueDepth.metricSelector }),
      }));
    }
    const window = autoscaling.scaleDownStabilization ?? Duration.minutes(10);
    requireInteger(this, 'autoscaling.scaleDownStabilization', window.toSeconds(), 0, 3600);
    return new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: this.deployment.name, labels },
      target: this.deployment,
      minReplicas,
      maxReplicas,
      metrics,
      // Add pods fast: a burst of async /product/add calls fills the queue within seconds.
      scaleUp: {
        stabilizationWindow: Duration.seconds(0),
        strategy: kplus.ScalingStrategy.MAX_CHANGE,
        policies: [
          { replicas: kplus.Replicas.percent(100), duration: Duration.minutes(1) },
          { replicas: kplus.Replicas.absolute(4), duration: Duration.minutes(1) },
        ],
      },
      // Remove them slowly: at most one pod a minute after the window, so a queue that drains
      // in bursts does not make the count flap.
      scaleDown: {
        stabilizationWindow: window,
        strategy: kplus.ScalingStrategy.MIN_CHANGE,
        policies: [{ replicas: kplus.Replicas.absolute(1), duration: Duration.minutes(1) }],
      },
    });
  }
}

