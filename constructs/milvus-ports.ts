/** Milvus's ports: gRPC/REST for clients, and metrics and health (`/healthz`, `/metrics`). */
export class MilvusPorts {
  /** gRPC and REST API (clients). */
  public static readonly GRPC: number = 19530;
  /** Metrics and health (`/metrics`, `/healthz`). */
  public static readonly METRICS: number = 9091;

  private constructor() {}
}
