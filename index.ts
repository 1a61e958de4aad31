// The package entry: the library's public API (vocabulary, constructs, compositions). The
// deployable app in app/ is not part of the package.
export * from './src/cce';
export * from './src/credentials';
export * from './src/kubernetes';
export * from './src/memos';
export * from './src/memos-settings';
export * from './src/storage';
export * from './src/queue-capacity';
export * from './constructs/memos-config';
export * from './constructs/memos-server';
export * from './constructs/memos-api';
export * from './constructs/elb-service';
export * from './constructs/queue-depth-metric';
export * from './constructs/mem-scheduler';
export * from './constructs/redis-server';
export * from './constructs/qdrant';
export * from './constructs/neo4j';
export * from './constructs/milvus';
export * from './constructs/etcd-cluster';
export * from './constructs/embedding-server';
export * from './charts/presets';
export * from './charts/backends';
export * from './charts/memos-stack';
export * from './charts/memos-chart';
export * as servicemonitor from './imports/servicemonitor-monitoring.coreos.com';
export * as prometheusrule from './imports/prometheusrule-monitoring.coreos.com';
