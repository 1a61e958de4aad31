import { Chart, Testing } from 'cdk8s';
import {
  ElbAccessControlMode, ElbBandwidthChargeMode, ElbHealthCheckProtocol, ElbLoadBalancer, ElbNetwork, ElbService, ElbServiceProps,
} from '../index';
import { ElbAlgorithm, ElbClass } from '../src/cce';
import { validateManifests } from './support/schema';

const ELB_ID = '5083f225-9bf8-48fa-9c8b-67bd9693c4c0';

function synthElb(props: Partial<ElbServiceProps> = {}) {
  const chart = Testing.chart();
  new ElbService(chart, 'Elb', { name: 'memos-api', selector: { app: 'memos' }, targetPort: 8000, ...props });
  const objects = Testing.synth(chart);
  expect(objects).toHaveLength(1);
  return objects[0];
}
const annotations = (props: Partial<ElbServiceProps> = {}) => synthElb(props).metadata.annotations as Record<string, string>;
const json = (value: string) => JSON.parse(value);

describe('ElbService', () => {
  test('default: a private shared ELB created by CCE, TCP listener on 80, HTTP health check', () => {
    const svc = synthElb();
    expect(svc.spec).toEqual({ type: 'LoadBalancer', externalIPs: [], ports: [{ name: 'http', port: 80, targetPort: 8000 }], selector: { app: 'memos' } });
    expect(svc.metadata.annotations).toEqual({
      'kubernetes.io/elb.class': 'union',
      'kubernetes.io/elb.autocreate': '{"type":"inner"}',
      'kubernetes.io/elb.lb-algorithm': 'ROUND_ROBIN',
      'kubernetes.io/elb.health-check-flag': 'on',
      'kubernetes.io/elb.health-check-option': '{"protocol":"HTTP","delay":"5","timeout":"10","max_retries":"3","path":"/"}',
    });
    expect(validateManifests([svc])).toEqual([]);
  });

  test('alone in a plain Chart; exposes the Service, the listener port and the annotations', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'memos' });
    const elb = new ElbService(chart, 'Elb', { name: 'memos-api', labels: { app: 'memos' }, selector: { app: 'memos' }, targetPort: 8000 });
    const [svc] = Testing.synth(chart);
    expect(elb.service.name).toBe('memos-api');
    expect(elb.service.port).toBe(80);
    expect(elb.port).toBe(80);
    expect(elb.annotations).toEqual(svc.metadata.annotations);
    expect(svc.metadata).toMatchObject({ name: 'memos-api', namespace: 'memos', labels: { app: 'memos' } });
    expect(validateManifests([svc])).toEqual([]);
  });

  test('an explicit auto-created inner ELB is the default', () => {
    expect(annotations({ loadBalancer: ElbLoadBalancer.autoCreate({ network: ElbNetwork.INNER }) })).toEqual(annotations());
    expect(annotations({ loadBalancer: ElbLoadBalancer.autoCreate() })).toEqual(annotations());
  });

  test('an existing ELB by ID, never with autocreate', () => {
    const a = annotations({ loadBalancer: ElbLoadBalancer.existing(ELB_ID) });
    expect(a['kubernetes.io/elb.id']).toBe(ELB_ID);
    expect(a['kubernetes.io/elb.autocreate']).toBeUndefined();
  });

  test('a public shared ELB with an EIP and a trustlist', () => {
    const a = annotations({
      loadBalancer: ElbLoadBalancer.autoCreate({
        network: ElbNetwork.PUBLIC, name: 'memos-public', bandwidthMbit: 20, bandwidthChargeMode: ElbBandwidthChargeMode.TRAFFIC, eipType: '5_sbgp', subnetId: 'subnet-0a1b2c',
      }),
      accessControl: { ipAddressGroupIds: ['ipgroup-office'] },
    });
    expect(json(a['kubernetes.io/elb.autocreate'])).toEqual({
      type: 'public', name: 'memos-public', bandwidth_chargemode: 'traffic', bandwidth_size: 20, bandwidth_sharetype: 'PER', eip_type: '5_sbgp', vip_subnet_cidr_id: 'subnet-0a1b2c',
    });
    expect(a['kubernetes.io/elb.acl-id']).toBe('ipgroup-office');
    expect(a['kubernetes.io/elb.acl-status']).toBe('on');
    expect(a['kubernetes.io/elb.acl-type']).toBe('white');
  });

  test('a public ELB behind an authentication layer needs no trustlist; EIP defaults to 5_bgp', () => {
    const a = annotations({ loadBalancer: ElbLoadBalancer.autoCreate({ network: ElbNetwork.PUBLIC, bandwidthMbit: 5 }), authenticatedBy: 'APIG app authentication' });
    expect(json(a['kubernetes.io/elb.autocreate'])).toEqual({ type: 'public', bandwidth_chargemode: 'bandwidth', bandwidth_size: 5, bandwidth_sharetype: 'PER', eip_type: '5_bgp' });
    expect(a['kubernetes.io/elb.acl-id']).toBeUndefined();
  });

  test('a dedicated ELB with zones and an L4 flavor; up to 5 address groups; blocklist mode', () => {
    const a = annotations({
      elbClass: ElbClass.PERFORMANCE,
      loadBalancer: ElbLoadBalancer.autoCreate({ availabilityZones: ['cn-north-4a', 'cn-north-4b'], l4FlavorName: 'L4_flavor.elb.s1.small' }),
      accessControl: { ipAddressGroupIds: ['g1', 'g2', 'g3', 'g4', 'g5'], mode: ElbAccessControlMode.DENY },
    });
    expect(a['kubernetes.io/elb.class']).toBe('performance');
    expect(json(a['kubernetes.io/elb.autocreate'])).toEqual({ type: 'inner', available_zone: ['cn-north-4a', 'cn-north-4b'], l4_flavor_name: 'L4_flavor.elb.s1.small' });
    expect(a['kubernetes.io/elb.acl-id']).toBe('g1,g2,g3,g4,g5');
    expect(a['kubernetes.io/elb.acl-type']).toBe('black');
  });

  test('an HTTPS listener with certificates, SNI and HTTP/2 on a dedicated L7 ELB', () => {
    const svc = synthElb({
      elbClass: ElbClass.PERFORMANCE,
      loadBalancer: ElbLoadBalancer.autoCreate({ availabilityZones: ['cn-north-4a'], l7FlavorName: 'L7_flavor.elb.s1.small' }),
      https: { certificateId: 'cert-main', sniCertificateIds: ['cert-a', 'cert-b'], http2: true },
    });
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 443, targetPort: 8000 }]);
    const a = svc.metadata.annotations;
    expect(a['kubernetes.io/elb.protocol-port']).toBe('https:443');
    expect(a['kubernetes.io/elb.cert-id']).toBe('cert-main');
    expect(a['kubernetes.io/elb.tls-certificate-ids']).toBe('cert-a,cert-b');
    expect(a['kubernetes.io/elb.http2-enable']).toBe('true');
    expect(json(a['kubernetes.io/elb.autocreate']).l7_flavor_name).toBe('L7_flavor.elb.s1.small');
  });

  test('port, algorithm, session affinity and a TCP health check', () => {
    const svc = synthElb({ port: 8000, portName: 'api', algorithm: ElbAlgorithm.LEAST_CONNECTIONS, sessionAffinityMinutes: 30, healthCheck: { protocol: ElbHealthCheckProtocol.TCP, intervalSeconds: 10, timeoutSeconds: 5, maxRetries: 2 } });
    expect(svc.spec.ports).toEqual([{ name: 'api', port: 8000, targetPort: 8000 }]);
    const a = svc.metadata.annotations;
    expect(a['kubernetes.io/elb.lb-algorithm']).toBe('LEAST_CONNECTIONS');
    expect(a['kubernetes.io/elb.session-affinity-mode']).toBe('SOURCE_IP');
    expect(json(a['kubernetes.io/elb.session-affinity-option'])).toEqual({ persistence_timeout: '30' });
    expect(json(a['kubernetes.io/elb.health-check-option'])).toEqual({ protocol: 'TCP', delay: '10', timeout: '5', max_retries: '2' });
  });

  test('health check off', () => {
    const a = annotations({ healthCheck: { enabled: false } });
    expect(a['kubernetes.io/elb.health-check-flag']).toBe('off');
    expect(a['kubernetes.io/elb.health-check-option']).toBeUndefined();
  });

  test('an HTTP health check on another path, as memos-api sets it', () => {
    const a = annotations({ healthCheck: { protocol: ElbHealthCheckProtocol.HTTP, path: '/health' } });
    expect(a['kubernetes.io/elb.health-check-option']).toBe('{"protocol":"HTTP","delay":"5","timeout":"10","max_retries":"3","path":"/health"}');
    expect(annotations({ healthCheck: { enabled: true, path: '/health' } })).toEqual(a);
  });

  test('every annotation value is a string', () => {
    const a = annotations({ https: { certificateId: 'c' }, accessControl: { ipAddressGroupIds: ['g'] } });
    for (const value of Object.values(a)) expect(typeof value).toBe('string');
  });

  const autoCreate = ElbLoadBalancer.autoCreate;
  const PUBLIC = ElbNetwork.PUBLIC;
  const invalid: [string, Partial<ElbServiceProps>, RegExp][] = [
    ['an unknown class', { elbClass: 'dedicated' as never }, /ElbService 'test\/Elb': invalid elbClass "dedicated"; allowed: union, performance/],
    ['a load balancer that is not an ElbLoadBalancer', { loadBalancer: { existingElbId: ELB_ID, autoCreate: {} } as never }, /invalid loadBalancer \{"existingElbId":.*\}; allowed: ElbLoadBalancer.existing\(elbId\) or ElbLoadBalancer.autoCreate/],
    ['a malformed ELB ID', { loadBalancer: ElbLoadBalancer.existing('my-elb') }, /invalid loadBalancer.elbId "my-elb"; allowed: an ELB ID \(UUID/],
    ['a missing ELB ID', { loadBalancer: ElbLoadBalancer.existing(undefined as never) }, /invalid loadBalancer.elbId \(missing\); allowed: an ELB ID \(UUID/],
    ['a dedicated ELB without zones', { elbClass: ElbClass.PERFORMANCE, loadBalancer: autoCreate({ l4FlavorName: 'L4_flavor.elb.s1.small' }) }, /invalid loadBalancer.availabilityZones \(missing\); allowed: at least one availability zone/],
    ['a dedicated ELB without an L4 flavor', { elbClass: ElbClass.PERFORMANCE, loadBalancer: autoCreate({ availabilityZones: ['cn-north-4a'] }) }, /invalid loadBalancer.l4FlavorName \(missing\); allowed: an L4 flavor/],
    ['a dedicated HTTPS ELB without an L7 flavor', { elbClass: ElbClass.PERFORMANCE, loadBalancer: autoCreate({ availabilityZones: ['cn-north-4a'], l4FlavorName: 'L4_flavor.elb.s1.small' }), https: { certificateId: 'c' } }, /invalid loadBalancer.l7FlavorName \(missing\); allowed: an L7 flavor/],
    ['a bad L4 flavor', { elbClass: ElbClass.PERFORMANCE, loadBalancer: autoCreate({ availabilityZones: ['cn-north-4a'], l4FlavorName: 'small' }) }, /invalid loadBalancer.l4FlavorName "small"; allowed: an L4 flavor/],
    ['zones on a shared ELB', { loadBalancer: autoCreate({ availabilityZones: ['cn-north-4a'] }) }, /invalid loadBalancer.availabilityZones \["cn-north-4a"\]; allowed: nothing on a shared \('union'\) ELB/],
    ['a bad zone name', { elbClass: ElbClass.PERFORMANCE, loadBalancer: autoCreate({ availabilityZones: ['North 4A'], l4FlavorName: 'L4_flavor.elb.s1.small' }) }, /invalid loadBalancer.availabilityZones\[0\] "North 4A"/],
    ['a public ELB without protection', { loadBalancer: autoCreate({ network: PUBLIC, bandwidthMbit: 5 }) }, /invalid loadBalancer.network "public"; allowed: a public ELB only with accessControl in 'allow' mode or with authenticatedBy/],
    ['a public ELB with only a blocklist', { loadBalancer: autoCreate({ network: PUBLIC, bandwidthMbit: 5 }), accessControl: { ipAddressGroupIds: ['g'], mode: ElbAccessControlMode.DENY } }, /invalid loadBalancer.network "public"/],
    ['a public ELB without bandwidth', { loadBalancer: autoCreate({ network: PUBLIC }), authenticatedBy: 'gateway' }, /invalid loadBalancer.bandwidthMbit \(missing\); allowed: an integer from 1 to 2000/],
    ['bandwidth on an inner ELB', { loadBalancer: autoCreate({ bandwidthMbit: 5 }) }, /invalid loadBalancer.bandwidthMbit 5; allowed: nothing on an 'inner' ELB/],
    ['an unknown network', { loadBalancer: autoCreate({ network: 'internet' as never }) }, /invalid loadBalancer.network "internet"; allowed: inner, public/],
    ['an unknown bandwidth charge mode', { loadBalancer: autoCreate({ network: PUBLIC, bandwidthMbit: 5, bandwidthChargeMode: 'free' as never }), authenticatedBy: 'gateway' }, /invalid loadBalancer.bandwidthChargeMode "free"; allowed: bandwidth, traffic/],
    ['a bad EIP type', { loadBalancer: autoCreate({ network: PUBLIC, bandwidthMbit: 5, eipType: 'bgp' }), authenticatedBy: 'gateway' }, /invalid loadBalancer.eipType "bgp"/],
    ['a bad ELB name', { loadBalancer: autoCreate({ name: 'memos api' }) }, /invalid loadBalancer.name "memos api"/],
    ['a bad subnet ID', { loadBalancer: autoCreate({ subnetId: 'subnet 1' }) }, /invalid loadBalancer.subnetId "subnet 1"; allowed: a Huawei Cloud resource ID/],
    ['an empty authenticatedBy', { authenticatedBy: '' }, /invalid authenticatedBy ""; allowed: a non-empty string/],
    ['session affinity with SOURCE_IP', { algorithm: ElbAlgorithm.SOURCE_IP, sessionAffinityMinutes: 30 }, /invalid sessionAffinityMinutes 30; allowed: no session affinity with the 'SOURCE_IP' algorithm/],
    ['session affinity on HTTPS', { sessionAffinityMinutes: 30, https: { certificateId: 'c' } }, /invalid sessionAffinityMinutes 30; allowed: no source-IP session affinity on an HTTPS listener/],
    ['session affinity over an hour', { sessionAffinityMinutes: 90 }, /invalid sessionAffinityMinutes 90; allowed: an integer from 1 to 60/],
    ['an unknown algorithm', { algorithm: 'RANDOM' as never }, /invalid algorithm "RANDOM"; allowed: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP/],
    ['an unknown health check protocol', { healthCheck: { protocol: 'UDP' as never } }, /invalid healthCheck.protocol "UDP"; allowed: TCP, HTTP/],
    ['a health check delay over 50', { healthCheck: { intervalSeconds: 60 } }, /invalid healthCheck.intervalSeconds 60; allowed: an integer from 1 to 50/],
    ['a health check timeout of 0', { healthCheck: { timeoutSeconds: 0 } }, /invalid healthCheck.timeoutSeconds 0; allowed: an integer from 1 to 50/],
    ['11 health check retries', { healthCheck: { maxRetries: 11 } }, /invalid healthCheck.maxRetries 11; allowed: an integer from 1 to 10/],
    ['a TCP health check with a path', { healthCheck: { protocol: ElbHealthCheckProtocol.TCP, path: '/health' } }, /invalid healthCheck.path "\/health"; allowed: no path on a 'TCP' health check/],
    ['a health check path without a slash', { healthCheck: { path: 'health' } }, /invalid healthCheck.path "health"/],
    ['a disabled health check with settings', { healthCheck: { enabled: false, path: '/health' } }, /invalid healthCheck.enabled false; allowed: true with path, or no other healthCheck field/],
    ['two address groups on a shared ELB', { accessControl: { ipAddressGroupIds: ['a', 'b'] } }, /invalid accessControl.ipAddressGroupIds \["a","b"\]; allowed: 1 to 1 IP address group IDs on a shared ELB/],
    ['six address groups on a dedicated ELB', { loadBalancer: ElbLoadBalancer.existing(ELB_ID), elbClass: ElbClass.PERFORMANCE, accessControl: { ipAddressGroupIds: ['1', '2', '3', '4', '5', '6'] } }, /allowed: 1 to 5 IP address group IDs on a dedicated ELB/],
    ['an unknown access-control mode', { accessControl: { ipAddressGroupIds: ['g'], mode: 'trust' as never } }, /invalid accessControl.mode "trust"; allowed: allow, deny/],
    ['an empty certificate ID', { https: { certificateId: '' } }, /invalid https.certificateId ""; allowed: a Huawei Cloud resource ID/],
    ['a bad SNI certificate ID', { https: { certificateId: 'c', sniCertificateIds: ['bad id'] } }, /invalid https.sniCertificateIds\[0\] "bad id"/],
    ['port 0', { port: 0 }, /invalid port 0; allowed: an integer from 1 to 65535/],
    ['target port 70000', { targetPort: 70000 }, /invalid targetPort 70000; allowed: an integer from 1 to 65535/],
    ['a bad Service name', { name: 'Memos_API' }, /invalid name "Memos_API"; allowed: a DNS label/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthElb(props)).toThrow(message);
  });
});
