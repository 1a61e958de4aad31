// The cdk8s app: `npm run synth` and `npx cdk8s synth` both run this file (see cdk8s.yaml).
// `npm run synth` is atomic: outdir changes only when every environment synthesizes.
// `npx cdk8s synth` deletes outdir before it starts this app, so a failure there leaves no outdir;
// the message says which of the two happened.
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS } from './environments';
import { ARGOCD_OUTDIR } from './gitops';
import { failedSynthOutcome, synthEnvironments } from './synth';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
// The Argo CD Applications go beside the manifests (`dist-argocd/` next to `dist/`): not inside a
// folder an Application syncs.
const argocdOutdir = path.join(path.dirname(outdir), ARGOCD_OUTDIR);
const existedAtStart = fs.existsSync(outdir);
try {
  const result = synthEnvironments(ENVIRONMENTS, outdir, { argocdOutdir });
  for (const { file, objects } of result.files) console.log(`${outdir}/${file}: ${objects} objects`);
  console.log(`${argocdOutdir}/: the Argo CD Applications (one per environment and the app of apps)`);
} catch (error) {
  console.error(`synth failed; ${failedSynthOutcome(outdir, existedAtStart, process.env)}\n${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
