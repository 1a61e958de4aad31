import { DEFAULT_QUEUE_ASSUMPTIONS, estimateQueueCapacity, QueueConsumers } from '../src/queue-capacity';

const medium: QueueConsumers = { designQps: 500, apiMinReplicas: 6, apiMaxReplicas: 10, apiConsumes: true, queueDepthPerApiPod: 100, schedulerReplicas: 1, threadPoolSize: 200 };

describe('estimateQueueCapacity', () => {
  test('arrival, capacity and backlog follow the assumptions', () => {
    const e = estimateQueueCapacity(medium);
    expect(e.arrivalPerSecond).toBe(100);                 // 500 QPS x 0.2
    expect(e.capacityAtMinPerSecond).toBe(140);           // (6 + 1) x 200 / 10 s
    expect(e.capacityAtMaxPerSecond).toBe(220);           // (10 + 1) x 20
    expect(e.backlog).toBe(100 * 15 * 60);
    expect(e.keepsUpAtMin).toBe(true);
    expect(e.drainMinutes).toBe(14);
  });

  test('the queue-depth HPA shortens the drain; without it the minimum drains alone', () => {
    const withHpa = estimateQueueCapacity(medium).drainMinutes;
    const withoutHpa = estimateQueueCapacity({ ...medium, queueDepthPerApiPod: undefined }).drainMinutes;
    expect(withoutHpa).toBeGreaterThan(withHpa!);
    expect(withoutHpa).toBe(Math.ceil(90000 / 40 / 60));  // 40 tasks/s net at 7 consumers
  });

  test('a queue that never drains reports Infinity', () => {
    const e = estimateQueueCapacity({ ...medium, threadPoolSize: 50 });
    expect(e.keepsUpAtMin).toBe(false);
    expect(e.drains).toBe(false);
    expect(e.drainMinutes).toBeUndefined();
  });

  test('API pods that do not consume leave the scheduler alone', () => {
    const e = estimateQueueCapacity({ ...medium, apiConsumes: false, schedulerReplicas: 8 });
    expect(e.capacityAtMinPerSecond).toBe(160);
    expect(e.capacityAtMaxPerSecond).toBe(160);
  });

  test('assumptions are inputs', () => {
    const slowLlm = estimateQueueCapacity(medium, { ...DEFAULT_QUEUE_ASSUMPTIONS, taskSeconds: 20 });
    expect(slowLlm.capacityAtMinPerSecond).toBe(70);
  });
});
