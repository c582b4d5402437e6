// Where the package's own files are: this module is dist/cli/*.js when
// installed (or src/cli/*.ts in the repository), two levels below the root.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** scripts/sandbox: a throwaway user+net+mount namespace around a command. */
export const SANDBOX_SCRIPT = join(PACKAGE_ROOT, 'scripts', 'sandbox');

