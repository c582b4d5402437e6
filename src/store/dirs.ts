// Where the state lives: runtime state (dies with a reboot) and
// configuration (outlives it), from options, NETPLUMB_STATE_DIR or the
// defaults. Kept apart so that a client can find a daemon's claim without
// loading the store.
import { join } from 'node:path';

export interface StateDirs {
  /** Runtime state that dies with a reboot (namespaces, endpoints), like /run/docker. */
  runtime: string;
  /** Configuration that outlives a reboot (networks), like /var/lib/docker/network. */
  config: string;
}

export const DEFAULT_STATE_DIRS: Readonly<StateDirs> = { runtime: '/run/netplumb', config: '/var/lib/netplumb' };

/**
 * The directories to use: explicit options first, then NETPLUMB_STATE_DIR
 * (one root holding run/ and lib/, for tests and rootless use), then the defaults.
 */
export function stateDirs(opts: Partial<StateDirs> = {}, env: NodeJS.ProcessEnv = process.env): StateDirs {
  const root = env.NETPLUMB_STATE_DIR;
  const base = root ? { runtime: join(root, 'run'), config: join(root, 'lib') } : DEFAULT_STATE_DIRS;
  return { runtime: opts.runtime ?? base.runtime, config: opts.config ?? base.config };
}
