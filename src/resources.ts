import { ApiObject, JsonPatch, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { PodSize } from './kubernetes';
import { invalidProp } from './validation';

/**
 * Container resources: what callers give (checked), and the ephemeral storage every container of
 * a stack gets.
 */

/** Millicores of a kplus Cpu (`Cpu.units(2)` is `2`, `Cpu.millis(500)` is `500m`). */
function millicores(cpu: kplus.Cpu): number {
  const amount = String(cpu.amount);
  return amount.endsWith('m') ? Number(amount.slice(0, -1)) : Number(amount) * 1000;
}

const CPU_HINT = 'a Cpu (Cpu.units(n) or Cpu.millis(n)), not a string';
const SIZE_HINT = 'a Size (Size.gibibytes(n) or Size.mebibytes(n)), not a string';

/**
 * Container resources a caller gave: CPU and memory of the right types (JavaScript and Python
 * callers can pass strings), requests no larger than limits.
 * @internal
 */
export function requireContainerResources(scope: IConstruct, property: string, resources: kplus.ContainerResources | undefined): void {
  if (resources === undefined) return;
  const pairs: [string, { request?: unknown; limit?: unknown } | undefined, (v: unknown) => boolean, string, (v: any) => number][] = [
    ['cpu', resources.cpu, (v) => v instanceof kplus.Cpu, CPU_HINT, millicores],
    ['memory', resources.memory, (v) => v instanceof Size, SIZE_HINT, (v: Size) => v.toMebibytes({ rounding: SizeRoundingBehavior.NONE })],
    ['ephemeralStorage', resources.ephemeralStorage, (v) => v instanceof Size, SIZE_HINT, (v: Size) => v.toMebibytes({ rounding: SizeRoundingBehavior.NONE })],
  ];
  for (const [name, pair, isType, hint, amount] of pairs) {
    if (pair === undefined) continue;
    for (const bound of ['request', 'limit'] as const) {
      if (pair[bound] !== undefined && !isType(pair[bound])) invalidProp(scope, `${property}.${name}.${bound}`, pair[bound], hint);
    }
    if (pair.request !== undefined && pair.limit !== undefined && amount(pair.request) > amount(pair.limit)) {
      invalidProp(scope, `${property}.${name}.request`, describeQuantity(pair.request), `at most the limit, ${describeQuantity(pair.limit)}: a request above the limit is rejected by the API server`);
    }
  }
}

/**
 * A PodSize a caller gave (requests = limits), of the right types.
 * @internal
 */
export function requirePodSize(scope: IConstruct, property: string, size: PodSize | undefined): void {
  if (size === undefined) return;
  if (!(size.cpu instanceof kplus.Cpu)) invalidProp(scope, `${property}.cpu`, size.cpu, CPU_HINT);
  if (!(size.memory instanceof Size)) invalidProp(scope, `${property}.memory`, size.memory, SIZE_HINT);
}

function describeQuantity(value: unknown): string {
  if (value instanceof kplus.Cpu) return String(value.amount);
  if (value instanceof Size) return `${value.toMebibytes({ rounding: SizeRoundingBehavior.NONE })}Mi`;
  return String(value);
}

/** Bytes of a Kubernetes quantity string such as `512Mi`, `1Gi` or `2G`. */
function quantityBytes(quantity: string): number {
  const match = /^([0-9.]+)([KMGTPE]i?)?$/.exec(quantity);
  if (!match) throw new Error(`not a storage quantity: ${quantity}`);
  const units: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(match[1]) * (units[match[2] ?? ''] ?? NaN);
}

/**
 * Gives every container of the pods below `scope` that has none an ephemeral-storage request and
 * limit, so kubelet evicts a runaway writer predictably and the scheduler counts the disk: the
 * request is 256Mi plus half the size limits of the disk-backed emptyDirs the container mounts,
 * the limit 1Gi (logs and the writable layer) plus all of them. Runs on the finished objects, so it sees every volume a construct added.
 * @internal
 */
export function boundEphemeralStorage(scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof kplus.AbstractPod)) continue;
    const api = ApiObject.of(child);
    const json = api.toJson();
    const base = child instanceof kplus.Pod ? '/spec' : '/spec/template/spec';
    const spec = child instanceof kplus.Pod ? json.spec : json.spec?.template?.spec;
    const diskVolumes = new Map<string, number>();
    for (const volume of spec?.volumes ?? []) {
      if (volume.emptyDir && volume.emptyDir.medium !== 'Memory') diskVolumes.set(volume.name, volume.emptyDir.sizeLimit ? quantityBytes(String(volume.emptyDir.sizeLimit)) : 0);
    }
    for (const field of ['initContainers', 'containers']) {
      (spec?.[field] ?? []).forEach((container: any, i: number) => {
        const resources = container.resources ?? {};
        if (resources.requests?.['ephemeral-storage'] !== undefined || resources.limits?.['ephemeral-storage'] !== undefined) return;
        const mountedMi = Math.ceil((container.volumeMounts ?? []).reduce((sum: number, m: any) => sum + (diskVolumes.get(m.name) ?? 0), 0) / 2 ** 20);
        // The scheduler counts requests: half the emptyDirs are expected to fill (caches do).
        const requestMi = 256 + Math.ceil(mountedMi / 2);
        const limitMi = 1024 + mountedMi;
        const path = `${base}/${field}/${i}/resources`;
        // The L1 mapper behind the patch reads every value as a Quantity; keys stay sorted as elsewhere.
        const withStorage = (existing: Record<string, unknown> | undefined, value: string) => Object.fromEntries(
          Object.entries({ ...existing, 'ephemeral-storage': value }).sort(([a], [b]) => a.localeCompare(b))
            .map(([key, v]) => [key, typeof v === 'number' ? kplus.k8s.Quantity.fromNumber(v) : kplus.k8s.Quantity.fromString(String(v))]));
        api.addJsonPatch(JsonPatch.add(path, {
          ...resources,
          limits: withStorage(resources.limits, `${limitMi}Mi`),
          requests: withStorage(resources.requests, `${requestMi}Mi`),
        }));
      });
    }
  }
}
