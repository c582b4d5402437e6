// A cross-process lock on a file, for the read → change → write cycles of
// the state store (IPAM above all: two processes attaching at once must
// never hand out the same address).
//
// The lock file holds "PID TOKEN". It appears by link(2) of a file already
// written, which fails with EEXIST exactly as open(O_CREAT|O_EXCL) would, but
// nobody can ever read a half-written lock file, so an empty file never has
// to be guessed about. That file is the process's own, made once per lock
// (`.<lock name>.<TOKEN>` beside it, removed when the process exits): taking
// the lock is one link(2), and letting it go one stat (is the lock still
// that file?) and one unlink. A lock whose PID is dead is taken over under a second,
// short-lived "takeover" lock: the taker re-reads the lock file there and
// removes it only if it is still the dead owner's, so two takers can never
// both remove a lock, nor can one remove a lock that a live process has just
// taken. Its own takeover lock, if a taker died holding it, is renamed away
// (rename succeeds for only one of several racers) once its PID is dead.
import { linkSync, lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { syncFs as fs } from './sync-fs.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from '../core/errors.js';
import { uniqueSuffix } from './unique.js';

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
  pid: number;
  token: string;
  raw: string;
}

async function readOwner(path: string): Promise<Owner | undefined | 'gone'> {
  let raw: string;
  try {
    raw = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  const m = /^(\d+) (\S+)\n?$/.exec(raw);
  return m ? { pid: Number(m[1]), token: m[2] as string, raw } : undefined;
}

/** Whether a process with this PID exists (EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` with `content` only if it does not exist; false when it does. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${uniqueSuffix()}.tmp`;
  await fs.writeFile(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    await fs.link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

async function removeIfStill(path: string, raw: string): Promise<void> {
  const now = await readOwner(path);
  if (now !== 'gone' && now?.raw === raw) await fs.unlink(path).catch(() => undefined);
}

/** One attempt to clear a lock held by a dead process; never removes a live one. True when it tried. */
async function takeOverStale(path: string, stale: Owner): Promise<boolean> {
  const guard = `${path}.takeover`;
  const token = uniqueSuffix();
  const mine = `${process.pid} ${token}\n`;
  if (!(await createExclusive(guard, mine))) {
    const holder = await readOwner(guard);
    if (holder === 'gone') return true;
    if (holder && processAlive(holder.pid)) return false;
    // The guard's taker died inside its few lines of work: move it aside; rename lets one racer win.
    const aside = `${guard}.${process.pid}.${token}.dead`;
    try {
      await fs.rename(guard, aside);
    } catch {
      return true;
    }
    const moved = await readOwner(aside);
    if (moved !== 'gone' && moved && processAlive(moved.pid)) {
      // A live taker's guard was moved by mistake (it was replaced in between): give it back if we can.
      await fs.link(aside, guard).catch(() => undefined);
    }
    await fs.unlink(aside).catch(() => undefined);
    return true;
  }
  try {
    await removeIfStill(path, stale.raw);
    // The dead owner's own lock file, named after its token.
    await fs.unlink(ownFileName(path, stale.token)).catch(() => undefined);
  } finally {
    await removeIfStill(guard, mine);
  }
  return true;
}

/** This process's lock file for each lock path, and what identifies it. */
interface OwnFile {
  file: string;
  ino: number;
  dev: number;
}
const ownFiles = new Map<string, OwnFile>();
let removedAtExit = false;

const ownFileName = (path: string, token: string): string => join(dirname(path), `.${basename(path)}.${token}`);

/** Makes (again, if someone removed it) this process's file for the lock at `path`. */
function makeOwnFile(path: string): OwnFile {
  if (!removedAtExit) {
    removedAtExit = true;
    process.once('exit', () => {
      for (const f of ownFiles.values()) {
        try {
          unlinkSync(f.file);
        } catch {
          // gone with its directory
        }
      }
    });
  }
  const token = uniqueSuffix();
  const file = ownFileName(path, token);
  writeFileSync(file, `${process.pid} ${token}\n`, { flag: 'wx', mode: 0o644 });
  const st = lstatSync(file);
  const own = { file, ino: st.ino, dev: st.dev };
  ownFiles.set(path, own);
  return own;
}

/** One attempt: links this process's file at `path`; false when the lock is taken. */
function tryLink(path: string): OwnFile | false {
  let own = ownFiles.get(path) ?? makeOwnFile(path);
  for (let again = true; ; again = false) {
    try {
      linkSync(own.file, path);
      return own;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // Our file went (a directory emptied by hand): make it again, once.
      if (code !== 'ENOENT' || !again) throw e;
      ownFiles.delete(path);
      own = makeOwnFile(path);
    }
  }
}

/** Takes the lock at `path`, waiting with backoff; throws LockTimeoutError at the deadline. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const minDelay = opts.minDelayMs ?? 1;
  const maxDelay = opts.maxDelayMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let delay = minDelay;
  for (;;) {
    const own = tryLink(path);
    if (own) {
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          // Still our file (a stale lock is only ever taken from a dead process)?
          try {
            const st = lstatSync(path);
            if (st.ino === own.ino && st.dev === own.dev) unlinkSync(path);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          }
        },
      };
    }
    const owner = await readOwner(path);
    if (owner === 'gone') continue;
    if (owner === undefined) {
      // Not our format: someone else's file. Leave it; the deadline reports it.
    } else if (!processAlive(owner.pid) && (await takeOverStale(path, owner))) {
      continue;
    }
    if (Date.now() >= deadline)
      throw new LockTimeoutError(path, timeoutMs, owner === undefined ? undefined : owner.pid);
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
