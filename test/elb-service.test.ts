import { Testing } from 'cdk8s';
import { ElbService, ElbServiceProps } from '../constructs/elb-service';
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

  test('an existing ELB by ID, never with autocreate', () => {
    const a = annotations({ existingElbId: ELB_ID });
    expect(a['kubernetes.io/elb.id']).toBe(ELB_ID);
    expect(a['kubernetes.io/elb.autocreate']).toBeUndefined();
  });

  test('a public shared ELB with an EIP and a trustlist', () => {
    const a = annotations({
      autoCreate: { network: 'public', name: 'memos-public', bandwidthMbit: 20, bandwidthChargeMode: 'traffic', eipType: '5_sbgp', subnetId: 'subnet-0a1b2c' },
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
    const a = annotations({ autoCreate: { network: 'public', bandwidthMbit: 5 }, authenticatedBy: 'APIG app authentication' });
    expect(json(a['kubernetes.io/elb.autocreate'])).toEqual({ type: 'public', bandwidth_chargemode: 'bandwidth', bandwidth_size: 5, bandwidth_sharetype: 'PER', eip_type: '5_bgp' });
    expect(a['kubernetes.io/elb.acl-id']).toBeUndefined();
  });

  test('a dedicated ELB with zones and an L4 flavor; up to 5 address groups; blocklist mode', () => {
    const a = annotations({
      elbClass: 'performance',
      autoCreate: { availabilityZones: ['cn-north-4a', 'cn-north-4b'], l4FlavorName: 'L4_flavor.elb.s1.small' },
      accessControl: { ipAddressGroupIds: ['g1', 'g2', 'g3', 'g4', 'g5'], mode: 'deny' },
    });
    expect(a['kubernetes.io/elb.class']).toBe('performance');
    expect(json(a['kubernetes.io/elb.autocreate'])).toEqual({ type: 'inner', available_zone: ['cn-north-4a', 'cn-north-4b'], l4_flavor_name: 'L4_flavor.elb.s1.small' });
    expect(a['kubernetes.io/elb.acl-id']).toBe('g1,g2,g3,g4,g5');
    expect(a['kubernetes.io/elb.acl-type']).toBe('black');
  });

  test('an HTTPS listener with certificates, SNI and HTTP/2 on a dedicated L7 ELB', () => {
    const svc = synthElb({
      elbClass: 'performance',
      autoCreate: { availabilityZones: ['cn-north-4a'], l7FlavorName: 'L7_flavor.elb.s1.small' },
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
    const svc = synthElb({ port: 8000, portName: 'api', algorithm: 'LEAST_CONNECTIONS', sessionAffinityMinutes: 30, healthCheck: { protocol: 'TCP', intervalSeconds: 10, timeoutSeconds: 5, maxRetries: 2 } });
    expect(svc.spec.ports).toEqual([{ name: 'api', port: 8000, targetPort: 8000 }]);
    const a = svc.metadata.annotations;
    expect(a['kubernetes.io/elb.lb-algorithm']).toBe('LEAST_CONNECTIONS');
    expect(a['kubernetes.io/elb.session-affinity-mode']).toBe('SOURCE_IP');
    expect(json(a['kubernetes.io/elb.session-affinity-option'])).toEqual({ persistence_timeout: '30' });
    expect(json(a['kubernetes.io/elb.health-check-option'])).toEqual({ protocol: 'TCP', delay: '10', timeout: '5', max_retries: '2' });
  });

  test('health check off', () => {
    const a = annotations({ healthCheck: false });
    expect(a['kubernetes.io/elb.health-check-flag']).toBe('off');
    expect(a['kubernetes.io/elb.health-check-option']).toBeUndefined();
  });

  test('every annotation value is a string', () => {
    const a = annotations({ https: { certificateId: 'c' }, accessControl: { ipAddressGroupIds: ['g'] } });
    for (const value of Object.values(a)) expect(typeof value).toBe('string');
  });

  const invalid: [string, Partial<ElbServiceProps>, RegExp][] = [
    ['an unknown class', { elbClass: 'dedicated' as never }, /ElbService 'test\/Elb': invalid elbClass "dedicated"; allowed: union, performance/],
    ['an ELB ID together with autocreate', { existingElbId: ELB_ID, autoCreate: {} }, /invalid existingElbId ".*"; allowed: either existingElbId or autoCreate, not both/],
    ['a malformed ELB ID', { existingElbId: 'my-elb' }, /invalid existingElbId "my-elb"; allowed: an ELB ID \(UUID/],
    ['a dedicated ELB without zones', { elbClass: 'performance', autoCreate: { l4FlavorName: 'L4_flavor.elb.s1.small' } }, /invalid autoCreate.availabilityZones \(missing\); allowed: at least one availability zone/],
    ['a dedicated ELB without an L4 flavor', { elbClass: 'performance', autoCreate: { availabilityZones: ['cn-north-4a'] } }, /invalid autoCreate.l4FlavorName \(missing\); allowed: an L4 flavor/],
    ['a dedicated HTTPS ELB without an L7 flavor', { elbClass: 'performance', autoCreate: { availabilityZones: ['cn-north-4a'], l4FlavorName: 'L4_flavor.elb.s1.small' }, https: { certificateId: 'c' } }, /invalid autoCreate.l7FlavorName \(missing\); allowed: an L7 flavor/],
    ['zones on a shared ELB', { autoCreate: { availabilityZones: ['cn-north-4a'] } }, /invalid autoCreate.availabilityZones \["cn-north-4a"\]; allowed: nothing on a shared \('union'\) ELB/],
    ['a bad zone name', { elbClass: 'performance', autoCreate: { availabilityZones: ['North 4A'], l4FlavorName: 'L4_flavor.elb.s1.small' } }, /invalid autoCreate.availabilityZones\[0\] "North 4A"/],
    ['a public ELB without protection', { autoCreate: { network: 'public', bandwidthMbit: 5 } }, /invalid autoCreate.network "public"; allowed: a public ELB only with accessControl in 'allow' mode or with authenticatedBy/],
    ['a public ELB with only a blocklist', { autoCreate: { network: 'public', bandwidthMbit: 5 }, accessControl: { ipAddressGroupIds: ['g'], mode: 'deny' } }, /invalid autoCreate.network "public"/],
    ['a public ELB without bandwidth', { autoCreate: { network: 'public' }, authenticatedBy: 'gateway' }, /invalid autoCreate.bandwidthMbit \(missing\); allowed: an integer from 1 to 2000/],
    ['bandwidth on an inner ELB', { autoCreate: { bandwidthMbit: 5 } }, /invalid autoCreate.bandwidthMbit 5; allowed: nothing on an 'inner' ELB/],
    ['an unknown network', { autoCreate: { network: 'internet' as never } }, /invalid autoCreate.network "internet"; allowed: inner, public/],
    ['a bad EIP type', { autoCreate: { network: 'public', bandwidthMbit: 5, eipType: 'bgp' }, authenticatedBy: 'gateway' }, /invalid autoCreate.eipType "bgp"/],
    ['a bad ELB name', { autoCreate: { name: 'memos api' } }, /invalid autoCreate.name "memos api"/],
    ['session affinity with SOURCE_IP', { algorithm: 'SOURCE_IP', sessionAffinityMinutes: 30 }, /invalid sessionAffinityMinutes 30; allowed: no session affinity with the 'SOURCE_IP' algorithm/],
    ['session affinity on HTTPS', { sessionAffinityMinutes: 30, https: { certificateId: 'c' } }, /invalid sessionAffinityMinutes 30; allowed: no source-IP session affinity on an HTTPS listener/],
    ['session affinity over an hour', { sessionAffinityMinutes: 90 }, /invalid sessionAffinityMinutes 90; allowed: an integer from 1 to 60/],
    ['an unknown algorithm', { algorithm: 'RANDOM' as never }, /invalid algorithm "RANDOM"; allowed: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP/],
    ['a health check delay over 50', { healthCheck: { intervalSeconds: 60 } }, /invalid healthCheck.intervalSeconds 60; allowed: an integer from 1 to 50/],
    ['a TCP health check with a path', { healthCheck: { protocol: 'TCP', path: '/health' } }, /invalid healthCheck.path "\/health"; allowed: no path on a 'TCP' health check/],
    ['a health check path without a slash', { healthCheck: { path: 'health' } }, /invalid healthCheck.path "health"/],
    ['two address groups on a shared ELB', { accessControl: { ipAddressGroupIds: ['a', 'b'] } }, /invalid accessControl.ipAddressGroupIds \["a","b"\]; allowed: 1 to 1 IP address group IDs on a shared ELB/],
    ['six address groups on a dedicated ELB', { existingElbId: ELB_ID, elbClass: 'performance', accessControl: { ipAddressGroupIds: ['1', '2', '3', '4', '5', '6'] } }, /allowed: 1 to 5 IP address group IDs on a dedicated ELB/],
    ['an empty certificate ID', { https: { certificateId: '' } }, /invalid https.certificateId ""; allowed: a Huawei Cloud resource ID/],
    ['port 0', { port: 0 }, /invalid port 0; allowed: an integer from 1 to 65535/],
    ['a bad Service name', { name: 'Memos_API' }, /invalid name "Memos_API"; allowed: a DNS label/],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => synthElb(props)).toThrow(message);
  });
});
