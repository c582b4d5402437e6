// Tables, chains, and typed named sets and maps: plain model objects that a
// transaction adds and rules refer to.
import { ValidationError } from '../core/errors.js';
import { integer, oneOf } from '../core/validate.js';
import {
  encode, encodeTuple, HOST_ORDER, LENGTHS, padded, typeNumber, VERDICT_DATA_TYPE, type DataTypeName, type ValueOf,
} from './datatypes.js';
import type { MapRef, SetRef } from './fields.js';
import type {
  Chain, ChainType, Element, Family, Hook, Policy, SetFlag, SetSpec, Table, TableFlag, Verdict,
} from '../addon/wire/nft.js';

const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'bridge', 'netdev', 'arp'];
const NAME = /^[A-Za-z_][A-Za-z0-9_.\-/]{0,255}$/;

export function objectName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new ValidationError(field, `${field} '${String(name)}' must start with a letter or '_' and hold letters, digits, '_', '-', '.', '/'`);
  return name;
}

export function table(family: Family, name: string, opts: { flags?: TableFlag[]; comment?: string } = {}): Table {
  oneOf(family, 'family', FAMILIES);
  const t: Table = { family, name: objectName(name, 'table') };
  if (opts.flags) t.flags = opts.flags.map((f) => oneOf(f, 'flags', ['dormant', 'owner', 'persist'] as const));
  if (opts.comment !== undefined) t.comment = opts.comment;
  return t;
}

/** Named priorities as nft spells them, per hook family (nat: dstnat -100, srcnat 100). */
export const PRIORITIES = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 } as const;

export interface BaseChainOptions {
  type: ChainType;
  hook: Hook;
  priority: number | keyof typeof PRIORITIES;
  policy?: Policy;
  device?: string;
  comment?: string;
}

/** A base chain (with type/hook/priority) or a regular chain (jump/goto target). */
export function chain(t: Table, name: string, opts?: BaseChainOptions | { comment?: string }): Chain {
  const c: Chain = { family: t.family, table: t.name, name: objectName(name, 'chain') };
  if (opts && 'hook' in opts) {
    c.type = oneOf(opts.type, 'type', ['filter', 'nat', 'route'] as const);
    c.hook = oneOf(opts.hook, 'hook', ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'] as const);
    c.priority = typeof opts.priority === 'string' ? PRIORITIES[oneOf(opts.priority, 'priority', Object.keys(PRIORITIES) as (keyof typeof PRIORITIES)[])] : integer(opts.priority, 'priority', -0x80000000, 0x7fffffff);
    if (opts.policy) c.policy = oneOf(opts.policy, 'policy', ['accept', 'drop'] as const);
    if (opts.device) c.device = opts.device;
    if (c.type === 'nat' && t.family !== 'ip' && t.family !== 'ip6' && t.family !== 'inet')
      throw new ValidationError('type', `nat chains exist in ip, ip6 and inet tables, not ${t.family}`);
  }
  if (opts?.comment !== undefined) c.comment = opts.comment;
  return c;
}

type Tuple = readonly DataTypeName[];
/** The literal of a key or data: a single value for one-field types, a tuple for concatenations. */
export type TupleValue<K extends Tuple> = K extends readonly [infer A extends DataTypeName]
  ? ValueOf[A] | readonly [ValueOf[A]]
  : { readonly [I in keyof K]: K[I] extends DataTypeName ? ValueOf[K[I]] : never };

export interface SetOptions {
  flags?: ('constant' | 'interval' | 'timeout' | 'dynamic')[];
  /** Default element timeout in ms (needs the timeout flag). */
  timeout?: number;
  size?: number;
  comment?: string;
}

/** A named set: its kernel description (spec) and a typed reference for lookups. */
export class NftSet<K extends Tuple> implements SetRef<K> {
  readonly spec: SetSpec;
  constructor(
    readonly table: Table,
    readonly name: string,
    readonly key: K,
    opts: SetOptions = {},
    data?: Tuple | 'verdict',
  ) {
    objectName(name, 'set');
    if (key.length === 0) throw new ValidationError('key', 'a set key needs at least one type');
    for (const k of key) if (!(k in LENGTHS)) throw new ValidationError('key', `unknown key type '${k}'`);
    this.spec = {
      family: table.family,
      table: table.name,
      name,
      keyType: typeNumber(key),
      keyLen: key.reduce((n, t) => n + (key.length > 1 ? padded(LENGTHS[t]) : LENGTHS[t]), 0),
    };
    if (key.length > 1) this.spec.fields = key.map((t) => LENGTHS[t]);
    else if (HOST_ORDER.has(key[0]!)) this.spec.keyByteorder = 'host';
    const flags: SetFlag[] = [...(opts.flags ?? [])];
    if (data !== undefined) {
      flags.push('map');
      if (data === 'verdict') this.spec.dataType = VERDICT_DATA_TYPE;
      else {
        this.spec.dataType = typeNumber(data);
        this.spec.dataLen = data.reduce((n, t) => n + (data.length > 1 ? padded(LENGTHS[t]) : LENGTHS[t]), 0);
        if (data.length === 1 && HOST_ORDER.has(data[0]!)) this.spec.dataByteorder = 'host';
      }
    }
    if (key.length > 1) flags.push('concat');
    this.spec.flags = flags;
    if (opts.timeout !== undefined) this.spec.timeout = integer(opts.timeout, 'timeout', 1, Number.MAX_SAFE_INTEGER);
    if (opts.size !== undefined) this.spec.size = integer(opts.size, 'size', 1, 0xffffffff);
    if (opts.comment !== undefined) this.spec.comment = opts.comment;
  }

  /**
   * The elements of an interval set that hold one address prefix ("10.0.0.0/24"):
   * its first address, and the address after its last flagged as an interval
   * end (left out when the prefix reaches the top of the address space), as
   * nft sends them to an rbtree set. Delete both to remove the prefix.
   */
  prefix(cidr: string, opts: { comment?: string; data?: Verdict | Uint8Array } = {}): Element[] {
    const type = this.key.length === 1 ? this.key[0] : undefined;
    if ((type !== 'ipv4_addr' && type !== 'ipv6_addr') || !this.spec.flags?.includes('interval'))
      throw new ValidationError('set', `@${this.name} is not an interval set of addresses`);
    const { first, next } = prefixBounds(type, cidr);
    const start: Element = { key: first, object: cidr };
    if (opts.comment !== undefined) start.comment = opts.comment;
    if (opts.data !== undefined) start.data = opts.data;
    return next ? [start, { key: next, flags: INTERVAL_END, object: `${cidr} (end)` }] : [start];
  }

  /** A member as the kernel stores it. */
  element(key: TupleValue<K>, opts: { comment?: string; timeout?: number } = {}): Element {
    const parts = this.key.length === 1 && !Array.isArray(key) ? [key] : (key as readonly unknown[]);
    const e: Element = { key: encodeKey(this.key, parts, 'key'), object: parts.join(' . ') };
    if (opts.comment !== undefined) e.comment = opts.comment;
    if (opts.timeout !== undefined) e.timeout = opts.timeout;
    return e;
  }
}

/** A named map from K to data D (a type tuple) or to verdicts. */
export class NftMap<K extends Tuple, D extends Tuple | 'verdict'> extends NftSet<K> implements MapRef<K, D> {
  constructor(table: Table, name: string, key: K, readonly data: D, opts: SetOptions = {}) {
    super(table, name, key, opts, data);
  }

  entry(
    key: TupleValue<K>,
    value: D extends Tuple ? TupleValue<D> : Verdict,
    opts: { comment?: string; timeout?: number } = {},
  ): Element {
    const e = this.element(key, opts);
    if (this.data === 'verdict') e.data = value as Verdict;
    else {
      const d = this.data as Tuple;
      const parts = d.length === 1 && !Array.isArray(value) ? [value] : (value as readonly unknown[]);
      e.data = encodeKey(d, parts, 'data');
      e.object += ' : ' + parts.join(' . ');
    }
    return e;
  }
}

/** NFT_SET_ELEM_INTERVAL_END */
const INTERVAL_END = 1;

/** The first address of a prefix and the one after its last (undefined past the top). */
function prefixBounds(type: 'ipv4_addr' | 'ipv6_addr', cidr: string): { first: Buffer; next?: Buffer } {
  const [addr, lenText] = cidr.split('/') as [string, string | undefined];
  const bytes = encode(type, addr);
  const bits = bytes.length * 8;
  const len = lenText === undefined ? bits : Number(lenText);
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) throw new ValidationError('value', `'${cidr}' is not a prefix`);
  if (!(len >= 0 && len <= bits)) throw new ValidationError('value', `'${cidr}' has a prefix length outside 0-${bits}`);
  const value = BigInt('0x' + bytes.toString('hex'));
  const size = 1n << BigInt(bits - len);
  const first = (value / size) * size;
  const next = first + size;
  const toBytes = (n: bigint) => Buffer.from(n.toString(16).padStart(bits / 4, '0'), 'hex');
  return next >> BigInt(bits) ? { first: toBytes(first) } : { first: toBytes(first), next: toBytes(next) };
}

function encodeKey(types: Tuple, parts: readonly unknown[], field: string): Buffer {
  return types.length === 1 ? encodeTuple(types, parts, field).subarray(0, LENGTHS[types[0]!]) : encodeTuple(types, parts, field);
}

export function nftSet<const K extends Tuple>(t: Table, name: string, opts: SetOptions & { key: K }): NftSet<K> {
  return new NftSet(t, name, opts.key, opts);
}

export function nftMap<const K extends Tuple, const D extends Tuple | 'verdict'>(
  t: Table,
  name: string,
  opts: SetOptions & { key: K; data: D },
): NftMap<K, D> {
  return new NftMap(t, name, opts.key, opts.data, opts);
}
