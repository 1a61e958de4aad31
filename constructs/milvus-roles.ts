import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MilvusPorts } from './milvus-ports';

/*
 * Ports each role listens on besides 9091, as milvus-helm declares them (charts/milvus/templates:
 * proxy-deployment.yaml and standalone-deployment.yaml 19530 `milvus`; querynode-deployment.yaml
 * 21123; datanode-deployment.yaml 21124; streamingnode-deployment.yaml 22222; mixcoord-deployment.yaml
 * only `metrics`). Only the proxy and standalone serve clients on 19530 (milvus-operator
 * updateMilvusContainer gives the client port to those two alone).
 */
/** queryNode gRPC (`queryNode.port`). */
const QUERY_NODE_PORT = 21123;
/** dataNode gRPC (`dataNode.port`). */
const DATA_NODE_PORT = 21124;
/** streamingNode gRPC (`streamingNode.port`). */
const STREAMING_NODE_PORT = 22222;

/**
 * One Milvus role: the workload that runs `milvus run <role>`.
 * @internal
 */
export interface Role {
  /** Component label and name suffix. */
  readonly component: string;
  /** `milvus run ...` arguments. */
  readonly args: string[];
  readonly replicas: number;
  readonly cpu: kplus.Cpu;
  readonly memory: Size;
  /** The role's own port besides 9091, if it listens on one. */
  readonly port?: kplus.ContainerPort;
  /** Size limit of the emptyDir at /var/lib/milvus; none for standalone (its volume is there). */
  readonly localStorage?: Size;
  /** A CPU autoscaler owning the replica count (`replicas` is then its minimum). */
  readonly autoscaling?: RoleAutoscaling;
}

/**
 * The one role of a standalone Milvus, with the user's `cpu` and `memory`.
 * @internal
 */
export function standaloneRole(cpu: kplus.Cpu, memory: Size): Role {
  return {
    component: 'standalone', args: ['standalone'], replicas: 1, cpu, memory,
    port: { number: MilvusPorts.GRPC, name: 'milvus' },
  };
}

/**
 * Replicas and size of one distributed role, as the user set them (unset: the defaults below).
 * @internal
 */
export interface RoleSizing {
  readonly replicas?: number;
  readonly cpu?: kplus.Cpu;
  readonly memory?: Size;
  readonly autoscaling?: RoleAutoscaling;
}

/**
 * A validated CPU autoscaler of one role.
 * @internal
 */
export interface RoleAutoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilization: number;
}

/**
 * The roles of a distributed Milvus: `queryNodes` query nodes with the user's `cpu` and `memory`,
 * fixed sizes for the others, each overridden by `sizing[component]`.
 * @internal
 */
export function distributedRoles(queryNodes: number, cpu: kplus.Cpu, memory: Size, sizing: { readonly [component: string]: RoleSizing } = {}): Role[] {
  // /var/lib/milvus sizes: the query and data nodes cache segments and indexes there (50Gi, as
  // before); the others only need the directories Milvus creates at start.
  const roles: Role[] = [
    {
      component: 'proxy', args: ['proxy'], replicas: 2, cpu: kplus.Cpu.units(2), memory: Size.gibibytes(4),
      port: { number: MilvusPorts.GRPC, name: 'milvus' }, localStorage: Size.gibibytes(1),
    },
    {
      component: 'mixcoord', args: ['mixture', '-rootcoord', '-querycoord', '-datacoord', '-indexcoord'], replicas: 2, cpu: kplus.Cpu.units(1), memory: Size.gibibytes(4),
      localStorage: Size.gibibytes(1),
    },
    {
      component: 'querynode', args: ['querynode'], replicas: queryNodes, cpu, memory,
      port: { number: QUERY_NODE_PORT, name: 'querynode' }, localStorage: Size.gibibytes(50),
    },
    {
      component: 'datanode', args: ['datanode'], replicas: 2, cpu: kplus.Cpu.units(4), memory: Size.gibibytes(8),
      port: { number: DATA_NODE_PORT, name: 'datanode' }, localStorage: Size.gibibytes(50),
    },
    {
      component: 'streamingnode', args: ['streamingnode'], replicas: 2, cpu: kplus.Cpu.units(2), memory: Size.gibibytes(4),
      port: { number: STREAMING_NODE_PORT, name: 'streamingnode' }, localStorage: Size.gibibytes(10),
    },
  ];
  return roles.map((role) => {
    const own = sizing[role.component];
    if (!own) return role;
    return {
      ...role,
      replicas: own.autoscaling?.minReplicas ?? own.replicas ?? role.replicas,
      cpu: own.cpu ?? role.cpu,
      memory: own.memory ?? role.memory,
      autoscaling: own.autoscaling,
    };
  });
}
