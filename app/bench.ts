/**
 * `npm run bench`: synth performance, printed as numbers.
 *
 * 1. Cold process: wall time of `tsx app/main.ts` (what `npm run synth` runs) writing every
 *    shipped environment, from process start to exit.
 * 2. In process: time to synthesize 1, 10 and 100 copies of the large environment (distinct
 *    namespaces), each count in a fresh child process so its peak memory (max RSS) is its own;
 *    once with one App per copy (what `npm run synth` does) and once with all copies as charts
 *    of a single App (what a user app calling `app.synth()` does).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { MemosChart } from '../charts/memos-chart';
import { ENVIRONMENTS, MemosEnvironment } from './environments';
import { renderEnvironments } from './synth';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function copiesOfLarge(count: number): MemosEnvironment[] {
  const large = ENVIRONMENTS.find((e) => e.name === 'large')!;
  return Array.from({ length: count }, (_, i) => ({ ...large, name: `large-${i}`, namespace: `memos-${i}` }));
}

/** Child mode: `bench.ts --in-process <count> <per-env|single-app>` prints one JSON line. */
function inProcess(count: number, mode: string): void {
  const environments = copiesOfLarge(count);
  const start = process.hrtime.bigint();
  let objects = 0;
  if (mode === 'per-env') {
    for (const { yaml } of renderEnvironments(environments).values()) objects += yaml.split(/^---$/m).length;
  } else {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'memos-bench-')) });
    for (const env of environments) new MemosChart(app, env.name, env);
    objects = app.synthYaml().split(/^---$/m).length;
    fs.rmSync(app.outdir, { recursive: true, force: true });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(JSON.stringify({ ms, objects, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const runs = 5;
  const cold: number[] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-bench-dist-'));
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync(TSX, ['app/main.ts'], { cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: path.join(outdir, 'dist') }, stdio: 'ignore' });
    cold.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(`cold-process synth of all shipped environments (tsx app/main.ts, ${runs} runs): median ${median(cold).toFixed(0)} ms, min ${Math.min(...cold).toFixed(0)} ms, max ${Math.max(...cold).toFixed(0)} ms`);
  console.log('');
  console.log('in-process synth of N copies of the large environment (distinct namespaces):');
  console.log('mode          copies  objects   synth ms   ms/copy   peak RSS MiB');
  for (const mode of ['per-env', 'single-app']) {
    for (const count of [1, 10, 100]) {
      const line = execFileSync(TSX, [__filename, '--in-process', String(count), mode], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
      const r = JSON.parse(line) as { ms: number; objects: number; maxRssMiB: number };
      console.log(`${mode.padEnd(12)} ${String(count).padStart(7)} ${String(r.objects).padStart(8)} ${r.ms.toFixed(0).padStart(10)} ${(r.ms / count).toFixed(1).padStart(9)} ${r.maxRssMiB.toFixed(0).padStart(14)}`);
    }
  }
}

const flag = process.argv.indexOf('--in-process');
if (flag >= 0) inProcess(Number(process.argv[flag + 1]), process.argv[flag + 2]);
else main();
