import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { invalidProp, requireDnsSubdomain } from './validation';

/**
 * Every credential the stack's pods read, named once. Each value is also the key the credential
 * is read from by default, so one Secret with these keys serves every component.
 */
export enum Credential {
  /** The LLM's API key (MemOS `OPENAI_API_KEY`). */
  OPENAI_API_KEY = 'OPENAI_API_KEY',
  /** The memory-extraction LLM's API key (MemOS `MEMRADER_API_KEY`). */
  MEMRADER_API_KEY = 'MEMRADER_API_KEY',
  /** API key of an external embedder (MemOS `MOS_EMBEDDER_API_KEY`). */
  MOS_EMBEDDER_API_KEY = 'MOS_EMBEDDER_API_KEY',
  /** Password of Neo4j's `neo4j` user. */
  NEO4J_PASSWORD = 'NEO4J_PASSWORD',
  /** Qdrant's read-write API key. */
  QDRANT_API_KEY = 'QDRANT_API_KEY',
  /** Qdrant's read-only API key (metrics scraping). */
  QDRANT_READ_ONLY_API_KEY = 'QDRANT_READ_ONLY_API_KEY',
  /** Password of the scheduler queue's Redis (DCS or in-cluster). */
  MEMSCHEDULER_REDIS_PASSWORD = 'MEMSCHEDULER_REDIS_PASSWORD',
  /** Password of the PostgreSQL graph backend's user. */
  POSTGRES_PASSWORD = 'POSTGRES_PASSWORD',
  /** Password of Milvus's `root` user. */
  MILVUS_PASSWORD = 'MILVUS_PASSWORD',
  /** OBS access key ID (Milvus object storage, model weights). */
  OBS_ACCESS_KEY_ID = 'OBS_ACCESS_KEY_ID',
  /** OBS secret access key. */
  OBS_SECRET_ACCESS_KEY = 'OBS_SECRET_ACCESS_KEY',
  /** SASL password of DMS for Kafka (distributed Milvus). */
  KAFKA_SASL_PASSWORD = 'KAFKA_SASL_PASSWORD',
  /** Qwen API key (MemOS `QWEN_API_KEY`). */
  QWEN_API_KEY = 'QWEN_API_KEY',
  /** MemOS `CHAT_MODEL_LIST` (JSON with API keys). */
  CHAT_MODEL_LIST = 'CHAT_MODEL_LIST',
  /** MemOS `MOS_RERANKER_HEADERS_EXTRA` (may carry an authorization header). */
  MOS_RERANKER_HEADERS_EXTRA = 'MOS_RERANKER_HEADERS_EXTRA',
  /** MemOS `MOS_EMBEDDER_HEADERS_EXTRA` (may carry an authorization header). */
  MOS_EMBEDDER_HEADERS_EXTRA = 'MOS_EMBEDDER_HEADERS_EXTRA',
  /** Bocha internet-search API key. */
  BOCHA_API_KEY = 'BOCHA_API_KEY',
  /** Tavily internet-search API key. */
  TAVILY_API_KEY = 'TAVILY_API_KEY',
  /** MemOS `CUSTOM_LOGGER_TOKEN`. */
  CUSTOM_LOGGER_TOKEN = 'CUSTOM_LOGGER_TOKEN',
}

/** Options of {@link Credentials.fromSecret}. */
export interface CredentialsOptions {
  /**
   * The key holding a credential, where it differs from the credential's name: credential name
   * (a {@link Credential} value) → key in the Secret.
   * @default - every credential is read from the key of its own name, e.g. `NEO4J_PASSWORD`
   */
  readonly keys?: { [credential: string]: string };
}

/** One key of one existing Secret: where a client reads a credential from. */
export class SecretKeyRef {
  /** The key `key` of the Secret `secretName`. */
  public static of(secretName: string, key: string): SecretKeyRef {
    return new SecretKeyRef(secretName, key);
  }

  private constructor(
    /** Name of the Secret. */
    public readonly secretName: string,
    /** Key in the Secret. */
    public readonly key: string,
  ) {}

  /** An environment variable value read from this key (`secretKeyRef`); never the value itself. */
  public envValue(scope: IConstruct, options: SecretEnvOptions = {}): kplus.EnvValue {
    const id = `ImportedSecret-${this.secretName}`;
    const secret = (scope.node.tryFindChild(id) as kplus.ISecret | undefined) ?? kplus.Secret.fromSecretName(scope, id, this.secretName);
    return kplus.EnvValue.fromSecretValue({ secret, key: this.key }, { optional: options.optional ?? false });
  }
}

/** Options of {@link SecretKeyRef.envValue}. */
export interface SecretEnvOptions {
  /**
   * The pod starts even when the key is missing from the Secret.
   * @default false
   */
  readonly optional?: boolean;
}

/**
 * Where the stack's credentials live: an existing Secret (never created by this library, so no
 * credential is ever written to YAML) and, per credential, the key holding it.
 *
 * ```ts
 * const credentials = Credentials.fromSecret('memos-secrets', { keys: { NEO4J_PASSWORD: 'neo4j-password' } });
 * credentials.ref(Credential.NEO4J_PASSWORD); // memos-secrets / neo4j-password
 * ```
 */
export class Credentials {
  /** Credentials in the existing Secret `secretName`. */
  public static fromSecret(secretName: string, options: CredentialsOptions = {}): Credentials {
    return new Credentials(secretName, { ...options.keys });
  }

  private constructor(
    /** Name of the Secret. */
    public readonly secretName: string,
    private readonly keys: { [credential: string]: string },
  ) {}

  /** The key holding `credential`. */
  public keyOf(credential: Credential): string {
    return this.keys[credential] ?? credential;
  }

  /** Where `credential` is read from. */
  public ref(credential: Credential): SecretKeyRef {
    return SecretKeyRef.of(this.secretName, this.keyOf(credential));
  }

  /**
   * Credential name → key overrides as given, for validation.
   * @internal
   */
  public _keyOverrides(): Readonly<Record<string, string>> {
    return this.keys;
  }
}

const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Values that look like a credential rather than the name of the key holding one. */
// Key prefixes of OpenAI/DeepSeek (sk-), GitHub, Slack, AWS and JWTs followed by a token, or 32+
// characters mixing upper case, lower case and digits without word separators.
const LOOKS_LIKE_A_CREDENTIAL = /^(sk-|sk_live_|sk_test_|ghp_|xox[bp]-|AKIA|eyJ)[A-Za-z0-9-]{16,}|^(?=[A-Za-z0-9+/=]{32,}$)(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])/;

/**
 * The name of a key in a Secret; a value that looks like the credential itself is rejected
 * without being echoed, since it would otherwise end up in the YAML of `dist/`.
 * @internal
 */
export function requireSecretKeyName(scope: IConstruct, property: string, key: unknown): string {
  if (typeof key === 'string' && LOOKS_LIKE_A_CREDENTIAL.test(key)) {
    return invalidProp(scope, property, '<redacted>', 'the NAME of a key in the Secret, not the credential itself: put the value into the Secret');
  }
  if (typeof key === 'string' && SECRET_KEY.test(key)) return key;
  return invalidProp(scope, property, key, "a Secret key: letters, digits, '-', '_' and '.'");
}

/**
 * Checks the Secret name and every key override of `credentials`; `property` is the prop path
 * the user gave them under.
 * @internal
 */
export function requireCredentials(scope: IConstruct, property: string, credentials: Credentials | undefined): Credentials {
  if (!(credentials instanceof Credentials)) {
    return invalidProp(scope, property, credentials, "Credentials.fromSecret('<existing Secret>')");
  }
  requireDnsSubdomain(scope, `${property}.secretName`, credentials.secretName);
  const credentialNames = Object.values(Credential) as string[];
  for (const [name, key] of Object.entries(credentials._keyOverrides())) {
    if (!credentialNames.includes(name)) invalidProp(scope, `${property}.keys.${name}`, key, `a credential name: ${credentialNames.join(', ')}`);
    requireSecretKeyName(scope, `${property}.keys.${name}`, key);
  }
  return credentials;
}
