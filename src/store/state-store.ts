// JSON documents in a state directory, one file per document under a
// directory per kind (networks/, endpoints/, ...). Writes are atomic, so a
// crash leaves either the old or the new document, never half of one.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { syncFs as fs } from './sync-fs.js';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { writeFileAtomic, type Sync } from './atomic-file.js';
import { acquireLock, type LockHandle, type LockOptions } from './lock.js';

/** How many queued callers of this process may take the lock in a row before it is let go. */
const HANDOVERS = 16;

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

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

function checkName(value: string, field: string): string {
  if (!NAME.test(value) || value.endsWith('.tmp') || value.endsWith('.lock'))
    throw new ValidationError(
      field,
      `${field} '${value}' must be 1-200 characters of letters, digits, '_', '.', '-', not start with '.' or '-', nor end in .tmp or .lock`,
    );
  return value;
}

/**
 * How long a store's documents must last. `persistent` (networks, like
 * /var/lib/docker): every write is flushed, file and directory entry.
 * `boot`: the documents describe kernel objects that die with the machine
 * (namespaces, addresses, ports), so after a power cut they are all stale
 * and reconcile only has to be able to read them: on tmpfs or ramfs nothing
 * is flushed (a power cut empties it anyway), elsewhere the file but never
 * the directory entry (a lost entry is a sandbox that died with the machine).
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

export class StateStore {
  private sync: Sync | undefined;
  /** The in-process queue in front of the lock file, and the lock while this process holds it. */
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private held: LockHandle | undefined;
  private handovers = 0;

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

  private file(kind: string, id: string): string {
    return join(this.dir, checkName(kind, 'kind'), `${checkName(id, 'id')}.json`);
  }

  /** The document, or undefined when there is none. */
  async read<T>(kind: string, id: string): Promise<T | undefined> {
    return this.readSync<T>(kind, id);
  }

  /** read() for callers that must answer synchronously (a probe inside an allocation loop). */
  readSync<T>(kind: string, id: string): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(kind, id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return JSON.parse(text) as T;
  }

  /** Replaces the document atomically. */
  async write(kind: string, id: string, doc: unknown): Promise<void> {
    const path = this.file(kind, id);
    const text = `${JSON.stringify(doc)}\n`;
    try {
      await writeFileAtomic(path, text, { sync: this.syncMode() });
    } catch (e) {
      // The kind's directory is made on its first document (or again, if someone removed it).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await fs.mkdir(join(this.dir, kind), { recursive: true, mode: 0o755 });
      await writeFileAtomic(path, text, { sync: this.syncMode() });
    }
  }

  /** Whether a caller of this process holds the lock or waits for it. */
  get lockBusy(): boolean {
    return this.held !== undefined || this.waiting > 0;
  }

  /** Whether the document exists (one stat, nothing read). */
  has(kind: string, id: string): boolean {
    return existsSync(this.file(kind, id));
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
   * Callers in this process queue here in order, without polling the lock
   * file; while one waits, the lock file passes straight to it (at most
   * HANDOVERS times in a row, so other processes get their turn).
   */
  async locked<T>(fn: () => Promise<T> | T, opts?: LockOptions): Promise<T> {
    const before = this.tail;
    let done!: () => void;
    this.tail = new Promise<void>((resolve) => (done = resolve));
    this.waiting++;
    await before;
    this.waiting--;
    try {
      if (!this.held) {
        this.held = await this.acquire(opts);
        this.handovers = 0;
      }
      return await fn();
    } finally {
      try {
        if (this.waiting > 0 && this.handovers < HANDOVERS) {
          this.handovers++;
        } else {
          const held = this.held;
          this.held = undefined;
          await held?.release();
        }
      } finally {
        done();
      }
    }
  }

  private async acquire(opts?: LockOptions): Promise<LockHandle> {
    const path = join(this.dir, '.lock');
    try {
      return await acquireLock(path, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
      return acquireLock(path, opts);
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
