// nft's datatypes: how a value of each type is laid out in a register or a
// set key, and the number nft gives the type (NFTA_SET_KEY_TYPE), so that
// `nft list` prints our sets and elements as it prints its own.
import { isIP } from 'node:net';
import { ValidationError } from '../core/errors.js';

export const DATATYPES = {
  verdict: 1,
  nf_proto: 2,
  integer: 4,
  ipv4_addr: 7,
  ipv6_addr: 8,
  ether_addr: 9,
  ether_type: 10,
  inet_proto: 12,
  inet_service: 13,
  mark: 19,
  iface_index: 20,
  ct_state: 26,
  ct_status: 28,
  fib_addrtype: 38,
  ifname: 41,
} as const;
export type DataTypeName = Exclude<keyof typeof DATATYPES, 'verdict'>;

/** NFT_DATA_VERDICT: the data type of verdict maps. */
export const VERDICT_DATA_TYPE = 0xffffff00;

export const INET_PROTOS = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132, udplite: 136 } as const;
export const NF_PROTOS = { ipv4: 2, ipv6: 10 } as const;
export const CT_STATES = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 } as const;
export const CT_STATUSES = { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 } as const;
export const FIB_ADDRTYPES = {
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8,
} as const;
export const ETHER_TYPES = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100 } as const;

/** The literal a value of each datatype is written as. */
export interface ValueOf {
  nf_proto: keyof typeof NF_PROTOS;
  integer: number;
  ipv4_addr: string;
  ipv6_addr: string;
  ether_addr: string;
  ether_type: keyof typeof ETHER_TYPES | number;
  inet_proto: keyof typeof INET_PROTOS | number;
  inet_service: number;
  mark: number;
  iface_index: number;
  ct_state: keyof typeof CT_STATES;
  ct_status: keyof typeof CT_STATUSES;
  fib_addrtype: keyof typeof FIB_ADDRTYPES;
  ifname: string;
}

/** Bytes each type takes (unpadded), and its byte order in the register. */
export const LENGTHS: Record<DataTypeName, number> = {
  nf_proto: 1, integer: 4, ipv4_addr: 4, ipv6_addr: 16, ether_addr: 6, ether_type: 2, inet_proto: 1,
  inet_service: 2, mark: 4, iface_index: 4, ct_state: 4, ct_status: 4, fib_addrtype: 4, ifname: 16,
};

/** Types nft keeps in host byte order (the rest are network order). */
export const HOST_ORDER: ReadonlySet<DataTypeName> = new Set(['mark', 'integer', 'iface_index', 'ct_state', 'ct_status', 'fib_addrtype', 'ifname']);

function named(table: Record<string, number>, v: unknown, type: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v in table) return table[v]!;
  throw new ValidationError('value', `'${String(v)}' is not a ${type}; expected one of ${Object.keys(table).join(', ')}`);
}

function nameOf(table: Record<string, number>, n: number): string | undefined {
  return Object.entries(table).find(([, v]) => v === n)?.[0];
}

function hostU32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function uint(v: unknown, max: number, type: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new ValidationError('value', `${type} must be an integer from 0 to ${max}, got ${String(v)}`);
  return v;
}

export function ipv4Bytes(v: unknown): Buffer {
  if (typeof v !== 'string' || isIP(v) !== 4) throw new ValidationError('value', `'${String(v)}' is not an IPv4 address`);
  return Buffer.from(v.split('.').map(Number));
}

export function ipv6Bytes(v: unknown): Buffer {
  if (typeof v !== 'string' || isIP(v) !== 6) throw new ValidationError('value', `'${String(v)}' is not an IPv6 address`);
  let s = v;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    s = s.slice(0, -v4[1]!.length).replace(/:$/, s.endsWith('::' + v4[1]) ? ':' : '');
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const parse = (p: string) => (p === '' ? [] : p.split(':').map((h) => parseInt(h, 16)));
  const hs = parse(head);
  const rs = rest === undefined ? [] : parse(rest);
  const words = [...hs, ...Array(8 - hs.length - rs.length - tail.length).fill(0), ...rs, ...tail];
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

export function formatIpv6(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** A value as the bytes the kernel compares (unpadded). */
export function encode(type: DataTypeName, v: unknown): Buffer {
  switch (type) {
    case 'ipv4_addr': return ipv4Bytes(v);
    case 'ipv6_addr': return ipv6Bytes(v);
    case 'inet_proto': return Buffer.from([uint(named(INET_PROTOS, v, 'protocol'), 255, 'protocol')]);
    case 'nf_proto': return Buffer.from([named(NF_PROTOS, v, 'nfproto')]);
    case 'inet_service': { const b = Buffer.alloc(2); b.writeUInt16BE(uint(v, 65535, 'port')); return b; }
    case 'ether_type': { const b = Buffer.alloc(2); b.writeUInt16BE(uint(named(ETHER_TYPES, v, 'ether type'), 65535, 'ether type')); return b; }
    case 'mark': case 'integer': case 'iface_index': return hostU32(uint(v, 0xffffffff, type));
    case 'ct_state': return hostU32(named(CT_STATES, v, 'ct state'));
    case 'ct_status': return hostU32(named(CT_STATUSES, v, 'ct status'));
    case 'fib_addrtype': return hostU32(named(FIB_ADDRTYPES, v, 'address type'));
    case 'ether_addr': {
      if (typeof v !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v)) throw new ValidationError('value', `'${String(v)}' is not a MAC address`);
      return Buffer.from(v.split(':').map((h) => parseInt(h, 16)));
    }
    case 'ifname': {
      if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > 15 || v.includes('\0'))
        throw new ValidationError('value', `'${String(v)}' is not an interface name (1-15 bytes)`);
      // A trailing '*' matches a prefix (nft's wildcard): the NUL is left out.
      return v.endsWith('*') ? Buffer.from(v.slice(0, -1)) : Buffer.concat([Buffer.from(v), Buffer.alloc(1)]);
    }
  }
}

/** A value for a set key or map data: the full type length (interface names padded). */
export function encodeKeyPart(type: DataTypeName, v: unknown): Buffer {
  const b = encode(type, v);
  return b.length >= LENGTHS[type] ? b : Buffer.concat([b, Buffer.alloc(LENGTHS[type] - b.length)]);
}

/** Bytes as nft prints them. */
export function format(type: DataTypeName, b: Uint8Array): string {
  const buf = Buffer.from(b);
  switch (type) {
    case 'ipv4_addr': return Array.from(buf.subarray(0, 4)).join('.');
    case 'ipv6_addr': return formatIpv6(buf);
    case 'inet_proto': return nameOf(INET_PROTOS, buf[0]!) ?? String(buf[0]);
    case 'nf_proto': return nameOf(NF_PROTOS, buf[0]!) ?? String(buf[0]);
    case 'inet_service': return String(buf.readUInt16BE(0));
    case 'ether_type': return nameOf(ETHER_TYPES, buf.readUInt16BE(0)) ?? '0x' + buf.readUInt16BE(0).toString(16).padStart(4, '0');
    case 'mark': return '0x' + buf.readUInt32LE(0).toString(16).padStart(8, '0');
    case 'integer': case 'iface_index': return String(buf.readUInt32LE(0));
    case 'ct_state': case 'ct_status': {
      const table = type === 'ct_state' ? CT_STATES : CT_STATUSES;
      const n = buf.readUInt32LE(0);
      return Object.entries(table).filter(([, v]) => n & v).map(([k]) => k).join(',') || '0x0';
    }
    case 'fib_addrtype': return nameOf(FIB_ADDRTYPES, buf.readUInt32LE(0)) ?? String(buf.readUInt32LE(0));
    case 'ether_addr': return Array.from(buf.subarray(0, 6)).map((x) => x.toString(16).padStart(2, '0')).join(':');
    case 'ifname': {
      const nul = buf.indexOf(0);
      return JSON.stringify(nul < 0 ? buf.toString() + '*' : buf.subarray(0, nul).toString());
    }
  }
}

/** Parts padded to 32-bit register words, as concatenated keys are laid out. */
export function padded(len: number): number {
  return Math.ceil(len / 4) * 4;
}

/** NFTA_SET_KEY_TYPE of a (possibly concatenated) type: 6 bits per field, first field highest. */
export function typeNumber(types: readonly DataTypeName[]): number {
  return types.reduce((acc, t) => acc * 64 + DATATYPES[t], 0);
}

export function typesOfNumber(n: number, count: number): DataTypeName[] | undefined {
  const out: DataTypeName[] = [];
  for (let i = 0; i < count; i++) {
    const t = (Object.entries(DATATYPES).find(([, v]) => v === n % 64)?.[0]) as DataTypeName | 'verdict' | undefined;
    if (!t || t === 'verdict') return undefined;
    out.unshift(t);
    n = Math.floor(n / 64);
  }
  return n === 0 ? out : undefined;
}

/** A concatenated key or data value: each part padded to a register word. */
export function encodeTuple(types: readonly DataTypeName[], values: readonly unknown[], field: string): Buffer {
  if (values.length !== types.length)
    throw new ValidationError(field, `${field} needs ${types.length} part(s) (${types.join(' . ')}), got ${values.length}`);
  return Buffer.concat(
    types.map((t, i) => {
      const b = encodeKeyPart(t, values[i]);
      return Buffer.concat([b, Buffer.alloc(padded(b.length) - b.length)]);
    }),
  );
}

export function formatTuple(types: readonly DataTypeName[], b: Uint8Array): string {
  let off = 0;
  return types
    .map((t) => {
      const part = b.subarray(off, off + LENGTHS[t]);
      off += padded(LENGTHS[t]);
      return format(t, part);
    })
    .join(' . ');
}
