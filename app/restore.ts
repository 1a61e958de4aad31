// `npm run restore -- --env <environment> --store <qdrant|neo4j|milvus|redis> --backup <id> [--out <file>]`:
// writes the Job (and what it needs) that restores one store of one environment from one named
// backup, generated from the same construct that made the backup. Nothing is applied: review the
// file, follow docs/backup.md (stop the writers, then the store where the runbook says so), then
// `kubectl apply -f` it. On any error nothing is written.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { App, Chart, Yaml } from 'cdk8s';
import { ENVIRONMENTS, MemosEnvironment } from './environments';
import { BackupStore } from '../charts/backup-plan';
import { MemosChart } from '../charts/memos-chart';

const USAGE = 'usage: npm run restore -- --env <environment> --store <qdrant|neo4j|milvus|redis> --backup <YYYYMMDDTHHMMSSZ> [--out <file>]';

/** What {@link writeRestore} wrote. */
export interface RestoreResult {
  readonly file: string;
  readonly objects: number;
  readonly namespace: string;
  readonly jobName: string;
}

/** Renders the restore of `store` from `backupId` for one environment; throws on any error. */
export function renderRestore(environments: readonly MemosEnvironment[], env: string, store: string, backupId: string): { yaml: string; objects: number; namespace: string; jobName: string } {
  const environment = environments.find((e) => e.name === env);
  if (!environment) throw new Error(`unknown environment ${JSON.stringify(env)}; allowed: ${environments.map((e) => e.name).join(', ')}`);
  const stores = Object.values(BackupStore) as string[];
  if (!stores.includes(store)) throw new Error(`invalid --store ${JSON.stringify(store)}; allowed: ${stores.join(', ')}`);
  const app = new App({ outdir: path.join('unused', 'restore') });
  const chart = new MemosChart(app, environment.name, environment);
  const namespace = chart.namespace ?? 'memos';
  const restoreChart = new Chart(app, `${environment.name}-restore`, { namespace });
  const job = chart.stack.addRestore(restoreChart, 'Restore', store as BackupStore, backupId);
  // The environment's chart validates too (an invalid environment restores nothing).
  app.synthYaml();
  const objects = restoreChart.toJson();
  return { yaml: Yaml.stringify(...objects), objects: objects.length, namespace, jobName: job.name };
}

/** Writes the restore manifest to `file` (created anew, never half-written). */
export function writeRestore(environments: readonly MemosEnvironment[], env: string, store: string, backupId: string, file?: string): RestoreResult {
  const rendered = renderRestore(environments, env, store, backupId);
  const target = path.resolve(file ?? `restore-${env}-${store}-${backupId}.yaml`);
  const staging = `${target}.partial-${process.pid}`;
  fs.writeFileSync(staging, rendered.yaml, { mode: 0o644 });
  fs.renameSync(staging, target);
  return { file: target, objects: rendered.objects, namespace: rendered.namespace, jobName: rendered.jobName };
}

function main(): void {
  let values: { env?: string; store?: string; backup?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { env: { type: 'string' }, store: { type: 'string' }, backup: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) return console.log(USAGE);
  if (!values.env || !values.store || !values.backup) {
    console.error(`--env, --store and --backup are required\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const result = writeRestore(ENVIRONMENTS, values.env, values.store, values.backup, values.out);
    console.log(`${path.relative(process.cwd(), result.file)}: ${result.objects} objects, Job ${result.jobName} in namespace ${result.namespace}`);
    console.log('Before applying, follow docs/backup.md "Restore": stop the writers (and the store, where the runbook says so).');
    console.log(`Then: kubectl apply -f ${path.relative(process.cwd(), result.file)} && kubectl -n ${result.namespace} logs -f job/${result.jobName} --all-containers`);
  } catch (error) {
    console.error(`restore failed; nothing was written.\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
