import { IConstruct } from 'constructs';
import { invalidProp, requireInteger, requireNonEmpty } from './validation';

/**
 * Who may talk to whom, recorded on the constructs themselves (aws-cdk's `ec2.Connections` is the
 * model): a store says which constructs were wired to it, and the NetworkPolicies are derived from
 * these records, never listed by hand per object.
 */

/** Transport protocol of a port in a NetworkPolicy. */
export enum NetworkProtocol {
  /** TCP. */
  TCP = 'TCP',
  /** UDP. */
  UDP = 'UDP',
}

/** A port a pod listens on (NetworkPolicies name pod ports, never Service ports). */
export interface NetworkPort {
  /** Port number, 1-65535. */
  readonly port: number;
  /**
   * Protocol.
   * @default NetworkProtocol.TCP
   */
  readonly protocol?: NetworkProtocol;
}

/** An address range outside the namespace: NetworkPolicies match addresses, not host names. */
export interface ExternalDestination {
  /** What is there, for the policy's comments and error messages (e.g. `dcs`, `llm-api`). */
  readonly name: string;
  /**
   * Address ranges in CIDR notation, e.g. `192.168.0.0/24`; empty for any address (a rule with
   * ports only, which every CCE network model enforces, where `ipBlock` is limited on DataPlane V2).
   */
  readonly cidrs: string[];
  /** Ports the pods connect to. */
  readonly ports: NetworkPort[];
}

/** Properties of {@link Connections}. */
export interface ConnectionsProps {
  /** Name of the pods' policy, unique in the stack (the component, e.g. `qdrant`). */
  readonly name: string;
  /** The labels that select the pods (the workload's selector labels). */
  readonly selector: Record<string, string>;
}

/** Traffic allowed from or to another set of pods in the namespace. @internal */
export interface PeerRule {
  readonly peer: Connections;
  readonly ports: NetworkPort[];
}

/** Traffic allowed from pods in another namespace. @internal */
export interface NamespaceRule {
  readonly namespaceName: string;
  readonly ports: NetworkPort[];
}

/**
 * The pods of one component and the connections they are allowed: every wire between two
 * constructs is recorded on both sides, so the receiving pods get the ingress rule and the
 * connecting pods the matching egress rule.
 */
export class Connections {
  /** Name of the pods' policy. */
  public readonly name: string;
  /** The labels that select the pods. */
  public readonly selector: Record<string, string>;
  /** @internal */
  public readonly _ingress: PeerRule[] = [];
  /** @internal */
  public readonly _egress: PeerRule[] = [];
  /** @internal */
  public readonly _fromNamespaces: NamespaceRule[] = [];
  /** @internal */
  public readonly _external: ExternalDestination[] = [];
  /** @internal */
  public _fromAnywhere: NetworkPort[] = [];
  /** @internal */
  public _allPortsInternally = false;

  constructor(props: ConnectionsProps) {
    this.name = props.name;
    this.selector = { ...props.selector };
  }

  /** Lets `peer`'s pods connect to these pods on `ports` (ingress here, egress there). */
  public allowFrom(peer: Connections, ports: NetworkPort[]): void {
    if (ports.length === 0) return;
    addPorts(this._ingress, peer, ports);
    addPorts(peer._egress, this, ports);
  }

  /** Lets these pods connect to `peer`'s pods on `ports`. */
  public allowTo(peer: Connections, ports: NetworkPort[]): void {
    peer.allowFrom(this, ports);
  }

  /** Lets the pods reach each other on `ports` (cluster membership: Raft, discovery, peers). */
  public allowInternally(ports: NetworkPort[]): void {
    this.allowFrom(this, ports);
  }

  /**
   * Lets the pods reach each other on every port: for servers whose internal ports are not
   * documented (Milvus's coordinators and nodes register their own addresses in etcd).
   */
  public allowInternallyOnAllPorts(): void {
    this._allPortsInternally = true;
  }

  /** Lets every pod of another namespace connect on `ports` (Prometheus scraping metrics). */
  public allowFromNamespace(namespaceName: string, ports: NetworkPort[]): void {
    if (ports.length === 0) return;
    const existing = this._fromNamespaces.find((r) => r.namespaceName === namespaceName);
    if (existing) mergePorts(existing.ports as NetworkPort[], ports);
    else this._fromNamespaces.push({ namespaceName, ports: [...ports] });
  }

  /** Lets any source connect on `ports` (the pods behind a load balancer). */
  public allowFromAnywhere(ports: NetworkPort[]): void {
    mergePorts(this._fromAnywhere, ports);
  }

  /** Lets the pods connect to an address range outside the namespace. */
  public allowToExternal(destination: ExternalDestination): void {
    if (destination.ports.length === 0) return;
    const existing = this._external.find((d) => d.name === destination.name && sameCidrs(d.cidrs, destination.cidrs));
    if (existing) mergePorts(existing.ports, destination.ports);
    else this._external.push({ name: destination.name, cidrs: [...destination.cidrs], ports: [...destination.ports] });
  }
}

const portKey = (p: NetworkPort) => `${p.protocol ?? NetworkProtocol.TCP}/${p.port}`;
const sameCidrs = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

function mergePorts(into: NetworkPort[], ports: NetworkPort[]): void {
  for (const p of ports) if (!into.some((q) => portKey(q) === portKey(p))) into.push(p);
}

function addPorts(rules: PeerRule[], peer: Connections, ports: NetworkPort[]): void {
  const existing = rules.find((r) => r.peer === peer);
  if (existing) mergePorts(existing.ports as NetworkPort[], ports);
  else rules.push({ peer, ports: [...ports] });
}

/**
 * TCP ports, the common case.
 * @internal
 */
export function tcp(...ports: number[]): NetworkPort[] {
  return ports.map((port) => ({ port }));
}

/** `a.b.c.d/n` with each octet 0-255 and n 0-32 (NetworkPolicy `ipBlock.cidr`, IPv4). */
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * An IPv4 CIDR, or a clear error naming the prop. Host bits must be zero, as the API server's
 * validation of `ipBlock.cidr` requires.
 * @internal
 */
export function requireCidr(scope: IConstruct, property: string, value: unknown): string {
  const text = requireNonEmpty(scope, property, value);
  const match = IPV4_CIDR.exec(text);
  const octets = match?.slice(1, 5).map(Number);
  const bits = match ? Number(match[5]) : NaN;
  if (!match || octets!.some((o) => o > 255) || bits > 32) {
    invalidProp(scope, property, value, 'an IPv4 CIDR such as 192.168.0.0/16 (NetworkPolicies match addresses, not host names)');
  }
  const address = octets!.reduce((acc, o) => (acc * 256) + o, 0);
  const hostBits = 2 ** (32 - bits);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    invalidProp(scope, property, value, `a network address with its host bits zero: ${dotted}/${bits}`);
  }
  return text;
}

/**
 * CIDRs of one external destination, validated.
 * @internal
 */
export function requireCidrs(scope: IConstruct, property: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    invalidProp(scope, property, value, 'a non-empty list of IPv4 CIDRs such as ["192.168.0.0/16"]');
  }
  return value.map((cidr, i) => requireCidr(scope, `${property}[${i}]`, cidr));
}

/**
 * The port of a URL: explicit, else the scheme's.
 * @internal
 */
export function urlPort(scope: IConstruct, property: string, url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return requireInteger(scope, property, Number(parsed.port), 1, 65535);
  const byScheme: Record<string, number> = { 'http:': 80, 'https:': 443, 'bolt:': 7687, 'neo4j:': 7687, 'bolt+s:': 7687, 'neo4j+s:': 7687, 'bolt+ssc:': 7687, 'neo4j+ssc:': 7687 };
  const port = byScheme[parsed.protocol];
  return port ?? invalidProp(scope, property, url, 'a URL with a port or an http, https, bolt or neo4j scheme');
}
