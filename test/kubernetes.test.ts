import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ENVIRONMENTS } from '../app/environments';
import { MemosChart } from '../charts/memos-chart';
import { addAffinity, requireSeparateNodes } from '../src/kubernetes';
import { boundEphemeralStorage } from '../src/resources';

describe('pod affinity helpers', () => {
  function deployment() {
    const chart = Testing.chart();
    const workload = new kplus.Deployment(chart, 'D', { containers: [{ image: 'x:1', portNumber: 80 }] });
    return { chart, workload };
  }

  test('anti-affinity and node affinity set by two features are merged, not overwritten', () => {
    const { chart, workload } = deployment();
    requireSeparateNodes(workload, { app: 'x' });
    addAffinity(workload, 'nodeAffinity', { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'npu', operator: 'Exists' }] }] } });
    const affinity = Testing.synth(chart)[0].spec.template.spec.affinity;
    expect(Object.keys(affinity).sort()).toEqual(['nodeAffinity', 'podAntiAffinity']);
    expect(affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]).toEqual({ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' });
  });

  test('the same kind twice is a programming error, not a silent overwrite', () => {
    const { workload } = deployment();
    requireSeparateNodes(workload, { app: 'x' });
    expect(() => requireSeparateNodes(workload, { app: 'y' })).toThrow(/podAntiAffinity is set twice/);
  });
});

describe('ephemeral storage', () => {
  test('a container without it gets 256Mi plus half its disk-backed emptyDirs requested, and 1Gi plus all of them as the limit', () => {
    const chart = Testing.chart();
    const workload = new kplus.Deployment(chart, 'D', { containers: [{ image: 'x:1', portNumber: 80 }, { name: 'given', image: 'y:1', resources: { ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } } }] });
    workload.containers[0].mount('/cache', kplus.Volume.fromEmptyDir(chart, 'Cache', 'cache', { sizeLimit: Size.gibibytes(4) }));
    workload.containers[0].mount('/dev/shm', kplus.Volume.fromEmptyDir(chart, 'Shm', 'shm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.gibibytes(1) }));
    boundEphemeralStorage(chart);
    const [first, second] = Testing.synth(chart)[0].spec.template.spec.containers;
    expect(first.resources.requests['ephemeral-storage']).toBe('2304Mi');
    expect(first.resources.limits['ephemeral-storage']).toBe('5120Mi');
    expect(Object.keys(first.resources.limits)).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    expect(second.resources.limits['ephemeral-storage']).toBe('2Gi');
  });

  test('every container of every shipped environment has an ephemeral-storage request and limit', () => {
    for (const environment of ENVIRONMENTS) {
      const objects = Testing.synth(new MemosChart(Testing.app(), environment.name, environment));
      const containers = objects.flatMap((o) => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])]);
      expect(containers.length).toBeGreaterThan(5);
      for (const c of containers) {
        expect([environment.name, c.name, typeof c.resources?.requests?.['ephemeral-storage'], typeof c.resources?.limits?.['ephemeral-storage']])
          .toEqual([environment.name, c.name, 'string', 'string']);
      }
    }
  });
});
