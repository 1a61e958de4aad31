import { MemosDashboardProps } from '../../constructs/memos-dashboard';

/** A dashboard with every row: the props the unit and promtool tests share. */
export const FULL: MemosDashboardProps = {
  instance: 'memos',
  gatewayMetricsService: 'memos-gateway-metrics',
  qdrantMetricsService: 'memos-qdrant-headless',
  drainRatePerSecond: 55,
  autoscalers: ['memos-api', 'memos-embedding'],
  deployments: ['memos-api', 'memos-scheduler'],
  statefulSets: ['memos-qdrant', 'memos-neo4j', 'memos-redis'],
  embeddingServices: ['memos-embedding', 'memos-reranker'],
  backupCronJobs: ['memos-qdrant-backup', 'memos-neo4j-backup'],
};
