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
//
// The file linked is this process's owner file for that lock ("PATH.PID.
// TOKEN.N.owner"), written once and kept: each acquisition is then one
// link(2) and each release a stat and an unlink, where making and removing
// a file each time cost three times as much (no inode is made or freed).
// It is removed when the process exits; a killed process's is removed by
// reconcile (deadOwnerFiles).
import { closeSync, fstatSync, linkSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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

/** Which file a lock file is: its inode (an owner file is kept while its process lives, so its inode is not reused meanwhile). */
interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

/** This process's owner file for a lock: where it is, and which file it is. */
interface OwnerFile {
  file: string;
  identity: FileIdentity;
}

const ownerFiles = new Map<string, OwnerFile>();
let removedAtExit = false;

/** Writes a new owner file for the lock at `path`: "PID TOKEN", complete before anyone can link it. */
function makeOwnerFile(path: string): OwnerFile {
  const file = `${path}.${uniqueSuffix()}.owner`;
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid} ${uniqueSuffix()}\n`);
    const st = fstatSync(fd, { bigint: true });
    if (!removedAtExit) process.once('exit', removeOwnerFiles);
    removedAtExit = true;
    const made = { file, identity: { dev: st.dev, ino: st.ino } };
    ownerFiles.set(path, made);
    return made;
  } catch (e) {
    try {
      unlinkSync(file);
    } catch {
      // never made
    }
    throw e;
  } finally {
    closeSync(fd);
  }
}

function removeOwnerFiles(): void {
  for (const { file } of ownerFiles.values()) {
    try {
      unlinkSync(file);
    } catch {
      // removed already (the state root with it)
    }
  }
  ownerFiles.clear();
}

/**
 * Links this process's owner file as the lock file `path` if none exists:
 * its identity, or undefined when a lock file is there. An owner file that
 * is gone (someone removed it, or its directory) is made again.
 */
function linkExclusive(path: string): FileIdentity | undefined {
  for (let attempt = 0; ; attempt++) {
    const owner = ownerFiles.get(path) ?? makeOwnerFile(path);
    try {
      linkSync(owner.file, path);
      return owner.identity;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      if (code !== 'ENOENT' || attempt > 0) throw e;
      ownerFiles.delete(path);
    }
  }
}

/**
 * Lock files in `dir` of processes that are gone: their owner files and
 * their lock attempts cut short (a temp file before its link). What
 * reconcile removes; a live process's are never listed.
 */
export function deadLockFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, pid: /\.lock(?:\.takeover)?\.(\d+)\.[0-9a-f]+\.[0-9a-z]+\.(?:tmp|owner)$/.exec(n)?.[1] }))
    .filter((x) => x.pid !== undefined && !processAlive(Number(x.pid)))
    .map((x) => join(dir, x.n));
}

/** Creates `path` with `content` only if it does not exist: whether it did (the takeover guard's way, taken rarely). */
function createExclusive(path: string, content: string): boolean {
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
    return linked;
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

/** Removes the lock file if it is still a link of `mine`: one stat, where reading it back cost an open and two reads. */
function removeIfSame(path: string, mine: FileIdentity): void {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (st === undefined || st.dev !== mine.dev || st.ino !== mine.ino) return;
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
  let delay = minDelay;
  for (;;) {
    const made = linkExclusive(path);
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
