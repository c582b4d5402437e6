// A cross-process lock on a file, for the read → change → write cycles of
// the state store (IPAM above all: two processes attaching at once must
// never hand out the same address).
//
// The lock file holds "PID TOKEN". It appears by link(2) of a file already
// written, which fails with EEXIST exactly as open(O_CREAT|O_EXCL) would, but
// nobody can ever read a half-written lock file, so an empty file never has
// to be guessed about. A lock whose PID is dead is taken over under a second,
// short-lived "takeover" lock: the taker re-reads the lock file there and
// removes it only if it is still the dead owner's, so two takers can never
// both remove a lock, nor can one remove a lock that a live process has just
// taken. Its own takeover lock, if a taker died holding it, is renamed away
// (rename succeeds for only one of several racers) once its PID is dead.
// A lock file that does not hold "PID TOKEN" (empty, cut short, random bytes:
// damage on disk, never a lock being written, which link(2) rules out) has
// no live owner either and is taken over the same way.
import { closeSync, fstatSync, linkSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { syncFs as fs } from './sync-fs.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from '../core/errors.js';
import { uniqueSuffix } from './unique.js';
import { processAlive } from './process.js';

export { processAlive };

export interface LockOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** First wait between tries; doubles with jitter up to maxDelayMs (defaults 1 and 50 ms). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface LockHandle {
  readonly path: string;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

interface Owner {
  /** Undefined when the file is damaged: nobody alive holds it. */
  pid?: number;
  raw: string;
}

async function readOwner(path: string): Promise<Owner | 'gone'> {
  let raw: string;
  try {
    raw = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  const m = /^(\d+) (\S+)\n?$/.exec(raw);
  return m ? { pid: Number(m[1]), raw } : { raw };
}

/** Which file a lock file is: its inode, and the time its inode last changed (a later file on a reused inode differs). */
interface FileIdentity {
  dev: bigint;
  ino: bigint;
  ctimeNs: bigint;
}

/**
 * Creates `path` with `content` only if it does not exist: the identity of
 * the file it made, or undefined when one exists. Done on the calling thread
 * (see sync-fs.ts), as every change of the state takes it.
 */
function createExclusive(path: string, content: string): FileIdentity | undefined {
  const tmp = `${path}.${uniqueSuffix()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, content);
    let linked = true;
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      linked = false;
    }
    unlinkSync(tmp);
    if (!linked) return undefined;
    // Read after the last change of its link count, so the identity holds until someone changes the file.
    const st = fstatSync(fd, { bigint: true });
    return { dev: st.dev, ino: st.ino, ctimeNs: st.ctimeNs };
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // unlinked already
    }
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Removes the lock file if it is still the one `mine` made: one stat, where reading it back cost an open and two reads. */
function removeIfSame(path: string, mine: FileIdentity): void {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (st === undefined || st.dev !== mine.dev || st.ino !== mine.ino || st.ctimeNs !== mine.ctimeNs) return;
  try {
    unlinkSync(path);
  } catch {
    // gone meanwhile
  }
}

async function removeIfStill(path: string, raw: string): Promise<void> {
  const now = await readOwner(path);
  if (now !== 'gone' && now.raw === raw) await fs.unlink(path).catch(() => undefined);
}

/** One attempt to clear a lock held by a dead process; never removes a live one. True when it tried. */
async function takeOverStale(path: string, stale: Owner): Promise<boolean> {
  const guard = `${path}.takeover`;
  const token = uniqueSuffix();
  const mine = `${process.pid} ${token}\n`;
  if (!createExclusive(guard, mine)) {
    const holder = await readOwner(guard);
    if (holder === 'gone') return true;
    if (processAlive(holder.pid)) return false;
    // The guard's taker died inside its few lines of work: move it aside; rename lets one racer win.
    const aside = `${guard}.${process.pid}.${token}.dead`;
    try {
      await fs.rename(guard, aside);
    } catch {
      return true;
    }
    const moved = await readOwner(aside);
    if (moved !== 'gone' && processAlive(moved.pid)) {
      // A live taker's guard was moved by mistake (it was replaced in between): give it back if we can.
      await fs.link(aside, guard).catch(() => undefined);
    }
    await fs.unlink(aside).catch(() => undefined);
    return true;
  }
  try {
    await removeIfStill(path, stale.raw);
  } finally {
    await removeIfStill(guard, mine);
  }
  return true;
}

/** Takes the lock at `path`, waiting with backoff; throws LockTimeoutError at the deadline. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const minDelay = opts.minDelayMs ?? 1;
  const maxDelay = opts.maxDelayMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  const content = `${process.pid} ${uniqueSuffix()}\n`;
  let delay = minDelay;
  for (;;) {
    const made = createExclusive(path, content);
    if (made) {
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          removeIfSame(path, made);
        },
      };
    }
    const owner = await readOwner(path);
    if (owner === 'gone') continue;
    if (!processAlive(owner.pid) && (await takeOverStale(path, owner))) continue;
    if (Date.now() >= deadline) throw new LockTimeoutError(path, timeoutMs, owner.pid);
    const jittered = delay / 2 + Math.random() * (delay / 2);
    await sleep(Math.min(jittered, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** Runs `fn` holding the lock at `path`, releasing it however `fn` ends. */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
