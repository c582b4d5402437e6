// Carving a cluster CIDR into host subnets, as flannel does: every host
// leases one subnet of the same size, the lowest one nobody else holds.
import { ValidationError } from '../core/errors.js';
import { formatPrefix, offset, networkAddress, overlaps, parsePrefix, type IpPrefix } from '../addressing/ipnet.js';

/** The host subnets of `cluster`, lowest first. */
export function* hostSubnets(cluster: string, hostPrefixLength: number): Generator<string> {
  const c = parsePrefix(cluster, 'subnet');
  if (c.family !== 4) throw new ValidationError('subnet', `an overlay's subnet must be IPv4, got ${cluster}`);
  if (!Number.isInteger(hostPrefixLength) || hostPrefixLength < c.prefixLength || hostPrefixLength > 30)
    throw new ValidationError('host-subnet-size', `host-subnet-size ${hostPrefixLength} must be from ${c.prefixLength} (the cluster subnet's) to 30`);
  const step = 2n ** BigInt(32 - hostPrefixLength);
  const count = 2n ** BigInt(hostPrefixLength - c.prefixLength);
  for (let i = 0n; i < count; i++) {
    const p: IpPrefix = { family: 4, address: offset(networkAddress(c), i * step).value, prefixLength: hostPrefixLength };
    yield formatPrefix(p);
  }
}

/** How many hosts a cluster CIDR holds at this host subnet size. */
export function hostCapacity(cluster: string, hostPrefixLength: number): bigint {
  return 2n ** BigInt(hostPrefixLength - parsePrefix(cluster, 'subnet').prefixLength);
}

/** The lowest host subnet not in `taken`, or undefined when all are. */
export function freeHostSubnet(cluster: string, hostPrefixLength: number, taken: ReadonlySet<string>): string | undefined {
  for (const s of hostSubnets(cluster, hostPrefixLength)) if (!taken.has(s)) return s;
  return undefined;
}

/** Which of `others` (name → CIDR) overlaps `subnet`, if any. */
export function overlapping(subnet: string, others: Iterable<[string, string]>): [string, string] | undefined {
  const p = parsePrefix(subnet, 'subnet');
  for (const [name, s] of others) if (overlaps(p, parsePrefix(s, 'subnet'))) return [name, s];
  return undefined;
}

/** The index of a host subnet within its cluster CIDR (0 for the lowest). */
export function hostIndex(cluster: string, hostSubnet: string): number {
  const c = parsePrefix(cluster, 'subnet');
  const h = parsePrefix(hostSubnet, 'subnet');
  return Number((h.address - networkAddress(c).value) >> BigInt(32 - h.prefixLength));
}
