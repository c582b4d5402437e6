// The cluster store as a directory of records (dir:///path), for static
// setups and tests without etcd: every key is a file holding its value
// (keys are paths, so `/netplumb/v1/networks/ov1` is
// <root>/netplumb/v1/networks/ov1.json and can be written by hand), every
// change happens under a lock file, and a lease is a file with its expiry
// and its keys. Expired leases' keys read as absent and are deleted by the
// next writer. A watch polls the tree (and is nudged by fs.watch) and reports
// what changed. The hosts must share the directory (one machine, or a
// shared filesystem).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ClusterStoreError } from '../core/errors.js';
import { withLock } from '../store/lock.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { ClusterStore, Compare, KeyValue, StoreWatch, TxnOp, WatchEvent, WatchHandlers } from './store.js';
import { byCodeUnits } from '../core/order.js';

const SUFFIX = '.json';
const META = '.netplumb-store';

interface LeaseFile {
  ttl: number;
  /** ms since the epoch. */
  expires: number;
  keys: string[];
}

function keyPath(root: string, key: string): string {
  const parts = key.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p.startsWith('.')))
    throw new ClusterStoreError(`dir://${root}`, `key '${key}' cannot be a file under the store directory`);
  return `${join(root, ...parts)}${SUFFIX}`;
}

export class DirStore implements ClusterStore {
  private readonly meta: string;
  /** The last range of each prefix, so that a watch from its revision starts from what the caller saw. */
  private readonly ranged = new Map<string, { revision: number; kvs: Map<string, KeyValue> }>();

  constructor(
    readonly address: string,
    private readonly root: string,
    private readonly opts: { pollMs?: number; now?: () => number } = {},
  ) {
    this.meta = join(root, META);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private ensureRoot(): void {
    try {
      mkdirSync(join(this.meta, 'leases'), { recursive: true });
    } catch (e) {
      throw new ClusterStoreError(this.address, `cannot use the cluster store ${this.address}: ${(e as Error).message}`);
    }
  }

  private leases(): Map<string, LeaseFile> {
    const dir = join(this.meta, 'leases');
    const out = new Map<string, LeaseFile>();
    if (!existsSync(dir)) return out;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith(SUFFIX)) continue;
      try {
        out.set(f.slice(0, -SUFFIX.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as LeaseFile);
      } catch {
        // being replaced: the next read sees it whole
      }
    }
    return out;
  }

  /** Keys of leases that have ended, which read as absent. */
  private deadKeys(leases: Map<string, LeaseFile>): Set<string> {
    const now = this.now();
    return new Set([...leases.values()].filter((l) => l.expires <= now).flatMap((l) => l.keys));
  }

  private leaseOf(leases: Map<string, LeaseFile>): Map<string, string> {
    const out = new Map<string, string>();
    for (const [id, l] of leases) for (const k of l.keys) out.set(k, id);
    return out;
  }

  /** Every live key with its value. */
  private snapshot(): Map<string, KeyValue> {
    const out = new Map<string, KeyValue>();
    if (!existsSync(this.root)) return out;
    const leases = this.leases();
    const dead = this.deadKeys(leases);
    const owner = this.leaseOf(leases);
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(SUFFIX)) {
          const key = `/${relative(this.root, p).slice(0, -SUFFIX.length).split(sep).join('/')}`;
          if (dead.has(key)) continue;
          let value: string;
          try {
            value = readFileSync(p, 'utf8');
          } catch {
            continue; // removed while we walked
          }
          const lease = owner.get(key);
          out.set(key, { key, value, ...(lease ? { lease } : {}) });
        }
      }
    };
    walk(this.root);
    return out;
  }

  private revision(): number {
    try {
      return Number(readFileSync(join(this.meta, 'revision'), 'utf8')) || 0;
    } catch {
      return 0;
    }
  }

  /** Runs a change under the store's lock: expired leases are cleared first, the revision moves after. */
  private async change<T>(fn: () => Promise<T>): Promise<T> {
    this.ensureRoot();
    return withLock(join(this.meta, 'lock'), async () => {
      const leases = this.leases();
      const now = this.now();
      for (const [id, l] of leases) {
        if (l.expires > now) continue;
        for (const k of l.keys) rmSync(keyPath(this.root, k), { force: true });
        rmSync(join(this.meta, 'leases', `${id}${SUFFIX}`), { force: true });
      }
      const out = await fn();
      await writeFileAtomic(join(this.meta, 'revision'), String(this.revision() + 1));
      return out;
    }, { timeoutMs: 10_000 });
  }

  private async writeKey(key: string, value: string, lease?: string): Promise<void> {
    const path = keyPath(this.root, key);
    mkdirSync(dirname(path), { recursive: true });
    await writeFileAtomic(path, value);
    const leases = this.leases();
    // A key belongs to one lease at most: the last put decides.
    for (const [id, l] of leases) {
      const has = l.keys.includes(key);
      if (id === lease && !has) l.keys.push(key);
      else if (id !== lease && has) l.keys = l.keys.filter((k) => k !== key);
      else continue;
      await writeFileAtomic(join(this.meta, 'leases', `${id}${SUFFIX}`), JSON.stringify(l));
    }
    if (lease && !leases.has(lease)) throw new ClusterStoreError(this.address, `lease ${lease} is not (or no longer) in the store ${this.address}`);
  }

  private removeKeys(key: string, prefix: boolean): number {
    const snap = this.snapshot();
    const gone = prefix ? [...snap.keys()].filter((k) => k.startsWith(key)) : snap.has(key) ? [key] : [];
    for (const k of gone) rmSync(keyPath(this.root, k), { force: true });
    return gone.length;
  }

  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const revision = this.revision();
    const found = this.filtered(prefix);
    this.ranged.set(prefix, { revision, kvs: found });
    return { kvs: [...found.values()].sort((a, b) => byCodeUnits(a.key, b.key)), revision };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.snapshot().get(key);
  }

  async put(key: string, value: string, opts: { lease?: string } = {}): Promise<void> {
    await this.change(() => this.writeKey(key, value, opts.lease));
  }

  async delete(key: string, opts: { prefix?: boolean } = {}): Promise<number> {
    return this.change(async () => this.removeKeys(key, opts.prefix ?? false));
  }

  async txn(compares: Compare[], ops: TxnOp[]): Promise<boolean> {
    return this.change(async () => {
      const snap = this.snapshot();
      for (const c of compares) {
        const kv = snap.get(c.key);
        if ('absent' in c ? kv !== undefined : kv?.value !== c.value) return false;
      }
      for (const o of ops) {
        if ('put' in o) await this.writeKey(o.put, o.value, o.lease);
        else this.removeKeys(o.delete, o.prefix ?? false);
      }
      return true;
    });
  }

  async grant(ttlSeconds: number): Promise<string> {
    const id = randomBytes(8).toString('hex');
    await this.change(() =>
      writeFileAtomic(join(this.meta, 'leases', `${id}${SUFFIX}`), JSON.stringify({ ttl: ttlSeconds, expires: this.now() + ttlSeconds * 1000, keys: [] })),
    );
    return id;
  }

  async keepAlive(lease: string): Promise<boolean> {
    return this.change(async () => {
      const l = this.leases().get(lease);
      if (!l) return false;
      l.expires = this.now() + l.ttl * 1000;
      await writeFileAtomic(join(this.meta, 'leases', `${lease}${SUFFIX}`), JSON.stringify(l));
      return true;
    });
  }

  async revoke(lease: string): Promise<void> {
    await this.change(async () => {
      const l = this.leases().get(lease);
      if (!l) return;
      for (const k of l.keys) rmSync(keyPath(this.root, k), { force: true });
      rmSync(join(this.meta, 'leases', `${lease}${SUFFIX}`), { force: true });
    });
  }

  watch(prefix: string, revision: number, handlers: WatchHandlers): StoreWatch {
    // From what the caller's range saw, so that a change between the two is reported.
    const seen = this.ranged.get(prefix);
    let last = seen?.revision === revision ? seen.kvs : undefined;
    let closed = false;
    let running = false;
    const poll = (): void => {
      if (closed || running) return;
      running = true;
      try {
        const now = this.filtered(prefix);
        if (!last) {
          last = now;
          handlers.reset();
          return;
        }
        const events: WatchEvent[] = [];
        for (const [k, kv] of now) if (last.get(k)?.value !== kv.value) events.push({ type: 'put', key: k, value: kv.value });
        for (const k of last.keys()) if (!now.has(k)) events.push({ type: 'delete', key: k });
        last = now;
        if (events.length > 0) handlers.events(events);
      } catch (e) {
        handlers.error?.(e as Error);
      } finally {
        running = false;
      }
    };
    const timer = setInterval(poll, this.opts.pollMs ?? 500);
    timer.unref();
    let fsw: FSWatcher | undefined;
    try {
      this.ensureRoot();
      fsw = watch(this.root, { recursive: true }, () => setImmediate(poll));
      fsw.unref();
    } catch {
      // polling alone still sees every change
    }
    setImmediate(poll);
    return {
      close: () => {
        closed = true;
        clearInterval(timer);
        fsw?.close();
      },
    };
  }

  private filtered(prefix: string): Map<string, KeyValue> {
    const out = new Map<string, KeyValue>();
    for (const [k, kv] of this.snapshot()) if (k.startsWith(prefix)) out.set(k, kv);
    return out;
  }

  async close(): Promise<void> {
    // Nothing held open beyond the watches, which their owners close.
  }
}
