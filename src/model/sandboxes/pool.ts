// The warm pool: namespaces made ahead of any sandbox, each with its veth
// pair already on a network's bridge (host end up, sandbox end down, no
// address, hairpin set, both ends carrying the owner's mark), so that a
// create on that network is left with the MAC, the address, the route, the
// port elements and the state. It is refilled in the background, one
// namespace at a time, only while this engine runs no create or remove:
// both would wait for the kernel's rtnl lock behind a refill.
//
// Each entry is on record (<runtime>/pool/<id>.json) with the engine's pid.
// A create claims an entry under the state lock: it writes its pending
// sandbox record (naming the namespace) before it removes the entry's, so a
// crash at any point leaves the namespace named by one of them. An entry
// that reconcile or a network's removal took meanwhile is simply skipped.
// Reconcile keeps the entries of live engines and deletes the others; an
// engine deletes its own when it closes. A namespace never handed out
// carries nothing of anyone: a sandbox made from it cannot be told from one
// made cold (test/kernel/model/pool.test.ts compares them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeNetns } from '../../addon/native.js';
import { netnsCalls } from '../../netns.js';
import type { Netns } from '../../netns.js';
import type { ModelState } from '../state/state.js';
import { hostVethName, newId, sandboxNetnsName } from '../state/names.js';
import type { NetworkRecord, PoolRecord } from '../state/records.js';
import { driverOf } from '../networks/drivers/index.js';
import { vethCalls } from './endpoint-calls.js';

export interface PoolOptions {
  /** The network (name or id) whose bridge the pooled pairs are attached to. */
  network: string;
  /** How many namespaces to keep ready; 0 keeps none (every create makes its own). */
  size: number;
}

export interface PoolEntry extends PoolRecord {
  /** The namespace, held open: a create's calls in it need no open. */
  handle: NativeNetns;
  /** Its cookie (SO_NETNS_COOKIE), read when it was made. */
  cookie: string;
}

/** The pooled pair's sandbox end, as vethCalls makes it. */
export const POOLED_IFNAME = 'eth0';

/** What the pool needs of the engine (not ModelContext: the context holds the pool). */
export interface PoolContext {
  readonly state: ModelState;
  readonly host: Netns;
  readonly netnsDir: string;
  /** A network by name or id (undefined when there is none). */
  findNetwork(ref: string): Promise<NetworkRecord | undefined>;
}

/** Whether a network's sandboxes can come from a pool: a local bridge network (an overlay's life is its cluster agent's). */
export function poolable(n: NetworkRecord): boolean {
  return driverOf(n) === 'bridge';
}

export class WarmPool {
  private readonly ready = new Map<string, PoolEntry[]>();
  /** The network id each wanted network (name or id) was last found under. */
  private readonly networkIds = new Map<string, string>();
  private active = 0;
  private wakeIdle: (() => void)[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;
  /** The last refill that failed (a network without its bridge, say); the next schedule() tries again. */
  lastError: unknown;

  constructor(
    private readonly ctx: PoolContext,
    private readonly wants: readonly PoolOptions[],
  ) {}

  /** Runs a create or remove of this engine: refills wait until none runs, then catch up. */
  async busy<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0) for (const wake of this.wakeIdle.splice(0)) wake();
      this.schedule();
    }
  }

  /**
   * A ready entry of this network that is still on record, off the pool;
   * the caller holds the state lock, and removes the entry's record once
   * its own record names the namespace. Entries someone else took are dropped.
   */
  take(networkId: string): PoolEntry | undefined {
    const list = this.ready.get(networkId);
    for (let e = list?.shift(); e; e = list?.shift()) {
      if (this.ctx.state.hasPoolEntry(e.id)) return e;
      e.handle.close();
    }
    return undefined;
  }

  /** Puts back an entry take() gave that did not become a sandbox (still on record, untouched). */
  giveBack(entry: PoolEntry): void {
    if (this.closed) {
      // The pool closed meanwhile: the entry goes as close() would have taken it.
      void this.ctx.state
        .locked(async () => {
          if (await this.ctx.state.removePoolEntry(entry.id)) await discardReady(this.ctx, entry);
          else entry.handle.close();
        })
        .catch(() => undefined);
      return;
    }
    let list = this.ready.get(entry.networkId);
    if (!list) this.ready.set(entry.networkId, (list = []));
    list.unshift(entry);
  }

  /** Forgets (and closes) the entries of a network whose records are gone with it. */
  forget(networkId: string): void {
    for (const e of this.ready.get(networkId) ?? []) e.handle.close();
    this.ready.delete(networkId);
    for (const [name, id] of this.networkIds) if (id === networkId) this.networkIds.delete(name);
  }

  /** How many entries are ready, by network id. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.ready].map(([id, list]) => [id, list.length]));
  }

  /** The host ends of the pairs this engine keeps ready. */
  hostEnds(): string[] {
    return [...this.ready.values()].flat().map((e) => e.hostIfname);
  }

  /** Starts refilling in the background when an entry is missing. */
  schedule(): void {
    if (this.closed || this.filling) return;
    this.filling = this.fill()
      .catch((e: unknown) => {
        this.lastError = e;
      })
      .finally(() => {
        this.filling = undefined;
      });
  }

  /**
   * Starts a refill if one is due (a network made by another process is
   * seen here), then resolves once none runs: the pool is full, or the last
   * refill failed (see lastError).
   */
  async settled(): Promise<void> {
    this.schedule();
    while (this.filling) await this.filling;
  }

  /** Stops refilling and deletes this engine's entries. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.filling) await this.filling;
    const mine = [...this.ready.values()].flat();
    this.ready.clear();
    if (mine.length === 0) return;
    await this.ctx.state.locked(async () => {
      // Only those still on record: one a create or reconcile took is not ours any more.
      const ours = mine.filter((e) => this.ctx.state.hasPoolEntry(e.id));
      for (const e of mine) e.handle.close();
      if (ours.length > 0) await this.ctx.host.exec(ours.map((e) => netnsCalls.remove(e.netnsName, { dir: this.ctx.netnsDir, ifExists: true }))).catch(() => undefined);
      for (const e of ours) await this.ctx.state.removePoolEntry(e.id);
    });
  }

  private async fill(): Promise<void> {
    this.lastError = undefined;
    for (;;) {
      await this.idle();
      if (this.closed) return;
      const n = await this.short();
      if (!n) return;
      await this.fillOne(n);
    }
  }

  /** Waits until no create or remove of this engine runs, and lets any that were queued start first. */
  private async idle(): Promise<void> {
    for (;;) {
      if (this.active > 0) await new Promise<void>((resolve) => this.wakeIdle.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.active === 0) return;
    }
  }

  /** A network whose pool is not full; one the pool knows full costs no read. */
  private async short(): Promise<NetworkRecord | undefined> {
    for (const w of this.wants) {
      if (w.size <= 0) continue;
      const known = this.networkIds.get(w.network);
      if (known !== undefined && (this.ready.get(known)?.length ?? 0) >= w.size) continue;
      const n = await this.ctx.findNetwork(w.network);
      if (!n || !poolable(n)) continue;
      this.networkIds.set(w.network, n.id);
      if ((this.ready.get(n.id)?.length ?? 0) < w.size) return n;
    }
    return undefined;
  }

  private async fillOne(n: NetworkRecord): Promise<void> {
    const rec = readyRecord(n);
    // On record before the kernel is touched, as a sandbox is: a crash while it is made leaves a record naming it.
    const go = await this.ctx.state.locked(async () => {
      if (this.closed || !(await this.ctx.state.network(n.id).catch(() => undefined))) return false;
      await this.ctx.state.writePoolEntry(rec);
      return true;
    });
    if (!go) return;
    let handle: NativeNetns;
    let cookie: string;
    try {
      ({ handle, cookie } = await makeReadyPair(this.ctx, rec, n));
    } catch (e) {
      await this.ctx.state.locked(() => this.ctx.state.removePoolEntry(rec.id));
      throw e;
    }
    // Kept unless the network (and its bridge) went meanwhile, or reconcile took the namespace.
    const kept = this.ctx.state.hasPoolEntry(rec.id) && existsSync(join(this.ctx.netnsDir, rec.netnsName));
    if (!kept || this.closed) {
      await this.ctx.state.locked(async () => {
        handle.close();
        if (await this.ctx.state.removePoolEntry(rec.id)) await discardReady(this.ctx, rec);
      });
      return;
    }
    let list = this.ready.get(n.id);
    if (!list) this.ready.set(n.id, (list = []));
    list.push({ ...rec, handle, cookie });
  }
}

/** The names of a ready pair to be: a namespace and a veth pair named after the sandbox and endpoint ids it will give. */
export function readyRecord(n: NetworkRecord): PoolRecord {
  const id = newId();
  const endpointId = newId();
  return {
    id,
    endpointId,
    networkId: n.id,
    netnsName: sandboxNetnsName(id),
    hostIfname: hostVethName(endpointId),
    owner: { pid: process.pid },
    created: new Date().toISOString(),
  };
}

/** Makes the namespace with its pair on the network's bridge (sandbox end down); resolves to the namespace's handle and cookie. */
export async function makeReadyPair(ctx: PoolContext, rec: PoolRecord, n: NetworkRecord): Promise<{ handle: NativeNetns; cookie: string }> {
  const plan = ctx.host.plan();
  const ns = plan.add<NativeNetns>(netnsCalls.create({ name: rec.netnsName, dir: ctx.netnsDir, loopbackUp: true }));
  const cookie = plan.add<string>(netnsCalls.cookie(), ns);
  vethCalls(plan, ns, { hostIfname: rec.hostIfname, ifname: POOLED_IFNAME }, n, ctx.state.owner, false);
  const results = await plan.run();
  return { handle: results[0] as NativeNetns, cookie: results[cookie.$result] as string };
}

/** A ready pair that will not become a sandbox: its namespace goes, its pair with it. */
export async function discardReady(ctx: Pick<PoolContext, 'host' | 'netnsDir'>, entry: Pick<PoolEntry, 'netnsName'> & { handle?: NativeNetns }): Promise<void> {
  entry.handle?.close();
  await ctx.host.exec([netnsCalls.remove(entry.netnsName, { dir: ctx.netnsDir, ifExists: true })]).catch(() => undefined);
}
