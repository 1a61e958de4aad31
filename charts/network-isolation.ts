/**
 * Address ranges of what a MemOS stack reaches outside its namespace, one list per kind of
 * destination. NetworkPolicies match addresses, not host names: give the subnet of each managed
 * service (DCS, RDS, DMS) in your VPC, and the provider's ranges for public APIs. The ports come
 * from the stack's own settings (the DCS port, the LLM URL's port, the Kafka brokers' ports...).
 * A kind left out that the stack uses may reach any address, on those ports only. CCE tunnel
 * networks enforce `ipBlock` egress; on DataPlane V2 an `ipBlock` must stay within the pod,
 * Service and node ranges (cce_10_0059), so leave public destinations out there.
 */
export interface ExternalNetworks {
  /** Huawei DCS for Redis (the scheduler queue). @default - any address, on its ports */
  readonly dcs?: string[];
  /** RDS for PostgreSQL or GaussDB (`MemoryStorage.postgres`). @default - any address, on its ports */
  readonly postgres?: string[];
  /** An external Neo4j (`Neo4jBackend.external`). @default - any address, on its ports */
  readonly neo4j?: string[];
  /** An external Qdrant (`QdrantBackend.external`). @default - any address, on its ports */
  readonly qdrant?: string[];
  /** OBS (Milvus's object storage, model weights). @default - any address, on its ports */
  readonly obs?: string[];
  /** DMS for Kafka (a distributed Milvus). @default - any address, on its ports */
  readonly kafka?: string[];
  /** The LLM API (`OPENAI_API_BASE`, `MEMRADER_API_BASE`). @default - any address, on its ports */
  readonly llmApi?: string[];
  /** An external embedder (`Embedder.external`). @default - any address, on its ports */
  readonly embedder?: string[];
  /** An external reranker (`Reranker.external`). @default - any address, on its ports */
  readonly reranker?: string[];
  /** The Hugging Face endpoint (`memos.huggingFaceEndpoint`). @default - any address, on its ports */
  readonly huggingFace?: string[];
  /**
   * The Kubernetes API server's address as pods reach it after the `kubernetes` Service's DNAT
   * (CCE: the master's private address): Neo4j's cluster discovery lists Services through it.
   * @default - any address, on its ports
   */
  readonly kubernetesApi?: string[];
}

/** Options of {@link NetworkIsolation.enforced}. */
export interface EnforcedNetworkIsolationOptions {
  /**
   * Address ranges of the destinations outside the namespace.
   * @default - any address for each kind the stack uses, on its ports only
   */
  readonly external?: ExternalNetworks;
  /**
   * Deny all traffic of every other pod in the namespace (a namespace-wide default deny). Turn
   * off when the stack shares its namespace with workloads that have no policies of their own.
   * @default true
   */
  readonly denyOtherPods?: boolean;
  /**
   * Ports of the Kubernetes API server as pods reach it (`kubectl get endpointslices -l
   * kubernetes.io/service-name=kubernetes`). Used when a Neo4j cluster runs in the stack.
   * @default [443, 5444] - the `kubernetes` Service's port, and the master's port behind it on CCE (cce_faq_00265)
   */
  readonly kubernetesApiPorts?: number[];
}

/**
 * Whether the stack's pods are isolated by NetworkPolicies. They are enforced only where the
 * cluster's network model enforces NetworkPolicy (CCE: tunnel networks; VPC networks with DataPlane
 * V2; see docs/security.md).
 */
export class NetworkIsolation {
  /**
   * A default deny for the namespace, and per component a policy allowing exactly the connections
   * the stack wires: each store only from its clients on its ports and from its own peers,
   * Prometheus on the metrics ports, DNS, and the external destinations on their ports.
   */
  public static enforced(options: EnforcedNetworkIsolationOptions = {}): NetworkIsolation {
    return new NetworkIsolation({ ...options });
  }

  /** No NetworkPolicies: every pod can reach every other (Kubernetes' default). */
  public static none(): NetworkIsolation {
    return new NetworkIsolation(undefined);
  }

  private constructor(
    /** @internal */
    public readonly _enforced: EnforcedNetworkIsolationOptions | undefined,
  ) {}
}
