// The package's own files that processes are started from (scripts/sandbox:
// a throwaway user+net+mount namespace around a command).
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/package.js';

export { PACKAGE_ROOT };

export const SANDBOX_SCRIPT = join(PACKAGE_ROOT, 'scripts', 'sandbox');
