import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * One temporary folder per jest run, made TMPDIR for the test files and every process they start
 * (the workers are forked after this runs and inherit it), removed with all it holds by
 * global-teardown.ts. It catches what the tests cannot clean up themselves: cdk8s's
 * `Testing.app()` makes a `cdk8s.outdir.*` folder per call and never removes it (hundreds per
 * run), and a test file that crashes never runs its afterAll. Test files still remove their own
 * folders (support/tmp.ts) and stop their own servers.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memos-jest-'));
  // Traversable by other users (mkdtemp makes it 0700): the gateway test runs haproxy as nobody
  // on files in a folder of its own below this one.
  fs.chmodSync(dir, 0o711);
  process.env.MEMOS_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
