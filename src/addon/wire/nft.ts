// The nf_tables object model shared by the builder, the addon and read-back:
// what `rule(...).build()` produces is what `Nftables.list()` returns for the
// same rule, expression by expression. Expressions are the kernel's own
// (payload, cmp, lookup, ...) with registers and raw bytes; the builder and
// renderRule translate between them and nft syntax.

export type Family = 'ip' | 'ip6' | 'inet' | 'bridge' | 'netdev' | 'arp';
export type TableFlag = 'dormant' | 'owner' | 'persist';
export type ChainType = 'filter' | 'nat' | 'route';
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
export type Policy = 'accept' | 'drop';
export type VerdictCode = 'accept' | 'drop' | 'continue' | 'break' | 'jump' | 'goto' | 'return';

export interface Verdict {
  verdict: VerdictCode;
  chain?: string;
}
/** nft_data: raw bytes, or a verdict. */
export type Data = Uint8Array | Verdict;

export type PayloadBase = 'link' | 'network' | 'transport' | 'inner';
export type MetaKey =
  | 'len' | 'protocol' | 'priority' | 'mark' | 'iif' | 'oif' | 'iifname' | 'oifname' | 'iiftype' | 'oiftype'
  | 'skuid' | 'skgid' | 'nftrace' | 'nfproto' | 'l4proto' | 'ibrname' | 'obrname' | 'pkttype' | 'cpu'
  | 'iifgroup' | 'oifgroup' | 'cgroup' | 'random' | 'iifkind' | 'oifkind';
export type CtKey =
  | 'state' | 'direction' | 'status' | 'mark' | 'expiration' | 'helper' | 'l3proto' | 'saddr' | 'daddr'
  | 'protocol' | 'proto-src' | 'proto-dst' | 'zone' | 'id';
export type CmpOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

export interface PayloadExpr { type: 'payload'; base: PayloadBase; offset: number; len: number; dreg?: number; sreg?: number; csumType?: number; csumOffset?: number; csumFlags?: number }
export interface MetaExpr { type: 'meta'; key: MetaKey; dreg?: number; sreg?: number }
export interface CmpExpr { type: 'cmp'; sreg: number; op: CmpOp; data: Uint8Array }
export interface BitwiseExpr { type: 'bitwise'; sreg: number; dreg: number; len: number; op: 'bool' | 'lshift' | 'rshift'; mask?: Uint8Array; xor?: Uint8Array; data?: Uint8Array }
export interface RangeExpr { type: 'range'; sreg: number; op: 'eq' | 'neq'; from: Uint8Array; to: Uint8Array }
/** flags 1: inverted (not in the set). dreg: the register a map lookup writes its value to. */
export interface LookupExpr { type: 'lookup'; set: string; sreg: number; dreg?: number; flags: number; setId?: number }
export interface ImmediateExpr { type: 'immediate'; dreg: number; data: Data }
export interface CounterExpr { type: 'counter'; packets: number; bytes: number }
export interface NotrackExpr { type: 'notrack' }
export interface CtExpr { type: 'ct'; key: CtKey; dreg?: number; sreg?: number; direction?: number }
/** flags: NFTA_FIB_F_* (saddr 1, daddr 2, mark 4, iif 8, oif 16, present 32). */
export interface FibExpr { type: 'fib'; result: 'oif' | 'oifname' | 'type'; flags: number; dreg: number }
/** flags: NF_NAT_RANGE_* (map ips 1, proto specified 2, random 4, persistent 8, fully random 16). */
export interface NatExpr { type: 'nat'; natType: 'snat' | 'dnat'; family: 'ip' | 'ip6' | 'inet'; regAddrMin?: number; regAddrMax?: number; regProtoMin?: number; regProtoMax?: number; flags?: number }
export interface MasqExpr { type: 'masq'; flags?: number; regProtoMin?: number; regProtoMax?: number }
export interface RedirExpr { type: 'redir'; flags?: number; regProtoMin?: number; regProtoMax?: number }
/** An expression the library does not model, as read from the kernel. */
export interface UnknownExpr { type: string; unknown: true; raw?: Uint8Array }

export type Expr =
  | PayloadExpr | MetaExpr | CmpExpr | BitwiseExpr | RangeExpr | LookupExpr | ImmediateExpr | CounterExpr
  | NotrackExpr | CtExpr | FibExpr | NatExpr | MasqExpr | RedirExpr;

export interface Table {
  family: Family;
  name: string;
  flags?: TableFlag[];
  comment?: string;
  /** Read back only. */
  handle?: number;
}

export interface Chain {
  family: Family;
  table: string;
  name: string;
  /** Base chains only: type, hook, priority and policy go together. */
  type?: ChainType;
  hook?: Hook;
  priority?: number;
  policy?: Policy;
  /** netdev chains: the device they hook. */
  device?: string;
  comment?: string;
  handle?: number;
}

export interface Rule {
  family: Family;
  table: string;
  chain: string;
  exprs: (Expr | UnknownExpr)[];
  comment?: string;
  /** The kernel's handle (read back, or the rule to replace/delete). */
  handle?: number;
  /** Insert before (insert) / after (add) the rule with this handle. */
  position?: number;
}

export type SetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic' | 'anonymous' | 'map' | 'concat' | 'object' | 'expr';

/** A named set or map as the kernel sees it (types as numbers: see datatypes.ts). */
export interface SetSpec {
  family: Family;
  table: string;
  name: string;
  flags?: SetFlag[];
  keyType: number;
  keyLen: number;
  /** Field lengths in bytes of a concatenated key. */
  fields?: number[];
  /** Maps: the data type (0xffffff00 for verdicts) and its length. */
  dataType?: number;
  dataLen?: number;
  /** Default element timeout, ms. */
  timeout?: number;
  size?: number;
  comment?: string;
  /** How nft should print keys/data (kept in the set's userdata): host order for names, marks. */
  keyByteorder?: 'host' | 'big';
  dataByteorder?: 'host' | 'big';
  handle?: number;
}

export interface Element {
  key: Uint8Array;
  keyEnd?: Uint8Array;
  data?: Data;
  /** 1: NFT_SET_ELEM_INTERVAL_END. */
  flags?: number;
  timeout?: number;
  expiration?: number;
  comment?: string;
  /** How errors name this element (e.g. "10.0.0.1 . tcp . 8080"); not sent. */
  object?: string;
}

export interface ElementList {
  family: Family;
  table: string;
  set: string;
  elements: Element[];
}

export type ChangeOp = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush';

/** One change of a transaction, as the addon's nft.apply takes it. */
export type Change =
  | ({ op: 'add' | 'create' | 'delete' | 'flush'; kind: 'table' } & Table)
  | ({ op: 'add' | 'create' | 'delete' | 'flush'; kind: 'chain' } & Chain)
  | ({ op: 'add' | 'create' | 'insert' | 'replace' | 'delete'; kind: 'rule'; object?: string } & Rule)
  | ({ op: 'add' | 'create' | 'delete' | 'flush'; kind: 'set' } & SetSpec)
  | ({ op: 'add' | 'create' | 'delete'; kind: 'element' } & ElementList);

export interface ApplyResult {
  /** Per change: the handle of the rule it added, inserted or replaced. */
  handles: (number | null)[];
  /** The ruleset generation after the transaction (read just after it; not with readBack: false). */
  genid?: number;
}

export interface Ruleset {
  genid: number;
  tables: (Table & { handle: number; use?: number; owner?: number })[];
  chains: (Chain & { handle: number; use?: number })[];
  rules: (Rule & { handle: number })[];
  sets: (SetSpec & { handle: number; elements: Element[] })[];
}
