// The model's documents in its state directories, and the one lock every
// change takes: a change reads, allocates, talks to the kernel and writes
// while holding it, so two processes never hand out the same address or port.
import { join } from 'node:path';
import { StateStore, stateDirs, type StateDirs } from '../../store/state-store.js';
import type { NetworkRecord, PoolRecord, SandboxRecord } from './records.js';
import { IpamStore } from './ipam-store.js';
import { PortStore } from './port-store.js';

const NETWORKS = 'networks';
const NETWORK_NAMES = 'network-names';
const IPAM = 'ipam';
const SANDBOXES = 'sandboxes';
const SANDBOX_NAMES = 'sandbox-names';
const POOL = 'pool';

/** Every document of a kind; one removed between listing and reading is skipped. */
async function readAll<T>(store: StateStore, kind: string): Promise<T[]> {
  const docs = await Promise.all((await store.list(kind)).map((id) => store.read<T>(kind, id)));
  return docs.filter((d): d is Awaited<T> => d !== undefined) as T[];
}

export class ModelState {
  private readonly config: StateStore;
  private readonly runtime: StateStore;

  /** IPAM allocations: runtime state, one document per address. */
  readonly ipam: IpamStore;
  /** Published host ports: runtime state, one document per host port. */
  readonly ports: PortStore;

  constructor(readonly dirs: StateDirs) {
    this.config = new StateStore(dirs.config, 'persistent');
    // Runtime documents describe namespaces, addresses and ports, which die with the machine.
    this.runtime = new StateStore(dirs.runtime, 'boot');
    this.ipam = new IpamStore(join(dirs.runtime, IPAM));
    this.ports = new PortStore(this.runtime);
  }

  static fromOptions(opts: { stateDir?: string; runtimeDir?: string; configDir?: string }): ModelState {
    const env = opts.stateDir !== undefined ? { ...process.env, NETPLUMB_STATE_DIR: opts.stateDir } : process.env;
    return new ModelState(stateDirs({ runtime: opts.runtimeDir, config: opts.configDir } as Partial<StateDirs>, env));
  }

  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.runtime.locked(fn, { timeoutMs: 30_000 });
  }
  /** Whether a change of this process holds the lock or waits for it (another would wait). */
  get lockBusy(): boolean {
    return this.runtime.lockBusy;
  }

  networks(): Promise<NetworkRecord[]> {
    return readAll<NetworkRecord>(this.config, NETWORKS);
  }
  network(id: string): Promise<NetworkRecord | undefined> {
    return this.config.read<NetworkRecord>(NETWORKS, id);
  }
  /** Writes the network and its name index. */
  async writeNetwork(n: NetworkRecord): Promise<void> {
    await this.config.write(NETWORKS, n.id, n);
    await this.config.write(NETWORK_NAMES, n.name, { id: n.id });
  }
  async removeNetwork(n: Pick<NetworkRecord, 'id' | 'name'>): Promise<boolean> {
    const index = await this.config.read<{ id: string }>(NETWORK_NAMES, n.name);
    if (index?.id === n.id) await this.config.remove(NETWORK_NAMES, n.name);
    return this.config.remove(NETWORKS, n.id);
  }
  /**
   * The network of this name, through the name index (one read, however many
   * networks there are); undefined when the index does not know the name
   * (no such network, or one written before the index existed).
   */
  async networkByName(name: string): Promise<NetworkRecord | undefined> {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(name)) return undefined;
    const id = (await this.config.read<{ id: string }>(NETWORK_NAMES, name))?.id;
    const n = id === undefined ? undefined : await this.network(id);
    return n?.name === name ? n : undefined;
  }

  sandboxes(): Promise<SandboxRecord[]> {
    return readAll<SandboxRecord>(this.runtime, SANDBOXES);
  }
  sandbox(id: string): Promise<SandboxRecord | undefined> {
    return this.runtime.read<SandboxRecord>(SANDBOXES, id);
  }
  /** Writes the sandbox and its name index. */
  async writeSandbox(s: SandboxRecord): Promise<void> {
    await this.writeSandboxRecord(s);
    await this.writeSandboxName(s);
  }
  /** The record alone (create: written once the kernel did its part). */
  writeSandboxRecord(s: SandboxRecord): Promise<void> {
    return this.runtime.write(SANDBOXES, s.id, s);
  }
  /** The name index alone (create: holds the name while the sandbox is made; a name whose record is missing finds nothing). */
  writeSandboxName(s: Pick<SandboxRecord, 'id' | 'name'>): Promise<void> {
    return this.runtime.write(SANDBOX_NAMES, s.name, { id: s.id });
  }
  /** Keeps the record (others still use its namespace) but frees its name, as a removed container's. */
  async hideSandbox(s: SandboxRecord): Promise<void> {
    await this.runtime.write(SANDBOXES, s.id, s);
    const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, s.name);
    if (index?.id === s.id) await this.runtime.remove(SANDBOX_NAMES, s.name);
  }
  async removeSandbox(s: Pick<SandboxRecord, 'id' | 'name'>): Promise<void> {
    const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, s.name);
    if (index?.id === s.id) await this.runtime.remove(SANDBOX_NAMES, s.name);
    await this.runtime.remove(SANDBOXES, s.id);
  }
  /** Drops name index entries whose sandbox has no record among `ids` (a create a crash cut short); reconcile, under the lock. */
  async pruneSandboxNames(ids: ReadonlySet<string>): Promise<void> {
    for (const name of await this.runtime.list(SANDBOX_NAMES)) {
      const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, name);
      if (index && !ids.has(index.id)) await this.runtime.remove(SANDBOX_NAMES, name);
    }
  }
  /** The sandbox id a name belongs to (an index, so that a lookup does not read every sandbox). */
  async sandboxIdByName(name: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(name)) return undefined;
    return (await this.runtime.read<{ id: string }>(SANDBOX_NAMES, name))?.id;
  }

  /** Warm pool entries (namespaces made ahead of sandboxes): runtime state, one document each. */
  poolEntries(): Promise<PoolRecord[]> {
    return readAll<PoolRecord>(this.runtime, POOL);
  }
  writePoolEntry(p: PoolRecord): Promise<void> {
    return this.runtime.write(POOL, p.id, p);
  }
  /** Removes an entry; false when it was gone already (another engine, reconcile or a network's removal took it). */
  removePoolEntry(id: string): Promise<boolean> {
    return this.runtime.remove(POOL, id);
  }
}
