import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { addAffinity, requireSeparateNodes } from '../src/kubernetes';

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
