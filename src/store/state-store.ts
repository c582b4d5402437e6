// JSON documents in a state directory, one file per document under a
// directory per kind (networks/, endpoints/, ...). Writes are atomic, so a
// crash leaves either the old or the new document, never half of one.
import { syncFs as fs } from './sync-fs.js';
import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NetplumbError, StateError, ValidationError } from '../core/errors.js';
import { writeFileAtomic, writeNewFile, type Sync } from './atomic-file.js';
import { boundary } from './boundary.js';
import { acquireLock, type LockHandle, type LockOptions } from './lock.js';
import { turnsOf } from './turns.js';

export { stateDirs, DEFAULT_STATE_DIRS, type StateDirs } from './dirs.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

function checkName(value: string, field: string): string {
  if (!NAME.test(value) || value.endsWith('.tmp') || value.endsWith('.lock'))
    throw new ValidationError(
      field,
      `${field} '${value}' must be 1-200 characters of letters, digits, '_', '.', '-', not start with '.' or '-', nor end in .tmp or .lock`,
    );
  return value;
}

/** Per lock file, the lock this process keeps between changes (StateStore.hold). */
const held = new Map<string, LockHandle>();
/** Per lock file, the lock this process's callers in their turns hold now, and how many of them (parked or running). */
const sharedLocks = new Map<string, { handle: Promise<LockHandle>; users: number }>();
/**
 * What a reader of a document checks beyond JSON: returns what is wrong with
 * it (a StateError then names the file), or undefined when it is usable.
 */
export type DocumentCheck = (doc: unknown) => string | undefined;

/** The problem with a file's text as JSON, in words: empty, cut short, not JSON. */
function parseProblem(text: string, e: unknown): string {
  if (text.trim() === '') return 'it is empty';
  if (!text.endsWith('\n')) return `it is cut short or not netplumb's (${(e as Error).message})`;
  return `it is not JSON (${(e as Error).message})`;
}

/** Turns an I/O failure on a state file (other than its absence) into a StateError. */
function ioProblem(file: string, verb: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) throw e;
  throw new StateError(file, `it cannot be ${verb} (${code}: ${(e as Error).message})`);
}

/**
 * How long a store's documents must last. `persistent` (networks, like
 * /var/lib/docker): every write is flushed, file and directory entry.
 * `boot`: the documents describe kernel objects that die with the machine
 * (namespaces, addresses, ports), so after a power cut they are all stale
 * and reconcile only has to be able to read them: on tmpfs or ramfs nothing
 * is flushed (a power cut empties it anyway), elsewhere the file but never
 * the directory entry (a lost entry is a sandbox that died with the machine).
 * Either way a rename is atomic for readers and for a crash of the process.
 */
export type Durability = 'persistent' | 'boot';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

function volatileFs(dir: string): boolean {
  try {
    const type = statfsSync(dir).type;
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

/** A document's text, or undefined when there is none; a file that cannot be read is a StateError. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    ioProblem(file, 'read', e);
  }
}

/** The document in `text`; not JSON, or failing `check`, is a StateError naming the file. */
function parseChecked<T>(file: string, text: string, check?: DocumentCheck): T {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new StateError(file, parseProblem(text, e));
  }
  const problem = check?.(doc);
  if (problem !== undefined) throw new StateError(file, problem);
  return doc as T;
}

export class StateStore {
  private sync: Sync | undefined;
  /** Documents read through readKnown, by file: the file's identity then, and its text. */
  private readonly known = new Map<string, { key: string; text: string }>();
  /** Whether this process made (or found) the directory, so a lock need not make it again. */
  private dirMade = false;

  constructor(
    /** The directory this store owns; created on first write. */
    readonly dir: string,
    private readonly durability: Durability = 'persistent',
  ) {}

  /** The flushing a write needs here, decided once the directory exists. */
  private syncMode(): Sync {
    if (this.sync === undefined) {
      if (this.durability === 'persistent') this.sync = 'full';
      else if (!existsSync(this.dir)) return 'file';
      else this.sync = volatileFs(this.dir) ? 'none' : 'file';
    }
    return this.sync;
  }

  /** The file that holds a document. */
  file(kind: string, id: string): string {
    return join(this.dir, checkName(kind, 'kind'), `${checkName(id, 'id')}.json`);
  }

  /**
   * The document, or undefined when there is none. A file that cannot be
   * read, is not JSON, or fails `check` is a StateError naming it.
   */
  async read<T>(kind: string, id: string, check?: DocumentCheck, opts?: { likelyMissing?: boolean }): Promise<T | undefined> {
    return this.readSync<T>(kind, id, check, opts);
  }

  /**
   * read() for callers that must answer synchronously (a probe inside an
   * allocation loop). `likelyMissing`: look with a stat first, for documents
   * that are usually not there (a free name or host port): a failed open
   * costs a thrown error, several times a stat.
   */
  readSync<T>(kind: string, id: string, check?: DocumentCheck, opts: { likelyMissing?: boolean } = {}): T | undefined {
    const file = this.file(kind, id);
    if (opts.likelyMissing && !existsSync(file)) return undefined;
    const text = readText(file);
    return text === undefined ? undefined : parseChecked<T>(file, text, check);
  }

  /**
   * read() for documents that seldom change (networks), kept in this process
   * with the identity of the file they were read from (device, inode, size,
   * modification and change times): while a stat finds the same file, its
   * text is parsed again without reading it (a change by any process
   * renames a new file over it, which a stat tells apart). A file changed
   * within the last second is not kept: a rewrite within the file system's
   * timestamp granularity could keep every part of the identity.
   */
  readKnown<T>(kind: string, id: string, check?: DocumentCheck): T | undefined {
    const file = this.file(kind, id);
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    const kept = this.known.get(file);
    const key = st && `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    // Checked when it was kept: the same text passes again.
    if (kept !== undefined && kept.key === key) return JSON.parse(kept.text) as T;
    this.known.delete(file);
    const text = readText(file);
    if (text === undefined) return undefined;
    const doc = parseChecked<T>(file, text, check);
    if (st && key && Date.now() - Number(st.ctimeMs > st.mtimeMs ? st.ctimeMs : st.mtimeMs) > 1000) this.known.set(file, { key, text });
    return doc;
  }

  /** Whether the document exists. */
  has(kind: string, id: string): boolean {
    return existsSync(this.file(kind, id));
  }

  /** Replaces the document atomically. */
  async write(kind: string, id: string, doc: unknown): Promise<void> {
    const path = this.file(kind, id);
    const text = `${JSON.stringify(doc)}\n`;
    boundary(`write ${kind}/${id}`);
    try {
      await writeFileAtomic(path, text, { sync: this.syncMode() });
    } catch (e) {
      // The kind's directory is made on its first document (or again, if someone removed it).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ioProblem(path, 'written', e);
      await fs.mkdir(join(this.dir, kind), { recursive: true, mode: 0o755 });
      await writeFileAtomic(path, text, { sync: this.syncMode() }).catch((err: unknown) => ioProblem(path, 'written', err));
    }
  }

  /**
   * Writes a document that does not exist yet in place (exclusive create, no
   * temp file and rename); false when it exists already, which is left as it
   * was. Only for kinds whose readers hold the state lock, as the writer
   * does: a reader can then never meet it half written, and a crash
   * between the create and the write leaves an empty document, which reads
   * as damaged and is rebuilt by reconcile like any other (IPAM entries and
   * port documents are rebuilt from the records). Flushed as write() would.
   */
  async create(kind: string, id: string, doc: unknown): Promise<boolean> {
    const path = this.file(kind, id);
    const text = `${JSON.stringify(doc)}\n`;
    boundary(`write ${kind}/${id}`);
    for (let attempt = 0; ; attempt++) {
      try {
        return writeNewFile(path, text, this.syncMode());
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' || attempt > 0) ioProblem(path, 'written', e);
        await fs.mkdir(join(this.dir, kind), { recursive: true, mode: 0o755 });
      }
    }
  }

  /** Ids of the documents of a kind, sorted. */
  async list(kind: string): Promise<string[]> {
    let names: string[];
    const dir = join(this.dir, checkName(kind, 'kind'));
    try {
      names = await fs.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      ioProblem(dir, 'listed', e);
    }
    return names
      .filter((n) => n.endsWith('.json') && NAME.test(n))
      .map((n) => n.slice(0, -'.json'.length))
      .sort();
  }

  /** Removes the document; false when there was none (so teardown can repeat it). */
  async remove(kind: string, id: string): Promise<boolean> {
    const file = this.file(kind, id);
    boundary(`remove ${kind}/${id}`);
    try {
      await fs.unlink(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      ioProblem(file, 'removed', e);
    }
  }

  /**
   * Moves a document that cannot be used to `<dir>/<kind>/<id>.json` under
   * `quarantine` (made as needed), so that it is kept for a person to look at
   * but no longer read; returns where it went, or undefined when it was gone.
   */
  async quarantine(kind: string, id: string, quarantine: string): Promise<string | undefined> {
    const file = this.file(kind, id);
    const dest = join(quarantine, kind, `${id}.json`);
    boundary(`quarantine ${kind}/${id}`);
    await fs.mkdir(join(quarantine, kind), { recursive: true, mode: 0o755 });
    try {
      await fs.rename(file, dest);
      return dest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      ioProblem(file, 'moved', e);
    }
  }

  /** Temp files a writer that died left in a kind's directory (complete documents never end in .tmp). */
  async leftovers(kind: string): Promise<string[]> {
    try {
      return (await fs.readdir(join(this.dir, checkName(kind, 'kind')))).filter((n) => n.endsWith('.tmp')).map((n) => join(this.dir, kind, n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /**
   * Runs `fn` while holding this store's cross-process lock (`<dir>/.lock`).
   * Every read-modify-write of shared state (IPAM above all) belongs inside.
   * While this process holds the lock for good (hold()), `fn` only waits for
   * this process's other callers. `besideParked`: `fn` may run while other
   * callers are parked (see park()), as creates do.
   */
  async locked<T>(fn: () => Promise<T> | T, opts: LockOptions & { besideParked?: boolean } = {}): Promise<T> {
    const lock = this.lockFile;
    return turnsOf(lock).run(opts.besideParked ? 'beside-parked' : 'exclusive', async () => {
      if (held.has(lock)) return await fn();
      const release = await this.shareFileLock(lock, opts);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
  }

  /**
   * Inside locked(): lets this process's callers that may run beside a parked
   * one take their turns while `work` settles (the lock file stays held), and
   * resolves or rejects as `work` does once this caller's turn is back. For a
   * change whose records are written and whose kernel part runs on an addon
   * thread; `tag` (its record's id) tells those callers it is in flight.
   */
  park<T>(tag: string, work: Promise<T>): Promise<T> {
    return turnsOf(this.lockFile).park(tag, work);
  }

  /** Whether a change of this process under `tag` is parked: its pending record is in flight, not a dead process's. */
  parked(tag: string): boolean {
    return turnsOf(this.lockFile).isParked(tag);
  }

  /** The cross-process lock file of this store. */
  private get lockFile(): string {
    return join(this.dir, '.lock');
  }

  /**
   * The lock file for a caller in its turn: taken, or shared with callers of
   * this process that hold it already (one parked, one running beside it);
   * the returned release lets it go with the last of them.
   */
  private async shareFileLock(lock: string, opts: LockOptions): Promise<() => Promise<void>> {
    let shared = sharedLocks.get(lock);
    if (shared) shared.users++;
    else {
      const taking = this.takeLock(lock, opts);
      sharedLocks.set(lock, (shared = { handle: taking, users: 1 }));
      taking.catch(() => {
        if (sharedLocks.get(lock) === shared) sharedLocks.delete(lock);
      });
    }
    const mine = shared;
    let handle: LockHandle;
    try {
      handle = await mine.handle;
    } catch (e) {
      mine.users--;
      throw e;
    }
    return async () => {
      if (--mine.users > 0) return;
      if (sharedLocks.get(lock) === mine) sharedLocks.delete(lock);
      await handle.release();
    };
  }

  /**
   * Takes this store's lock and keeps it until the returned release is
   * called: for a process that owns the state root for its lifetime (the
   * daemon), whose changes then cost no lock file each. A process that
   * opened the state before waits for it rather than writing beside it.
   */
  async hold(opts?: LockOptions): Promise<() => Promise<void>> {
    const lock = this.lockFile;
    const turns = turnsOf(lock);
    const handle = await turns.run('exclusive', async () => {
      // Held already (another store on this directory): its holder releases it.
      if (held.has(lock)) return undefined;
      const h = await this.takeLock(lock, opts);
      held.set(lock, h);
      return h;
    });
    return () =>
      turns.run('exclusive', async () => {
        if (handle === undefined || held.get(lock) !== handle) return;
        held.delete(lock);
        await handle.release();
      });
  }


  /** The lock file taken, with the store's directory made; a lock file that cannot be made or read is a StateError. */
  private async takeLock(lock: string, opts: LockOptions | undefined): Promise<LockHandle> {
    for (let attempt = 0; ; attempt++) {
      // Made once per store (not before every change); made again when someone removed it.
      if (!this.dirMade) {
        try {
          await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
        } catch (e) {
          ioProblem(this.dir, 'made', e);
        }
        this.dirMade = true;
      }
      try {
        return await acquireLock(lock, opts);
      } catch (e) {
        // A timeout is the lock's own answer; a lock file that cannot be made or read is the state's.
        if (e instanceof NetplumbError) throw e;
        if (attempt === 0 && (e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(this.dir)) {
          this.dirMade = false;
          continue;
        }
        return ioProblem(lock, 'taken', e);
      }
    }
  }

  /** Reads, changes and writes one document under the lock; `change` returns the new document. */
  async update<T>(
    kind: string,
    id: string,
    change: (doc: T | undefined) => T | Promise<T>,
    opts?: LockOptions,
  ): Promise<T> {
    return this.locked(async () => {
      const next = await change(await this.read<T>(kind, id));
      await this.write(kind, id, next);
      return next;
    }, opts);
  }
}
