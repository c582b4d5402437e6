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
//
// A damaged document is no answer: the records, which hold the same ports,
// are asked instead (see ModelState), and reconcile rewrites it.
import { StateError } from '../../core/errors.js';
import type { PortProtocol } from '../../addressing/port-spec.js';
import type { StateStore } from '../../store/state-store.js';
import type { PublishedPort } from './records.js';
import { portDocCheck } from './shapes.js';

/** A published port with its owner, as the port documents keep it. */
export interface TakenPort extends PublishedPort {
  sandbox: string;
  endpoint: string;
}

/** Where the ports live in the store: one kind, documents named protocol-port. */
export const PORTS = 'ports';
/** The document of the old layout (every port in one), removed by rebuild(). */
const LEGACY = 'published';

const docId = (protocol: PortProtocol, port: number): string => `${protocol}-${port}`;

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

/** A port document that could not be used. */
export interface PortDamage {
  id: string;
  file: string;
  problem: string;
}

export class PortStore {
  /** `store`: the runtime store; the documents go under its ports/. */
  constructor(private readonly store: StateStore) {}

  /**
   * The bindings of one host port, with their owners (empty when the port is
   * free): one stat, and one read when it is taken. A damaged document is a
   * StateError naming it.
   */
  holders(protocol: PortProtocol, port: number): TakenPort[] {
    const id = docId(protocol, port);
    return this.store.readSync<TakenPort[]>(PORTS, id, portDocCheck(id), { likelyMissing: true }) ?? [];
  }

  /** Adds bindings to their ports' documents; the caller holds the state lock. */
  async add(ports: readonly TakenPort[]): Promise<void> {
    for (const [id, mine] of byDocument(ports)) {
      let now: TakenPort[] | undefined;
      try {
        // Usually a port nobody publishes yet: a stat first, since a failed open costs a thrown error.
        now = this.store.readSync<TakenPort[]>(PORTS, id, portDocCheck(id), { likelyMissing: true });
      } catch (e) {
        // A damaged document stays as it is: readers ask the records instead, and reconcile rebuilds it from them.
        if (e instanceof StateError) continue;
        throw e;
      }
      // A port nobody publishes yet gets its document made in place (port documents are read under the state lock).
      if (now === undefined && (await this.store.create(PORTS, id, mine))) continue;
      await this.store.write(PORTS, id, [...(now ?? []), ...mine]);
    }
  }

  /** Removes the bindings of these endpoints from the documents of the ports given; the caller holds the lock. Returns the bindings removed. */
  async remove(ports: readonly Pick<TakenPort, 'protocol' | 'hostPort' | 'endpoint'>[]): Promise<TakenPort[]> {
    const removed: TakenPort[] = [];
    const ids = new Map<string, Set<string>>();
    for (const p of ports) {
      const id = docId(p.protocol, p.hostPort);
      let owners = ids.get(id);
      if (!owners) ids.set(id, (owners = new Set()));
      owners.add(p.endpoint);
    }
    for (const [id, owners] of ids) {
      const now = await this.readOrNone(id);
      // A damaged document is left for reconcile, which rebuilds it from the records.
      if (!now) continue;
      const left = now.filter((t) => !owners.has(t.endpoint));
      if (left.length === now.length) continue;
      if (left.length === 0) await this.store.remove(PORTS, id);
      else await this.store.write(PORTS, id, left);
      removed.push(...now.filter((t) => owners.has(t.endpoint)));
    }
    return removed;
  }

  /** Every binding, and the documents that could not be read (reads every document: for reconcile and tests). */
  async all(): Promise<{ ports: TakenPort[]; damaged: PortDamage[] }> {
    const ports: TakenPort[] = [];
    const damaged: PortDamage[] = [];
    for (const id of await this.store.list(PORTS)) {
      if (id === LEGACY) continue;
      try {
        ports.push(...((await this.store.read<TakenPort[]>(PORTS, id, portDocCheck(id))) ?? []));
      } catch (e) {
        if (!(e instanceof StateError)) throw e;
        damaged.push({ id, file: e.file, problem: e.problem });
      }
    }
    return { ports, damaged };
  }

  /**
   * Makes the documents hold exactly `ports` (reconcile: from the live
   * records), touching only those that differ; the document of the old
   * layout goes. Returns the ids of the documents written or removed.
   */
  async rebuild(ports: readonly TakenPort[]): Promise<string[]> {
    const want = byDocument(ports);
    const changed: string[] = [];
    for (const id of await this.store.list(PORTS)) {
      if (want.has(id)) continue;
      await this.store.remove(PORTS, id);
      changed.push(id);
    }
    for (const [id, list] of want) {
      const now = await this.readOrNone(id);
      if (JSON.stringify(now) === JSON.stringify(list)) continue;
      await this.store.write(PORTS, id, list);
      changed.push(id);
    }
    return changed;
  }

  private async readOrNone(id: string): Promise<TakenPort[] | undefined> {
    return this.store.read<TakenPort[]>(PORTS, id, portDocCheck(id)).catch((e: unknown) => {
      if (e instanceof StateError) return undefined;
      throw e;
    });
  }
}
