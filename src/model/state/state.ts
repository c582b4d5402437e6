// The model's documents in its state directories, and the one lock every
// change takes: a change reads, allocates, talks to the kernel and writes
// while holding it, so two processes never hand out the same address or port.
//
// A damaged document is a StateError naming it when an operation needs that
// document; listings skip it (and remember it in `damaged`), so every other
// network and sandbox keeps working until reconcile repairs or quarantines it.
import { join } from 'node:path';
import { deadLockFiles } from '../../store/lock.js';
import { StateError } from '../../core/errors.js';
import { StateStore, stateDirs, type DocumentCheck, type StateDirs } from '../../store/state-store.js';
import type { PortProtocol } from '../../addressing/port-spec.js';
import type { NetworkRecord, PoolRecord, SandboxRecord } from './records.js';
import { IpamStore } from './ipam-store.js';
import { ownerOf, type Owner } from './owner.js';
import { PortStore, PORTS, type PortDamage, type TakenPort } from './port-store.js';
import { nameIndexCheck, networkCheck, poolCheck, sandboxCheck } from './shapes.js';

export const NETWORKS = 'networks';
export const SANDBOXES = 'sandboxes';
export const SANDBOX_NAMES = 'sandbox-names';
export { PORTS };
const IPAM = 'ipam';
const SANDBOX_KEYS = 'sandbox-keys';
export const POOL = 'pool';
/** Where reconcile moves documents it cannot use or rebuild (under the runtime directory). */
const QUARANTINE = 'quarantine';

/** A document that could not be used: which kind and id, the file, and what is wrong. */
export interface Damage {
  kind: string;
  id: string;
  file: string;
  problem: string;
}

export class ModelState {
  private readonly config: StateStore;
  private readonly runtime: StateStore;
  /** Documents that listings skipped because they are damaged, by file. */
  readonly damaged = new Map<string, Damage>();

  /** IPAM allocations: runtime state, one document per address. */
  readonly ipam: IpamStore;
  /** Published host ports: runtime state, one document per host port. */
  private readonly portDocs: PortStore;
  #owner: Owner | undefined;

  constructor(readonly dirs: StateDirs) {
    this.config = new StateStore(dirs.config, 'persistent');
    // Runtime documents describe namespaces, addresses and ports, which die with the machine.
    this.runtime = new StateStore(dirs.runtime, 'boot');
    this.ipam = new IpamStore(join(dirs.runtime, IPAM));
    this.portDocs = new PortStore(this.runtime);
  }

  /** Which state root this is, as the kernel objects and firewall entries it makes say. */
  get owner(): Owner {
    // Hashed when first asked: a listing never needs it, and hashing starts OpenSSL.
    return (this.#owner ??= ownerOf(this.dirs));
  }

  static fromOptions(opts: { stateDir?: string; runtimeDir?: string; configDir?: string }): ModelState {
    const env = opts.stateDir !== undefined ? { ...process.env, NETPLUMB_STATE_DIR: opts.stateDir } : process.env;
    return new ModelState(stateDirs({ runtime: opts.runtimeDir, config: opts.configDir } as Partial<StateDirs>, env));
  }

  /** Runs `fn` holding the state lock; `besideParked`: also while other changes are parked (creates: see park). */
  locked<T>(fn: () => Promise<T>, opts: { besideParked?: boolean } = {}): Promise<T> {
    return this.runtime.locked(fn, { timeoutMs: 30_000, ...opts });
  }

  /**
   * Inside locked(): lets other creates of this process run while `work` (a
   * create's kernel plan, its records written) settles; then this change has
   * its turn back. `id` is its sandbox's: see inFlight.
   */
  park<T>(id: string, work: Promise<T>): Promise<T> {
    return this.runtime.park(id, work);
  }

  /** Whether a pending record is a create of this process that is parked (in flight), not a dead process's. */
  inFlight(id: string): boolean {
    return this.runtime.parked(id);
  }

  /** Every usable document of a kind; damaged ones are remembered in `damaged`, one removed meanwhile is skipped. */
  private async readAll<T>(store: StateStore, kind: string, check: (id: string) => DocumentCheck): Promise<T[]> {
    const out: T[] = [];
    for (const id of await store.list(kind)) {
      try {
        const doc = await store.read<T>(kind, id, check(id));
        if (doc !== undefined) out.push(doc);
        this.damaged.delete(store.file(kind, id));
      } catch (e) {
        if (!(e instanceof StateError)) throw e;
        this.damaged.set(e.file, { kind, id, file: e.file, problem: e.problem });
      }
    }
    return out;
  }

  networks(): Promise<NetworkRecord[]> {
    return this.readAll<NetworkRecord>(this.config, NETWORKS, networkCheck);
  }
  /** One network's record; kept in this process while a stat finds the same file (every attach and refill asks). */
  async network(id: string): Promise<NetworkRecord | undefined> {
    return this.config.readKnown<NetworkRecord>(NETWORKS, id, networkCheck(id));
  }
  writeNetwork(n: NetworkRecord): Promise<void> {
    return this.config.write(NETWORKS, n.id, n);
  }
  removeNetwork(id: string): Promise<boolean> {
    return this.config.remove(NETWORKS, id);
  }

  /** Sandboxes that are whole; with `pending`, also those whose creation never finished. */
  async sandboxes(opts: { pending?: boolean } = {}): Promise<SandboxRecord[]> {
    const all = await this.readAll<SandboxRecord>(this.runtime, SANDBOXES, sandboxCheck);
    return opts.pending ? all : all.filter((s) => s.pending === undefined);
  }
  /** The record, pending or not. */
  sandbox(id: string): Promise<SandboxRecord | undefined> {
    return this.runtime.read<SandboxRecord>(SANDBOXES, id, sandboxCheck(id));
  }
  /** Writes the record (not the name index: see indexName). */
  writeSandbox(s: SandboxRecord): Promise<void> {
    return this.runtime.write(SANDBOXES, s.id, s);
  }
  /** Points the sandbox's name at it; written before the record becomes whole, so a whole record is always found by name. */
  async indexName(s: Pick<SandboxRecord, 'id' | 'name' | 'idempotencyKey'>): Promise<void> {
    await this.runtime.write(SANDBOX_NAMES, s.name, { id: s.id });
    if (s.idempotencyKey !== undefined) await this.runtime.write(SANDBOX_KEYS, s.idempotencyKey, { id: s.id });
  }
  /** Keeps the record (others still use its namespace) but frees its name, as a removed container's. */
  async hideSandbox(s: SandboxRecord): Promise<void> {
    await this.runtime.write(SANDBOXES, s.id, s);
    await this.unindex(s);
  }
  async removeSandbox(s: Pick<SandboxRecord, 'id' | 'name' | 'idempotencyKey'>): Promise<void> {
    await this.unindex(s);
    await this.removeRecord(s.id);
  }
  /** The sandbox's record alone (its name and key are freed first: see unindex). */
  async removeRecord(id: string): Promise<void> {
    await this.runtime.remove(SANDBOXES, id);
  }
  /**
   * Frees the sandbox's name and idempotency key where they still point at
   * it (`indexed`: the caller read under the lock that the name's entry does);
   * says which it freed (see reindex).
   */
  async unindex(s: Pick<SandboxRecord, 'id' | 'name' | 'idempotencyKey'>, indexed = false): Promise<{ name: boolean; key: boolean }> {
    const name = indexed ? await this.runtime.remove(SANDBOX_NAMES, s.name) : await this.unindexName(s);
    return { name, key: await this.forgetKey(s) };
  }
  /** Puts back what unindex freed (a removal whose kernel part failed: the sandbox stays). */
  async reindex(s: Pick<SandboxRecord, 'id' | 'name' | 'idempotencyKey'>, freed: { name: boolean; key: boolean }): Promise<void> {
    if (freed.name) await this.runtime.write(SANDBOX_NAMES, s.name, { id: s.id });
    if (freed.key && s.idempotencyKey !== undefined) await this.runtime.write(SANDBOX_KEYS, s.idempotencyKey, { id: s.id });
  }
  private async forgetKey(s: Pick<SandboxRecord, 'id' | 'idempotencyKey'>): Promise<boolean> {
    if (s.idempotencyKey === undefined) return false;
    const index = await this.runtime.read<{ id: string }>(SANDBOX_KEYS, s.idempotencyKey, nameIndexCheck).catch(() => undefined);
    return index?.id === s.id && (await this.runtime.remove(SANDBOX_KEYS, s.idempotencyKey));
  }
  /** The sandbox id a create request's idempotency key made, when that sandbox is whole. */
  async sandboxIdByKey(key: string): Promise<string | undefined> {
    const id = (await this.runtime.read<{ id: string }>(SANDBOX_KEYS, key, nameIndexCheck).catch(() => undefined))?.id;
    if (id === undefined) return undefined;
    const s = await this.sandbox(id).catch(() => undefined);
    return s && s.pending === undefined ? id : undefined;
  }
  /** Removes the name's index entry if it points at this sandbox (a damaged entry is left for reconcile). */
  async unindexName(s: Pick<SandboxRecord, 'id' | 'name'>): Promise<boolean> {
    const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, s.name, nameIndexCheck).catch((e: unknown) => {
      if (e instanceof StateError) return undefined;
      throw e;
    });
    return index?.id === s.id && (await this.runtime.remove(SANDBOX_NAMES, s.name));
  }

  /**
   * The sandbox id a name belongs to (an index, so that a lookup does not
   * read every sandbox). `likelyFree`: a create's check of a new name, which
   * is usually not taken (a stat first). A damaged index entry is no answer: the records are
   * read to find the name instead.
   */
  async sandboxIdByName(name: string, opts: { likelyFree?: boolean } = {}): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(name)) return undefined;
    try {
      return (await this.runtime.read<{ id: string }>(SANDBOX_NAMES, name, nameIndexCheck, { likelyMissing: opts.likelyFree === true }))?.id;
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      this.damaged.set(e.file, { kind: SANDBOX_NAMES, id: name, file: e.file, problem: e.problem });
      return (await this.sandboxes({ pending: true })).find((s) => s.name === name && !s.removed)?.id;
    }
  }

  /** Every name index entry: name → id, with the damaged ones apart. */
  async nameIndex(): Promise<{ names: Map<string, string>; damaged: Damage[] }> {
    const names = new Map<string, string>();
    const damaged: Damage[] = [];
    for (const name of await this.runtime.list(SANDBOX_NAMES)) {
      try {
        const doc = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, name, nameIndexCheck);
        if (doc) names.set(name, doc.id);
      } catch (e) {
        if (!(e instanceof StateError)) throw e;
        damaged.push({ kind: SANDBOX_NAMES, id: name, file: e.file, problem: e.problem });
      }
    }
    return { names, damaged };
  }
  removeNameIndex(name: string): Promise<boolean> {
    return this.runtime.remove(SANDBOX_NAMES, name);
  }

  /**
   * Who publishes one host port (protocol and number): one document, so a
   * check costs the same however many ports are published. A damaged
   * document is a StateError (remembered for reconcile): the caller asks
   * the records instead (portsOfRecords), which hold the same ports.
   */
  portHolders(protocol: PortProtocol, port: number): TakenPort[] {
    try {
      return this.portDocs.holders(protocol, port);
    } catch (e) {
      if (e instanceof StateError) this.damaged.set(e.file, { kind: PORTS, id: `${protocol}-${port}`, file: e.file, problem: e.problem });
      throw e;
    }
  }
  /** Every published port as the records say (pending ones included): what the port documents hold when they are whole. */
  async portsOfRecords(): Promise<TakenPort[]> {
    return portsOf(await this.sandboxes({ pending: true }));
  }
  /** Adds the bindings to their ports' documents (under the lock). */
  publishPorts(ports: readonly TakenPort[]): Promise<void> {
    return this.portDocs.add(ports);
  }
  /** Removes these endpoints' bindings from their ports' documents (under the lock); the bindings removed. */
  unpublishPorts(ports: readonly Pick<TakenPort, 'protocol' | 'hostPort' | 'endpoint'>[]): Promise<TakenPort[]> {
    return this.portDocs.remove(ports);
  }
  /** Every port document's bindings, with the damaged documents apart (reads them all: reconcile and tests). */
  allPorts(): Promise<{ ports: TakenPort[]; damaged: PortDamage[] }> {
    return this.portDocs.all();
  }
  /** Makes the port documents hold exactly `ports` (reconcile); the ids of those it changed. */
  rebuildPorts(ports: readonly TakenPort[]): Promise<string[]> {
    return this.portDocs.rebuild(ports);
  }

  /** Warm pool entries (namespaces made ahead of sandboxes): runtime state, one document each; damaged ones are skipped (see damaged). */
  poolEntries(): Promise<PoolRecord[]> {
    return this.readAll<PoolRecord>(this.runtime, POOL, poolCheck);
  }
  writePoolEntry(p: PoolRecord): Promise<void> {
    return this.runtime.write(POOL, p.id, p);
  }
  /** Whether the entry is still on record (under the lock: then it is free to claim). */
  hasPoolEntry(id: string): boolean {
    return this.runtime.has(POOL, id);
  }
  /** Removes an entry; false when it was gone already (another engine, reconcile or a network's removal took it). */
  removePoolEntry(id: string): Promise<boolean> {
    return this.runtime.remove(POOL, id);
  }

  /** Where quarantined documents of this run of reconcile go: <runtime>/quarantine/<time>/. */
  quarantineDir(stamp: string): string {
    return join(this.dirs.runtime, QUARANTINE, stamp);
  }

  /** Moves a damaged document into `dir`; returns where it went. */
  quarantine(d: Pick<Damage, 'kind' | 'id'>, dir: string): Promise<string | undefined> {
    const store = d.kind === NETWORKS ? this.config : this.runtime;
    return store.quarantine(d.kind, d.id, dir);
  }

  /**
   * Temp files of writers that died: in the kinds' directories and the IPAM
   * directories (written only under the lock, which the caller holds), and
   * lock files in the runtime directory whose process is gone.
   */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    out.push(...(await this.config.leftovers(NETWORKS)));
    for (const kind of [SANDBOXES, SANDBOX_NAMES, PORTS, POOL]) out.push(...(await this.runtime.leftovers(kind)));
    out.push(...(await this.ipam.leftovers()));
    out.push(...deadLockFiles(this.dirs.runtime));
    return out;
  }
}

/** Every published port as the records say (what the port documents should hold). */
export function portsOf(sandboxes: readonly SandboxRecord[]): TakenPort[] {
  return sandboxes.flatMap((s) => s.endpoints.flatMap((e) => e.ports.map((p) => ({ ...p, sandbox: s.name, endpoint: e.id }))));
}
