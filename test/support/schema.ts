/**
 * Strict schema validation of synthesized objects.
 *
 * 1. Always (works on any machine after `npm install`): the precompiled validators of
 *    `kubernetes-models` 4.x and its CRD packages, made strict. Those validators do not reject
 *    unknown fields, but they read every property their schema defines, so each object is passed
 *    through a Proxy that records the property names read: a field present in the object but
 *    never read by a validator that did read its object is a field the schema does not know
 *    (a typo such as `nodeSelectr`). Objects the validator never looks into are free-form
 *    (`x-kubernetes-preserve-unknown-fields`, RawExtension) and are accepted as such.
 * 2. When `../shared/schemas` exists beside the project (it does in CI): ajv against the exact
 *    Kubernetes v1.28.0 and v1.33.0 definitions and the CRD schemas there, with
 *    `additionalProperties: false` injected, so fields newer than 1.28 or APIs removed by 1.33
 *    are caught too.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as YAML from 'yaml';

type Manifest = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; [key: string]: unknown };

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(this: unknown): void };
}

const MODEL_MODULES = [
  'kubernetes-models/v1',
  'kubernetes-models/apps/v1',
  'kubernetes-models/apiregistration.k8s.io/v1',
  'kubernetes-models/autoscaling/v2',
  'kubernetes-models/batch/v1',
  'kubernetes-models/policy/v1',
  'kubernetes-models/networking.k8s.io/v1',
  'kubernetes-models/rbac.authorization.k8s.io/v1',
  'kubernetes-models/scheduling.k8s.io/v1',
  'kubernetes-models/storage.k8s.io/v1',
  '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  '@kubernetes-models/argo-cd/argoproj.io/v1alpha1',
];

let models: Map<string, ModelClass> | undefined;

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  if (!models) {
    models = new Map();
    for (const moduleName of MODEL_MODULES) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(moduleName) as Record<string, unknown>;
      for (const value of Object.values(exported)) {
        const candidate = value as { apiVersion?: unknown; kind?: unknown };
        if (typeof value === 'function' && typeof candidate.apiVersion === 'string' && typeof candidate.kind === 'string') {
          models.set(`${candidate.apiVersion}|${candidate.kind}`, value as unknown as ModelClass);
        }
      }
    }
  }
  return models.get(`${apiVersion}|${kind}`);
}

interface Reads {
  readonly path: string;
  readonly keys: string[];
  readonly read: Set<string>;
  enumerated: boolean;
}

/** Deep copy of `value` whose objects record which properties are read. */
function watched(value: unknown, at: string, log: Reads[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, i) => watched(item, `${at}/${i}`, log));
  const reads: Reads = { path: at || '/', keys: Object.keys(value), read: new Set(), enumerated: false };
  log.push(reads);
  const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, watched(v, `${at}/${k}`, log)]));
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') reads.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      reads.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** Errors of the kubernetes-models validator plus unknown fields; `undefined` when no model exists. */
export function validateWithModels(obj: Manifest): string[] | undefined {
  const model = modelFor(String(obj.apiVersion), String(obj.kind));
  if (!model) return undefined;
  const log: Reads[] = [];
  const errors: string[] = [];
  try {
    model.prototype.validate.call(watched(obj, '', log));
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  const unknownParents: string[] = [];
  for (const reads of log) {
    // A validator that enumerates an object's keys treats it as a map; one that reads nothing
    // treats it as free-form. Only objects read property by property have a fixed field set.
    if (reads.enumerated || reads.read.size === 0) continue;
    if (unknownParents.some((parent) => reads.path.startsWith(`${parent}/`))) continue;
    for (const key of reads.keys) {
      if (!reads.read.has(key)) {
        const field = `${reads.path === '/' ? '' : reads.path}/${key}`;
        unknownParents.push(field);
        errors.push(`${field}: unknown field "${key}"`);
      }
    }
  }
  return errors;
}

/** `../shared/schemas` beside the project, when present. */
export const SHARED_SCHEMAS_DIR: string | undefined = (() => {
  const dir = path.resolve(__dirname, '..', '..', '..', 'shared', 'schemas');
  return fs.existsSync(path.join(dir, 'k8s')) ? dir : undefined;
})();

export const EXACT_KUBERNETES_VERSIONS = ['v1.28.0', 'v1.33.0'];

/** `additionalProperties: false` on every object schema that lists properties and allows no extras. */
function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = strictify(v);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/** CRD patterns are Go regular expressions: accept their `(?i)` prefix, skip what JS cannot parse. */
function goRegExp(source: string, flags?: string): RegExp {
  let f = flags ?? '';
  let s = source;
  if (s.startsWith('(?i)')) {
    s = s.slice(4);
    f += 'i';
  }
  try {
    return new RegExp(s, f);
  } catch {
    return /[\s\S]*/;
  }
}
goRegExp.code = 'goRegExp';

function newAjv(): Ajv {
  return new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false, code: { regExp: goRegExp as never } });
}

type Validator = (obj: Manifest) => string[] | undefined;

function formatErrors(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `${e.instancePath || '/'} ${e.message}${extra ? ` "${extra}"` : ''}`;
  });
}

const exactValidators = new Map<string, Validator>();

function kubernetesValidator(version: string): Validator {
  const file = path.join(SHARED_SCHEMAS_DIR!, 'k8s', version, '_definitions.json');
  const definitions = JSON.parse(fs.readFileSync(file, 'utf8')).definitions as Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }>;
  const byKind = new Map<string, string>();
  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      byKind.set(`${gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version}|${gvk.kind}`, name);
    }
  }
  const ajv = newAjv();
  ajv.addSchema({ $id: 'k8s', definitions: strictify(definitions) as object });
  const compiled = new Map<string, ValidateFunction>();
  return (obj) => {
    const name = byKind.get(`${obj.apiVersion}|${obj.kind}`);
    if (!name) return undefined;
    if (!compiled.has(name)) compiled.set(name, ajv.compile({ $ref: `k8s#/definitions/${name}` }));
    const validate = compiled.get(name)!;
    return validate(obj) ? [] : formatErrors(validate);
  };
}

function crdValidator(): Validator {
  const ajv = newAjv();
  const byKind = new Map<string, ValidateFunction>();
  const dir = path.join(SHARED_SCHEMAS_DIR!, 'crds');
  for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const crd = doc.toJSON();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions ?? []) {
        const schema = strictify(version.schema?.openAPIV3Schema ?? {}) as { properties?: Record<string, unknown> };
        // ObjectMeta is validated by Kubernetes itself, not by the CRD schema.
        if (schema.properties?.metadata) schema.properties.metadata = { type: 'object' };
        byKind.set(`${crd.spec.group}/${version.name}|${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return (obj) => {
    const validate = byKind.get(`${obj.apiVersion}|${obj.kind}`);
    if (!validate) return undefined;
    return validate(obj) ? [] : formatErrors(validate);
  };
}

function exactValidator(source: string): Validator {
  let validator = exactValidators.get(source);
  if (!validator) {
    validator = source === 'crd' ? crdValidator() : kubernetesValidator(source);
    exactValidators.set(source, validator);
  }
  return validator;
}

/** One object that failed one schema. */
export interface SchemaViolation {
  /** `Kind/namespace/name`. */
  readonly object: string;
  /** `kubernetes-models`, a Kubernetes version such as `v1.28.0`, or `crd`. */
  readonly schema: string;
  readonly errors: readonly string[];
}

export function describeObject(obj: Manifest): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind}/${ns}${obj.metadata?.name}`;
}

/**
 * Validates every object strictly. Returns the violations, including objects no schema knows
 * (every object must be checked by at least one schema).
 */
export function validateManifests(objects: readonly Manifest[], options: { exact?: boolean } = {}): SchemaViolation[] {
  const exact = (options.exact ?? true) && SHARED_SCHEMAS_DIR !== undefined;
  const violations: SchemaViolation[] = [];
  for (const obj of objects) {
    const object = describeObject(obj);
    const modelErrors = validateWithModels(obj);
    if (modelErrors === undefined) {
      violations.push({ object, schema: 'kubernetes-models', errors: [`no schema for ${obj.apiVersion} ${obj.kind}`] });
    } else if (modelErrors.length) {
      violations.push({ object, schema: 'kubernetes-models', errors: modelErrors });
    }
    if (!exact) continue;
    const results = [...EXACT_KUBERNETES_VERSIONS, 'crd'].map((source) => ({ source, errors: exactValidator(source)(obj) }));
    const kubernetesResults = results.filter((r) => r.source !== 'crd');
    const builtIn = kubernetesResults.some((r) => r.errors !== undefined);
    for (const { source, errors } of results) {
      if (errors === undefined && builtIn && source !== 'crd') {
        // A built-in kind every target version must serve: missing here = too new or removed.
        violations.push({ object, schema: source, errors: [`${obj.apiVersion} ${obj.kind} is not served by Kubernetes ${source}`] });
      } else if (errors?.length) {
        violations.push({ object, schema: source, errors });
      }
    }
    if (results.every((r) => r.errors === undefined)) {
      violations.push({ object, schema: 'shared/schemas', errors: [`no schema for ${obj.apiVersion} ${obj.kind}`] });
    }
  }
  return violations;
}

/** Parses every document of a multi-document YAML string. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseManifests(yaml: string): Record<string, any>[] {
  return YAML.parseAllDocuments(yaml).map((doc) => doc.toJSON()).filter((obj) => obj && typeof obj === 'object');
}
