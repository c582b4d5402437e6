// Published host ports as one small document per host port, under
// <runtime>/ports/<protocol>-<port>.json, holding the bindings of that port
// (usually one; more only when several host addresses share the number) with
// their owners. Whether a host port is free is then one read, and publishing
// or unpublishing touches only its own ports' documents, whatever the number
// of sandboxes. (One document holding every published port was read and
// rewritten whole on each attach and detach: 1.3 ms at 1,000 sandboxes.)
// An append-only log would make each write one append too, but every reader
// would have to replay it (or keep it in memory and follow other processes'
// appends) and someone would have to compact it; per-port documents need
// neither, as IPAM's per-address documents do not.
import type { PortProtocol } from '../../addressing/port-spec.js';
import type { StateStore } from '../../store/state-store.js';
import type { PublishedPort } from './records.js';

/** A published port with its owner, as the port documents keep it. */
export interface TakenPort extends PublishedPort {
  sandbox: string;
  endpoint: string;
}

/** Where the ports live in the store: one kind, documents named protocol-port. */
const KIND = 'ports';
/** The document of the old layout (every port in one), removed by rebuild(). */
const LEGACY = 'published';

/** The document of one host port. */
export const portDocument = (protocol: PortProtocol, port: number): string => `${protocol}-${port}`;
const docId = portDocument;

function byDocument(ports: readonly TakenPort[]): Map<string, TakenPort[]> {
  const out = new Map<string, TakenPort[]>();
  for (const p of ports) {
    const id = docId(p.protocol, p.hostPort);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(p);
  }
  return out;
}

export class PortStore {
  /** `store`: the runtime store; the documents go under its ports/. */
  constructor(private readonly store: StateStore) {}

  /** The bindings of one host port, with their owners (empty when the port is free): one read. */
  holders(protocol: PortProtocol, port: number): TakenPort[] {
    return this.store.readSync<TakenPort[]>(KIND, portDocument(protocol, port)) ?? [];
  }

  /**
   * Adds bindings to their ports' documents; the caller holds the state lock.
   * `known`: what holders() answered for these ports under the same lock, so
   * they need not be read again.
   */
  async add(ports: readonly TakenPort[], known?: ReadonlyMap<string, readonly TakenPort[]>): Promise<void> {
    for (const [id, mine] of byDocument(ports)) {
      const now = known?.get(id) ?? (await this.store.read<TakenPort[]>(KIND, id)) ?? [];
      await this.store.write(KIND, id, [...now, ...mine]);
    }
  }

  /** Removes the bindings of these endpoints from the documents of the ports given; the caller holds the lock. */
  async remove(ports: readonly Pick<TakenPort, 'protocol' | 'hostPort' | 'endpoint'>[]): Promise<void> {
    const ids = new Map<string, Set<string>>();
    for (const p of ports) {
      const id = docId(p.protocol, p.hostPort);
      let owners = ids.get(id);
      if (!owners) ids.set(id, (owners = new Set()));
      owners.add(p.endpoint);
    }
    for (const [id, owners] of ids) {
      const now = await this.store.read<TakenPort[]>(KIND, id);
      if (!now) continue;
      const left = now.filter((t) => !owners.has(t.endpoint));
      if (left.length === now.length) continue;
      if (left.length === 0) await this.store.remove(KIND, id);
      else await this.store.write(KIND, id, left);
    }
  }

  /** Every binding (reads every document: for reconcile and tests). */
  async all(): Promise<TakenPort[]> {
    const out: TakenPort[] = [];
    for (const id of await this.store.list(KIND)) {
      if (id === LEGACY) continue;
      out.push(...((await this.store.read<TakenPort[]>(KIND, id)) ?? []));
    }
    return out;
  }

  /** Makes the documents hold exactly `ports` (reconcile: from the live records), touching only those that differ. */
  async rebuild(ports: readonly TakenPort[]): Promise<void> {
    const want = byDocument(ports);
    for (const id of await this.store.list(KIND)) {
      if (want.has(id)) continue;
      await this.store.remove(KIND, id);
    }
    for (const [id, list] of want) {
      const now = await this.store.read<TakenPort[]>(KIND, id);
      if (JSON.stringify(now) !== JSON.stringify(list)) await this.store.write(KIND, id, list);
    }
  }
}
