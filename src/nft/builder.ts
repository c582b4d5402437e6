// A rule, written as it reads: rule(chain).match(ip.daddr.in('10.0.0.0/8'))
// .counter().masquerade(). The builder adds the protocol matches a field
// depends on (meta nfproto in inet tables, meta l4proto for ports) once per
// rule, as nft does, and produces the kernel's expressions.
import { ValidationError } from '../core/errors.js';
import { encode, LENGTHS, padded, type DataTypeName } from './datatypes.js';
import { regOfWord, type Dep, type MapValue, type Match } from './fields.js';
import type { Chain, Expr, Family, Rule, Verdict } from '../addon/wire/nft.js';

type NatAddress = 'ipv4_addr' | 'ipv6_addr';
/** Where nat sends the packet: a fixed address (and port), or a value from a map. */
export type NatTarget =
  | { address: string; port?: number }
  | MapValue<readonly [NatAddress]>
  | MapValue<readonly [NatAddress, 'inet_service']>;

export interface MasqueradeOptions {
  /** Source ports to use, [min, max]. */
  ports?: readonly [number, number?];
  random?: boolean;
  fullyRandom?: boolean;
  persistent?: boolean;
}

// NF_NAT_RANGE_* flags.
const MAP_IPS = 1;
const PROTO_SPECIFIED = 2;
const RANDOM = 4;
const PERSISTENT = 8;
const FULLY_RANDOM = 16;

function depExprs(dep: Dep, family: Family): Expr[] {
  const cmp = (data: Buffer): Expr => ({ type: 'cmp', sreg: 1, op: 'eq', data });
  switch (dep) {
    case 'ipv4':
    case 'ipv6': {
      const own = dep === 'ipv4' ? 'ip' : 'ip6';
      if (family === own) return [];
      if (family === 'inet') return [{ type: 'meta', key: 'nfproto', dreg: 1 }, cmp(encode('nf_proto', dep))];
      if (family === 'bridge' || family === 'netdev')
        return [{ type: 'meta', key: 'protocol', dreg: 1 }, cmp(encode('ether_type', own))];
      throw new ValidationError('match', `${own} fields cannot match in a ${family} table`);
    }
    default:
      return [{ type: 'meta', key: 'l4proto', dreg: 1 }, cmp(encode('inet_proto', dep))];
  }
}

export class RuleBuilder {
  private readonly exprs: Expr[] = [];
  private readonly satisfied = new Set<Dep>();
  private note: string | undefined;
  private finished = false;

  constructor(readonly chain: Chain) {}

  private need(deps: readonly Dep[]): void {
    for (const d of deps) {
      if (this.satisfied.has(d)) continue;
      if ((d === 'ipv4' && this.satisfied.has('ipv6')) || (d === 'ipv6' && this.satisfied.has('ipv4')))
        throw new ValidationError('match', 'a rule cannot match both IPv4 and IPv6 fields');
      if (['tcp', 'udp', 'sctp'].includes(d) && [...this.satisfied].some((s) => s !== d && ['tcp', 'udp', 'sctp'].includes(s)))
        throw new ValidationError('match', `a rule cannot match ${d} ports after another transport protocol's`);
      this.exprs.push(...depExprs(d, this.chain.family));
      this.satisfied.add(d);
    }
  }

  private push(...e: Expr[]): this {
    if (this.finished) throw new ValidationError('rule', 'nothing can follow a final verdict or nat statement');
    this.exprs.push(...e);
    return this;
  }

  /** Continues only for packets that satisfy every match. */
  match(...matches: Match[]): this {
    for (const m of matches) {
      this.need(m.deps);
      this.push(...m.exprs);
    }
    return this;
  }

  counter(): this {
    return this.push({ type: 'counter', packets: 0, bytes: 0 });
  }

  notrack(): this {
    return this.push({ type: 'notrack' });
  }

  /** meta mark set VALUE */
  setMark(mark: number): this {
    return this.push({ type: 'immediate', dreg: 1, data: encode('mark', mark) }, { type: 'meta', key: 'mark', sreg: 1 });
  }

  private verdict(v: Verdict): this {
    this.push({ type: 'immediate', dreg: 0, data: v });
    this.finished = true;
    return this;
  }
  accept(): this { return this.verdict({ verdict: 'accept' }); }
  drop(): this { return this.verdict({ verdict: 'drop' }); }
  continue(): this { return this.verdict({ verdict: 'continue' }); }
  return(): this { return this.verdict({ verdict: 'return' }); }
  jump(target: Chain | string): this { return this.verdict({ verdict: 'jump', chain: this.target(target) }); }
  goto(target: Chain | string): this { return this.verdict({ verdict: 'goto', chain: this.target(target) }); }

  /** The verdict a verdict map gives for this packet (from Field/Concat .vmap()). */
  vmap(m: Match): this {
    this.match(m);
    this.finished = true;
    return this;
  }

  private target(t: Chain | string): string {
    if (typeof t === 'string') return t;
    if (t.table !== this.chain.table || t.family !== this.chain.family)
      throw new ValidationError('chain', `chain ${t.name} is in another table than ${this.chain.name}`);
    return t.name;
  }

  masquerade(opts: MasqueradeOptions = {}): this {
    let flags = (opts.random ? RANDOM : 0) | (opts.fullyRandom ? FULLY_RANDOM : 0) | (opts.persistent ? PERSISTENT : 0);
    const e: Expr = { type: 'masq' };
    if (opts.ports) {
      this.portRegisters(opts.ports[0], opts.ports[1]);
      Object.assign(e, { regProtoMin: 1, regProtoMax: opts.ports[1] === undefined ? 1 : 2 });
      flags |= PROTO_SPECIFIED;
    }
    if (flags) e.flags = flags;
    this.push(e);
    this.finished = true;
    return this;
  }

  /** redirect [to :port] — to the local machine. */
  redirect(port?: number): this {
    const e: Expr = { type: 'redir' };
    if (port !== undefined) {
      this.portRegisters(port);
      Object.assign(e, { regProtoMin: 1, regProtoMax: 1, flags: PROTO_SPECIFIED });
    }
    this.push(e);
    this.finished = true;
    return this;
  }

  snat(to: NatTarget): this { return this.nat('snat', to); }
  dnat(to: NatTarget): this { return this.nat('dnat', to); }

  private portRegisters(min: number, max?: number): void {
    this.push({ type: 'immediate', dreg: 1, data: encode('inet_service', min) });
    if (max !== undefined) this.push({ type: 'immediate', dreg: 2, data: encode('inet_service', max) });
  }

  private nat(natType: 'snat' | 'dnat', to: NatTarget): this {
    if (this.chain.type !== undefined && this.chain.type !== 'nat')
      throw new ValidationError('rule', `${natType} belongs in a nat chain; ${this.chain.name} is a ${this.chain.type} chain`);
    let addrType: DataTypeName;
    let withPort: boolean;
    if ('address' in to) {
      addrType = to.address.includes(':') ? 'ipv6_addr' : 'ipv4_addr';
      withPort = to.port !== undefined;
      this.push({ type: 'immediate', dreg: 1, data: encode(addrType, to.address) });
      if (to.port !== undefined) this.push({ type: 'immediate', dreg: 2, data: encode('inet_service', to.port) });
    } else {
      addrType = to.data[0];
      withPort = to.data.length === 2;
      if ((addrType !== 'ipv4_addr' && addrType !== 'ipv6_addr') || (withPort && to.data[1] !== 'inet_service'))
        throw new ValidationError('rule', `${natType} needs a map to an address (and port), not to ${to.data.join(' . ')}`);
      this.need(to.deps);
      this.push(...to.exprs);
    }
    const family = addrType === 'ipv4_addr' ? 'ip' : 'ip6';
    if (this.chain.family !== 'inet' && this.chain.family !== family)
      throw new ValidationError('rule', `${natType} to an ${family === 'ip' ? 'IPv4' : 'IPv6'} address in a ${this.chain.family} table`);
    // A map's port sits in the register word after the address (reg 9 for
    // IPv4); a fixed port goes in reg 2. The kernel reports max = min and
    // these flags back, so they are written out to read back identically.
    const protoReg = 'address' in to ? 2 : regOfWord(padded(LENGTHS[addrType]) / 4);
    const e: Expr = { type: 'nat', natType, family, regAddrMin: 1, regAddrMax: 1, flags: MAP_IPS | (withPort ? PROTO_SPECIFIED : 0) };
    if (withPort) Object.assign(e, { regProtoMin: protoReg, regProtoMax: protoReg });
    this.push(e);
    this.finished = true;
    return this;
  }

  /** A comment nft shows after the rule. */
  comment(text: string): this {
    if (Buffer.byteLength(text) > 254) throw new ValidationError('comment', 'comments are limited to 254 bytes');
    this.note = text;
    return this;
  }

  build(): Rule {
    const r: Rule = { family: this.chain.family, table: this.chain.table, chain: this.chain.name, exprs: [...this.exprs] };
    if (this.note !== undefined) r.comment = this.note;
    return r;
  }
}

export function rule(chain: Chain): RuleBuilder {
  return new RuleBuilder(chain);
}
