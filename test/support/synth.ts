import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { MemosChart, MemosChartProps } from '../../charts/memos-chart';
import { MemosSize } from '../../charts/presets';
import { MemoryStorage, MilvusDeployment, Neo4jBackend } from '../../charts/backends';
import { MilvusTopology } from '../../index';
import { Neo4jLicenseAgreement } from '../../constructs/neo4j';
import { AscendChip } from '../../src/cce';
import { MemosConfig, MemosConfigProps } from '../../constructs/memos-config';
import { Credential, Credentials } from '../../src/credentials';
import { MemosGraph } from '../../src/memos-settings';

export type Obj = Record<string, any>;

/** Synthesizes one MemosChart (id `test`) and returns its objects. */
export function synthChart(props: MemosChartProps = { size: MemosSize.SMALL }): Obj[] {
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

/** The OBS bucket and DMS brokers a distributed Milvus needs in tests. */
export const TEST_MILVUS_TOPOLOGY = {
  objectStorage: { bucket: 'memos-test-milvus', endpoint: 'obs.cn-north-4.myhuaweicloud.com', region: 'cn-north-4' },
  kafka: { brokers: ['kafka-1.dms.example:9092'] },
};

/** What a medium or large chart needs besides its size: Neo4j licence acceptance, OBS and Kafka for Milvus. */
export const CLUSTER_SERVICES: Partial<MemosChartProps> = {
  storage: MemoryStorage.neo4jAndQdrant({ neo4j: Neo4jBackend.inCluster({ licenseAgreement: Neo4jLicenseAgreement.EVALUATION }) }),
  milvus: MilvusDeployment.inCluster({ topology: MilvusTopology.distributed(TEST_MILVUS_TOPOLOGY) }),
};

/** {@link CLUSTER_SERVICES} where the size needs them (medium, large), plus an NPU pool for large. */
export function servicesFor(size: MemosSize): Partial<MemosChartProps> {
  if (size === MemosSize.SMALL) return {};
  return size === MemosSize.LARGE ? { ...CLUSTER_SERVICES, npuNodePools: [{ name: 'npu-pool', chip: AscendChip.ASCEND_910B }] } : CLUSTER_SERVICES;
}

/** The stack's credentials in tests. */
export const TEST_CREDENTIALS = Credentials.fromSecret('memos-secrets');

/** MemosConfig props as the stack passes them for the small preset's in-cluster stores. */
export const TEST_CONFIG_PROPS: MemosConfigProps = {
  instance: 'memos',
  credentials: TEST_CREDENTIALS,
  graph: MemosGraph.neo4jWithQdrant(
    { uri: 'bolt://memos-neo4j:7687', password: TEST_CREDENTIALS.ref(Credential.NEO4J_PASSWORD) },
    { host: 'memos-qdrant' },
  ),
  embedder: { apiBase: 'http://memos-embedding:8080/v1' },
  redis: { host: 'memos-redis', password: TEST_CREDENTIALS.ref(Credential.MEMSCHEDULER_REDIS_PASSWORD) },
};

/** A MemosConfig like the stack's, with `overrides`. */
export function testConfig(scope: Construct, overrides: Partial<MemosConfigProps> = {}): MemosConfig {
  return new MemosConfig(scope, 'Config', { ...TEST_CONFIG_PROPS, ...overrides });
}
