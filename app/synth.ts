import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { MemosEnvironment } from './environments';
import { MemosChart } from '../charts/memos-chart';
import { renderArgoApplications } from './gitops';

/** File written for each environment, below `<outdir>/<environment>/`. */
export const MANIFEST_FILE = 'memos.k8s.yaml';

/** What {@link synthEnvironments} wrote. */
export interface SynthResult {
  /** The output directory. */
  readonly outdir: string;
  /** One entry per environment: the manifest file (relative to `outdir`) and its object count. */
  readonly files: readonly { readonly environment: string; readonly file: string; readonly objects: number }[];
}

/** Modes of what {@link synthEnvironments} writes: those of a git checkout, whatever the umask. */
export const DIRECTORY_MODE = 0o755;
export const FILE_MODE = 0o644;

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
export function synthEnvironments(environments: readonly MemosEnvironment[], outdir: string, options: SynthOptions = {}): SynthResult {
  const rendered = renderEnvironments(environments);
  // The Argo CD Applications are rendered before anything is written, so that an error in either
  // leaves both folders as they were.
  const applications = options.argocdOutdir === undefined ? undefined : renderArgoApplications(environments);
  const files: { environment: string; file: string; objects: number }[] = [];
  const tree = new Map<string, string>();
  for (const [environment, { yaml, objects }] of rendered) {
    const file = path.join(environment, MANIFEST_FILE);
    tree.set(file, yaml);
    files.push({ environment, file, objects });
  }
  const target = writeTreeAtomically(outdir, tree);
  if (applications && options.argocdOutdir !== undefined) writeTreeAtomically(options.argocdOutdir, applications);
  return { outdir: target, files };
}

/** Options of {@link synthEnvironments}. */
export interface SynthOptions {
  /**
   * Also write the Argo CD Applications (app/gitops.ts) to this folder, as atomically as `outdir`.
   * @default - not written
   */
  readonly argocdOutdir?: string;
}

/**
 * Writes `files` (relative path → content) as the folder `outdir`: into a staging folder beside
 * it, which replaces `outdir` only when every file is written. On any error `outdir` is left
 * exactly as it was and the error is rethrown. Returns the absolute `outdir`.
 */
export function writeTreeAtomically(outdir: string, files: ReadonlyMap<string, string>): string {
  const target = path.resolve(outdir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`));
  try {
    // mkdtemp makes the folder 0700 and the umask trims the rest: set the modes of a checkout
    // explicitly, so the swapped-in outdir is readable like the committed one whatever the umask.
    fs.chmodSync(staging, DIRECTORY_MODE);
    for (const [file, content] of files) {
      const dirs = path.dirname(file).split(path.sep).filter((d) => d !== '.');
      for (let i = 1; i <= dirs.length; i++) {
        const dir = path.join(staging, ...dirs.slice(0, i));
        if (!fs.existsSync(dir)) {
          fs.mkdirSync(dir);
          fs.chmodSync(dir, DIRECTORY_MODE);
        }
      }
      fs.writeFileSync(path.join(staging, file), content);
      fs.chmodSync(path.join(staging, file), FILE_MODE);
    }
    swapInto(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
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

/**
 * Whether `cdk8s synth` (cdk8s-cli) started this process. It deletes its output folder, then runs
 * the app with CDK8S_OUTDIR and always sets CDK8S_RECORD_CONSTRUCT_METADATA ('true' or 'false');
 * `npm run synth` sets neither.
 */
export function startedByCdk8sCli(env: NodeJS.ProcessEnv): boolean {
  return env.CDK8S_OUTDIR !== undefined && env.CDK8S_RECORD_CONSTRUCT_METADATA !== undefined;
}

/**
 * What a failed synth did to `outdir`, for the app's error message. {@link synthEnvironments}
 * never touches `outdir` on failure, so what it holds is what it held when the app started
 * (`existedAtStart`); when cdk8s-cli started the app, it had deleted `outdir` just before.
 */
export function failedSynthOutcome(outdir: string, existedAtStart: boolean, env: NodeJS.ProcessEnv): string {
  const dir = `${outdir.replace(/\/+$/, '')}/`;
  if (existedAtStart) return `${dir} was left unchanged.`;
  if (startedByCdk8sCli(env)) {
    return `cdk8s synth deleted ${dir} before running the app and nothing was written, so ${dir} is now missing. `
      + `Restore the committed files with \`git checkout -- ${outdir}\`, or run \`npm run synth\`, which replaces ${dir} only when every environment synthesizes.`;
  }
  return `nothing was written (${dir} did not exist and still does not).`;
}
