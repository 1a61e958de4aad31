import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { CceCoreDns } from '../src/cce';
import { componentLabels } from '../src/kubernetes';
import { Connections, NetworkPort, NetworkProtocol } from '../src/network';
import { invalidProp, requireDnsLabel } from '../src/validation';

/** Properties of {@link NetworkPolicies}. */
export interface NetworkPoliciesProps {
  /** Instance name: prefix of the policies' names. */
  readonly instance: string;
  /** The components whose pods get a policy, each with the connections wired to and from it. */
  readonly connections: Connections[];
  /**
   * Also deny all traffic of every other pod in the namespace (a policy selecting all pods with
   * no rules), so a pod nobody declared can neither be reached nor reach anything.
   * @default true
   */
  readonly denyOtherPods?: boolean;
}

/** The label every namespace carries with its own name (Kubernetes >= 1.22). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The NetworkPolicies of a set of components, derived from their {@link Connections}: per
 * component one policy selecting its pods, isolating them in both directions and allowing exactly
 * the recorded connections, plus DNS to the cluster's CoreDNS; and a namespace-wide default deny.
 *
 * The rules are evaluated after the Service's DNAT, so they name pod ports. Traffic from the
 * pod's own node (kubelet probes) is always allowed (Kubernetes NetworkPolicy semantics).
 */
export class NetworkPolicies extends Construct {
  /** The policies, by component name. */
  public readonly policies: Record<string, ApiObject> = {};
  /** The namespace-wide default deny, unless `denyOtherPods` is false. */
  public readonly defaultDeny?: ApiObject;
  /** The components the policies were derived from. @internal */
  public readonly _connections: Connections[];

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const instance = requireDnsLabel(this, 'instance', props.instance);
    this._connections = [...props.connections];
    const labels = componentLabels(instance, 'network-policy');
    if (props.denyOtherPods ?? true) {
      this.defaultDeny = new ApiObject(this, 'DefaultDeny', {
        ...NETWORK_POLICY,
        metadata: { name: `${instance}-default-deny`, labels },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }
    const seen = new Set<string>();
    for (const connections of props.connections) {
      const name = requireDnsLabel(this, 'connections.name', `${instance}-${connections.name}`);
      if (seen.has(name)) invalidProp(this, 'connections', connections.name, 'components with distinct names: each gets its own policy');
      seen.add(name);
      this.policies[connections.name] = new ApiObject(this, connections.name, {
        ...NETWORK_POLICY,
        metadata: { name, labels },
        // The rules are rendered at synth: constructs created later may still wire connections.
        spec: {
          podSelector: { matchLabels: connections.selector },
          policyTypes: ['Ingress', 'Egress'],
          ingress: Lazy.any({ produce: () => ingressRules(connections) }),
          egress: Lazy.any({ produce: () => egressRules(connections) }),
        },
      });
    }
  }
}

const NETWORK_POLICY = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' };

function policyPorts(ports: NetworkPort[]): { protocol: string; port: number }[] {
  return [...ports]
    .sort((a, b) => a.port - b.port || String(a.protocol ?? 'TCP').localeCompare(String(b.protocol ?? 'TCP')))
    .map((p) => ({ protocol: p.protocol ?? NetworkProtocol.TCP, port: p.port }));
}

function ingressRules(c: Connections): unknown[] {
  const rules: unknown[] = [];
  // A rule without `from` admits every source: the load balancer's, which NetworkPolicy cannot
  // name on CCE tunnel networks (no ingress ipBlock, cce-platform.md §8).
  if (c._fromAnywhere.length) rules.push({ ports: policyPorts(c._fromAnywhere) });
  // A rule without `ports` admits every port.
  if (c._allPortsInternally) rules.push({ from: [{ podSelector: { matchLabels: c.selector } }] });
  for (const rule of c._ingress) {
    rules.push({ from: [{ podSelector: { matchLabels: rule.peer.selector } }], ports: policyPorts(rule.ports) });
  }
  for (const rule of c._fromNamespaces) {
    rules.push({ from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: rule.namespaceName } } }], ports: policyPorts(rule.ports) });
  }
  return rules;
}

function egressRules(c: Connections): unknown[] {
  const rules: unknown[] = [{
    to: [{
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: CceCoreDns.NAMESPACE } },
    }],
    ports: policyPorts(CceCoreDns.ports()),
  }];
  if (c._allPortsInternally) rules.push({ to: [{ podSelector: { matchLabels: c.selector } }] });
  for (const rule of c._egress) {
    rules.push({ to: [{ podSelector: { matchLabels: rule.peer.selector } }], ports: policyPorts(rule.ports) });
  }
  for (const destination of c._external) {
    // No `to`: any address, on these ports only.
    rules.push({ ...(destination.cidrs.length ? { to: destination.cidrs.map((cidr) => ({ ipBlock: { cidr } })) } : {}), ports: policyPorts(destination.ports) });
  }
  return rules;
}

