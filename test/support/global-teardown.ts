import * as fs from 'fs';

/** Removes the run's temporary folder (see global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.MEMOS_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
