import * as os from 'os';
import * as path from 'path';

/**
 * The MemOS virtualenv of `.ci/memos-runtime.sh` (MemOS from PyPI with what its server imports):
 * $MEMOS_RUNTIME_VENV, else the cache folder the script fills.
 */
export const MEMOS_VENV = process.env.MEMOS_RUNTIME_VENV
  ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cdk8s-memos-cce', 'memos-venv');

/** Its Python. */
export const MEMOS_PYTHON = path.join(MEMOS_VENV, 'bin', 'python');
