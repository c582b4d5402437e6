// Ruleset changes in a namespace as an async iterator: tables, chains, rules,
// sets and elements added or deleted, and each committed generation, so that
// a watcher notices someone flushing or deleting what it owns.
import { EventStream } from '../kernel/events.js';
import type { Netns } from '../kernel/netns.js';
import type { Chain, ElementList, Rule, SetSpec, Table } from '../addon/wire/nft.js';

const NETLINK_NETFILTER = 12;
const NFNLGRP_NFTABLES = 7;

export type NftEvent =
  | { type: 'table'; event: 'new' | 'del'; table: Table }
  | { type: 'chain'; event: 'new' | 'del'; chain: Chain }
  | { type: 'rule'; event: 'new' | 'del'; rule: Rule }
  | { type: 'set'; event: 'new' | 'del'; set: SetSpec }
  | { type: 'element'; event: 'new' | 'del'; elements: ElementList }
  /** A transaction was committed: the new generation and who made it. */
  | { type: 'gen'; id: number; pid?: number; process?: string };

function decode(raw: unknown): NftEvent | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { kind, event, ...o } = raw as { kind?: string; event?: 'new' | 'del' } & Record<string, unknown>;
  switch (kind) {
    case 'table': return { type: 'table', event: event!, table: o as unknown as Table };
    case 'chain': return { type: 'chain', event: event!, chain: o as unknown as Chain };
    case 'rule': return { type: 'rule', event: event!, rule: o as unknown as Rule };
    case 'set': return { type: 'set', event: event!, set: o as unknown as SetSpec };
    case 'element': return { type: 'element', event: event!, elements: o as unknown as ElementList };
    case 'gen': return { type: 'gen', ...(o as { id: number; pid?: number; process?: string }) };
    default: return undefined;
  }
}

/** Subscribes to nf_tables changes in `ns` (NFNLGRP_NFTABLES). */
export function nftEvents(ns: Netns): Promise<EventStream<NftEvent>> {
  return EventStream.open(ns, NETLINK_NETFILTER, [NFNLGRP_NFTABLES], decode);
}
