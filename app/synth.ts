import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { MemosEnvironment } from './environments';
import { MemosChart } from '../charts/memos-chart';

/** File written for each environment, below `<outdir>/<environment>/`. */
export const MANIFEST_FILE = 'memos.k8s.yaml';

/** What {@link synthEnvironments} wrote. */
export interface SynthResult {
  /** The output directory. */
  readonly outdir: string;
  /** One entry per environment: the manifest file (relative to `outdir`) and its object count. */
  readonly files: readonly { readonly environment: string; readonly file: string; readonly objects: number }[];
}

const ENVIRONMENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Synthesizes each environment to YAML in memory; throws on the first invalid one. */
export function renderEnvironments(environments: readonly MemosEnvironment[]): Map<string, { yaml: string; objects: number }> {
  const rendered = new Map<string, { yaml: string; objects: number }>();
  for (const [index, environment] of environments.entries()) {
    const name: unknown = environment?.name;
    if (typeof name !== 'string' || name.length > 63 || !ENVIRONMENT_NAME.test(name)) {
      throw new Error(`environment #${index + 1}: invalid name ${JSON.stringify(name)}; allowed: a DNS label (lowercase letters, digits and '-', at most 63 characters)`);
    }
    if (rendered.has(name)) {
      throw new Error(`environment #${index + 1}: invalid name ${JSON.stringify(name)}; allowed: a name no other environment uses`);
    }
    // One App per environment: each is a separate deployment, and chart-level validation stays
    // proportional to one stack.
    const app = new App({ outdir: path.join('unused', name) });
    new MemosChart(app, name, environment);
    const yaml = app.synthYaml();
    rendered.set(name, { yaml, objects: countDocuments(yaml) });
  }
  return rendered;
}

/**
 * Writes every environment to `<outdir>/<environment>/memos.k8s.yaml`, atomically: all
 * environments are synthesized in memory and written to a staging folder beside `outdir`, which
 * replaces `outdir` only when everything succeeded. On any error `outdir` is left exactly as it
 * was and the error is rethrown.
 */
export function synthEnvironments(environments: readonly MemosEnvironment[], outdir: string): SynthResult {
  const rendered = renderEnvironments(environments);
  const target = path.resolve(outdir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`));
  const files: { environment: string; file: string; objects: number }[] = [];
  try {
    for (const [environment, { yaml, objects }] of rendered) {
      fs.mkdirSync(path.join(staging, environment));
      const file = path.join(environment, MANIFEST_FILE);
      fs.writeFileSync(path.join(staging, file), yaml);
      files.push({ environment, file, objects });
    }
    swapInto(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { outdir: target, files };
}

/** Replaces `target` by `staging` with two renames; restores `target` if the second one fails. */
function swapInto(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const previous = `${staging}.previous`;
  fs.renameSync(target, previous);
  try {
    fs.renameSync(staging, target);
  } catch (error) {
    fs.renameSync(previous, target);
    throw error;
  }
  fs.rmSync(previous, { recursive: true, force: true });
}

function countDocuments(yaml: string): number {
  return yaml.split(/^---$/m).filter((doc) => doc.trim().length > 0).length;
}
