
/** Where an auto-created ELB is reachable from. */
export enum ElbNetwork {
  /** A private IP in the cluster VPC only. */
  INNER = 'inner',
  /** An EIP as well. */
  PUBLIC = 'public',
}

/** Billing of a public ELB's EIP bandwidth. */
export enum ElbBandwidthChargeMode {
  /** By bandwidth. */
  BANDWIDTH = 'bandwidth',
  /** By traffic. */
  TRAFFIC = 'traffic',
}

/** Protocol of the ELB's health check of the backends. */
export enum ElbHealthCheckProtocol {
  /** Connects only. */
  TCP = 'TCP',
  /** Probes a path. */
  HTTP = 'HTTP',
}

/** How an ELB access-control list treats its addresses. */
export enum ElbAccessControlMode {
  /** Only these addresses (trustlist). */
  ALLOW = 'allow',
  /** All but these addresses (blocklist). */
  DENY = 'deny',
}

/** How CCE creates the load balancer (`kubernetes.io/elb.autocreate`, cce_10_0385 Table 15). */
export interface ElbAutoCreateOptions {
  /**
   * Name of the ELB: 1-64 of `A-Z a-z 0-9 _ . -`.
   * @default - CCE's `cce-lb+<service UID>`
   */
  readonly name?: string;
  /**
   * `INNER`: a private IP in the cluster VPC only. `PUBLIC`: an EIP as well. MemOS has no
   * authentication, so `PUBLIC` also needs `accessControl` (allow mode) or `authenticatedBy`.
   * @default ElbNetwork.INNER
   */
  readonly network?: ElbNetwork;
  /**
   * Bandwidth of the EIP in Mbit/s (1-2000, region-dependent). Required with `PUBLIC`.
   * @default - none
   */
  readonly bandwidthMbit?: number;
  /**
   * Billing of the EIP bandwidth.
   * @default ElbBandwidthChargeMode.BANDWIDTH
   */
  readonly bandwidthChargeMode?: ElbBandwidthChargeMode;
  /**
   * EIP type, e.g. `5_bgp` (dynamic BGP), `5_sbgp` (static BGP); region-dependent.
   * @default '5_bgp'
   */
  readonly eipType?: string;
  /**
   * Availability zones of a dedicated ELB, e.g. `['cn-north-4a', 'cn-north-4b']`. Required with
   * the `performance` class.
   * @default - none
   */
  readonly availabilityZones?: string[];
  /**
   * Layer-4 flavor of a dedicated ELB (TCP listeners), e.g. `L4_flavor.elb.s1.small`. Required
   * with the `performance` class and a TCP listener.
   * @default - none
   */
  readonly l4FlavorName?: string;
  /**
   * Layer-7 flavor of a dedicated ELB (HTTP/HTTPS listeners), e.g. `L7_flavor.elb.s1.small`.
   * Required with the `performance` class and an HTTPS listener.
   * @default - none
   */
  readonly l7FlavorName?: string;
  /**
   * IPv4 subnet ID (in the cluster VPC) for the ELB's private address (`vip_subnet_cidr_id`).
   * @default - the cluster's subnet
   */
  readonly subnetId?: string;
}

/** The ELB's health check of the backends (`kubernetes.io/elb.health-check-option`). */
export interface ElbHealthCheck {
  /**
   * Turn the health check on or off. With `false`, set no other field.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * `HTTP` probes `path`; `TCP` only connects.
   * @default ElbHealthCheckProtocol.HTTP
   */
  readonly protocol?: ElbHealthCheckProtocol;
  /**
   * Path of an HTTP check (1-80 characters).
   * @default '/'
   */
  readonly path?: string;
  /**
   * Seconds between checks, 1-50.
   * @default 5
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds before a check times out, 1-50.
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive results that flip a backend's state, 1-10.
   * @default 3
   */
  readonly maxRetries?: number;
}

/** An HTTPS listener terminating TLS on the ELB (cce_10_0683). */
export interface ElbHttpsListener {
  /** ID of the server certificate in the ELB certificate manager. */
  readonly certificateId: string;
  /**
   * Further certificates selected by SNI.
   * @default - none
   */
  readonly sniCertificateIds?: string[];
  /**
   * Enable HTTP/2 on the listener.
   * @default false
   */
  readonly http2?: boolean;
}

/** An ELB access-control list of IP address groups. */
export interface ElbAccessControl {
  /** IP address group IDs: 1 on a shared ELB, up to 5 on a dedicated one. */
  readonly ipAddressGroupIds: string[];
  /**
   * `ALLOW`: only these addresses (trustlist); `DENY`: all but these (blocklist).
   * @default ElbAccessControlMode.ALLOW
   */
  readonly mode?: ElbAccessControlMode;
}

/**
 * The ELB behind a LoadBalancer Service: an existing one ({@link ElbLoadBalancer.existing}) or
 * one CCE creates and deletes with the Service ({@link ElbLoadBalancer.autoCreate}).
 */
export class ElbLoadBalancer {
  /**
   * Attach to an existing ELB (`kubernetes.io/elb.id`); CCE never deletes it.
   * @param elbId the ELB's ID, a UUID such as `5083f225-9bf8-48fa-9c8b-67bd9693c4c0`
   */
  public static existing(elbId: string): ElbLoadBalancer {
    return new ElbLoadBalancer(elbId, undefined);
  }

  /** Let CCE create the ELB (`kubernetes.io/elb.autocreate`). */
  public static autoCreate(options: ElbAutoCreateOptions = {}): ElbLoadBalancer {
    return new ElbLoadBalancer(undefined, { ...options });
  }

  /** @internal */
  public readonly _elbId?: string;
  /** @internal */
  public readonly _autoCreate?: ElbAutoCreateOptions;

  private constructor(elbId: string | undefined, autoCreate: ElbAutoCreateOptions | undefined) {
    this._elbId = elbId;
    this._autoCreate = autoCreate;
  }
}
