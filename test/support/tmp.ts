import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A maker of temporary folders for one test file, all removed after its tests (call it at the top
 * level of the file, so the cleanup is registered there).
 */
export function temporaryFolders(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
