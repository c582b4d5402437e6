// IPAM allocations as one small document per address, under
// <runtime>/ipam/<network id>/: an attach checks a few addresses for a
// document and writes one, whatever the number of endpoints. (One document
// holding every allocation was rewritten whole on each attach and detach:
// 80 KB and half a millisecond at 1,000 endpoints.)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../../core/errors.js';
import { StateStore } from '../../store/state-store.js';
import { syncFs as fs } from '../../store/sync-fs.js';
import type { IpamRecord } from './records.js';
import { allocationCheck, cursorCheck } from './shapes.js';

/** Where automatic allocation resumes, per family (Docker's serial allocation). */
const LAST = 'last';

export interface Allocation {
  address: string;
  owner: string;
}

/** Where allocation resumes in a network, as stored (undefined: from the start). */
export type Cursor = { ipv4?: string; ipv6?: string } | undefined;

const orUndefined = (e: unknown): undefined => {
  if (e instanceof StateError) return undefined;
  throw e;
};

// Document ids may not hold ':'; IPv6 addresses never hold '_'.
const encode = (address: string): string => address.replace(/:/g, '_');
const decode = (id: string): string => id.replace(/_/g, ':');

export class IpamStore {
  private readonly store: StateStore;

  constructor(private readonly dir: string) {
    // Addresses are held by endpoints, which die with the machine.
    this.store = new StateStore(dir, 'boot');
  }

  /**
   * The stored cursor. A damaged one is no cursor: allocation then starts
   * from the beginning of the range (it still skips every address taken),
   * and the next attach writes a good one.
   */
  async storedCursor(networkId: string): Promise<Cursor> {
    return this.store.read<{ ipv4?: string; ipv6?: string }>(networkId, LAST, cursorCheck).catch(orUndefined);
  }

  /** Puts a cursor back as it was (undefined: none), for an attach that is undone. */
  async restoreCursor(networkId: string, cursor: Cursor): Promise<void> {
    if (cursor === undefined) await this.store.remove(networkId, LAST);
    else await this.store.write(networkId, LAST, cursor);
  }

  /** Where allocation resumes, with no allocation read: ask `isAllocated` per address. */
  async cursor(networkId: string): Promise<IpamRecord> {
    return this.recordAt(await this.storedCursor(networkId));
  }

  /** cursor() from a stored cursor already read. */
  recordAt(stored: Cursor): IpamRecord {
    const last = stored ?? {};
    const r: IpamRecord = { ipv4: { allocated: {}, ...(last.ipv4 ? { last: last.ipv4 } : {}) } };
    if (last.ipv6) r.ipv6 = { allocated: {}, last: last.ipv6 };
    return r;
  }

  /** One stat: serial allocation finds a free address after a few, whatever the number taken. */
  isAllocated(networkId: string, address: string): boolean {
    return existsSync(join(this.dir, networkId, `${encode(address)}.json`));
  }

  /** Every allocation with its owner (reads each document: for reconcile); damaged documents apart, by address. */
  async owners(networkId: string): Promise<{ allocations: Allocation[]; damaged: { address: string; file: string; problem: string }[] }> {
    const allocations: Allocation[] = [];
    const damaged: { address: string; file: string; problem: string }[] = [];
    for (const id of await this.store.list(networkId)) {
      if (id === LAST) continue;
      try {
        const doc = await this.store.read<{ owner: string }>(networkId, id, allocationCheck);
        if (doc) allocations.push({ address: decode(id), owner: doc.owner });
      } catch (e) {
        if (!(e instanceof StateError)) throw e;
        damaged.push({ address: decode(id), file: e.file, problem: e.problem });
      }
    }
    return { allocations, damaged };
  }

  /** Whether the cursor document is damaged (reconcile then removes it: allocation restarts from the beginning). */
  async cursorDamaged(networkId: string): Promise<StateError | undefined> {
    try {
      await this.store.read(networkId, LAST, cursorCheck);
      return undefined;
    } catch (e) {
      if (e instanceof StateError) return e;
      throw e;
    }
  }

  /** Removes the document of an address whatever it holds (reconcile, for a damaged one it has just rewritten or quarantined). */
  async forget(networkId: string, address: string): Promise<void> {
    await this.store.remove(networkId, encode(address));
  }

  /** Removes the cursor (allocation restarts from the beginning of the range). */
  async dropCursor(networkId: string): Promise<void> {
    await this.store.remove(networkId, LAST);
  }

  /** Moves a damaged allocation document into `dir`. */
  quarantine(networkId: string, address: string, dir: string): Promise<string | undefined> {
    return this.store.quarantine(networkId, encode(address), dir);
  }

  async claim(networkId: string, allocations: readonly Allocation[], last: { ipv4?: string; ipv6?: string }): Promise<void> {
    // A free address has no document: it is made in place (IPAM documents are read under the state lock only).
    for (const a of allocations)
      if (!(await this.store.create(networkId, encode(a.address), { owner: a.owner }))) await this.store.write(networkId, encode(a.address), { owner: a.owner });
    if (last.ipv4 !== undefined || last.ipv6 !== undefined) await this.store.write(networkId, LAST, last);
  }

  /**
   * Frees addresses that are still held by the owner given (another owner's
   * stays; so does a damaged document, whose owner cannot be told, until
   * reconcile looks at it).
   */
  async release(networkId: string, allocations: readonly Allocation[]): Promise<string[]> {
    const freed: string[] = [];
    for (const a of allocations) {
      const doc = await this.store.read<{ owner: string }>(networkId, encode(a.address), allocationCheck).catch(orUndefined);
      if (doc?.owner !== a.owner) continue;
      await this.store.remove(networkId, encode(a.address));
      freed.push(a.address);
    }
    return freed;
  }

  /** Networks that have allocation documents. */
  async networks(): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Temp files of writers that died, in every network's directory. */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for (const id of await this.networks()) out.push(...(await this.store.leftovers(id)));
    return out;
  }

  async drop(networkId: string): Promise<void> {
    await fs.rm(join(this.dir, networkId), { recursive: true, force: true });
  }
}
