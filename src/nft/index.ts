// nf_tables over netlink: typed objects, a rule builder, one-batch
// transactions, read-back, rendering in nft syntax and events.
export type * from '../addon/wire/nft.js';
export {
  DATATYPES, VERDICT_DATA_TYPE, encode, format, formatTuple, typeNumber, typesOfNumber,
  type DataTypeName, type ValueOf,
} from './datatypes.js';
export { ip, ip6, tcp, udp, sctp, th, meta, ct, fib, Field, Concat, type Match, type MapValue, type SetRef, type MapRef } from './fields.js';
export { table, chain, nftSet, nftMap, NftSet, NftMap, PRIORITIES, type BaseChainOptions, type SetOptions, type TupleValue } from './objects.js';
export { rule, RuleBuilder, type NatTarget, type MasqueradeOptions } from './builder.js';
export { renderRule, renderExprs } from './render.js';
export { Nftables, Transaction, nftCalls, isStaleGeneration } from './nftables.js';
export { nftEvents, type NftEvent } from './events.js';
