// Where the package's own files are (the addon's build or prebuilds, the
// sandbox script): this module is dist/addon/*.js when installed (or
// src/addon/*.ts in the repository), two levels below the root.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** scripts/sandbox: a throwaway user+net+mount namespace around a command. */
export const SANDBOX_SCRIPT = join(PACKAGE_ROOT, 'scripts', 'sandbox');

