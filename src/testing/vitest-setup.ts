// A vitest global setup (globalSetup: ['netplumb/testing/vitest-setup']):
// the whole test run enters a fresh user+net+mount sandbox once, so labs
// work without real root and touch nothing on this machine. Vitest's own
// process cannot enter a namespace (it has threads), so the first time
// through, this runs the same command again inside scripts/sandbox and
// ends with its status; inside, it does nothing.
import { spawn, spawnSync } from 'node:child_process';
import { SandboxRequiredError } from '../core/errors.js';
import { SANDBOX_SCRIPT } from '../core/package.js';
import { findTool } from '../kernel/launch.js';
import { canBuildLabs, HOW_TO_RUN } from './privileges.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Whether this machine lets an ordinary process make a user namespace (the sandbox needs it). */
function userNamespacesWork(): boolean {
  const unshare = findTool('unshare');
  if (unshare === undefined) return false;
  return spawnSync(unshare, ['--user', '--map-root-user', '--net', '--mount', 'true'], { stdio: 'ignore' }).status === 0;
}

export default async function setup(): Promise<void> {
  if (process.env.NETPLUMB_SANDBOX === '1') return;
  if (!userNamespacesWork()) {
    // Root (or a privileged container) can build labs where it is: they are self-contained.
    if (canBuildLabs()) return;
    throw new SandboxRequiredError(
      'netplumb/testing: this machine does not let this user make a user namespace (unshare --user --map-root-user fails), ' +
        'so the tests cannot enter a sandbox; allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, ' +
        `or kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), or run them as root. Otherwise: ${HOW_TO_RUN}`,
    );
  }
  process.stderr.write('netplumb: running the tests inside a sandbox (a fresh user+net+mount namespace, scripts/sandbox)\n');
  const child = spawn(SANDBOX_SCRIPT, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
  for (const s of FORWARDED) process.on(s, forward);
  const status = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  // The run happened inside; this process has nothing left to do.
  process.exit(status);
}
