/**
 * `npm run images [-- --env <name> ...] [--json]`: every image of the shipped environments with
 * where it comes from and what the pods pull, for copying into an SWR organization (set
 * `imageMirror` on an environment to make its pods pull the copies).
 */
import { parseArgs } from 'util';
import { App } from 'cdk8s';
import { ENVIRONMENTS, MemosEnvironment } from './environments';
import { MemosChart, StackImage } from '../index';

/** The images of each environment, in the order given. */
export function environmentImages(environments: readonly MemosEnvironment[]): { environment: string; images: StackImage[] }[] {
  return environments.map((environment) => ({
    environment: environment.name,
    images: new MemosChart(new App({ outdir: 'unused' }), environment.name, environment).stack.images,
  }));
}

function main(): void {
  const { values } = parseArgs({ options: { env: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } } });
  const wanted = values.env ?? ENVIRONMENTS.map((e) => e.name);
  const unknown = wanted.filter((name) => !ENVIRONMENTS.some((e) => e.name === name));
  if (unknown.length) throw new Error(`unknown environment ${unknown.join(', ')}; allowed: ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
  const result = environmentImages(ENVIRONMENTS.filter((e) => wanted.includes(e.name)));
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  for (const { environment, images } of result) {
    console.log(`${environment}: ${images.length} images (source -> what the pods pull)`);
    const width = Math.max(...images.map((i) => i.source.length));
    for (const { source, image } of images) console.log(`  ${source.padEnd(width)}  ${image === source ? '(as is)' : `-> ${image}`}`);
  }
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
