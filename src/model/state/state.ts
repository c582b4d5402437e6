// The model's documents in its state directories, and the one lock every
// change takes: a change reads, allocates, talks to the kernel and writes
// while holding it, so two processes never hand out the same address or port.
import { join } from 'node:path';
import { StateStore, stateDirs, type StateDirs } from '../../store/state-store.js';
import type { TakenPort } from '../sandboxes/ports.js';
import type { NetworkRecord, SandboxRecord } from './records.js';
import { IpamStore } from './ipam-store.js';

const NETWORKS = 'networks';
const IPAM = 'ipam';
const SANDBOXES = 'sandboxes';
const SANDBOX_NAMES = 'sandbox-names';
const SANDBOX_KEYS = 'sandbox-keys';
const PORTS = 'ports';
const PORTS_ID = 'published';

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

  constructor(readonly dirs: StateDirs) {
    this.config = new StateStore(dirs.config);
    this.runtime = new StateStore(dirs.runtime);
    this.ipam = new IpamStore(join(dirs.runtime, IPAM));
  }

  static fromOptions(opts: { stateDir?: string; runtimeDir?: string; configDir?: string }): ModelState {
    const env = opts.stateDir !== undefined ? { ...process.env, NETPLUMB_STATE_DIR: opts.stateDir } : process.env;
    return new ModelState(stateDirs({ runtime: opts.runtimeDir, config: opts.configDir } as Partial<StateDirs>, env));
  }

  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.runtime.locked(fn, { timeoutMs: 30_000 });
  }

  networks(): Promise<NetworkRecord[]> {
    return readAll<NetworkRecord>(this.config, NETWORKS);
  }
  network(id: string): Promise<NetworkRecord | undefined> {
    return this.config.read<NetworkRecord>(NETWORKS, id);
  }
  writeNetwork(n: NetworkRecord): Promise<void> {
    return this.config.write(NETWORKS, n.id, n);
  }
  removeNetwork(id: string): Promise<boolean> {
    return this.config.remove(NETWORKS, id);
  }

  sandboxes(): Promise<SandboxRecord[]> {
    return readAll<SandboxRecord>(this.runtime, SANDBOXES);
  }
  sandbox(id: string): Promise<SandboxRecord | undefined> {
    return this.runtime.read<SandboxRecord>(SANDBOXES, id);
  }
  /**
   * Writes the sandbox and its indexes. The record goes last: it is what makes
   * the sandbox exist, so a crash in between leaves an index pointing at
   * nothing (ignored by the lookups), never a sandbox its name cannot find.
   */
  async writeSandbox(s: SandboxRecord): Promise<void> {
    await this.runtime.write(SANDBOX_NAMES, s.name, { id: s.id });
    if (s.idempotencyKey !== undefined) await this.runtime.write(SANDBOX_KEYS, s.idempotencyKey, { id: s.id });
    await this.runtime.write(SANDBOXES, s.id, s);
  }
  /** Keeps the record (others still use its namespace) but frees its name, as a removed container's. */
  async hideSandbox(s: SandboxRecord): Promise<void> {
    await this.runtime.write(SANDBOXES, s.id, s);
    const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, s.name);
    if (index?.id === s.id) await this.runtime.remove(SANDBOX_NAMES, s.name);
    await this.forgetKey(s);
  }
  async removeSandbox(s: Pick<SandboxRecord, 'id' | 'name' | 'idempotencyKey'>): Promise<void> {
    const index = await this.runtime.read<{ id: string }>(SANDBOX_NAMES, s.name);
    if (index?.id === s.id) await this.runtime.remove(SANDBOX_NAMES, s.name);
    await this.forgetKey(s);
    await this.runtime.remove(SANDBOXES, s.id);
  }
  private async forgetKey(s: Pick<SandboxRecord, 'id' | 'idempotencyKey'>): Promise<void> {
    if (s.idempotencyKey === undefined) return;
    const index = await this.runtime.read<{ id: string }>(SANDBOX_KEYS, s.idempotencyKey);
    if (index?.id === s.id) await this.runtime.remove(SANDBOX_KEYS, s.idempotencyKey);
  }
  /** The sandbox id a name belongs to (an index, so that a lookup does not read every sandbox). */
  async sandboxIdByName(name: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(name)) return undefined;
    return this.indexed(SANDBOX_NAMES, name);
  }

  /** The sandbox id a create request's idempotency key made. */
  sandboxIdByKey(key: string): Promise<string | undefined> {
    return this.indexed(SANDBOX_KEYS, key);
  }

  /** The id an index document names, when that sandbox's record exists. */
  private async indexed(kind: string, key: string): Promise<string | undefined> {
    const id = (await this.runtime.read<{ id: string }>(kind, key))?.id;
    return id !== undefined && this.runtime.has(SANDBOXES, id) ? id : undefined;
  }

  /** Every published port of every sandbox: one document, read only by attaches that publish. */
  async ports(): Promise<TakenPort[]> {
    return (await this.runtime.read<TakenPort[]>(PORTS, PORTS_ID)) ?? [];
  }
  writePorts(ports: TakenPort[]): Promise<void> {
    return this.runtime.write(PORTS, PORTS_ID, ports);
  }
}
