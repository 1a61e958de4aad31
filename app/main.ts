// The cdk8s app: `npm run synth` and `npx cdk8s synth` both run this file (see cdk8s.yaml).
import { ENVIRONMENTS } from './environments';
import { synthEnvironments } from './synth';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
try {
  const result = synthEnvironments(ENVIRONMENTS, outdir);
  for (const { file, objects } of result.files) console.log(`${outdir}/${file}: ${objects} objects`);
} catch (error) {
  console.error(`synth failed; ${outdir}/ was left unchanged.\n${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
