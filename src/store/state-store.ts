// JSON documents in a state directory, one file per document under a
// directory per kind (networks/, endpoints/, ...). Writes are atomic, so a
// crash leaves either the old or the new document, never half of one.
import { syncFs as fs } from './sync-fs.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { withLock, type LockOptions } from './lock.js';

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

/** Per lock file, the last turn queued in this process. */
const turns = new Map<string, Promise<void>>();

export class StateStore {
  constructor(
    /** The directory this store owns; created on first write. */
    readonly dir: string,
  ) {}

  private file(kind: string, id: string): string {
    return join(this.dir, checkName(kind, 'kind'), `${checkName(id, 'id')}.json`);
  }

  /** The document, or undefined when there is none. */
  async read<T>(kind: string, id: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file(kind, id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return JSON.parse(text) as T;
  }

  /** Whether the document exists. */
  has(kind: string, id: string): boolean {
    return existsSync(this.file(kind, id));
  }

  /** Replaces the document atomically. */
  async write(kind: string, id: string, doc: unknown): Promise<void> {
    const path = this.file(kind, id);
    const text = `${JSON.stringify(doc)}\n`;
    try {
      await writeFileAtomic(path, text);
    } catch (e) {
      // The kind's directory is made on its first document (or again, if someone removed it).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await fs.mkdir(join(this.dir, kind), { recursive: true, mode: 0o755 });
      await writeFileAtomic(path, text);
    }
  }

  /** Ids of the documents of a kind, sorted. */
  async list(kind: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(join(this.dir, checkName(kind, 'kind')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .filter((n) => n.endsWith('.json') && NAME.test(n))
      .map((n) => n.slice(0, -'.json'.length))
      .sort();
  }

  /** Removes the document; false when there was none (so teardown can repeat it). */
  async remove(kind: string, id: string): Promise<boolean> {
    try {
      await fs.unlink(this.file(kind, id));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * Runs `fn` while holding this store's cross-process lock (`<dir>/.lock`).
   * Every read-modify-write of shared state (IPAM above all) belongs inside.
   */
  async locked<T>(fn: () => Promise<T> | T, opts?: LockOptions): Promise<T> {
    const path = join(this.dir, '.lock');
    // Callers in this process queue here, in order, instead of polling the
    // file with backoff against each other (a daemon serves many at once).
    const before = turns.get(path) ?? Promise.resolve();
    let done!: () => void;
    const released = new Promise<void>((r) => (done = r));
    const turn = before.then(() => released);
    turns.set(path, turn);
    await before;
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
      return await withLock(path, fn, opts);
    } finally {
      done();
      if (turns.get(path) === turn) turns.delete(path);
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
