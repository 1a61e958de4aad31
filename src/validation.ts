import { IConstruct } from 'constructs';

/**
 * A property value that cannot produce a working deployment. Not part of the jsii API (jsii
 * classes cannot extend `Error`): callers see a plain error with this message.
 *
 * The message always names the construct (type and path), the property, the value given and
 * what is allowed, so a failed `npm run synth` points straight at the line to fix.
 */
export class InvalidPropError extends Error {
  /** The construct the user called: class and path, e.g. `MemosChart 'prod'`. */
  public readonly construct: string;
  /** The property path as the user wrote it, e.g. `api.maxReplicas`. */
  public readonly property: string;
  /** The value given, as shown in the message. */
  public readonly shownValue: string;
  /** What is allowed instead. */
  public readonly allowed: string;

  constructor(construct: string, property: string, value: unknown, allowed: string, shown?: string) {
    const shownValue = shown ?? describe(value);
    super(`${construct}: invalid ${property} ${shownValue}; allowed: ${allowed}`);
    this.name = 'InvalidPropError';
    this.construct = construct;
    this.property = property;
    this.shownValue = shownValue;
    this.allowed = allowed;
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

/**
 * `MemosApi 'small/Api'`: the construct's class and path, as used in every error message.
 * @internal
 */
export function constructLabel(scope: IConstruct): string {
  return `${scope.constructor.name} '${scope.node.path}'`;
}

/** @internal */
export function invalidProp(scope: IConstruct, property: string, value: unknown, allowed: string): never {
  throw new InvalidPropError(constructLabel(scope), property, value, allowed);
}

/**
 * Returns `value` when it is one of `allowed`, otherwise throws an {@link InvalidPropError}.
 * @internal
 */
export function requireOneOf<T extends string>(scope: IConstruct, property: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return invalidProp(scope, property, value, allowed.join(', '));
}

/**
 * Returns `value` when it is an integer within [min, max], otherwise throws.
 * @internal
 */
export function requireInteger(scope: IConstruct, property: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return invalidProp(scope, property, value, range);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Kubernetes object and namespace names used here must be RFC 1123 DNS labels.
 * @internal
 */
export function requireDnsLabel(scope: IConstruct, property: string, value: unknown, maxLength = 63): string {
  if (typeof value === 'string' && value.length <= maxLength && DNS_LABEL.test(value)) return value;
  return invalidProp(scope, property, value, `a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`);
}

/**
 * A non-empty string without surrounding whitespace.
 * @internal
 */
export function requireNonEmpty(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0 && value.trim() === value) return value;
  return invalidProp(scope, property, value, 'a non-empty string without surrounding whitespace');
}

/**
 * An image reference pinned to a tag or digest. `latest`, or no tag at all (which means
 * `latest`), makes rollouts unreproducible and `IfNotPresent` pulls stale.
 * @internal
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

/**
 * Returns `value` when it is a member of the string enum `enumType`, otherwise throws.
 * @internal
 */
export function requireEnum<T extends string>(scope: IConstruct, property: string, value: unknown, enumType: Record<string, T>): T {
  return requireOneOf(scope, property, value, Object.values(enumType));
}

/**
 * How a composing construct names the props of a child it builds: child property (or prefix) →
 * the property path the user wrote on the composing construct. The longest matching prefix wins;
 * `''` maps everything not matched otherwise.
 * @internal
 */
export type PropPaths = Readonly<Record<string, string>>;

/**
 * Builds a child construct and reports its invalid props as the composing construct's, under
 * the paths the user wrote (`MemosChart 'prod': invalid api.maxReplicas` rather than
 * `MemosApi 'prod/Api': invalid autoscaling.maxReplicas`).
 * @internal
 */
export function reportAs<T>(owner: IConstruct, paths: PropPaths, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof InvalidPropError) || error.construct === constructLabel(owner)) throw error;
    const property = mapPropPath(error.property, paths);
    throw new InvalidPropError(constructLabel(owner), property, undefined, error.allowed, error.shownValue);
  }
}

/** @internal */
export function mapPropPath(property: string, paths: PropPaths): string {
  let best: string | undefined;
  for (const from of Object.keys(paths)) {
    const matches = from === '' || property === from || property.startsWith(`${from}.`) || property.startsWith(`${from}[`);
    if (matches && (best === undefined || from.length > best.length)) best = from;
  }
  if (best === undefined) return property;
  const target = paths[best];
  const rest = property.slice(best.length);
  if (best === '') return target ? `${target}.${property}` : property;
  return `${target}${rest}`;
}

/**
 * Returns `value` when it is an instance of `type` (a variant class with static factories),
 * otherwise throws naming the factories to use: what a JavaScript or Python caller who passed a
 * plain object sees instead of a TypeError.
 * @internal
 */
export function requireInstance<T>(scope: IConstruct, property: string, value: unknown, type: { readonly prototype: T }, factories: string): T {
  // Variant classes have private constructors, so they are typed by their prototype here.
  if (value instanceof (type as unknown as abstract new () => T)) return value;
  return invalidProp(scope, property, value, factories);
}

/**
 * `options` without its `undefined` members, so spreading it over defaults keeps a default that
 * a (JavaScript) caller passed as an explicit `undefined`.
 * @internal
 */
export function definedOnly<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}
