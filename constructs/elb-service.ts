import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ElbAccessControl, ElbAccessControlMode, ElbAutoCreateOptions, ElbBandwidthChargeMode, ElbHealthCheck, ElbHealthCheckProtocol, ElbHttpsListener, ElbLoadBalancer, ElbNetwork } from './elb-load-balancer';
import { selectPods } from '../src/kubernetes';
import { CceElbAnnotations, ElbAlgorithm, ElbClass } from '../src/cce';
import { invalidProp, requireDnsLabel, requireEnum, requireInteger, requireNonEmpty } from '../src/validation';

/** ELB settings of a LoadBalancer Service; everything but the backends. */
export interface ElbServiceOptions {
  /**
   * `UNION` (shared ELB) or `PERFORMANCE` (dedicated ELB).
   * @default ElbClass.UNION (CCE's default and the seed's choice)
   */
  readonly elbClass?: ElbClass;
  /**
   * The ELB: an existing one, or one CCE creates.
   * @default ElbLoadBalancer.autoCreate(): a private (`INNER`) ELB created by CCE
   */
  readonly loadBalancer?: ElbLoadBalancer;
  /**
   * Listener port on the ELB (and Service port).
   * @default 80, or 443 with `https`
   */
  readonly port?: number;
  /**
   * Backend selection algorithm.
   * @default ElbAlgorithm.ROUND_ROBIN
   */
  readonly algorithm?: ElbAlgorithm;
  /**
   * Keep a client on one backend by source IP for this many minutes (1-60). TCP listeners only;
   * not with the `SOURCE_IP` algorithm.
   * @default - no session affinity
   */
  readonly sessionAffinityMinutes?: number;
  /**
   * Health check of the backends (`{ enabled: false }` turns it off).
   * @default - HTTP on `/`, every 5 s, timeout 10 s, 3 retries
   */
  readonly healthCheck?: ElbHealthCheck;
  /**
   * Terminate HTTPS on the ELB.
   * @default - a plain TCP listener
   */
  readonly https?: ElbHttpsListener;
  /**
   * Restrict the source addresses.
   * @default - any address that can reach the ELB
   */
  readonly accessControl?: ElbAccessControl;
  /**
   * What authenticates requests before they reach the backends (for example "APIG app
   * authentication"). Required to expose a public ELB without an `ALLOW` access-control list.
   * @default - none
   */
  readonly authenticatedBy?: string;
}

/** Properties of {@link ElbService}. */
export interface ElbServiceProps extends ElbServiceOptions {
  /** Service name. */
  readonly name: string;
  /**
   * Labels of the Service.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
  /** Pod labels the Service selects. */
  readonly selector: { [key: string]: string };
  /** Container port the ELB forwards to. */
  readonly targetPort: number;
  /**
   * Name of the Service port.
   * @default 'http'
   */
  readonly portName?: string;
  /**
   * The backends' health route: what an HTTP health check probes when `healthCheck` names no path.
   * @default '/'
   */
  readonly healthPath?: string;
}

const ELB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLOUD_ID = /^[0-9a-zA-Z][-0-9a-zA-Z_.]{0,63}$/;

/**
 * A LoadBalancer Service behind a Huawei Cloud ELB, its annotations derived from typed props
 * (cce_10_0385, cce_10_0683, cce_10_0681). Invalid combinations fail at synth; `loadBalancerIP`
 * is never emitted (CCE discards it).
 *
 * ```ts
 * new ElbService(chart, 'Elb', { name: 'memos-api', selector, targetPort: 8000 });  // private shared ELB
 * ```
 */
export class ElbService extends Construct {
  /** The backends' health route (`healthPath`). */
  private readonly healthPath?: string;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The annotations rendered from the props. */
  public readonly annotations: { [key: string]: string };
  /** The listener port. */
  public readonly port: number;

  constructor(scope: Construct, id: string, props: ElbServiceProps) {
    super(scope, id);
    this.healthPath = props.healthPath;
    requireDnsLabel(this, 'name', props.name);
    const elbClass = requireEnum(this, 'elbClass', props.elbClass ?? ElbClass.UNION, ElbClass);
    const algorithm = requireEnum(this, 'algorithm', props.algorithm ?? ElbAlgorithm.ROUND_ROBIN, ElbAlgorithm);
    this.port = requireInteger(this, 'port', props.port ?? (props.https ? 443 : 80), 1, 65535);
    const targetPort = requireInteger(this, 'targetPort', props.targetPort, 1, 65535);

    const annotations: Record<string, string> = { [CceElbAnnotations.CLASS]: elbClass };

    const loadBalancer = props.loadBalancer ?? ElbLoadBalancer.autoCreate();
    if (!(loadBalancer instanceof ElbLoadBalancer)) {
      invalidProp(this, 'loadBalancer', loadBalancer, 'ElbLoadBalancer.existing(elbId) or ElbLoadBalancer.autoCreate({ network, ... })');
    }
    // An existing ELB and auto-creation are exclusive by construction: CCE would treat an existing
    // ELB named in an autocreate Service as its own and could delete it with the Service.
    let network: ElbNetwork | undefined;
    if (loadBalancer._autoCreate === undefined) {
      const elbId = loadBalancer._elbId;
      if (typeof elbId !== 'string' || !ELB_ID.test(elbId)) {
        invalidProp(this, 'loadBalancer.elbId', elbId, 'an ELB ID (UUID, e.g. 5083f225-9bf8-48fa-9c8b-67bd9693c4c0)');
      }
      annotations[CceElbAnnotations.ID] = elbId;
    } else {
      const autoCreate = loadBalancer._autoCreate;
      network = requireEnum(this, 'loadBalancer.network', autoCreate.network ?? ElbNetwork.INNER, ElbNetwork);
      annotations[CceElbAnnotations.AUTOCREATE] = JSON.stringify(this.autoCreateJson(autoCreate, elbClass, network, props.https !== undefined));
    }

    if (network === ElbNetwork.PUBLIC) {
      const allowList = props.accessControl && (props.accessControl.mode ?? ElbAccessControlMode.ALLOW) === ElbAccessControlMode.ALLOW;
      if (!allowList && !props.authenticatedBy) {
        invalidProp(this, 'loadBalancer.network', 'public',
          "a public ELB only with accessControl in 'allow' mode or with authenticatedBy naming the layer that authenticates requests (MemOS's /product API has no authentication)");
      }
    }
    if (props.authenticatedBy !== undefined) requireNonEmpty(this, 'authenticatedBy', props.authenticatedBy);

    annotations[CceElbAnnotations.ALGORITHM] = algorithm;

    if (props.sessionAffinityMinutes !== undefined) {
      if (algorithm === ElbAlgorithm.SOURCE_IP) {
        invalidProp(this, 'sessionAffinityMinutes', props.sessionAffinityMinutes, "no session affinity with the 'SOURCE_IP' algorithm, which already pins clients");
      }
      if (props.https) {
        invalidProp(this, 'sessionAffinityMinutes', props.sessionAffinityMinutes, 'no source-IP session affinity on an HTTPS listener (TCP/UDP listeners only, cce_10_0681)');
      }
      const minutes = requireInteger(this, 'sessionAffinityMinutes', props.sessionAffinityMinutes, 1, 60);
      annotations[CceElbAnnotations.SESSION_AFFINITY_MODE] = 'SOURCE_IP';
      annotations[CceElbAnnotations.SESSION_AFFINITY_OPTION] = JSON.stringify({ persistence_timeout: String(minutes) });
    }

    const healthCheck = props.healthCheck ?? {};
    if (healthCheck.enabled === false) {
      const others = Object.entries(healthCheck).filter(([key, value]) => key !== 'enabled' && value !== undefined).map(([key]) => key);
      if (others.length) {
        invalidProp(this, 'healthCheck.enabled', false, `true with ${others.join(', ')}, or no other healthCheck field to turn the health check off`);
      }
      annotations[CceElbAnnotations.HEALTH_CHECK_FLAG] = 'off';
    } else {
      annotations[CceElbAnnotations.HEALTH_CHECK_FLAG] = 'on';
      annotations[CceElbAnnotations.HEALTH_CHECK_OPTION] = JSON.stringify(this.healthCheckJson(healthCheck));
    }

    if (props.https) {
      annotations[CceElbAnnotations.PROTOCOL_PORT] = `https:${this.port}`;
      annotations[CceElbAnnotations.CERT_ID] = this.cloudId('https.certificateId', props.https.certificateId);
      const sni = props.https.sniCertificateIds ?? [];
      if (sni.length) {
        annotations[CceElbAnnotations.TLS_CERTIFICATE_IDS] = sni.map((c, i) => this.cloudId(`https.sniCertificateIds[${i}]`, c)).join(',');
      }
      annotations[CceElbAnnotations.HTTP2_ENABLE] = String(props.https.http2 ?? false);
    }

    if (props.accessControl) {
      const ids = props.accessControl.ipAddressGroupIds ?? [];
      const dedicated = elbClass === ElbClass.PERFORMANCE;
      const max = dedicated ? 5 : 1;
      if (ids.length < 1 || ids.length > max) {
        invalidProp(this, 'accessControl.ipAddressGroupIds', ids, `1 to ${max} IP address group IDs on a ${dedicated ? 'dedicated' : 'shared'} ELB`);
      }
      const mode = requireEnum(this, 'accessControl.mode', props.accessControl.mode ?? ElbAccessControlMode.ALLOW, ElbAccessControlMode);
      annotations[CceElbAnnotations.ACL_ID] = ids.map((g, i) => this.cloudId(`accessControl.ipAddressGroupIds[${i}]`, g)).join(',');
      annotations[CceElbAnnotations.ACL_STATUS] = 'on';
      annotations[CceElbAnnotations.ACL_TYPE] = mode === ElbAccessControlMode.ALLOW ? 'white' : 'black';
    }

    this.annotations = annotations;
    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: props.name, labels: props.labels, annotations },
      type: kplus.ServiceType.LOAD_BALANCER,
      ports: [{ name: props.portName ?? 'http', port: this.port, targetPort }],
    });
    selectPods(this.service, props.selector);
  }

  private autoCreateJson(options: ElbAutoCreateOptions, elbClass: ElbClass, network: ElbNetwork, https: boolean): Record<string, unknown> {
    const json: Record<string, unknown> = { type: network };
    if (options.name !== undefined) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(options.name)) invalidProp(this, 'loadBalancer.name', options.name, "1-64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
      json.name = options.name;
    }
    if (network === ElbNetwork.PUBLIC) {
      json.bandwidth_chargemode = requireEnum(this, 'loadBalancer.bandwidthChargeMode', options.bandwidthChargeMode ?? ElbBandwidthChargeMode.BANDWIDTH, ElbBandwidthChargeMode);
      json.bandwidth_size = requireInteger(this, 'loadBalancer.bandwidthMbit', options.bandwidthMbit, 1, 2000);
      json.bandwidth_sharetype = 'PER';
      const eipType = options.eipType ?? '5_bgp';
      if (!/^5_[a-z0-9-]+$/.test(eipType)) invalidProp(this, 'loadBalancer.eipType', eipType, "an EIP type such as '5_bgp', '5_sbgp', '5_telcom', '5_union' (region-dependent)");
      json.eip_type = eipType;
    } else {
      for (const key of ['bandwidthMbit', 'bandwidthChargeMode', 'eipType'] as const) {
        if (options[key] !== undefined) invalidProp(this, `loadBalancer.${key}`, options[key], "nothing on an 'inner' ELB: it has no EIP");
      }
    }
    if (elbClass === ElbClass.PERFORMANCE) {
      const zones = options.availabilityZones ?? [];
      if (zones.length === 0) invalidProp(this, 'loadBalancer.availabilityZones', options.availabilityZones, "at least one availability zone (e.g. 'cn-north-4a') for a dedicated ('performance') ELB");
      json.available_zone = zones.map((z, i) => {
        if (!/^[a-z0-9]+(-[a-z0-9]+)+$/.test(z)) invalidProp(this, `loadBalancer.availabilityZones[${i}]`, z, "an availability zone name such as 'cn-north-4a'");
        return z;
      });
      if (https) {
        json.l7_flavor_name = this.requireFlavor('loadBalancer.l7FlavorName', options.l7FlavorName, 'an L7 flavor (e.g. L7_flavor.elb.s1.small) for an HTTPS listener on a dedicated ELB');
        if (options.l4FlavorName !== undefined) json.l4_flavor_name = this.requireFlavor('loadBalancer.l4FlavorName', options.l4FlavorName, 'an L4 flavor name');
      } else {
        json.l4_flavor_name = this.requireFlavor('loadBalancer.l4FlavorName', options.l4FlavorName, 'an L4 flavor (e.g. L4_flavor.elb.s1.small) for a TCP listener on a dedicated ELB');
        if (options.l7FlavorName !== undefined) json.l7_flavor_name = this.requireFlavor('loadBalancer.l7FlavorName', options.l7FlavorName, 'an L7 flavor name');
      }
    } else {
      for (const key of ['availabilityZones', 'l4FlavorName', 'l7FlavorName'] as const) {
        if (options[key] !== undefined) invalidProp(this, `loadBalancer.${key}`, options[key], "nothing on a shared ('union') ELB: zones and flavors are for dedicated ('performance') ELBs");
      }
    }
    if (options.subnetId !== undefined) json.vip_subnet_cidr_id = this.cloudId('loadBalancer.subnetId', options.subnetId);
    return json;
  }

  private healthCheckJson(check: ElbHealthCheck): Record<string, string> {
    const protocol = requireEnum(this, 'healthCheck.protocol', check.protocol ?? ElbHealthCheckProtocol.HTTP, ElbHealthCheckProtocol);
    const json: Record<string, string> = {
      protocol,
      delay: String(requireInteger(this, 'healthCheck.intervalSeconds', check.intervalSeconds ?? 5, 1, 50)),
      timeout: String(requireInteger(this, 'healthCheck.timeoutSeconds', check.timeoutSeconds ?? 10, 1, 50)),
      max_retries: String(requireInteger(this, 'healthCheck.maxRetries', check.maxRetries ?? 3, 1, 10)),
    };
    if (protocol === ElbHealthCheckProtocol.HTTP) {
      const path = check.path ?? this.healthPath ?? '/';
      if (!/^\/[\x21-\x7e]{0,79}$/.test(path)) invalidProp(this, 'healthCheck.path', path, "a path starting with '/', 1-80 printable characters");
      json.path = path;
    } else if (check.path !== undefined) {
      invalidProp(this, 'healthCheck.path', check.path, "no path on a 'TCP' health check");
    }
    return json;
  }

  private requireFlavor(property: string, value: unknown, allowed: string): string {
    if (typeof value === 'string' && /^L[47]_flavor\.[\w.-]+$/.test(value)) return value;
    return invalidProp(this, property, value, allowed);
  }

  private cloudId(property: string, value: unknown): string {
    if (typeof value === 'string' && CLOUD_ID.test(value)) return value;
    return invalidProp(this, property, value, 'a Huawei Cloud resource ID');
  }
}
