// A CNI_PATH for tests: netplumb installed as `netplumb cni install` does
// (the shim built by node-gyp with its trailer pointing at this Node and the
// built dist/cli/cni-plugin.cjs), beside Debian's reference plugins.
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { installCni } from '../../../../src/cni/install.js';
import { ensureBuilt } from '../../daemon/support/daemon.js';

export const ROOT = resolve(import.meta.dirname, '../../../..');
export const SHIM = join(ROOT, 'build', 'Release', 'netplumb-cni');
export const ENTRY = join(ROOT, 'dist', 'cli', 'cni-plugin.cjs');
/** Debian's containernetworking-plugins. */
export const REFERENCE_PLUGINS = '/usr/lib/cni';

/** Builds dist/ (the shim's fallback runs it) and installs netplumb into binDir with the reference plugins beside it. */
export async function pluginDir(binDir: string, reference: string[] = ['loopback', 'tuning', 'bandwidth', 'bridge', 'host-local', 'portmap']): Promise<string> {
  // dist/ as it ships, built once for every test file that needs it (the daemon's tests too).
  ensureBuilt();
  if (!existsSync(SHIM)) throw new Error(`${SHIM} is missing: run npm run build:native`);
  await installCni({ shim: SHIM, node: process.execPath, entry: ENTRY, binDir });
  for (const p of reference) {
    const from = join(REFERENCE_PLUGINS, p);
    if (!existsSync(from)) throw new Error(`${from} is missing: install containernetworking-plugins (.ci/run does)`);
    await fs.symlink(from, join(binDir, p)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  return binDir;
}
