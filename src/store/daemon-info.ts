// Whether a netplumbd owns a state root, and where it listens: what
// Engine.open and the CLI check on every start. It costs one read of a file
// that normally does not exist, and loads nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './process.js';

/** The daemon's lock file in the runtime directory ("PID TOKEN", see lock.ts). */
export const DAEMON_LOCK = 'netplumbd.lock';
/** Its description (DaemonInfo as JSON), written once the lock is held. */
export const DAEMON_INFO = 'netplumbd.json';

export interface DaemonInfo {
  pid: number;
  /** Where it listens: unix socket paths and tcp:// URLs, in the order given. */
  sockets: string[];
  version: string;
  started: string;
}

/** The live daemon owning this runtime directory, if any (this process's own claim included). */
export function runningDaemon(runtimeDir: string): DaemonInfo | undefined {
  let pid: number;
  try {
    pid = Number(/^(\d+) /.exec(readFileSync(join(runtimeDir, DAEMON_LOCK), 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
  if (!processAlive(pid)) return undefined;
  try {
    const info = JSON.parse(readFileSync(join(runtimeDir, DAEMON_INFO), 'utf8')) as DaemonInfo;
    if (info.pid === pid) return info;
  } catch {
    // Between taking the lock and describing itself: it runs, its sockets are not known yet.
  }
  return { pid, sockets: [], version: '', started: '' };
}
