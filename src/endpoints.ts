/**
 * Names and ports of the in-cluster services a MemOS instance talks to, written down once: the
 * constructs name their Services with these, and MemosConfig's defaults point MemOS at them.
 */

/** Service ports (each server's own default). */
export const ServicePorts = {
  /** TEI / mis-tei, set with --port (the TEI image's own default, 80, needs root). */
  EMBEDDING: 8080,
  /** Neo4j Bolt. */
  NEO4J_BOLT: 7687,
  /** Qdrant REST (MemOS uses the HTTP client, not gRPC). */
  QDRANT_HTTP: 6333,
  /** Redis. */
  REDIS: 6379,
  /** Milvus gRPC and REST. */
  MILVUS: 19530,
} as const;

/** Where MemOS finds each in-cluster service of `instance`. */
export const InClusterEndpoints = {
  /**
   * An embedding or reranking server: its Service, its OpenAI-compatible `/v1` base
   * (`MOS_EMBEDDER_API_BASE`) and the full rerank URL MemOS posts to (`MOS_RERANKER_URL`).
   */
  modelServer: (instance: string, task: 'embed' | 'rerank') => {
    const service = `${instance}-${task === 'embed' ? 'embedding' : 'reranker'}`;
    const base = `http://${service}:${ServicePorts.EMBEDDING}/v1`;
    return { service, apiBase: base, rerankUrl: `${base}/rerank` };
  },
  neo4jService: (instance: string) => `${instance}-neo4j`,
  /** `bolt://` to one server; `neo4j://` (routing: writes reach the leader) to a cluster. */
  neo4jUri: (instance: string, servers: number) => `${servers >= 3 ? 'neo4j' : 'bolt'}://${instance}-neo4j:${ServicePorts.NEO4J_BOLT}`,
  qdrantHost: (instance: string) => `${instance}-qdrant`,
  redisHost: (instance: string) => `${instance}-redis`,
  milvusService: (instance: string) => `${instance}-milvus`,
  milvusUri: (instance: string) => `http://${instance}-milvus:${ServicePorts.MILVUS}`,
} as const;
