// A network's address pool: its configuration from the network record plus
// the allocations from the runtime IPAM store.
import { allocate, allocateStatic, release, type PoolState, type TakenCheck } from '../../addressing/ipam.js';
import type { IpamRecord, NetworkRecord } from '../state/records.js';

function pool(config: NetworkRecord['ipv4'], part: IpamRecord['ipv4']): PoolState {
  return { ...config, allocated: part.allocated, ...(part.last !== undefined ? { last: part.last } : {}) };
}

function store(p: PoolState): IpamRecord['ipv4'] {
  return { allocated: p.allocated, ...(p.last !== undefined ? { last: p.last } : {}) };
}

/**
 * Gives `owner` an address of the network (the requested one, or the next
 * free one); changes `ipam` in place. `taken` says which addresses the store
 * holds beyond those in `ipam`.
 */
export function allocateAddresses(
  n: NetworkRecord,
  ipam: IpamRecord,
  owner: string,
  req: { ipv4?: string; ipv6?: string },
  taken: TakenCheck = () => false,
): { ipv4: string; ipv6?: string } {
  const v4 = pool(n.ipv4, ipam.ipv4);
  const ipv4 = req.ipv4 !== undefined ? allocateStatic(v4, req.ipv4, owner, taken) : allocate(v4, owner, taken);
  ipam.ipv4 = store(v4);
  if (!n.ipv6) return { ipv4 };
  const v6 = pool(n.ipv6, ipam.ipv6 ?? { allocated: {} });
  try {
    const ipv6 = req.ipv6 !== undefined ? allocateStatic(v6, req.ipv6, owner, taken) : allocate(v6, owner, taken);
    ipam.ipv6 = store(v6);
    return { ipv4, ipv6 };
  } catch (e) {
    release(v4, ipv4);
    ipam.ipv4 = store(v4);
    throw e;
  }
}
