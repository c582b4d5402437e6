// The warm pool: namespaces made ahead of any sandbox, each with its veth
// pair already on a network's bridge (both ends down, no address, hairpin
// set), so that a create on that network is left with the address, the
// route, the port elements and the state. It is refilled in the background,
// one namespace at a time, only while this engine runs no create or remove:
// both would wait for the kernel's rtnl lock behind a refill.
//
// Each entry is on record (<runtime>/pool/<id>.json) with the engine's pid.
// A create claims an entry by removing its record under the state lock, so
// an entry that reconcile or a network's removal took meanwhile is simply
// skipped. Reconcile keeps the entries of live engines and deletes the
// others; an engine deletes its own when it closes. A namespace never handed
// out carries nothing of anyone: a sandbox made from it cannot be told from
// one made cold (test/kernel/model/pool.test.ts compares them).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeNetns } from '../../addon/native.js';
import { netnsCalls } from '../../netns.js';
import type { Netns } from '../../netns.js';
import type { ModelState } from '../state/state.js';
import { hostVethName, newId, sandboxNetnsName } from '../state/names.js';
import type { NetworkRecord, PoolRecord } from '../state/records.js';
import { vethCalls } from './endpoint-calls.js';

export interface PoolOptions {
  /** The network (name or id) whose bridge the pooled pairs are attached to. */
  network: string;
  /** How many namespaces to keep ready; 0 keeps none (every create makes its own). */
  size: number;
}

export interface PoolEntry extends PoolRecord {
  /** The namespace, held open with its rtnetlink socket: a create's calls in it need no setns. */
  handle: NativeNetns;
}

/** The pooled pair's sandbox end, as vethCalls makes it. */
export const POOLED_IFNAME = 'eth0';

/** What the pool needs of the engine (not ModelContext: the context holds the pool). */
export interface PoolContext {
  readonly state: ModelState;
  readonly host: Netns;
  readonly netnsDir: string;
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

  /** Whether an entry of this network is ready. */
  has(networkId: string): boolean {
    return (this.ready.get(networkId)?.length ?? 0) > 0;
  }

  /** A ready entry of this network, off the pool; claim() it under the state lock before use. */
  take(networkId: string): PoolEntry | undefined {
    return this.ready.get(networkId)?.shift();
  }

  /** Claims a taken entry by removing its record; false (and the entry closed) when someone removed it first. */
  async claim(entry: PoolEntry): Promise<boolean> {
    if (await this.ctx.state.removePoolEntry(entry.id)) return true;
    entry.handle.close();
    return false;
  }

  /** A claimed entry that did not become a sandbox: its namespace goes (its pair with it). */
  async discard(entry: PoolRecord & { handle?: NativeNetns }): Promise<void> {
    entry.handle?.close();
    await this.ctx.host.exec([netnsCalls.remove(entry.netnsName, { dir: this.ctx.netnsDir, ifExists: true })]).catch(() => undefined);
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
      for (const e of mine) {
        await this.ctx.state.removePoolEntry(e.id);
        e.handle.close();
      }
      await this.ctx.host.exec(mine.map((e) => netnsCalls.remove(e.netnsName, { dir: this.ctx.netnsDir, ifExists: true }))).catch(() => undefined);
    });
  }

  private async fill(): Promise<void> {
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
      const n = (await this.ctx.state.networkByName(w.network)) ?? (/^[0-9a-f]{64}$/.test(w.network) ? await this.ctx.state.network(w.network) : undefined);
      if (!n) continue;
      this.networkIds.set(w.network, n.id);
      if ((this.ready.get(n.id)?.length ?? 0) < w.size) return n;
    }
    return undefined;
  }

  private async fillOne(n: NetworkRecord): Promise<void> {
    const id = newId();
    const endpointId = newId();
    const rec: PoolRecord = {
      id,
      endpointId,
      networkId: n.id,
      netnsName: sandboxNetnsName(id),
      hostIfname: hostVethName(endpointId),
      owner: { pid: process.pid },
      created: new Date().toISOString(),
    };
    const plan = this.ctx.host.plan();
    const ns = plan.add<NativeNetns>(netnsCalls.create({ name: rec.netnsName, dir: this.ctx.netnsDir, loopbackUp: true }));
    vethCalls(plan, ns, { hostIfname: rec.hostIfname, ifname: POOLED_IFNAME }, n, false);
    const [handle] = (await plan.run()) as [NativeNetns];
    // On record under the lock, unless the network (and its bridge) went meanwhile or reconcile took the namespace.
    const kept = await this.ctx.state.locked(async () => {
      if (this.closed || !(await this.ctx.state.network(n.id)) || !existsSync(join(this.ctx.netnsDir, rec.netnsName))) return false;
      await this.ctx.state.writePoolEntry(rec);
      return true;
    });
    if (!kept) return this.discard({ ...rec, handle });
    let list = this.ready.get(n.id);
    if (!list) this.ready.set(n.id, (list = []));
    list.push({ ...rec, handle });
  }
}
