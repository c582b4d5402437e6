// A daemon's claim on a state root: one netplumbd per root. The claim is a
// lock file taken like the state lock (a dead owner's claim is taken over)
// and, once it is held, a description of the daemon (pid, sockets) for
// everyone who checks with runningDaemon(). While the claim lives, this
// process also keeps the state lock (StateStore.hold): no other process may
// change the state then, so each change needs only this process's queue,
// and a process that opened the state before the claim waits rather than
// writing beside the daemon.
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { DAEMON_INFO, DAEMON_LOCK, type DaemonInfo } from './daemon-info.js';
import { acquireLock } from './lock.js';
import { syncFs as fs } from './sync-fs.js';
import { StateStore } from './state-store.js';

export interface DaemonClaim {
  readonly info: DaemonInfo;
  /** Says where the daemon listens, once it knows (sockets passed by systemd are named by their paths). */
  describe(sockets: string[]): Promise<void>;
  /** Gives the state root up (the daemon is stopping). */
  release(): Promise<void>;
}

/**
 * Claims the runtime directory for this process. Throws LockTimeoutError
 * (with holderPid) when a live daemon holds it; a dead one's claim is taken over.
 */
export async function claimStateRoot(runtimeDir: string, info: Omit<DaemonInfo, 'pid' | 'started'>): Promise<DaemonClaim> {
  await fs.mkdir(runtimeDir, { recursive: true, mode: 0o755 });
  const lock = await acquireLock(join(runtimeDir, DAEMON_LOCK), { timeoutMs: 0 });
  const full: DaemonInfo = { pid: process.pid, ...info, started: new Date().toISOString() };
  let releaseState: (() => Promise<void>) | undefined;
  try {
    // The same lock as ModelState's changes (the runtime store's), waiting as long as one of them may.
    releaseState = await new StateStore(runtimeDir, 'boot').hold({ timeoutMs: 30_000 });
    await writeFileAtomic(join(runtimeDir, DAEMON_INFO), `${JSON.stringify(full)}\n`);
  } catch (e) {
    await releaseState?.();
    await lock.release();
    throw e;
  }
  return {
    info: full,
    describe: async (sockets) => {
      full.sockets = sockets;
      await writeFileAtomic(join(runtimeDir, DAEMON_INFO), `${JSON.stringify(full)}\n`);
    },
    release: async () => {
      await fs.unlink(join(runtimeDir, DAEMON_INFO)).catch(() => undefined);
      await releaseState?.();
      await lock.release();
    },
  };
}
