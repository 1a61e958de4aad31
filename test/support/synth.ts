import { Testing } from 'cdk8s';
import { MemosChart, MemosChartProps } from '../../charts/memos-chart';

export type Obj = Record<string, any>;

/** Synthesizes one MemosChart (id `test`) and returns its objects. */
export function synthChart(props: MemosChartProps = { size: 'small' }): Obj[] {
  const chart = new MemosChart(Testing.app(), 'test', props);
  return Testing.synth(chart);
}

/** The single object of a kind (and name, when given); fails the test when there is not exactly one. */
export function only(objects: Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** The named container of a workload. */
export function container(workload: Obj, name: string): Obj {
  const found = (workload.spec.template.spec.containers as Obj[]).find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in ${workload.kind}/${workload.metadata.name}`);
  return found;
}

/** What a medium or large chart needs besides its size: Neo4j licence acceptance, OBS and Kafka for Milvus. */
export const CLUSTER_SERVICES = {
  neo4j: { licenseAgreement: 'evaluation' },
  milvus: {
    objectStorage: { bucket: 'memos-test-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' },
    kafka: { brokers: ['kafka-1.dms.example:9092'] },
  },
} as const satisfies Pick<MemosChartProps, 'neo4j' | 'milvus'>;

/** {@link CLUSTER_SERVICES} where the size needs them (medium, large), plus an NPU pool for large. */
export function servicesFor(size: MemosChartProps['size']): Partial<MemosChartProps> {
  if (size === 'small') return {};
  return size === 'large' ? { ...CLUSTER_SERVICES, npuNodePools: [{ name: 'npu-pool', chip: '910B' }] } : CLUSTER_SERVICES;
}
