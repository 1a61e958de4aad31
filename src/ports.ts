/**
 * Each server's own default port, written down once: the port a client assumes when a connection
 * leaves it out, and the port the in-cluster servers listen on.
 */
export class DefaultPorts {
  /** Redis. */
  public static readonly REDIS: number = 6379;
  /** Qdrant's REST API (MemOS uses the HTTP client, not gRPC). */
  public static readonly QDRANT_HTTP: number = 6333;
  /** PostgreSQL. */
  public static readonly POSTGRES: number = 5432;

  private constructor() {}
}
