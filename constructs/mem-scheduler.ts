import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { consumerSettings, MemosConfig } from './memos-config';
import { addMemosServerContainer, DEFAULT_MEMOS_IMAGE, MEMOS_EPHEMERAL_STORAGE, memosWorkloadProps } from './memos-server';
import { applyPodOverrides } from '../src/pod-overrides';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { addDisruptionBudget, componentLabels, selectorLabels, setImagePullSecrets, spreadAcrossZones, WorkloadPlacementProps, selectPods, ZoneSpread } from '../src/kubernetes';
import { Connections } from '../src/network';
import { requireDnsLabel, requireEnum, requireInteger, requirePinnedImage } from '../src/validation';

/** This construct's default resources: requests 1 CPU / 2Gi, limits 2 CPU / 4Gi (seed §2.5). */
export const MEM_SCHEDULER_DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.units(2) },
  memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) },
  ephemeralStorage: MEMOS_EPHEMERAL_STORAGE,
};

/** Properties of {@link MemScheduler}. */
export interface MemSchedulerProps extends WorkloadPlacementProps {
  /** Instance name: prefix of object names and value of `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Settings and credentials every MemOS pod gets; its Redis settings are the queue consumed. */
  readonly config: MemosConfig;
  /**
   * MemOS image (the same as memos-api), pinned by tag or digest.
   * @default MemScheduler.DEFAULT_IMAGE (the same as MemosApi.DEFAULT_IMAGE)
   */
  readonly image?: string;
  /**
   * Consumer pods. All join the same consumer group, so Redis shares the streams' entries among
   * them ("sharded" in the seed).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Resources of each pod. Without `ephemeralStorage`, the default's (request 1Gi, limit 4Gi) is
   * kept: every MemOS pod bounds its node disk.
   * @default - seed §2.5: requests 1 CPU / 2Gi, limits 2 CPU / 4Gi; ephemeral storage 1Gi / 4Gi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Tasks one pod runs at once (`MOS_SCHEDULER_THREAD_POOL_MAX_WORKERS`); the consumer stops
   * pulling while this many run. Tasks wait on LLM and embedding calls, so threads are cheap.
   * @default - the ConfigMap's value (MemOS default 50)
   */
  readonly threadPoolSize?: number;
  /**
   * Sleep between polls of the queue, seconds (`MOS_SCHEDULER_CONSUME_INTERVAL_SECONDS`).
   * @default - the ConfigMap's value (MemOS default 0.01)
   */
  readonly consumeIntervalSeconds?: number;
  /**
   * Time between SIGTERM and SIGKILL: running tasks finish or are reclaimed by another consumer
   * after MemOS's 1-hour idle threshold, so give them room.
   * @default Duration.minutes(2)
   */
  readonly terminationGracePeriod?: Duration;
}

/**
 * A dedicated MemScheduler: the MemOS server image run as a queue consumer
 * (`API_SCHEDULER_ON=true`, Redis queue on) in a Deployment, hardened like memos-api, spread across
 * zones, with a PodDisruptionBudget from two pods up. No Service: nothing calls these pods, and
 * the kubelet probes them directly.
 *
 * MemOS has no separate worker binary: a scheduler pod is the same process as an API pod and
 * still serves HTTP on 8000 (used only for its probes here).
 *
 * Why a Deployment and not a StatefulSet: a consumer has no identity and no storage to keep. Each
 * process joins the consumer group `scheduler_group` under a new random name,
 * `scheduler_consumer_<8 hex>` (MemOS v2.0.31 mem_scheduler/task_schedule_modules/redis_queue.py
 * L77 `f"{consumer_name}_{uuid4().hex[:8]}"`, called with `consumer_name="scheduler_consumer"` by
 * task_queue.py L40-45), so a pod that comes back under the same name is still a new consumer, and
 * the entries a dead consumer held are claimed by any live one once idle for an hour (XAUTOCLAIM,
 * `DEFAULT_PENDING_CLAIM_MIN_IDLE_MS` in schemas/task_schemas.py L63). Its only local state, the
 * scheduler's SQLite DB, is created in a fresh `tempfile.mkdtemp()` at every start
 * (api/handlers/component_init.py L286, mem_scheduler/orm_modules/base_model.py L573).
 */
export class MemScheduler extends Construct {
  /** The MemOS image: the same as memos-api's. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_MEMOS_IMAGE;

  /** The Deployment. */
  public readonly deployment: kplus.Deployment;
  /** Labels selecting the scheduler pods. */
  public readonly selectorLabels: { [key: string]: string };
  /**
   * The consumers' network connections: nothing connects to them; wire the stores they use with
   * `store.connections.allowFrom(scheduler.connections, store.clientPorts)`.
   */
  public readonly connections: Connections;
  /** The PodDisruptionBudget, from two pods up. */
  public readonly disruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** Consumer pods. */
  public readonly replicas: number;

  constructor(scope: Construct, id: string, props: MemSchedulerProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_MEMOS_IMAGE);
    this.replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1, 100);
    const zoneSpread = requireEnum(this, 'zoneSpread', props.zoneSpread ?? ZoneSpread.REQUIRED, ZoneSpread);
    // Per-pod overrides of the ConfigMap's consumer settings (explicit env wins over envFrom).
    const env = consumerSettings(this, { threadPoolSize: props.threadPoolSize, consumeIntervalSeconds: props.consumeIntervalSeconds }, '');

    const name = `${instance}-scheduler`;
    this.selectorLabels = selectorLabels(instance, 'mem-scheduler');
    const labels = componentLabels(instance, 'mem-scheduler');
    this.connections = new Connections({ name: 'scheduler', selector: this.selectorLabels });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      ...memosWorkloadProps({ name, labels, config: props.config, terminationGracePeriod: props.terminationGracePeriod ?? Duration.minutes(2) }),
      replicas: this.replicas,
      // Start the new consumer before stopping an old one: the consumer count never drops during
      // a rollout, and a single consumer keeps draining the queue while it is replaced.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
    });
    selectPods(this.deployment, this.selectorLabels);

    addMemosServerContainer(this, this.deployment, {
      name: 'mem-scheduler',
      image,
      config: props.config,
      resources: props.resources ?? MEM_SCHEDULER_DEFAULT_RESOURCES,
      consumesQueue: true,
      env,
    });
    setImagePullSecrets(this, this.deployment, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    spreadAcrossZones(this.deployment, this.selectorLabels, zoneSpread);
    if (this.replicas >= 2) this.disruptionBudget = addDisruptionBudget(this, 'Budget', { name, labels, selector: this.selectorLabels });
    applyPodOverrides(this, 'pod', this.deployment, props.pod);
  }
}
