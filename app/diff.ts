/**
 * `npm run diff [-- --ref <git ref>] [--env <name>]...`: the upgrade guard. Compares a fresh synth
 * of every environment (in memory) with the committed manifests, `dist/` in the working tree or,
 * with --ref, `dist/` at that commit, and prints per environment the objects added, removed and
 * changed (with their changed field paths) and, in red, the changes Kubernetes rejects or that
 * delete pods or data at once, each with its safe procedure (docs/upgrades.md).
 *
 * Exit code: 0 when no breaking change is left unacknowledged, 1 when one is (acknowledge it with a
 * `- ack:` line in MIGRATIONS.md, see there), 2 on a usage or input error (nothing compared).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { ENVIRONMENTS } from './environments';
import { BreakingChange, EnvironmentDiff, FieldChange, ObjectDiff, diffEnvironment, diffValues, formatPath, parseManifest } from './manifest-diff';
import { MANIFEST_FILE, renderEnvironments } from './synth';

export { diffEnvironment, parseManifest } from './manifest-diff';

const USAGE = 'usage: npm run diff [-- --ref <git ref>] [--env <environment>]...';

/** The acknowledgements file, at the repository root. */
export const MIGRATIONS_FILE = 'MIGRATIONS.md';

/** A wrong command line or unreadable input: exit code 2. */
export class UsageError extends Error {}

/** One `- ack: <object> <field path>` line of MIGRATIONS.md. */
export interface Acknowledgement {
  /** `<env>/<Kind>/<namespace>/<name>` (cluster-scoped objects: `<env>/<Kind>/<name>`). */
  readonly object: string;
  /** A field path as `npm run diff` prints it, or `removed`. */
  readonly path: string;
  /** 1-based line in the file. */
  readonly line: number;
}

const ACK_LINE = /^\s*[-*]\s+ack:(.*)$/;
const ACK_OBJECT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[A-Za-z][A-Za-z0-9]*\/([^/\s]+\/)?[^/\s]+$/;

/**
 * The acknowledgements in a MIGRATIONS.md text: every `- ack: <object> <field path>` line outside
 * code fences. Throws on a malformed `ack:` line (unless `lenient`, then it is skipped).
 */
export function parseMigrations(text: string, file = MIGRATIONS_FILE, lenient = false): Acknowledgement[] {
  const acks: Acknowledgement[] = [];
  let fence: string | undefined;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const match = ACK_LINE.exec(line);
    if (!match) continue;
    const words = match[1].trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length !== 2 || !ACK_OBJECT.test(words[0])) {
      if (lenient) continue;
      throw new UsageError(`${file}:${index + 1}: malformed acknowledgement ${JSON.stringify(line.trim())}; expected "- ack: <env>/<Kind>/<namespace>/<name> <field path>", copied from the output of npm run diff`);
    }
    acks.push({ object: words[0], path: words[1], line: index + 1 });
  }
  return acks;
}

/** Where the committed manifests come from. */
export interface Baseline {
  /** For the header, e.g. "dist/ at HEAD~1 (1a2b3c4)". */
  readonly label: string;
  /** The environments it holds (folders with a manifest). */
  readonly environments: readonly string[];
  /** One environment's manifest, undefined if absent. */
  read(environment: string): string | undefined;
  /** MIGRATIONS.md as it was when the baseline's dist/ was committed (its acknowledgements are spent), if known. */
  readonly migrations?: { readonly text: string; readonly commit: string };
}

/** `dist/` in the working tree of `root`. */
export function workingTreeBaseline(root: string): Baseline {
  const dist = path.join(root, 'dist');
  const environments = fs.existsSync(dist)
    ? fs.readdirSync(dist).filter((e) => fs.existsSync(path.join(dist, e, MANIFEST_FILE))).sort()
    : [];
  const commit = isGitRepository(root) ? git(root, ['log', '-1', '--format=%H', '--', 'dist']).stdout.trim() : '';
  return {
    label: 'dist/ in the working tree',
    environments,
    read: (environment) => {
      const file = path.join(dist, environment, MANIFEST_FILE);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    },
    migrations: commit ? migrationsAt(root, commit) : undefined,
  };
}

/** `dist/` at the git commit `ref` of the repository at `root`; throws a UsageError if `ref` is no commit. */
export function gitBaseline(root: string, ref: string): Baseline {
  if (ref.startsWith('-')) throw new UsageError(`invalid --ref ${JSON.stringify(ref)}`);
  const resolved = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (resolved.status !== 0) throw new UsageError(`--ref ${JSON.stringify(ref)} is not a commit of the repository at ${root}${resolved.stderr ? `: ${resolved.stderr.trim()}` : ''}`);
  const commit = resolved.stdout.trim();
  const listed = git(root, ['ls-tree', '--name-only', commit, '--', 'dist/']);
  const environments = listed.stdout.split('\n').filter((l) => l.length > 0).map((l) => path.basename(l))
    .filter((e) => git(root, ['cat-file', '-e', `${commit}:./dist/${e}/${MANIFEST_FILE}`]).status === 0).sort();
  const distCommit = git(root, ['log', '-1', '--format=%H', commit, '--', 'dist']).stdout.trim();
  return {
    label: `dist/ at ${ref} (${commit.slice(0, 7)})`,
    environments,
    read: (environment) => (environments.includes(environment) ? git(root, ['show', `${commit}:./dist/${environment}/${MANIFEST_FILE}`]).stdout : undefined),
    migrations: distCommit ? migrationsAt(root, distCommit) : undefined,
  };
}

function migrationsAt(root: string, commit: string): { text: string; commit: string } {
  const shown = git(root, ['show', `${commit}:./${MIGRATIONS_FILE}`]);
  return { text: shown.status === 0 ? shown.stdout : '', commit };
}

/** False outside a git work tree, and when git is not installed (a working-tree dist/ needs no git). */
function isGitRepository(root: string): boolean {
  const result = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, encoding: 'utf8' });
  return !result.error && result.status === 0 && result.stdout.trim() === 'true';
}

function git(root: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new UsageError(`git ${args[0]}: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Options of {@link runDiff}. */
export interface DiffOptions {
  /** The repository: its dist/ and MIGRATIONS.md. */
  readonly root: string;
  /** Compare with dist/ at this git ref instead of the working tree's dist/. */
  readonly ref?: string;
  /** Only these environments (default: every environment on either side). */
  readonly environments?: readonly string[];
  /** The fresh manifests, environment → YAML (default: `renderEnvironments(ENVIRONMENTS)`). */
  readonly fresh?: ReadonlyMap<string, string>;
  /** ANSI colours (default: off). */
  readonly color?: boolean;
  /** Field changes listed per object before "... more" (default 12). */
  readonly maxChangesPerObject?: number;
}

/** A breaking change and whether MIGRATIONS.md acknowledges it. */
export interface CheckedBreakingChange extends BreakingChange {
  /** The MIGRATIONS.md line that acknowledges it. */
  readonly acknowledgedAt?: number;
  /** An identical acknowledgement already existed when the baseline was committed (it covered an earlier change). */
  readonly spentAt?: string;
}

/** What {@link runDiff} found. */
export interface DiffResult {
  /** 0: nothing breaking left unacknowledged; 1: something is. */
  readonly exitCode: 0 | 1;
  /** The report, as printed. */
  readonly output: string;
  readonly environments: readonly EnvironmentDiff[];
  readonly breaking: readonly CheckedBreakingChange[];
}

/** Compares the fresh manifests with the baseline; throws a UsageError on bad options or input. */
export function runDiff(options: DiffOptions): DiffResult {
  const root = path.resolve(options.root);
  const baseline = options.ref !== undefined ? gitBaseline(root, options.ref) : workingTreeBaseline(root);
  const migrationsFile = path.join(root, MIGRATIONS_FILE);
  const acks = fs.existsSync(migrationsFile) ? parseMigrations(fs.readFileSync(migrationsFile, 'utf8')) : [];
  const spent = baseline.migrations ? parseMigrations(baseline.migrations.text, MIGRATIONS_FILE, true) : [];

  const wanted = options.environments;
  const known = new Set([...(options.fresh?.keys() ?? ENVIRONMENTS.map((e) => e.name)), ...baseline.environments]);
  for (const name of wanted ?? []) {
    if (!known.has(name)) throw new UsageError(`unknown environment ${JSON.stringify(name)}; allowed: ${[...known].join(', ')}`);
  }
  const fresh = options.fresh ?? new Map([...renderEnvironments(ENVIRONMENTS.filter((e) => !wanted || wanted.includes(e.name)))].map(([name, { yaml }]) => [name, yaml]));
  const names = [...new Set([...fresh.keys(), ...baseline.environments])].filter((name) => !wanted || wanted.includes(name));

  const environments = names.map((name) => {
    const before = baseline.read(name);
    const after = fresh.get(name);
    return diffEnvironment(
      name,
      before === undefined ? undefined : parseInput(before, `${baseline.label}: ${name}/${MANIFEST_FILE}`),
      after === undefined ? undefined : parseInput(after, `fresh synth: ${name}`),
    );
  });

  const count = (list: readonly Acknowledgement[], key: string) => list.filter((a) => `${a.object} ${a.path}` === key).length;
  const breaking: CheckedBreakingChange[] = environments.flatMap((e) => e.breaking).map((change) => {
    const key = `${change.object} ${change.path}`;
    const matching = acks.filter((a) => `${a.object} ${a.path}` === key);
    // An acknowledgement is for one change: the ones already there when the baseline was committed are spent.
    if (matching.length > count(spent, key)) return { ...change, acknowledgedAt: matching[matching.length - 1].line };
    return matching.length > 0 ? { ...change, spentAt: baseline.migrations?.commit.slice(0, 7) } : change;
  });
  // The acknowledgements added since the baseline that match nothing: a typo, or a change that went away.
  const added = acks.filter((a, i) => count(acks.slice(0, i + 1), `${a.object} ${a.path}`) > count(spent, `${a.object} ${a.path}`));
  const unused = added.filter((a) => !breaking.some((b) => b.object === a.object && b.path === a.path));

  const output = formatReport(environments, breaking, unused, baseline.label, options);
  return { exitCode: breaking.some((b) => b.acknowledgedAt === undefined) ? 1 : 0, output, environments, breaking };
}

function parseInput(text: string, source: string) {
  try {
    return parseManifest(text, source);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

// ---------------------------------------------------------------------------------------------
// The report.

function formatReport(environments: readonly EnvironmentDiff[], breaking: readonly CheckedBreakingChange[], unused: readonly Acknowledgement[], label: string, options: DiffOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const red = (text: string) => paint('1;31', text);
  const yellow = (text: string) => paint('33', text);
  const limit = options.maxChangesPerObject ?? 12;
  const lines: string[] = [`Comparing a fresh synth with ${label}.`, ''];

  for (const env of environments) {
    const by = (status: ObjectDiff['status']) => env.objects.filter((o) => o.status === status).length;
    const mine = breaking.filter((b) => b.object.startsWith(`${env.environment}/`));
    const open = mine.filter((b) => b.acknowledgedAt === undefined).length;
    const where = env.environmentStatus === 'added' ? ' (new environment)' : env.environmentStatus === 'removed' ? ' (environment removed)' : '';
    if (env.objects.length === 0) {
      lines.push(`${env.environment}${where}: no changes`, '');
      continue;
    }
    const counts = [`${by('changed') + by('replaced')} changed${by('replaced') ? ` (${by('replaced')} replaced Job${by('replaced') > 1 ? 's' : ''})` : ''}`, `${by('added')} added`, `${by('removed')} removed`].join(', ');
    const verdict = mine.length === 0 ? 'nothing breaking'
      : open > 0 ? red(`${open} BREAKING not acknowledged`) + (mine.length > open ? `, ${mine.length - open} acknowledged` : '')
        : yellow(`${mine.length} breaking, all acknowledged`);
    lines.push(`${env.environment}${where}: ${counts}; ${verdict}`);

    // Objects of one kind changed in exactly the same way (and nothing breaking) are listed together.
    const groups = new Map<string, { objects: ObjectDiff[]; details: string[] }>();
    for (const object of env.objects) {
      const secret = object.kind === 'Secret';
      const details = object.changes.slice(0, limit).map((change) => `      ${formatChange(change, secret)}`);
      if (object.changes.length > limit) details.push(`      ... and ${object.changes.length - limit} more`);
      details.push(...object.notes.map((note) => `      note: ${note}`));
      const key = object.breaking.length > 0 || object.status === 'replaced' ? `#${groups.size}` : `${object.status}\n${object.kind}\n${details.join('\n')}`;
      const group = groups.get(key);
      if (group) group.objects.push(object);
      else groups.set(key, { objects: [object], details });
    }
    for (const { objects, details } of groups.values()) {
      const object = objects[0];
      const names = objects.map((o) => `${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
      const what = `${object.kind}${names.length > 1 ? ` ×${names.length}` : ''} ${names.join(', ')}`;
      if (object.status === 'added') lines.push(`  + added    ${what}`);
      else if (object.status === 'removed') lines.push(`  - removed  ${what}`);
      else if (object.status === 'replaced') lines.push(`  ~ replaced ${what} (was ${object.previousName}; template changed, harmless)`);
      else lines.push(`  ~ changed  ${what}`);
      lines.push(...details);
      for (const change of breaking.filter((b) => object.breaking.some((o) => o.object === b.object && o.path === b.path))) {
        const acknowledged = change.acknowledgedAt !== undefined;
        const color = acknowledged ? yellow : red;
        lines.push(color(`    ! BREAKING ${change.path}${acknowledged ? ` (acknowledged: ${MIGRATIONS_FILE}:${change.acknowledgedAt})` : ''}`));
        lines.push(color(`      ${change.reason}`));
        if (!acknowledged) {
          lines.push('      Safe procedure:');
          for (const step of change.procedure) lines.push(`        ${step}`);
          if (change.spentAt) lines.push(`      The same acknowledgement was already in ${MIGRATIONS_FILE} at ${change.spentAt} (it covered an earlier change): add it again under this change's heading.`);
          lines.push(`      Acknowledge, after planning the procedure, with this line in ${MIGRATIONS_FILE}:`);
          lines.push(`        - ack: ${change.object} ${change.path}`);
        }
      }
    }
    lines.push('');
  }

  for (const ack of unused) lines.push(`note: ${MIGRATIONS_FILE}:${ack.line} acknowledges ${ack.object} ${ack.path}, which is no breaking change of this comparison`);
  const open = breaking.filter((b) => b.acknowledgedAt === undefined).length;
  if (breaking.length === 0) lines.push('No breaking change.');
  else if (open === 0) lines.push(yellow(`${breaking.length} breaking change${breaking.length > 1 ? 's' : ''}, all acknowledged in ${MIGRATIONS_FILE}: apply them with their procedures.`));
  else lines.push(red(`${open} breaking change${open > 1 ? 's' : ''} not acknowledged: plan each procedure above, then add its "- ack:" line to ${MIGRATIONS_FILE} under a heading for this change (docs/upgrades.md).`));
  return lines.join('\n') + '\n';
}

function formatChange(change: FieldChange, secret: boolean): string {
  const where = formatPath(change.path);
  if (change.op === 'added') {
    // A small added map (e.g. the first annotation) as its leaves.
    const leaves = diffValues({}, change.after, [...change.path]);
    if (leaves.length > 1 && leaves.length <= 3 && leaves.every((l) => l.op === 'added' && (typeof l.after !== 'object' || l.after === null))) {
      return leaves.map((l) => `+ ${formatPath(l.path)}: ${showValue(l.after, secret)}`).join('\n      ');
    }
    if (leaves.length === 1 && leaves[0].op === 'added' && (typeof leaves[0].after !== 'object' || leaves[0].after === null)) {
      return `+ ${formatPath(leaves[0].path)}: ${showValue(leaves[0].after, secret)}`;
    }
    return `+ ${where}: ${showValue(change.after, secret)}`;
  }
  if (change.op === 'removed') return `- ${where}`;
  const { before, after } = change;
  if (!secret && typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    const a = before.split('\n');
    const b = after.split('\n');
    const differing = [...Array(Math.max(a.length, b.length)).keys()].filter((i) => a[i] !== b[i]);
    if (a.length === b.length && differing.length === 1) {
      const i = differing[0];
      return `~ ${where}: line ${i + 1}: ${showValue(a[i], false)} → ${showValue(b[i], false)}`;
    }
    return `~ ${where}: text changed (${a.length} → ${b.length} lines, ${differing.length} differ)`;
  }
  return `~ ${where}: ${showValue(before, secret)} → ${showValue(after, secret)}`;
}

function showValue(value: unknown, secret: boolean): string {
  if (secret) return '(hidden)';
  if (value === undefined) return '(none)';
  if (typeof value === 'string') {
    if (value.includes('\n')) return `(text, ${value.split('\n').length} lines)`;
    // Bare when unambiguous; quoted when it would read as a number, boolean or null.
    if (value.length > 0 && value.length <= 60 && /^[\w./:@=+,-]+$/.test(value) && !/^(true|false|null|[-+]?[0-9.]+)$/.test(value)) return value;
  }
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

// ---------------------------------------------------------------------------------------------
// The command line.

/** Colours when stdout is a terminal or FORCE_COLOR is set (not to 0/false); never with NO_COLOR. */
export function useColor(env: NodeJS.ProcessEnv = process.env, tty = Boolean(process.stdout.isTTY)): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR);
  return tty;
}

/** Runs the command line; returns the exit code (0, 1, or 2 on a usage or input error). */
export function main(args: string[] = process.argv.slice(2), root = path.resolve(__dirname, '..')): number {
  let values: { ref?: string; env?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { ref: { type: 'string' }, env: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(`${USAGE}\n\nCompares a fresh synth with dist/ (or dist/ at a git ref) and flags the changes Kubernetes rejects or that\ndelete data; see docs/upgrades.md. Exit code: 0 nothing unacknowledged, 1 a breaking change not in ${MIGRATIONS_FILE}, 2 usage error.`);
    return 0;
  }
  try {
    const result = runDiff({ root, ref: values.ref, environments: values.env, color: useColor() });
    process.stdout.write(result.output);
    return result.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(`diff failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main();
