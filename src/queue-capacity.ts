/**
 * Will the scheduler queue drain in time? MemOS stops consuming a stream whose newest entry is
 * over an hour old and deletes streams idle for two hours with their unprocessed entries
 * (memos-runtime.md §7, trap 5), so a backlog must drain well within an hour.
 *
 * A minute-by-minute model of a backlog: tasks arrive at the designed load while consumers are
 * stalled (an LLM outage, say), then the consumers come back, the queue-depth HPA adds API pods
 * (up by max(100%, 4 pods) a minute, each consuming after a start-up delay), and every consumer
 * process runs `threadPoolSize` tasks at once.
 */

/** Workload assumptions of the model: not from the seed, so state your own measurements. */
export interface QueueLoadAssumptions {
  /** Share of requests that enqueue a scheduler task (asynchronous /product/add → mem_read). */
  readonly taskFraction: number;
  /** Seconds one task holds a consumer thread (LLM-bound memory extraction). */
  readonly taskSeconds: number;
  /** Minutes of arrivals that pile up before consumers resume. */
  readonly stallMinutes: number;
  /** Minutes from an HPA decision to a new pod consuming (scheduling, image, MemOS start-up). */
  readonly podStartMinutes: number;
}

/** The assumptions behind the shipped presets. */
export const DEFAULT_QUEUE_ASSUMPTIONS: QueueLoadAssumptions = {
  taskFraction: 0.2,
  taskSeconds: 10,
  stallMinutes: 15,
  podStartMinutes: 2,
};

/** The consumers of one MemOS stack. */
export interface QueueConsumers {
  /** Requests per second the stack is designed for (seed §4). */
  readonly designQps: number;
  /** API pods: fewest (the HPA minimum). */
  readonly apiMinReplicas: number;
  /** API pods: most (the HPA maximum). */
  readonly apiMaxReplicas: number;
  /** API pods consume the queue (`API_SCHEDULER_ON`). */
  readonly apiConsumes: boolean;
  /**
   * API pods scale on queue depth, this many entries per pod.
   * @default - they do not scale on queue depth
   */
  readonly queueDepthPerApiPod?: number;
  /** Dedicated mem-scheduler pods. */
  readonly schedulerReplicas: number;
  /** Tasks one process runs at once. */
  readonly threadPoolSize: number;
}

/** What the model says. */
export interface QueueCapacityEstimate {
  /** Tasks per second at the designed load. */
  readonly arrivalPerSecond: number;
  /** Tasks per second the consumers process at the HPA minimum. */
  readonly capacityAtMinPerSecond: number;
  /** Tasks per second the consumers process at the HPA maximum. */
  readonly capacityAtMaxPerSecond: number;
  /** The minimum set of consumers keeps up with the designed load. */
  readonly keepsUpAtMin: boolean;
  /** Backlog when consumers resume. */
  readonly backlog: number;
  /** The backlog drains (within a day of the model). */
  readonly drains: boolean;
  /**
   * Minutes from resuming until the backlog is gone.
   * @default - none: it never drains (`drains` is false)
   */
  readonly drainMinutes?: number;
}

/**
 * The model, run.
 * @internal
 */
export function estimateQueueCapacity(consumers: QueueConsumers, assumptions: QueueLoadAssumptions = DEFAULT_QUEUE_ASSUMPTIONS): QueueCapacityEstimate {
  const perProcess = consumers.threadPoolSize / assumptions.taskSeconds;
  const arrival = consumers.designQps * assumptions.taskFraction;
  const apiConsumers = (pods: number) => (consumers.apiConsumes ? pods : 0);
  const capacityAtMin = (apiConsumers(consumers.apiMinReplicas) + consumers.schedulerReplicas) * perProcess;
  const capacityAtMax = (apiConsumers(consumers.apiMaxReplicas) + consumers.schedulerReplicas) * perProcess;
  const initialBacklog = arrival * assumptions.stallMinutes * 60;

  let backlog = initialBacklog;
  let pods = consumers.apiMinReplicas;
  const starting: { ready: number; count: number }[] = [];
  let minute = 0;
  for (; backlog > 0 && minute < 24 * 60; minute++) {
    for (const batch of starting.filter((b) => b.ready === minute)) pods += batch.count;
    const pending = starting.filter((b) => b.ready > minute).reduce((sum, b) => sum + b.count, 0);
    if (consumers.apiConsumes && consumers.queueDepthPerApiPod) {
      const desired = Math.min(consumers.apiMaxReplicas, Math.ceil(backlog / consumers.queueDepthPerApiPod));
      const allowed = Math.min(consumers.apiMaxReplicas, pods + pending + Math.max(pods + pending, 4));
      const add = Math.max(0, Math.min(desired, allowed) - pods - pending);
      if (add > 0) starting.push({ ready: minute + assumptions.podStartMinutes, count: add });
    }
    const capacity = (apiConsumers(pods) + consumers.schedulerReplicas) * perProcess;
    backlog = Math.max(0, backlog + (arrival - capacity) * 60);
  }
  return {
    arrivalPerSecond: arrival,
    capacityAtMinPerSecond: capacityAtMin,
    capacityAtMaxPerSecond: capacityAtMax,
    keepsUpAtMin: capacityAtMin >= arrival,
    backlog: initialBacklog,
    drains: backlog <= 0,
    drainMinutes: backlog > 0 ? undefined : minute,
  };
}

/** The backlog model of the scheduler queue. */
export class QueueCapacity {
  /** The assumptions behind the shipped presets. */
  public static readonly DEFAULT_ASSUMPTIONS: QueueLoadAssumptions = DEFAULT_QUEUE_ASSUMPTIONS;

  /**
   * How fast `consumers` drain a backlog under `assumptions`.
   * @param assumptions the workload; default {@link QueueCapacity.DEFAULT_ASSUMPTIONS}
   */
  public static estimate(consumers: QueueConsumers, assumptions?: QueueLoadAssumptions): QueueCapacityEstimate {
    return estimateQueueCapacity(consumers, assumptions);
  }

  private constructor() {}
}
