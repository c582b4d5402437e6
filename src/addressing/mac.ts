// MAC addresses for container interfaces, chosen as Docker chooses them.
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors.js';
import { parseAddress } from './ipnet.js';

function format(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Docker's MAC for an IPv4 endpoint: 02:42 and the four address bytes
 * (172.17.0.2 → 02:42:ac:11:00:02). Deriving it from the address keeps
 * neighbour caches right when an address is reused by another container.
 */
export function macFromIPv4(address: string): string {
  const a = parseAddress(address, 'address');
  if (a.family !== 4) throw new ValidationError('address', `a MAC can be derived from an IPv4 address only, got ${address}`);
  const v = Number(a.value);
  return format(Uint8Array.of(0x02, 0x42, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
}

/** A random locally administered unicast MAC (first byte: bit 1 set, bit 0 clear), for IPv6-only endpoints. */
export function randomMac(random: (n: number) => Uint8Array = (n) => randomBytes(n)): string {
  const b = Uint8Array.from(random(6));
  if (b.length !== 6) throw new ValidationError('random', 'the random source must return 6 bytes');
  b[0] = ((b[0] as number) & 0xfe) | 0x02;
  return format(b);
}
