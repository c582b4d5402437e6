// IPv4 and IPv6 addresses and prefixes as bigints, so one set of arithmetic
// serves both families and a /64 or /48 never overflows a JS number.
import { isIP } from 'node:net';
import { ValidationError } from '../core/errors.js';
import { cidr, describeValue, type IpFamily } from '../core/validate.js';

export type { IpFamily };

export interface IpAddr {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A prefix as written: `address` may carry host bits (10.0.0.5/24 is an interface address). */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly address: bigint;
  readonly prefixLength: number;
}

export function bitLength(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

function allOnes(family: IpFamily): bigint {
  return (1n << BigInt(bitLength(family))) - 1n;
}

function parseV4(text: string): bigint {
  let v = 0n;
  for (const part of text.split('.')) v = (v << 8n) | BigInt(Number(part));
  return v;
}

function parseV6(text: string): bigint {
  // isIP() has already accepted the text, so only the layout is left to undo.
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const v4 = parseV4(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [headText, restText] = body.split('::') as [string, string | undefined];
  const groups = (s: string): bigint[] => (s === '' ? [] : s.split(':').map((g) => BigInt(`0x${g}`)));
  const head = groups(headText);
  const rest = restText === undefined ? [] : groups(restText);
  const fill = 8 - head.length - rest.length;
  return [...head, ...Array<bigint>(fill).fill(0n), ...rest].reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address (no zone index). */
export function parseAddress(text: unknown, field = 'address'): IpAddr {
  const family = typeof text === 'string' ? isIP(text) : 0;
  if ((family !== 4 && family !== 6) || typeof text !== 'string' || text.includes('%'))
    throw new ValidationError(field, `${field} ${describeValue(text)} is not an IPv4 or IPv6 address`);
  return { family, value: family === 4 ? parseV4(text) : parseV6(text) };
}

/** Parses "10.0.0.0/24" or "fd00::/64" (validated by validate.cidr); a bare address only if `allowBare`. */
export function parsePrefix(text: unknown, field = 'subnet', allowBare = false): IpPrefix {
  const c = cidr(text, field, allowBare);
  const a = parseAddress(c.address, field);
  return { family: a.family, address: a.value, prefixLength: c.prefixLength };
}

/** The host-bits mask of a prefix. */
function hostMask(p: IpPrefix): bigint {
  return (1n << BigInt(bitLength(p.family) - p.prefixLength)) - 1n;
}

export function networkAddress(p: IpPrefix): IpAddr {
  return { family: p.family, value: p.address & (allOnes(p.family) ^ hostMask(p)) };
}

/** The last address of the prefix (the IPv4 broadcast address). */
export function broadcastAddress(p: IpPrefix): IpAddr {
  return { family: p.family, value: networkAddress(p).value | hostMask(p) };
}

/** The prefix with host bits cleared. */
export function network(p: IpPrefix): IpPrefix {
  return { family: p.family, address: networkAddress(p).value, prefixLength: p.prefixLength };
}

export function isNetworkAligned(p: IpPrefix): boolean {
  return (p.address & hostMask(p)) === 0n;
}

/** Number of addresses in the prefix. */
export function size(p: IpPrefix): bigint {
  return hostMask(p) + 1n;
}

/** Whether `x` (an address or a whole prefix) lies inside `p`. */
export function contains(p: IpPrefix, x: IpAddr | IpPrefix): boolean {
  if (p.family !== x.family) return false;
  if ('value' in x) {
    return x.value >= networkAddress(p).value && x.value <= broadcastAddress(p).value;
  }
  return (
    x.prefixLength >= p.prefixLength && contains(p, networkAddress(x)) && contains(p, broadcastAddress(x))
  );
}

/** Two prefixes overlap exactly when one contains the other (prefixes never partly overlap). */
export function overlaps(a: IpPrefix, b: IpPrefix): boolean {
  return a.family === b.family && (contains(a, b) || contains(b, a));
}

/** The n-th address of the prefix counting from its network address (0); negative n counts from the end (-1 = last). */
export function nthAddress(p: IpPrefix, n: bigint | number): IpAddr {
  const i = BigInt(n);
  const total = size(p);
  const index = i < 0n ? total + i : i;
  if (index < 0n || index >= total)
    throw new ValidationError('index', `address index ${i} is outside ${formatPrefix(p)} (${total} addresses)`);
  return { family: p.family, value: networkAddress(p).value + index };
}

/** Every address of the prefix in order, from `start` (default: the network address). */
export function* iterate(p: IpPrefix, start?: IpAddr): Generator<IpAddr> {
  const first = start && contains(p, start) ? start.value : networkAddress(p).value;
  const last = broadcastAddress(p).value;
  for (let v = first; v <= last; v++) yield { family: p.family, value: v };
}

/** Orders IPv4 before IPv6, then by value; usable as an Array.sort comparator. */
export function compare(a: IpAddr, b: IpAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Orders prefixes by family, network address, then shorter prefix first. */
export function comparePrefix(a: IpPrefix, b: IpPrefix): number {
  return compare(networkAddress(a), networkAddress(b)) || a.prefixLength - b.prefixLength;
}

export function equalAddress(a: IpAddr, b: IpAddr): boolean {
  return a.family === b.family && a.value === b.value;
}

/** The address `delta` steps away (wraps nowhere: throws when it leaves the family's space). */
export function offset(a: IpAddr, delta: bigint | number): IpAddr {
  const v = a.value + BigInt(delta);
  if (v < 0n || v > allOnes(a.family))
    throw new ValidationError('address', `address offset ${delta} leaves the IPv${a.family} space`);
  return { family: a.family, value: v };
}

function formatV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

function formatV6(v: bigint): string {
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((v >> s) & 0xffffn));
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
  if (v >> 32n === 0xffffn) return `::ffff:${formatV4(v & 0xffffffffn)}`;
  // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6. */
export function formatAddress(a: IpAddr): string {
  return a.family === 4 ? formatV4(a.value) : formatV6(a.value);
}

export function formatPrefix(p: IpPrefix): string {
  return `${formatAddress({ family: p.family, value: p.address })}/${p.prefixLength}`;
}

/** Canonical text of an address given as text ("FD00:0::1" → "fd00::1"). */
export function canonicalAddress(text: string, field = 'address'): string {
  return formatAddress(parseAddress(text, field));
}

/** Canonical text of a prefix given as text; host bits are kept. */
export function canonicalPrefix(text: string, field = 'subnet'): string {
  return formatPrefix(parsePrefix(text, field));
}
