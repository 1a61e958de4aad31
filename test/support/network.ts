/**
 * NetworkPolicy semantics (networking.k8s.io/v1) over synthesized objects: which pod may open a
 * connection to which pod on which port. A pod selected by no policy of a direction is open in
 * that direction; a selected pod allows the union of its policies' rules. Peers: `podSelector`
 * alone means the policy's namespace, `namespaceSelector` alone every pod of those namespaces,
 * both together their intersection, `ipBlock` addresses (pods get addresses from CCE's default
 * container CIDR, so an `ipBlock` of 0.0.0.0/0 reaches them too, as it does on real clusters).
 */
import { podSpecOf } from './policy';

type Obj = Record<string, any>;

/** Default container CIDR of CCE clusters: the address every pod here gets. */
export const POD_ADDRESS = '172.16.0.10';

/** A set of pods: a workload's, or a stand-in for traffic from elsewhere. */
export interface PodGroup {
  /** `Kind/name` of the workload, or a description of the stand-in. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly address: string;
  /** Container ports (`port/protocol`). */
  readonly ports: string[];
}

export function podGroups(objects: readonly Obj[]): PodGroup[] {
  return objects.filter((o) => podSpecOf(o)).map((o) => {
    const spec = podSpecOf(o)!;
    const ports = (spec.containers as Obj[]).flatMap((c) => (c.ports ?? []).map((p: Obj) => `${p.containerPort}/${p.protocol ?? 'TCP'}`));
    return {
      name: `${o.kind}/${o.metadata.name}`,
      namespace: o.metadata.namespace,
      labels: (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template).metadata?.labels ?? {},
      address: POD_ADDRESS,
      ports: [...new Set(ports)],
    };
  });
}

function matches(selector: Obj | undefined, labels: Record<string, string>): boolean {
  if (selector?.matchExpressions?.length) throw new Error('matchExpressions are not modelled');
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toNumber = (a: string) => a.split('.').reduce((acc, o) => (acc * 256) + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(address) / size) === Math.floor(toNumber(base) / size);
}

function peerMatches(peer: Obj, policyNamespace: string, target: PodGroup): boolean {
  if (peer.ipBlock) {
    return inCidr(target.address, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(target.address, c));
  }
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': target.namespace })
    : target.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? matches(peer.podSelector, target.labels) : true);
}

function portMatches(rulePorts: Obj[] | undefined, port: string): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  const [number, protocol] = port.split('/');
  return rulePorts.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || (p.endPort !== undefined
    ? Number(number) >= p.port && Number(number) <= p.endPort
    : String(p.port) === number)));
}

function allowedIn(policies: readonly Obj[], direction: 'Ingress' | 'Egress', self: PodGroup, other: PodGroup, port: string): boolean {
  const applicable = policies.filter((p) => p.metadata.namespace === self.namespace && matches(p.spec.podSelector, self.labels)
    && (p.spec.policyTypes ?? ['Ingress']).includes(direction));
  if (applicable.length === 0) return true;
  const key = direction === 'Ingress' ? 'from' : 'to';
  return applicable.some((policy) => (policy.spec[direction.toLowerCase()] ?? []).some((rule: Obj) =>
    (!rule[key] || rule[key].length === 0 || rule[key].some((peer: Obj) => peerMatches(peer, policy.metadata.namespace, other)))
    && portMatches(rule.ports, port)));
}

/** Whether `source` may open a connection to `target` on `port` (`number/protocol`). */
export function connectionAllowed(policies: readonly Obj[], source: PodGroup, target: PodGroup, port: string): boolean {
  return allowedIn(policies, 'Egress', source, target, port) && allowedIn(policies, 'Ingress', target, source, port);
}

/** Every allowed `source -> target:port` among the groups, the targets' container ports only. */
export function connectionMatrix(objects: readonly Obj[], sources: readonly PodGroup[], targets: readonly PodGroup[]): string[] {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const allowed: string[] = [];
  for (const source of sources) {
    for (const target of targets) {
      for (const port of target.ports) if (connectionAllowed(policies, source, target, port)) allowed.push(`${source.name} -> ${target.name}:${port}`);
    }
  }
  return allowed.sort();
}
