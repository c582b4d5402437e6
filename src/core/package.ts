// Where the package's own files are: this module is dist/core/*.js when
// installed (or src/core/*.ts in the repository), two levels below the root.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** scripts/sandbox: a throwaway user+net+mount namespace around a command. */
export const SANDBOX_SCRIPT = join(PACKAGE_ROOT, 'scripts', 'sandbox');

/** The version in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
