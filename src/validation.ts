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

// The image reference grammar of distribution/reference (reference.go, regexp.go): an optional
// registry host (with port), a lowercase repository path, an optional tag, an optional digest.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$`);

/**
 * An image reference in the registry grammar (lowercase repository, no scheme), pinned to a tag
 * or digest. `latest`, or no tag at all (which means `latest`), makes rollouts unreproducible and
 * `IfNotPresent` pulls stale.
 * @internal
 */
export function requirePinnedImage(scope: IConstruct, property: string, value: unknown): string {
  const match = typeof value === 'string' ? IMAGE_REFERENCE.exec(value) : null;
  if (match && match[1].length <= 255 && (match[3] || (match[2] && match[2] !== 'latest'))) return value as string;
  return invalidProp(scope, property, value,
    "an image pinned to a tag other than 'latest' or to a digest, in the registry grammar: [registry[:port]/]repository:tag or ...@sha256:<digest>, no scheme, a lowercase repository");
}

/**
 * Splits a valid image reference into its registry (empty for Docker Hub's short form), its
 * repository path, and what follows (`:tag`, `@digest` or both).
 * @internal
 */
export function parseImage(image: string): { registry: string; repository: string; suffix: string } {
  const match = IMAGE_REFERENCE.exec(image);
  if (!match) throw new Error(`not an image reference: ${image}`);
  const name = match[1];
  const suffix = image.slice(name.length);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // The first component is a registry only when it looks like a host (reference.go splitDomain).
  const isRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isRegistry ? { registry: first, repository: name.slice(slash + 1), suffix } : { registry: '', repository: name, suffix };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * An RFC 1123 DNS subdomain: the names of Secrets, ConfigMaps and most other objects.
 * @internal
 */
export function requireDnsSubdomain(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value)) return value;
  return invalidProp(scope, property, value, "a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253 characters");
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_NAME = /^(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * A host name or IPv4 address, without scheme, port or path: what DCS, RDS and OBS consoles show
 * as `host:port` is two props here.
 * @internal
 */
export function requireHost(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && (IPV4.test(value) || HOST_NAME.test(value))) return value;
  const hint = typeof value === 'string' && /:\/\/|:\d+$|\//.test(value) ? ' (give the port, if any, in its own prop; no scheme or path)' : '';
  return invalidProp(scope, property, value, `a host name or IPv4 address${hint}`);
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

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/**
 * Kubernetes labels: keys `[prefix/]name` (prefix a DNS subdomain, name at most 63 characters of
 * letters, digits, '-', '_', '.'), values empty or a name of at most 63 characters.
 * @internal
 */
export function requireLabels(scope: IConstruct, property: string, labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return invalidProp(scope, property, labels, 'a map of label keys to values');
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
    if (!prefixOk || name.length > 63 || !LABEL_NAME.test(name)) {
      invalidProp(scope, `${property} key`, key, "a label key: an optional DNS-subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
    }
    if (typeof value !== 'string' || (value !== '' && (value.length > 63 || !LABEL_NAME.test(value)))) {
      invalidProp(scope, `${property}.${key}`, value, "a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
    }
  }
  return labels as Record<string, string>;
}
