import { IConstruct } from 'constructs';

/**
 * A property value that cannot produce a working deployment.
 *
 * The message always names the construct (type and path), the property, the value given and
 * what is allowed, so a failed `npm run synth` points straight at the line to fix.
 */
export class InvalidPropError extends Error {
  constructor(
    public readonly construct: string,
    public readonly property: string,
    public readonly value: unknown,
    public readonly allowed: string,
  ) {
    super(`${construct}: invalid ${property} ${describe(value)}; allowed: ${allowed}`);
    this.name = 'InvalidPropError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `MemosApi 'small/Api'`: the construct's class and path, as used in every error message. */
export function constructLabel(scope: IConstruct): string {
  return `${scope.constructor.name} '${scope.node.path}'`;
}

export function invalidProp(scope: IConstruct, property: string, value: unknown, allowed: string): never {
  throw new InvalidPropError(constructLabel(scope), property, value, allowed);
}

/** Returns `value` when it is one of `allowed`, otherwise throws an {@link InvalidPropError}. */
export function requireOneOf<T extends string>(scope: IConstruct, property: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return invalidProp(scope, property, value, allowed.join(', '));
}

/** Returns `value` when it is an integer within [min, max], otherwise throws. */
export function requireInteger(scope: IConstruct, property: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return invalidProp(scope, property, value, range);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes object and namespace names used here must be RFC 1123 DNS labels. */
export function requireDnsLabel(scope: IConstruct, property: string, value: unknown, maxLength = 63): string {
  if (typeof value === 'string' && value.length <= maxLength && DNS_LABEL.test(value)) return value;
  return invalidProp(scope, property, value, `a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`);
}

/** A non-empty string without surrounding whitespace. */
export function requireNonEmpty(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0 && value.trim() === value) return value;
  return invalidProp(scope, property, value, 'a non-empty string without surrounding whitespace');
}

/**
 * An image reference pinned to a tag or digest. `latest`, or no tag at all (which means
 * `latest`), makes rollouts unreproducible and `IfNotPresent` pulls stale.
 */
export function requirePinnedImage(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && !/\s/.test(value)) {
    if (/@sha256:[0-9a-f]{64}$/.test(value)) return value;
    const lastSegment = value.slice(value.lastIndexOf('/') + 1);
    const colon = lastSegment.lastIndexOf(':');
    const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
    if (tag && tag !== 'latest' && /^[\w][\w.-]{0,127}$/.test(tag)) return value;
  }
  return invalidProp(scope, property, value, "an image pinned to a tag other than 'latest' (registry/repository:tag) or to a digest (@sha256:...)");
}
