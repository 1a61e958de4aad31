import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalidProp } from './validation';

/** Key names that hold credentials in the engines' configuration files: only Secrets may set them. */
const CREDENTIAL_KEY = /(^|[_-])(password|passwd|secret|secret_?key|secret_?access_?key|api_?key|token|credentials?|access_?key(_?id)?|private_?key)$/i;

/**
 * The dotted paths of every leaf of a free-form engine configuration (`{ storage: { optimizers:
 * { ... } } }` → `storage.optimizers.x`), after checking it is a tree of plain values.
 * @internal
 */
export function configLeaves(scope: IConstruct, property: string, config: unknown): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return invalidProp(scope, property, config, 'a map of configuration sections and values, as in the engine\'s YAML file');
  }
  const leaves: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) leaves.push(path);
      for (const [key, child] of entries) {
        if (!/^[A-Za-z0-9_.-]+$/.test(key)) invalidProp(scope, `${property}.${path ? `${path}.` : ''}${key}`, key, 'keys of letters, digits, \'_\', \'-\' and \'.\'');
        walk(child, path ? `${path}.${key}` : key);
      }
      return;
    }
    const plain = (v: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof v) && (typeof v !== 'number' || Number.isFinite(v));
    if (!(plain(value) || (Array.isArray(value) && value.every(plain)))) {
      invalidProp(scope, `${property}.${path}`, value, 'a string, a finite number, a boolean or a list of them');
    }
    leaves.push(path);
  };
  walk(config, '');
  return leaves;
}

/**
 * Refuses configuration keys the construct sets itself (each with the prop to use instead) and any
 * key that holds a credential (those come from Secrets only).
 * @internal
 */
export function refuseManagedKeys(scope: IConstruct, property: string, keys: readonly string[], managed: Record<string, string>): void {
  for (const key of keys) {
    const owner = Object.keys(managed).find((m) => key === m || key.startsWith(`${m}.`) || m.startsWith(`${key}.`));
    if (owner !== undefined) invalidProp(scope, `${property}.${key}`, key, `a setting the construct does not manage: ${owner} is set by the construct (${managed[owner]})`);
    const leaf = key.split('.').pop() ?? key;
    if (CREDENTIAL_KEY.test(leaf)) invalidProp(scope, `${property}.${key}`, key, 'no credentials in configuration (it is written to a ConfigMap in Git): credentials come from Secrets');
  }
}

/**
 * The failure threshold of a startup probe of period `periodSeconds` that gives the program
 * `budget` to start (at least one period, at most a day).
 * @internal
 */
export function startupFailureThreshold(scope: IConstruct, property: string, budget: unknown, periodSeconds: number): number {
  if (!(budget instanceof Duration)) return invalidProp(scope, property, budget, 'a Duration, such as Duration.minutes(30)');
  const seconds = budget.toMilliseconds() / 1000;
  if (!(seconds >= periodSeconds && seconds <= 86400)) {
    invalidProp(scope, property, `${seconds}s`, `a duration from ${periodSeconds} seconds to 24 hours`);
  }
  return Math.ceil(seconds / periodSeconds);
}

/**
 * A termination grace period within `[min, max]` seconds.
 * @internal
 */
export function requireGracePeriod(scope: IConstruct, property: string, value: unknown, minSeconds: number, maxSeconds: number): Duration {
  if (!(value instanceof Duration)) return invalidProp(scope, property, value, 'a Duration, such as Duration.minutes(10)');
  const seconds = value.toMilliseconds() / 1000;
  if (!(Number.isInteger(seconds) && seconds >= minSeconds && seconds <= maxSeconds)) {
    invalidProp(scope, property, `${seconds}s`, `a whole number of seconds from ${minSeconds} to ${maxSeconds}`);
  }
  return value;
}
