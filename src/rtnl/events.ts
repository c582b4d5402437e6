// Link, address, route and neighbour changes in a namespace as an async
// iterator of typed events. A kernel drop arrives as { type: 'overrun' }:
// the consumer should re-read what it tracks (list) and carry on.
import { EventStream } from '../kernel/events.js';
import type { Netns } from '../kernel/netns.js';
import type { Link } from '../addon/wire/link.js';
import type { Address } from './addr.js';
import type { Route } from './route.js';
import type { Neighbour } from './neigh.js';

export type RtnlEvent = Link | Address | Route | Neighbour;
export type RtnlEventKind = RtnlEvent['kind'];

export interface RtnlEventKinds {
  link?: boolean;
  address?: boolean;
  route?: boolean;
  neighbour?: boolean;
}

const NETLINK_ROUTE = 0;
// RTNLGRP_* from linux/rtnetlink.h.
const GROUPS: Record<RtnlEventKind, number[]> = {
  link: [1], // RTNLGRP_LINK
  neighbour: [3], // RTNLGRP_NEIGH
  address: [5, 9], // RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR
  route: [7, 11], // RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE
};

/** Subscribes to the kinds asked for (all four when `kinds` is empty). */
export function rtnlEvents(ns: Netns, kinds: RtnlEventKinds = {}): Promise<EventStream<RtnlEvent>> {
  let wanted = (Object.keys(GROUPS) as RtnlEventKind[]).filter((k) => kinds[k] === true);
  if (wanted.length === 0) wanted = Object.keys(GROUPS) as RtnlEventKind[];
  const want = new Set<string>(wanted);
  const groups = wanted.flatMap((k) => GROUPS[k]);
  return EventStream.open<RtnlEvent>(ns, NETLINK_ROUTE, groups, (raw) => {
    if (!raw || typeof raw !== 'object') return undefined;
    const kind = (raw as { kind?: unknown }).kind;
    // Messages without a decoder, and kinds joined only as a side effect, are dropped.
    return typeof kind === 'string' && want.has(kind) ? (raw as RtnlEvent) : undefined;
  });
}
