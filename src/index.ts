// Public API of cdk8s-memos-cce.
export * from './cce';
export * from './kubernetes';
export * from './memos';
export * from './validation';
export * from './environments';
export * from './synth';
export * from '../charts/presets';
export * from '../charts/memos-chart';
export * from '../constructs/memos-config';
export * from '../constructs/memos-server';
export * from '../constructs/memos-api';
export * from '../constructs/elb-service';
export * from '../constructs/queue-depth-metric';
export * as servicemonitor from '../imports/servicemonitor-monitoring.coreos.com';
export * as podmonitor from '../imports/podmonitor-monitoring.coreos.com';
export * as prometheusrule from '../imports/prometheusrule-monitoring.coreos.com';
export * as argocd from '../imports/application-argoproj.io';
