import * as fs from 'fs';
import * as path from 'path';

/**
 * Integration suites run real binaries (Redis, haproxy, rclone, MemOS's Python...). When one is
 * missing, the suite is skipped with a message that names it and the command that installs it;
 * `.ci/run` installs all of them and sets MEMOS_INTEGRATION=required, under which a missing tool
 * fails the run instead of skipping. docs/operations.md ("Integration tests") lists them.
 */
export interface Requirement {
  /** What is needed, as the message names it. */
  readonly name: string;
  /** Whether it is there. */
  readonly present: boolean;
  /** The command that provides it. */
  readonly install: string;
}

/** The first of `names` found on PATH, or undefined. */
export function onPath(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return undefined;
}

/** Debian packages of the binaries the suites run. */
const DEBIAN_PACKAGE: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-server',
  'redis-check-rdb': 'redis-server',
  'prometheus-redis-exporter': 'prometheus-redis-exporter',
  'redis_exporter': 'prometheus-redis-exporter',
  'promtool': 'prometheus',
  'haproxy': 'haproxy',
  'busybox': 'busybox',
  'curl': 'curl',
  'openssl': 'openssl',
  'python3': 'python3',
  'bash': 'bash',
};

/** A binary from Debian, found on PATH (under any of `names`; the first one is the message's). */
export function debianTool(...names: string[]): Requirement {
  const pkg = DEBIAN_PACKAGE[names[0]];
  if (!pkg) throw new Error(`no Debian package known for ${names[0]}: add it to DEBIAN_PACKAGE`);
  return { name: names[0], present: onPath(...names) !== undefined, install: `apt-get install ${pkg}` };
}

/**
 * Whether the suite named `suite` is missing something: '' when it can run, else the message it
 * printed (then skip the suite). Under MEMOS_INTEGRATION=required (`.ci/run`), throws instead.
 */
export function missingFor(suite: string, requirements: readonly Requirement[]): string {
  const missing = requirements.filter((r) => !r.present);
  if (missing.length === 0) return '';
  const installs = [...new Set(missing.map((r) => r.install))];
  const aptPackages = installs.filter((c) => c.startsWith('apt-get install ')).map((c) => c.slice('apt-get install '.length));
  const commands = [
    ...(aptPackages.length ? [`apt-get install ${[...new Set(aptPackages)].join(' ')}`] : []),
    ...installs.filter((c) => !c.startsWith('apt-get install ')),
  ];
  const message = `${suite}: missing ${missing.map((r) => r.name).join(', ')}. `
    + `To run it: ${commands.map((c) => `\`${c}\``).join(', then ')}; or \`bash .ci/run\`, which installs every integration tool and runs all tests.`;
  if (process.env.MEMOS_INTEGRATION === 'required') throw new Error(`MEMOS_INTEGRATION=required but ${message}`);
  // Straight to stderr: jest drops the console output of a test file whose tests are all skipped.
  process.stderr.write(`SKIPPED ${message}\n`);
  return message;
}
