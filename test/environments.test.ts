import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { MemosChart } from '../charts/memos-chart';
import { SIZE_PRESETS } from '../charts/presets';
import { ENVIRONMENTS } from '../src/environments';
import { MEMOS_SERVER_ENV_VARS } from '../src/memos';
import { renderEnvironments } from '../src/synth';
import { CceNodeFlavors } from '../src/cce';
import { podSpecOf, policyViolations } from './support/policy';
import { parseManifests, validateManifests } from './support/schema';

const rendered = renderEnvironments(ENVIRONMENTS);
const objectsOf = (name: string) => parseManifests(rendered.get(name)!.yaml);

test('the shipped environments are the seed sizes', () => {
  expect(ENVIRONMENTS.map((e) => [e.name, e.size])).toEqual([['small', 'small'], ['medium', 'medium'], ['large', 'large']]);
});

describe.each(ENVIRONMENTS.map((e) => e.name))('environment %s', (name) => {
  test('every object passes strict schema validation', () => {
    expect(validateManifests(objectsOf(name))).toEqual([]);
  });

  test('every object follows the policy (no credentials, hardened, pinned, sized)', () => {
    expect(policyViolations(objectsOf(name))).toEqual([]);
  });

  test('MemOS containers get only variables MemOS reads', () => {
    const objects = objectsOf(name);
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data]));
    for (const obj of objects) {
      for (const c of podSpecOf(obj)?.containers ?? []) {
        if (!String(c.image).includes('/memos/memos:')) continue;
        const names = [
          ...(c.env ?? []).map((e: { name: string }) => e.name),
          ...(c.envFrom ?? []).flatMap((f: { configMapRef?: { name: string } }) => Object.keys(configMaps.get(f.configMapRef?.name) ?? {})),
        ];
        expect(names.length).toBeGreaterThan(20);
        for (const envName of names) expect(MEMOS_SERVER_ENV_VARS).toContain(envName);
      }
    }
  });

  test('matches the snapshot', () => {
    expect(rendered.get(name)!.yaml).toMatchSnapshot();
  });
});

describe('size presets follow the seed (section 4)', () => {
  test('replicas and clustering', () => {
    const summary = Object.fromEntries(Object.values(SIZE_PRESETS).map((p) => [p.size, {
      api: [p.api.minReplicas, p.api.maxReplicas],
      scheduler: p.scheduler.replicas,
      qdrant: p.qdrant.replicas,
      milvus: p.milvus.replicas,
      neo4j: p.neo4j.replicas,
      nodes: [p.nodePool.nodes, p.nodePool.maxNodes],
      embedding: p.embeddingAccelerator,
    }]));
    expect(summary).toEqual({
      small: { api: [3, 10], scheduler: 1, qdrant: 1, milvus: 1, neo4j: 1, nodes: [3, 3], embedding: 'cpu' },
      medium: { api: [6, 10], scheduler: 1, qdrant: 3, milvus: 3, neo4j: 3, nodes: [6, 10], embedding: 'cpu' },
      large: { api: [15, 20], scheduler: 3, qdrant: 5, milvus: 5, neo4j: 5, nodes: [15, 20], embedding: 'ascend' },
    });
  });

  test('storage per server and node sizes', () => {
    expect(Object.values(SIZE_PRESETS).map((p) => [p.qdrant.storageGiB, p.milvus.storageGiB, p.neo4j.storageGiB, p.redis.memoryGiB])).toEqual([
      [100, 200, 100, 1], [300, 500, 300, 2], [1024, 1024, 500, 8],
    ]);
    expect(CceNodeFlavors[SIZE_PRESETS.small.nodePool.flavor]).toEqual({ vcpus: 8, memoryGiB: 32 });
  });

  test('memos-api at its minimum fits the node pool', () => {
    for (const preset of Object.values(SIZE_PRESETS)) {
      const flavor = CceNodeFlavors[preset.nodePool.flavor];
      const apiCpu = preset.api.minReplicas * Number(preset.api.resources.cpu!.request!.amount);
      expect(apiCpu).toBeLessThan(preset.nodePool.nodes * flavor.vcpus);
    }
  });
});

test('a chart in a user app synthesizes with app.synth()', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'memos-')) });
  new MemosChart(app, 'prod', { size: 'medium', namespace: 'memos-prod' });
  app.synth();
  expect(fs.readdirSync(app.outdir)).toEqual(['prod.k8s.yaml']);
  expect(validateManifests(parseManifests(fs.readFileSync(path.join(app.outdir, 'prod.k8s.yaml'), 'utf8')))).toEqual([]);
});
