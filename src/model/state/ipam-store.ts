// IPAM allocations as one small document per address, under
// <runtime>/ipam/<network id>/: an attach checks a few addresses for a
// document and writes one, whatever the number of endpoints. (One document
// holding every allocation was rewritten whole on each attach and detach:
// 80 KB and half a millisecond at 1,000 endpoints.)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StateStore } from '../../store/state-store.js';
import { syncFs as fs } from '../../store/sync-fs.js';
import type { IpamRecord } from './records.js';

/** Where automatic allocation resumes, per family (Docker's serial allocation). */
const LAST = 'last';

export interface Allocation {
  address: string;
  owner: string;
}

// Document ids may not hold ':'; IPv6 addresses never hold '_'.
const encode = (address: string): string => address.replace(/:/g, '_');
const decode = (id: string): string => id.replace(/_/g, ':');

export class IpamStore {
  private readonly store: StateStore;

  constructor(private readonly dir: string) {
    // Addresses are held by endpoints, which die with the machine.
    this.store = new StateStore(dir, 'boot');
  }

  /** Where allocation resumes, with no allocation read: ask `isAllocated` per address. */
  async cursor(networkId: string): Promise<IpamRecord> {
    const last = (await this.store.read<{ ipv4?: string; ipv6?: string }>(networkId, LAST)) ?? {};
    const r: IpamRecord = { ipv4: { allocated: {}, ...(last.ipv4 ? { last: last.ipv4 } : {}) } };
    if (last.ipv6) r.ipv6 = { allocated: {}, last: last.ipv6 };
    return r;
  }

  /** One stat: serial allocation finds a free address after a few, whatever the number taken. */
  isAllocated(networkId: string, address: string): boolean {
    return existsSync(join(this.dir, networkId, `${encode(address)}.json`));
  }

  /** Every allocation with its owner (reads each document: for reconcile). */
  async owners(networkId: string): Promise<Allocation[]> {
    const out: Allocation[] = [];
    for (const id of await this.store.list(networkId)) {
      if (id === LAST) continue;
      const doc = await this.store.read<{ owner: string }>(networkId, id);
      if (doc) out.push({ address: decode(id), owner: doc.owner });
    }
    return out;
  }

  async claim(networkId: string, allocations: readonly Allocation[], last: { ipv4?: string; ipv6?: string }): Promise<void> {
    for (const a of allocations) await this.store.write(networkId, encode(a.address), { owner: a.owner });
    if (last.ipv4 !== undefined || last.ipv6 !== undefined) await this.store.write(networkId, LAST, last);
  }

  /** Puts the cursor back to what cursor() read (a change that is taken back). */
  async restoreCursor(networkId: string, last: { ipv4?: string; ipv6?: string }): Promise<void> {
    if (last.ipv4 !== undefined || last.ipv6 !== undefined) await this.store.write(networkId, LAST, last);
    else await this.store.remove(networkId, LAST);
  }

  /** Frees addresses that are still held by the owner given (another owner's stays). */
  async release(networkId: string, allocations: readonly Allocation[]): Promise<string[]> {
    const freed: string[] = [];
    for (const a of allocations) {
      const doc = await this.store.read<{ owner: string }>(networkId, encode(a.address));
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

  async drop(networkId: string): Promise<void> {
    await fs.rm(join(this.dir, networkId), { recursive: true, force: true });
  }
}
