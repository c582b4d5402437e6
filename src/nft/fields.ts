// What a rule can match on: header fields, packet metadata, conntrack and
// route lookups, each with its datatype and how it is loaded into a register.
// Matches and lookups built from these carry the protocol dependencies
// (meta nfproto, meta l4proto) the rule builder adds, as nft does.
import { ValidationError } from '../core/errors.js';
import { encode, encodeTuple, LENGTHS, padded, type DataTypeName, type ValueOf } from './datatypes.js';
import type { Expr } from '../addon/wire/nft.js';

/** A protocol a field needs to have been matched first. */
export type Dep = 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'sctp';

/** A reference to a named set or map (see sets.ts), typed by its key (and data). */
export interface SetRef<K extends readonly DataTypeName[] = readonly DataTypeName[]> {
  readonly name: string;
  readonly key: K;
}
export interface MapRef<K extends readonly DataTypeName[], D extends readonly DataTypeName[] | 'verdict'> extends SetRef<K> {
  readonly data: D;
}

/** A match: expressions that leave the verdict alone when they hold and stop the rule when not. */
export interface Match {
  readonly deps: readonly Dep[];
  readonly exprs: readonly Expr[];
}

/** A value looked up in a map, in registers from reg 1 on, for nat or other statements to use. */
export interface MapValue<D extends readonly DataTypeName[]> {
  readonly deps: readonly Dep[];
  readonly exprs: readonly Expr[];
  readonly data: D;
}

/** The register a word offset within the 16-byte reg 1 area maps to (as the kernel dumps it). */
export function regOfWord(word: number): number {
  return word % 4 === 0 ? 1 + word / 4 : 8 + word;
}

function setName(s: string | SetRef): string {
  if (typeof s !== 'string') return s.name;
  if (!s.startsWith('@') || s.length < 2) throw new ValidationError('set', `a set is named '@name', got '${s}'`);
  return s.slice(1);
}

/** Several fields loaded one after another, for lookups in sets with concatenated keys. */
export class Concat<K extends readonly DataTypeName[]> {
  constructor(readonly parts: readonly Field<DataTypeName>[]) {}

  get types(): K {
    return this.parts.map((p) => p.type) as unknown as K;
  }

  concat<T extends DataTypeName>(other: Field<T>): Concat<readonly [...K, T]> {
    return new Concat<readonly [...K, T]>([...this.parts, other]);
  }

  /** The loads, each part in its own register word from reg 1. */
  loads(): { deps: Dep[]; exprs: Expr[]; len: number } {
    const exprs: Expr[] = [];
    let word = 0;
    for (const p of this.parts) {
      exprs.push(p.load(regOfWord(word)));
      word += padded(p.len) / 4;
    }
    return { deps: [...new Set(this.parts.flatMap((p) => p.deps))], exprs, len: word * 4 };
  }

  in(set: SetRef<K> | `@${string}`): Match {
    return this.lookup(set, 0);
  }
  notIn(set: SetRef<K> | `@${string}`): Match {
    return this.lookup(set, 1);
  }

  /** The map's value for this key, for dnat/snat. */
  map<D extends readonly DataTypeName[]>(m: MapRef<K, D>): MapValue<D> {
    checkKey(this.types, m);
    if (!Array.isArray(m.data)) throw new ValidationError('map', `@${m.name} maps to verdicts: use vmap()`);
    const { deps, exprs } = this.loads();
    return { deps, data: m.data, exprs: [...exprs, { type: 'lookup', set: m.name, sreg: 1, dreg: 1, flags: 0 }] };
  }

  /** A verdict map lookup: the map's verdict for this key (no match: the rule goes on). */
  vmap(m: MapRef<K, 'verdict'>): Match {
    checkKey(this.types, m);
    const { deps, exprs } = this.loads();
    return { deps, exprs: [...exprs, { type: 'lookup', set: m.name, sreg: 1, dreg: 0, flags: 0 }] };
  }

  private lookup(set: SetRef<K> | string, flags: number): Match {
    if (typeof set !== 'string') checkKey(this.types, set);
    const { deps, exprs } = this.loads();
    return { deps, exprs: [...exprs, { type: 'lookup', set: setName(set), sreg: 1, flags }] };
  }
}

function checkKey(types: readonly DataTypeName[], set: SetRef): void {
  if (types.length !== set.key.length || types.some((t, i) => t !== set.key[i]))
    throw new ValidationError('set', `@${set.name} is keyed by ${set.key.join(' . ')}, not ${types.join(' . ')}`);
}

type InArg<T extends DataTypeName> = T extends 'ipv4_addr' | 'ipv6_addr'
  ? string | SetRef<readonly [T]>
  : T extends 'ct_state' | 'ct_status'
    ? ValueOf[T][] | SetRef<readonly [T]> | `@${string}`
    : SetRef<readonly [T]> | `@${string}`;

export class Field<T extends DataTypeName> {
  constructor(
    /** As nft writes it: "ip daddr", "meta l4proto", "tcp dport". */
    readonly name: string,
    readonly type: T,
    readonly deps: readonly Dep[],
    private readonly loader: (dreg: number) => Expr,
    /** Bytes loaded (interface names: 16). */
    readonly len: number = LENGTHS[type],
  ) {}

  load(dreg: number): Expr {
    return this.loader(dreg);
  }

  private cmp(op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte', v: ValueOf[T]): Match {
    const data = encode(this.type, v);
    if ((op !== 'eq' && op !== 'neq') && this.type === 'ifname')
      throw new ValidationError('value', `${this.name} can only be compared with == and !=`);
    return { deps: this.deps, exprs: [this.load(1), { type: 'cmp', sreg: 1, op, data }] };
  }
  eq(v: ValueOf[T]): Match { return this.cmp('eq', v); }
  neq(v: ValueOf[T]): Match { return this.cmp('neq', v); }
  lt(v: ValueOf[T]): Match { return this.cmp('lt', v); }
  lte(v: ValueOf[T]): Match { return this.cmp('lte', v); }
  gt(v: ValueOf[T]): Match { return this.cmp('gt', v); }
  gte(v: ValueOf[T]): Match { return this.cmp('gte', v); }

  /** from ≤ value ≤ to (both inclusive). */
  range(from: ValueOf[T], to: ValueOf[T]): Match {
    return { deps: this.deps, exprs: [this.load(1), { type: 'range', sreg: 1, op: 'eq', from: encode(this.type, from), to: encode(this.type, to) }] };
  }
  notRange(from: ValueOf[T], to: ValueOf[T]): Match {
    return { deps: this.deps, exprs: [this.load(1), { type: 'range', sreg: 1, op: 'neq', from: encode(this.type, from), to: encode(this.type, to) }] };
  }

  /** A prefix for addresses ("10.0.0.0/8"), any of several flags (ct state), or a named set ('@name'). */
  in(arg: InArg<T>): Match {
    return this.within(arg, false);
  }
  notIn(arg: InArg<T>): Match {
    return this.within(arg, true);
  }

  concat<U extends DataTypeName>(other: Field<U>): Concat<readonly [T, U]> {
    return new Concat<readonly [T, U]>([this as Field<DataTypeName>, other as Field<DataTypeName>]);
  }

  map<D extends readonly DataTypeName[]>(m: MapRef<readonly [T], D>): MapValue<D> {
    return new Concat<readonly [T]>([this as Field<DataTypeName>]).map(m);
  }
  vmap(m: MapRef<readonly [T], 'verdict'>): Match {
    return new Concat<readonly [T]>([this as Field<DataTypeName>]).vmap(m);
  }

  private within(arg: unknown, invert: boolean): Match {
    if (Array.isArray(arg)) return this.flags(arg, invert);
    if (typeof arg === 'string' && (this.type === 'ipv4_addr' || this.type === 'ipv6_addr') && !arg.startsWith('@'))
      return this.prefix(arg, invert);
    const c = new Concat<readonly [T]>([this as Field<DataTypeName>]);
    return invert ? c.notIn(arg as SetRef<readonly [T]>) : c.in(arg as SetRef<readonly [T]>);
  }

  private prefix(cidr: string, invert: boolean): Match {
    const [addr, lenText] = cidr.split('/') as [string, string | undefined];
    const bytes = encode(this.type, addr);
    const bits = bytes.length * 8;
    const len = lenText === undefined ? bits : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > bits || (lenText !== undefined && !/^\d+$/.test(lenText)))
      throw new ValidationError('value', `'${cidr}' is not a ${this.type === 'ipv4_addr' ? 'IPv4' : 'IPv6'} prefix`);
    const mask = Buffer.alloc(bytes.length);
    for (let i = 0; i < len; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    const net = Buffer.from(bytes.map((b, i) => b & mask[i]!));
    const op = invert ? 'neq' : 'eq';
    if (len === bits) return { deps: this.deps, exprs: [this.load(1), { type: 'cmp', sreg: 1, op, data: net }] };
    return {
      deps: this.deps,
      exprs: [
        this.load(1),
        { type: 'bitwise', sreg: 1, dreg: 1, len: bytes.length, op: 'bool', mask, xor: Buffer.alloc(bytes.length) },
        { type: 'cmp', sreg: 1, op, data: net },
      ],
    };
  }

  // Any of the flags set (nft: "ct state established,related"); inverted: none set.
  private flags(values: unknown[], invert: boolean): Match {
    if (this.type !== 'ct_state' && this.type !== 'ct_status')
      throw new ValidationError('value', `${this.name} takes a prefix or a set, not a list of flags`);
    if (values.length === 0) throw new ValidationError('value', `${this.name}: give at least one flag`);
    let bits = 0;
    for (const v of values) bits |= encode(this.type, v).readUInt32LE(0);
    const mask = Buffer.alloc(4);
    mask.writeUInt32LE(bits >>> 0);
    return {
      deps: this.deps,
      exprs: [
        this.load(1),
        { type: 'bitwise', sreg: 1, dreg: 1, len: 4, op: 'bool', mask, xor: Buffer.alloc(4) },
        { type: 'cmp', sreg: 1, op: invert ? 'eq' : 'neq', data: Buffer.alloc(4) },
      ],
    };
  }
}

const payload = (base: 'network' | 'transport', offset: number, len: number) => (dreg: number): Expr => ({
  type: 'payload', base, offset, len, dreg,
});
const metaLoad = (key: 'iifname' | 'oifname' | 'iif' | 'oif' | 'l4proto' | 'nfproto' | 'mark' | 'protocol') =>
  (dreg: number): Expr => ({ type: 'meta', key, dreg });
const ctLoad = (key: 'state' | 'status' | 'mark') => (dreg: number): Expr => ({ type: 'ct', key, dreg });

function transport<P extends 'tcp' | 'udp' | 'sctp' | 'th'>(proto: P) {
  const deps: Dep[] = proto === 'th' ? [] : [proto];
  return {
    sport: new Field(`${proto} sport`, 'inet_service', deps, payload('transport', 0, 2)),
    dport: new Field(`${proto} dport`, 'inet_service', deps, payload('transport', 2, 2)),
  };
}

export const ip = {
  saddr: new Field('ip saddr', 'ipv4_addr', ['ipv4'], payload('network', 12, 4)),
  daddr: new Field('ip daddr', 'ipv4_addr', ['ipv4'], payload('network', 16, 4)),
  protocol: new Field('ip protocol', 'inet_proto', ['ipv4'], payload('network', 9, 1)),
};
export const ip6 = {
  saddr: new Field('ip6 saddr', 'ipv6_addr', ['ipv6'], payload('network', 8, 16)),
  daddr: new Field('ip6 daddr', 'ipv6_addr', ['ipv6'], payload('network', 24, 16)),
  nexthdr: new Field('ip6 nexthdr', 'inet_proto', ['ipv6'], payload('network', 6, 1)),
};
export const tcp = transport('tcp');
export const udp = transport('udp');
export const sctp = transport('sctp');
/** The transport header of any protocol with ports at the usual offsets (nft's "th"). */
export const th = transport('th');

export const meta = {
  iifname: new Field('iifname', 'ifname', [], metaLoad('iifname')),
  oifname: new Field('oifname', 'ifname', [], metaLoad('oifname')),
  iif: new Field('iif', 'iface_index', [], metaLoad('iif')),
  oif: new Field('oif', 'iface_index', [], metaLoad('oif')),
  l4proto: new Field('meta l4proto', 'inet_proto', [], metaLoad('l4proto')),
  nfproto: new Field('meta nfproto', 'nf_proto', [], metaLoad('nfproto')),
  protocol: new Field('meta protocol', 'ether_type', [], metaLoad('protocol')),
  mark: new Field('meta mark', 'mark', [], metaLoad('mark')),
};

export const ct = {
  state: new Field('ct state', 'ct_state', [], ctLoad('state')),
  status: new Field('ct status', 'ct_status', [], ctLoad('status')),
  mark: new Field('ct mark', 'mark', [], ctLoad('mark')),
};

// NFTA_FIB_F_SADDR 1, DADDR 2.
export const fib = {
  daddr: { type: new Field('fib daddr type', 'fib_addrtype', [], (dreg) => ({ type: 'fib', flags: 2, result: 'type', dreg })) },
  saddr: { type: new Field('fib saddr type', 'fib_addrtype', [], (dreg) => ({ type: 'fib', flags: 1, result: 'type', dreg })) },
};

/** Every field, for rendering loads back into names. Transport fields of tcp/udp/sctp share th's loads. */
export const ALL_FIELDS: readonly Field<DataTypeName>[] = [
  ...Object.values(ip), ...Object.values(ip6), ...Object.values(tcp), ...Object.values(udp), ...Object.values(sctp),
  ...Object.values(th), ...Object.values(meta), ...Object.values(ct), fib.daddr.type, fib.saddr.type,
] as Field<DataTypeName>[];

export { encodeTuple };
