// The validation harness itself: it must reject what Kubernetes would reject, or every other
// test that relies on it proves nothing.
import { Testing } from 'cdk8s';
import { Application } from '../imports/application-argoproj.io';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { policyViolations } from './support/policy';
import { SHARED_SCHEMAS_DIR, validateManifests, validateWithModels } from './support/schema';
import { only, synthChart } from './support/synth';

const deployment = () => structuredClone(only(synthChart(), 'Deployment', 'memos-api'));

describe('strict schema validation (kubernetes-models, always available)', () => {
  test('accepts a synthesized Deployment', () => {
    expect(validateWithModels(deployment())).toEqual([]);
  });

  test('rejects a misspelled pod field', () => {
    const obj = deployment();
    obj.spec.template.spec.nodeSelectr = { 'kubernetes.io/os': 'linux' };
    expect(validateWithModels(obj)).toEqual(['/spec/template/spec/nodeSelectr: unknown field "nodeSelectr"']);
  });

  test('rejects an unknown field whose object holds only that field', () => {
    const obj = deployment();
    obj.spec.template.spec.containers[0].securityContext = { runAsNonRoott: true };
    expect(validateWithModels(obj)).toEqual(['/spec/template/spec/containers/0/securityContext/runAsNonRoott: unknown field "runAsNonRoott"']);
  });

  test('accepts arbitrary keys in maps (labels, ConfigMap data)', () => {
    const obj = deployment();
    obj.metadata.labels['example.com/any-key'] = 'x';
    expect(validateWithModels(obj)).toEqual([]);
  });

  test('rejects a wrong type', () => {
    const obj = deployment();
    obj.spec.replicas = 'three';
    expect(validateWithModels(obj)?.join('\n')).toMatch(/replicas must be integer/);
  });

  test('rejects an unknown field in a custom resource', () => {
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'm', namespace: 'memos' },
      spec: { selector: { matchLabels: { a: 'b' } }, endpoints: [{ port: 'http', intervall: '30s' }] },
    };
    expect(validateWithModels(monitor)).toEqual(['/spec/endpoints/0/intervall: unknown field "intervall"']);
  });

  test('reports objects no schema knows', () => {
    const violations = validateManifests([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }], { exact: false });
    expect(violations).toEqual([{ object: 'Widget/w', schema: 'kubernetes-models', errors: ['no schema for example.com/v1 Widget'] }]);
  });
});

(SHARED_SCHEMAS_DIR ? describe : describe.skip)('exact Kubernetes v1.28.0 / v1.33.0 and CRD schemas (../shared/schemas)', () => {
  test('accept every object of a chart', () => {
    expect(validateManifests(synthChart())).toEqual([]);
  });

  test('reject a misspelled field in both versions', () => {
    const obj = deployment();
    obj.spec.template.spec.nodeSelectr = {};
    const schemas = validateManifests([obj]).map((v) => v.schema);
    expect(schemas).toEqual(['kubernetes-models', 'v1.28.0', 'v1.33.0']);
  });

  test('reject a field newer than Kubernetes 1.28', () => {
    const obj = deployment();
    // Pod-level `resources` arrived in Kubernetes 1.32.
    obj.spec.template.spec.resources = { limits: { cpu: '1' } };
    const violations = validateManifests([obj]).filter((v) => v.schema === 'v1.28.0');
    expect(violations[0]?.errors.join('\n')).toMatch(/additional properties "resources"/);
  });

  test('reject an unknown field in a CRD-defined resource', () => {
    const rule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'r', namespace: 'memos' },
      spec: { groups: [{ name: 'g', rulez: [] }] },
    };
    expect(validateManifests([rule]).map((v) => v.schema)).toContain('crd');
  });
});

describe('policy checks', () => {
  test('pass on a synthesized chart', () => {
    expect(policyViolations(synthChart())).toEqual([]);
  });

  test('reject a Secret object', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'memos' }, stringData: { a: 'b' } };
    expect(policyViolations([secret])).toEqual(['Secret/memos/s: Secrets must not be synthesized: reference an existing Secret by name and key']);
  });

  test('reject a credential in a ConfigMap or as a literal env value', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { OPENAI_API_KEY: 'sk-1' } };
    const obj = deployment();
    obj.spec.template.spec.containers[0].env.push({ name: 'NEO4J_PASSWORD', value: 'hunter2' });
    expect(policyViolations([cm, obj])).toEqual([
      'ConfigMap/c: ConfigMap key OPENAI_API_KEY looks like a credential',
      'Deployment/memos/memos-api: container memos-api: credential NEO4J_PASSWORD given as a literal value',
    ]);
  });

  test('reject an HPA whose target fixes replicas, a PDB or Service selecting nothing', () => {
    const objects = synthChart().map((o) => structuredClone(o));
    only(objects, 'Deployment', 'memos-api').spec.replicas = 3;
    only(objects, 'PodDisruptionBudget', 'memos-api').spec.selector.matchLabels = { 'app.kubernetes.io/name': 'nothing' };
    only(objects, 'Service', 'memos-queue-exporter').spec.selector = { 'app.kubernetes.io/name': 'nothing' };
    expect(policyViolations(objects)).toEqual([
      'Service/memos/memos-queue-exporter: selects no pods',
      'HorizontalPodAutoscaler/memos/memos-api: target Deployment/memos-api fixes replicas; the HPA and the manifest would fight',
      'PodDisruptionBudget/memos/memos-api: selects the pods of 0 workloads (expected exactly 1)',
    ]);
  });

  test('reject a weakened container', () => {
    const obj = deployment();
    const c = obj.spec.template.spec.containers[0];
    c.image = 'memos:latest';
    c.securityContext.readOnlyRootFilesystem = false;
    delete c.securityContext.capabilities;
    delete c.resources.limits.memory;
    expect(policyViolations([obj])).toEqual([
      'Deployment/memos/memos-api: container memos-api: root filesystem is writable',
      'Deployment/memos/memos-api: container memos-api: capabilities not dropped',
      'Deployment/memos/memos-api: container memos-api: image memos:latest is not pinned',
      'Deployment/memos/memos-api: container memos-api: no memory limit',
    ]);
  });
});

describe('generated imports/ (cdk8s import of the CRDs)', () => {
  test('produce custom resources that pass the strict validators', () => {
    const chart = Testing.chart();
    new ServiceMonitor(chart, 'Monitor', {
      metadata: { name: 'memos-api', namespace: 'memos' },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'memos-api' } }, endpoints: [{ port: 'http', interval: '30s' }] },
    });
    new Application(chart, 'App', {
      metadata: { name: 'memos', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoUrl: 'https://git.example.com/platform/memos.git', path: 'dist/small', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'memos' },
      },
    });
    const objects = Testing.synth(chart);
    expect(objects.map((o) => o.kind)).toEqual(['ServiceMonitor', 'Application']);
    expect(objects[1].spec.source.repoURL).toBe('https://git.example.com/platform/memos.git');
    expect(validateManifests(objects)).toEqual([]);
  });
});
